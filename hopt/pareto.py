"""Pareto fronts of several losses: non-dominated sorting and the hypervolume.

Every objective is minimised.  A point ``a`` dominates ``b`` when it is no worse
in every loss and better in at least one.  These are the building blocks of
several-objective search (a multi-objective TPE splits good from bad trials by
non-domination rank, ties broken by hypervolume contribution) and of reporting a
front (``trials.best_trials``, hypervolume against trials).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .exceptions import InvalidArgumentError


def _as_losses(losses: Any, where: str) -> np.ndarray:
    """``losses`` as a finite float array of shape (points, objectives), or a clear error."""
    array = np.asarray(losses, dtype=float)
    if array.ndim == 1 and array.size == 0:
        return array.reshape(0, 0)
    if array.ndim != 2:
        raise InvalidArgumentError(
            f"{where}: losses must be a 2-D array, one row per point and one column per "
            f"objective; got shape {array.shape}."
        )
    if not np.isfinite(array).all():
        raise InvalidArgumentError(
            f"{where}: losses must be finite numbers; leave out failed trials (NaN or inf "
            "losses) first."
        )
    return array


def dominates(a: Any, b: Any) -> bool:
    """True when loss vector ``a`` dominates ``b`` (no worse anywhere, better somewhere)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return bool(np.all(a <= b) and np.any(a < b))


def non_dominated_sort(losses: Any, max_points: int | None = None) -> np.ndarray:
    """The non-domination rank of each point: 0 for the Pareto front, 1 for the front
    of what is left once it is removed, and so on.

    Equal points get the same rank.  With ``max_points``, fronts are peeled only
    until they hold that many points; the rest get rank -1.  Takes O(m n²) time
    and O(n²) memory for n points of m objectives, one n-by-n comparison per
    objective (about 10 ms at n = 1,000 and m = 3).
    """
    array = _as_losses(losses, "non_dominated_sort")
    n = len(array)
    ranks = np.full(n, -1, dtype=int)
    if n == 0:
        return ranks
    # dominated_by[i, j]: j dominates i (no worse in every loss, better in one)
    no_worse = np.ones((n, n), dtype=bool)
    better = np.zeros((n, n), dtype=bool)
    for column in array.T:
        no_worse &= column[None, :] <= column[:, None]
        better |= column[None, :] < column[:, None]
    dominated_by = no_worse & better
    counts = np.count_nonzero(dominated_by, axis=1)
    remaining = np.ones(n, dtype=bool)
    rank = 0
    limit = n if max_points is None else max_points
    ranked = 0
    while remaining.any() and ranked < limit:
        front = remaining & (counts == 0)
        ranks[front] = rank
        ranked += int(np.count_nonzero(front))
        remaining &= ~front
        # points the front dominated lose one dominator each
        counts -= np.count_nonzero(dominated_by[:, front], axis=1)
        rank += 1
    return ranks


def pareto_front(losses: Any) -> np.ndarray:
    """A boolean mask of the Pareto-optimal points (rank 0)."""
    return non_dominated_sort(losses, max_points=1) == 0


def hypervolume(losses: Any, reference: Any) -> float:
    """The volume dominated by ``losses`` and bounded by the ``reference`` point.

    Every Pareto-optimal point must be at or below the reference in every
    objective (the reference bounds the front); dominated points may lie beyond
    it, and a point on its boundary adds nothing.  Exact: a sweep for 2 objectives, slicing along the last objective
    above that (fine for fronts of hundreds of points in 3 or 4 objectives).
    """
    array = _as_losses(losses, "hypervolume")
    ref = np.asarray(reference, dtype=float)
    if ref.ndim != 1 or (array.size and ref.shape[0] != array.shape[1]):
        raise InvalidArgumentError(
            "hypervolume: reference must be one point with one value per objective; got "
            f"reference={reference!r} for {array.shape[1] if array.size else '?'} objectives."
        )
    if not np.isfinite(ref).all():
        raise InvalidArgumentError(
            f"hypervolume: reference must be finite; got reference={reference!r}."
        )
    if len(array) == 0:
        return 0.0
    front = array[pareto_front(array)]
    beyond = np.any(front > ref, axis=1)  # dominated points beyond it add nothing anyway
    if beyond.any():
        worst = front[beyond][0]
        raise InvalidArgumentError(
            f"hypervolume: the reference point {ref.tolist()} does not bound the front: "
            f"{int(beyond.sum())} Pareto-optimal point(s) lie beyond it, e.g. "
            f"{worst.tolist()}. Drop points beyond it first, or choose a "
            "reference at least as large as the worst loss in every objective (for example "
            "the column maxima, plus a margin)."
        )
    return float(_volume(front, ref))


def _volume(points: np.ndarray, ref: np.ndarray) -> float:
    """Hypervolume of mutually non-dominated (or any) points below ``ref``."""
    if len(points) == 0:
        return 0.0
    if points.shape[1] == 1:
        return float(ref[0] - points[:, 0].min())
    if points.shape[1] == 2:
        order = np.argsort(points[:, 0], kind="stable")
        xs, ys = points[order, 0], points[order, 1]
        # along increasing first loss, only points lowering the best second loss count
        best_y = np.minimum.accumulate(ys)
        widths = np.diff(np.append(xs, ref[0]))
        return float(np.sum(widths * (ref[1] - best_y)))
    # slice along the last objective: between consecutive levels, the cross-section is
    # the (m-1)-dimensional volume of the points at or below that level
    order = np.argsort(points[:, -1], kind="stable")
    points = points[order]
    levels = np.append(points[:, -1], ref[-1])
    total = 0.0
    for i in range(len(points)):
        height = levels[i + 1] - levels[i]
        if height <= 0:
            continue
        section = points[: i + 1, :-1]
        section = section[pareto_front(section)]
        total += height * _volume(section, ref[:-1])
    return total
