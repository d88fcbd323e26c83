"""TPE with several objectives and constraints: the ranking behind its good/bad split,
and that the search it drives beats random search on fronts and on feasibility."""

from __future__ import annotations

import numpy as np
import pytest

from hopt import Trials, fmin, hp, rand, tpe
from hopt.algos.tpe.several import RANKED_ROWS, _front_2d, front_keys, ranking_keys
from hopt.pareto import hypervolume, non_dominated_sort, pareto_front


def test_the_two_loss_front_matches_the_pairwise_definition_ties_included():
    rng = np.random.default_rng(0)
    for _ in range(300):
        points = rng.integers(0, 5, size=(int(rng.integers(1, 40)), 2)).astype(float)
        assert (_front_2d(points) == pareto_front(points)).all(), points


@pytest.mark.parametrize("m", [2, 3])
def test_keys_rank_by_front_first(m):
    points = np.random.default_rng(1).random((200, m))
    keys = front_keys(points)
    ranks = non_dominated_sort(points)
    exact = np.floor(keys).astype(int)
    covered = ranks < exact.max()  # fronts ranked exactly (the rest share one tier)
    assert np.count_nonzero(covered) >= RANKED_ROWS
    assert (exact[covered] == ranks[covered]).all()
    assert (keys[ranks == 0] < 1).all() and (keys[ranks > 0] >= 1).all()


def test_inside_a_front_the_largest_hypervolume_contribution_comes_first():
    # (0.45, 0.55) sits close to its neighbour (0.5, 0.5): it adds least
    front = np.array([[0.0, 1.0], [0.5, 0.5], [0.45, 0.55], [1.0, 0.0]])
    keys = front_keys(front)
    reference = np.full(2, 1.1)
    whole = hypervolume(front, reference)
    own = [whole - hypervolume(np.delete(front, i, axis=0), reference) for i in range(4)]
    # keys follow exclusive contributions, computed here by brute force
    assert list(np.argsort(keys)) == list(np.argsort(-np.array(own), kind="stable"))
    assert keys.argmax() == 2


def test_infeasible_rows_rank_after_feasible_ones_by_violation():
    losses = np.array([0.0, 0.0, 0.0, 0.0, np.inf])
    vectors = np.array([[3.0, 3.0], [1.0, 1.0], [0.0, 0.0], [2.0, 0.5], [np.nan, np.nan]])
    violations = np.array([0.0, 2.0, 0.5, np.nan, np.nan])
    keys = ranking_keys(losses, vectors, violations)
    assert np.isinf(keys[4])  # failed stays unranked
    assert keys[3] < keys[0] < keys[2] < keys[1]  # feasible by front, then by violation


def test_one_loss_with_constraints_keeps_losses_for_feasible_rows():
    losses = np.array([5.0, 1.0, 3.0, np.inf])
    keys = ranking_keys(losses, None, np.array([0.0, 1.0, -2.0, np.nan]))
    assert keys[0] == 5.0 and keys[2] == 3.0 and keys[1] > 5.0 and np.isinf(keys[3])


def test_a_vector_of_another_length_ranks_as_failed():
    losses = np.zeros(3)
    keys = ranking_keys(losses, np.array([[1.0, 2.0], [np.nan, np.nan], [0.5, 3.0]]), None)
    assert np.isinf(keys[1]) and np.isfinite(keys[[0, 2]]).all()


def zdt1(p):
    """ZDT1 (Zitzler, Deb and Thiele 2000) on 5 variables."""
    x = np.array([p[f"x{i}"] for i in range(5)])
    g = 1 + 9 * x[1:].mean()
    return [x[0], g * (1 - np.sqrt(x[0] / g))]


SPACE = {f"x{i}": hp.uniform(f"x{i}", 0, 1) for i in range(5)}


def front_volume(trials, reference=(1.1, 1.1)):
    losses = np.array([t["result"]["loss"] for t in trials.best_trials])
    inside = losses[(losses < reference).all(axis=1)]
    return hypervolume(inside, reference) if len(inside) else 0.0


def test_tpe_finds_larger_fronts_than_random_search():
    volumes: dict[str, list] = {"tpe": [], "rand": []}
    for seed in range(5):
        for name, algo in (("tpe", tpe.suggest), ("rand", rand.suggest)):
            trials = Trials()
            fmin(zdt1, SPACE, algo=algo, max_evals=100, trials=trials, rstate=seed,
                 show_progressbar=False)  # fmt: skip
            volumes[name].append(front_volume(trials))
    tpe_volumes, rand_volumes = np.array(volumes["tpe"]), np.array(volumes["rand"])
    assert np.count_nonzero(tpe_volumes > rand_volumes) >= 4, volumes
    assert np.median(tpe_volumes) > np.median(rand_volumes) + 0.1, volumes


def test_tpe_learns_where_the_feasible_region_is():
    def objective(p):  # feasible: a thin corner, x0 + x1 <= 0.4
        return {"loss": zdt1(p), "constraints": [p["x0"] + p["x1"] - 0.4]}

    shares = {}
    for name, algo in (("tpe", tpe.suggest), ("rand", rand.suggest)):
        trials = Trials()
        fmin(objective, SPACE, algo=algo, max_evals=80, trials=trials, rstate=0,
             show_progressbar=False)  # fmt: skip
        shares[name] = np.mean([t["result"]["feasible"] for t in trials.trials[20:]])
    assert shares["tpe"] > 2 * shares["rand"], shares


def test_per_label_scores_are_the_sum_of_one_label_models():
    from hopt.algos.tpe.joint import JointParzen, layout_of
    from hopt.domain import Domain

    space = {
        "u": hp.uniform("u", -1, 2),
        "lu": hp.loguniform("lu", -3, 1),
        "q": hp.quniform("q", 0, 10, 1),
        "c": hp.choice("c", ["a", "b", "c"]),
    }
    rng = np.random.default_rng(0)
    whole = Domain(lambda p: 0.0, space).compiled
    good = whole.sample(rng, 6)[0]
    bad = whole.sample(rng, 20)[0]
    candidates = whole.sample(rng, 9)[0]
    masks = {label: np.ones(9, dtype=bool) for label in space}

    def model(compiled, labels):
        groups = [
            (np.array([group[label] for label in labels], dtype=float), np.ones(size))
            for group, size in ((good, 6), (bad, 20))
        ]
        return JointParzen(layout_of(compiled), groups, prior_weight=1.0)

    labels = list(whole.params)
    factorized = model(whole, labels).log_pdf_by_label(candidates, masks)
    total = np.zeros_like(factorized)
    for label in labels:
        single = Domain(lambda p: 0.0, {label: space[label]}).compiled
        total += model(single, [label]).log_pdf({label: candidates[label]}, {label: masks[label]})
    assert np.allclose(factorized, total)
