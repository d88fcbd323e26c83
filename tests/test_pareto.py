"""hopt.pareto: non-dominated sorting and the hypervolume, on fronts known by construction."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from hopt.exceptions import InvalidArgumentError
from hopt.pareto import dominates, hypervolume, non_dominated_sort, pareto_front


def test_dominates_needs_no_worse_everywhere_and_better_somewhere():
    assert dominates([1, 2], [2, 2])
    assert not dominates([1, 2], [1, 2])  # equal: neither dominates
    assert not dominates([1, 3], [2, 2])  # a trade-off


def test_ranks_peel_fronts_in_order():
    points = [
        [1, 5], [2, 3], [4, 1],  # front 0: a trade-off curve
        [2, 5], [3, 4], [5, 2],  # front 1: each dominated by a front-0 point
        [5, 5],                  # front 2: dominated by [3, 4]
        [1, 5],                  # equal to a front-0 point: same rank
    ]  # fmt: skip
    assert non_dominated_sort(points).tolist() == [0, 0, 0, 1, 1, 1, 2, 0]
    assert pareto_front(points).tolist() == [True, True, True] + [False] * 4 + [True]


def test_ranks_agree_with_a_pairwise_check_on_random_points():
    rng = np.random.default_rng(0)
    points = rng.integers(0, 6, size=(60, 3)).astype(float)  # many ties and equal points
    ranks = non_dominated_sort(points)
    for i, j in itertools.permutations(range(len(points)), 2):
        if dominates(points[j], points[i]):
            assert ranks[j] < ranks[i]
    for i in range(len(points)):  # a point of rank r > 0 is dominated by one of rank r-1
        if ranks[i] > 0:
            assert any(
                dominates(points[j], points[i]) for j in np.flatnonzero(ranks == ranks[i] - 1)
            )


def test_hypervolume_of_two_objectives_by_hand():
    # points (1, 3), (2, 1) below (4, 4): union of [1,4)x[3,4) (area 3) and
    # [2,4)x[1,4) (area 6), overlapping on [2,4)x[3,4) (area 2): 3 + 6 - 2 = 7
    assert hypervolume([[1, 3], [2, 1]], [4, 4]) == pytest.approx(7.0)
    # a dominated point adds nothing
    assert hypervolume([[1, 3], [2, 1], [3, 3]], [4, 4]) == pytest.approx(7.0)


def test_hypervolume_of_three_objectives_by_inclusion_exclusion():
    points = np.array([[1.0, 2.0, 3.0], [2.0, 1.0, 2.0], [3.0, 3.0, 1.0]])
    ref = np.array([4.0, 4.0, 4.0])
    # union of boxes [p, ref): inclusion-exclusion over every subset
    total = 0.0
    for size in range(1, 4):
        for subset in itertools.combinations(points, size):
            corner = np.max(subset, axis=0)
            total += (-1) ** (size + 1) * np.prod(ref - corner)
    assert hypervolume(points, ref) == pytest.approx(total)


def test_hypervolume_matches_a_monte_carlo_estimate_in_four_objectives():
    rng = np.random.default_rng(1)
    points = rng.uniform(0, 1, size=(12, 4))
    ref = np.ones(4)
    samples = rng.uniform(0, 1, size=(200_000, 4))
    covered = np.zeros(len(samples), dtype=bool)
    for p in points:
        covered |= np.all(samples >= p, axis=1)
    assert hypervolume(points, ref) == pytest.approx(covered.mean(), abs=0.01)


def test_a_reference_that_does_not_bound_the_front_is_a_clear_error():
    with pytest.raises(
        InvalidArgumentError, match=r"does not bound the front: 1 Pareto-optimal point\(s\)"
    ):
        hypervolume([[1, 3], [5, 1]], [4, 4])


def test_dominated_points_beyond_the_reference_add_nothing():
    assert hypervolume([[0.5, 2.0], [0.2, 0.3]], [1, 1]) == pytest.approx(0.8 * 0.7)


def test_peeling_stops_once_enough_points_are_ranked():
    points = np.array([[0, 3], [3, 0], [1, 4], [4, 1], [5, 5]], dtype=float)
    assert non_dominated_sort(points).tolist() == [0, 0, 1, 1, 2]
    assert non_dominated_sort(points, max_points=2).tolist() == [0, 0, -1, -1, -1]
    assert non_dominated_sort(points, max_points=3).tolist() == [0, 0, 1, 1, -1]


@pytest.mark.parametrize(
    ("losses", "reference", "pattern"),
    [
        ([[1, np.nan]], [4, 4], "must be finite numbers"),
        ([1, 2, 3], [4], "must be a 2-D array"),
        ([[1, 2]], [4, 4, 4], "one value per objective"),
        ([[1, 2]], [4, np.inf], "reference must be finite"),
    ],
)
def test_bad_input_names_what_to_fix(losses, reference, pattern):
    with pytest.raises(InvalidArgumentError, match=pattern):
        hypervolume(losses, reference)


def test_empty_input():
    assert non_dominated_sort(np.empty((0, 2))).tolist() == []
    assert hypervolume(np.empty((0, 2)), [1, 1]) == 0.0


def brute_force_volume(points: np.ndarray, reference: np.ndarray) -> float:
    """Exact hypervolume by coordinate compression: the grid of every point's and the
    reference's coordinates, each cell counted when some point dominates its corner."""
    axes = [np.unique(np.append(points[:, j], reference[j])) for j in range(points.shape[1])]
    total = 0.0
    for corner in itertools.product(*(range(len(a) - 1) for a in axes)):
        low = np.array([a[i] for a, i in zip(axes, corner)])
        high = np.array([a[i + 1] for a, i in zip(axes, corner)])
        if np.any(np.all(points <= low, axis=1)):
            total += float(np.prod(high - low))
    return total


@pytest.mark.parametrize("m", [2, 3, 4])
def test_hypervolume_matches_a_brute_force_grid_on_random_sets(m):
    rng = np.random.default_rng(m)
    for _ in range(15):
        points = rng.integers(0, 6, size=(int(rng.integers(1, 9)), m)).astype(float)
        reference = np.full(m, 6.0)
        assert hypervolume(points, reference) == pytest.approx(
            brute_force_volume(points, reference)
        )


def test_a_front_is_mutually_non_dominated_and_dominates_the_rest():
    points = np.random.default_rng(7).random((200, 3))
    mask = pareto_front(points)
    front, rest = points[mask], points[~mask]
    assert not any(dominates(a, b) for a in front for b in front)
    assert all(any(dominates(a, b) for a in front) for b in rest)
