"""Ranking trials with several losses or constraints for TPE's good/bad split.

TPE only needs an order of the finished trials: the best ``ceil(gamma * n)``
(at most 25) form the good group.  With several objectives (MOTPE, Ozaki et al.
2020) that order is the non-domination rank, and inside the front that the cut
falls in, each trial's hypervolume contribution: a trial that alone covers much
of the dominated volume is kept over one in a crowded part of the front.  With
constraints (as Optuna's constrained TPE ranks them) every feasible trial comes
before every infeasible one, and infeasible ones rank by total violation, so the
good group is feasible as soon as any trial is, and until then it holds the
trials closest to feasible.

``ranking_keys`` turns this order into one number per row, so the rest of TPE
(the split, in-flight beliefs, branches) works on it unchanged.  Only the first
fronts, up to ``RANKED_ROWS`` trials, get exact keys; the trials after them are
ordered by the mean of their per-objective ranks, which is all a branch's own
split or an in-flight belief needs from them.
"""

from __future__ import annotations

import numpy as np

from ...pareto import hypervolume, non_dominated_sort

#: rows ranked exactly (front by front): at least the good group's largest size
RANKED_ROWS = 25
#: fronts this large in 3 or more objectives order by crowding distance, not by
#: exact hypervolume contributions (one hypervolume per point would cost too much)
EXACT_CONTRIBUTIONS_UP_TO = 24
#: the reference point for contributions, in losses scaled to [0, 1] per objective
REFERENCE = 1.1


def ranking_keys(losses: np.ndarray, vectors: np.ndarray | None, violations: np.ndarray | None):
    """A finite key per ranked row (lower is better) and inf for every other row.

    ``losses``: finite for completed rows (with ``vectors`` given, any finite value);
    ``vectors``: (rows, objectives), nan rows for rows without a loss vector (failed,
    pending, or a result with another number of losses, ranked as failed);
    ``violations``: per row the total constraint violation (0: feasible), nan when
    the row has no constraints.
    """
    keys = np.array(losses, dtype=float)
    ok = np.isfinite(keys)
    if vectors is not None:
        has_vector = ~np.isnan(vectors).any(axis=1)
        keys[ok & ~has_vector] = np.inf
        ok &= has_vector
    infeasible = np.zeros(len(keys), dtype=bool)
    if violations is not None:
        with np.errstate(invalid="ignore"):  # nan: no constraints, feasible
            infeasible = ok & (violations > 0)
    feasible = ok & ~infeasible
    if vectors is not None and feasible.any():
        keys[feasible] = front_keys(vectors[feasible])
    if infeasible.any():
        # after every feasible row, by violation (ties: the older first)
        top = keys[feasible].max() if feasible.any() else 0.0
        amounts = violations[infeasible]  # type: ignore[index]
        order = np.argsort(amounts, kind="stable")
        ranks = np.empty(len(order))
        ranks[order] = np.arange(len(order))
        keys[infeasible] = top + 1.0 + ranks / len(order)
    return keys


def front_keys(points: np.ndarray) -> np.ndarray:
    """Keys of loss vectors: front number plus a fraction below 1 that orders each
    front by hypervolume contribution (largest first)."""
    n, m = points.shape
    keys = np.empty(n)
    span = points.max(axis=0) - points.min(axis=0)
    scaled = (points - points.min(axis=0)) / np.where(span > 0, span, 1.0)
    remaining = np.arange(n)
    front_number = 0
    ranks = None if m == 2 else non_dominated_sort(scaled, max_points=RANKED_ROWS)
    while len(remaining) and n - len(remaining) < RANKED_ROWS:
        if ranks is None:
            in_front = _front_2d(scaled[remaining])
        else:
            in_front = ranks[remaining] == front_number
        members = remaining[in_front]
        keys[members] = front_number + 0.9 * _contribution_order(scaled[members])
        remaining = remaining[~in_front]
        front_number += 1
    if len(remaining):
        keys[remaining] = front_number + 0.9 * _mean_rank_fraction(scaled[remaining])
    return keys


def _front_2d(points: np.ndarray) -> np.ndarray:
    """Mask of the non-dominated points of two losses, in O(n log n).

    Sorted by the first loss then the second, a point is dominated exactly when an
    earlier point with a different value has a second loss no larger; equal points
    share their fate (neither dominates the other), so each run of equal points
    is judged by the points before its first member.
    """
    order = np.lexsort((points[:, 1], points[:, 0]))
    xs, ys = points[order, 0], points[order, 1]
    best_before = np.minimum.accumulate(np.concatenate([[np.inf], ys[:-1]]))
    repeat = np.zeros(len(xs), dtype=bool)
    repeat[1:] = (xs[1:] == xs[:-1]) & (ys[1:] == ys[:-1])
    if repeat.any():  # a repeat takes what its run's first member saw
        first = np.maximum.accumulate(np.where(repeat, 0, np.arange(len(xs))))
        best_before = best_before[first]
    mask = np.empty(len(points), dtype=bool)
    mask[order] = best_before > ys
    return mask


def _contribution_order(front: np.ndarray) -> np.ndarray:
    """Per point of one front, a fraction in [0, 1): 0 for the largest hypervolume
    contribution, rising as contributions shrink (ties: the earlier first)."""
    k, m = front.shape
    if k == 1:
        return np.zeros(1)
    reference = np.full(m, REFERENCE)
    if m == 2:
        contributions = _contributions_2d(front, reference)
    elif k <= EXACT_CONTRIBUTIONS_UP_TO:
        whole = hypervolume(front, reference)
        contributions = np.array(
            [whole - hypervolume(np.delete(front, i, axis=0), reference) for i in range(k)]
        )
    else:
        contributions = _crowding(front)
    order = np.argsort(-contributions, kind="stable")
    fractions = np.empty(k)
    fractions[order] = np.arange(k) / k
    return fractions


def _contributions_2d(front: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Exclusive hypervolume of each point of a two-loss front (equal points: 0)."""
    order = np.lexsort((front[:, 1], front[:, 0]))
    xs, ys = front[order, 0], front[order, 1]
    next_x = np.append(xs[1:], reference[0])
    previous_y = np.concatenate([[reference[1]], ys[:-1]])
    own = np.clip(next_x - xs, 0, None) * np.clip(previous_y - ys, 0, None)
    contributions = np.empty(len(front))
    contributions[order] = own
    return contributions


def _crowding(front: np.ndarray) -> np.ndarray:
    """NSGA-II's crowding distance: the sum over losses of the gap between each
    point's neighbours (boundary points infinite)."""
    k, m = front.shape
    distance = np.zeros(k)
    for j in range(m):
        order = np.argsort(front[:, j], kind="stable")
        values = front[order, j]
        gaps = np.empty(k)
        gaps[1:-1] = values[2:] - values[:-2]
        gaps[0] = gaps[-1] = np.inf
        distance[order] += gaps
    return distance


def _mean_rank_fraction(points: np.ndarray) -> np.ndarray:
    """Per point, its mean rank over the losses, as a fraction in [0, 1)."""
    n = len(points)
    ranks = points.argsort(axis=0).argsort(axis=0)  # each loss's rank, per column
    return ranks.mean(axis=1) / n
