"""Reading trials that have several objectives or constraints.

An ``ok`` result's ``loss`` is a number (one objective) or a list of numbers
(several, all minimised); ``constraints``, when the objective returns them, is a
list of numbers and the trial is feasible when every one is at most 0
(``result["feasible"]``, stored with them).  hopt.results checks a result when it
is stored; this module is the read side, shared by ``Trials.best_trial``,
``Trials.best_trials``, fmin's progress line and the plots.

The number of objectives of a search is fixed by ``fmin(n_objectives=...)`` or
else by its first result.  A worker that had not yet seen that first result may
have stored a result with another count; every reader here skips such a trial as
if it had failed, so one stray result never breaks a front.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from ._types import STATUS_OK
from .exceptions import InvalidArgumentError
from .pareto import hypervolume, pareto_front


def loss_tuple(result: Mapping[str, Any]) -> tuple[float, ...] | None:
    """An ``ok`` result's losses as a tuple (one element for one objective), else None.

    None too for a loss that is missing, NaN or not numbers (a hand-made document).
    """
    if result.get("status") != STATUS_OK:
        return None
    loss = result.get("loss")
    values = loss if isinstance(loss, (list, tuple)) else (loss,)
    try:
        losses = tuple(float(v) for v in values)
    except (TypeError, ValueError):
        return None
    if not losses or any(math.isnan(v) for v in losses):
        return None
    return losses


def violation(result: Mapping[str, Any]) -> float:
    """How far a result is from feasible: the sum of its positive constraint values
    (0 when it is feasible or has no constraints)."""
    constraints = result.get("constraints")
    if not isinstance(constraints, (list, tuple)):
        return 0.0
    return float(sum(max(float(c), 0.0) for c in constraints))


def is_feasible(result: Mapping[str, Any]) -> bool:
    """True unless the result has a constraint above 0."""
    return violation(result) <= 0.0


def describe(result: Mapping[str, Any]) -> str:
    """A result's losses for a log line: ``loss 0.25`` with one, ``losses [0.25, 2.25]``
    with several, then ``, infeasible`` when a constraint is above 0."""
    loss = result.get("loss")
    if isinstance(loss, (list, tuple)):
        text = "losses [" + ", ".join(format(v, ".6g") for v in loss) + "]"
    else:
        text = f"loss {loss}"
    return text if is_feasible(result) else text + ", infeasible"


def objective_count(trials: Iterable[Mapping[str, Any]]) -> int | None:
    """The search's number of objectives: that of its first ``ok`` trial (None: none yet)."""
    first = first_scored(trials)
    return None if first is None else len(first[1])


def scored(trials: Iterable[Mapping[str, Any]]) -> list[tuple[Mapping[str, Any], tuple]]:
    """(trial, losses) of every ``ok`` trial whose loss count is the search's."""
    out = []
    count = None
    for trial in trials:
        losses = loss_tuple(trial["result"])
        if losses is None:
            continue
        if count is None:
            count = len(losses)
        if len(losses) == count:
            out.append((trial, losses))
    return out


def best_key(trial: Mapping[str, Any], losses: tuple) -> tuple:
    """How ``best_trial`` orders trials: feasible ones first, then the least violation,
    then the losses in order (the first loss, ties broken by the next)."""
    amount = violation(trial["result"])
    return (amount > 0.0, amount, losses)


def best_of(trials: Iterable[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The best trial by ``best_key`` (the earliest of equals), None if no trial is ``ok``.

    With one objective and no constraints: the lowest loss.  With several: the
    Pareto-optimal trial best on the first objective (see ``best_trials`` for the
    whole front).  With constraints the best feasible one, or the least infeasible
    when none is feasible.
    """
    best, best_so_far = None, None
    for trial, losses in scored(trials):
        key = best_key(trial, losses)
        if best_so_far is None or key < best_so_far:
            best, best_so_far = trial, key
    return best


def front_of(trials: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The feasible ``ok`` trials no other feasible trial dominates, in trial order.

    Trials with equal losses are all kept: each is as good as the other.
    """
    feasible = [(t, losses) for t, losses in scored(trials) if is_feasible(t["result"])]
    if not feasible:
        return []
    mask = pareto_front(np.array([losses for _, losses in feasible], dtype=float))
    return [t for (t, _), keep in zip(feasible, mask) if keep]


def hypervolume_history(
    trials: Sequence[Mapping[str, Any]], reference: Any
) -> tuple[np.ndarray, np.ndarray]:
    """(tids, hypervolume): after each finished trial in trial order, the hypervolume of
    the feasible ``ok`` trials so far, against ``reference``.

    Points not below the reference in every objective add nothing (they are
    left out, not an error): a front usually starts there.
    """
    ref = np.asarray(reference, dtype=float)
    rows = [(t, losses) for t, losses in scored(trials) if is_feasible(t["result"])]
    count = len(rows[0][1]) if rows else None
    if count is not None and (ref.ndim != 1 or len(ref) != count):
        raise InvalidArgumentError(
            f"hypervolume_history: reference must have one value per objective ({count}); "
            f"got reference={reference!r}."
        )
    tids, volumes = [], []
    kept: list[tuple] = []
    volume = 0.0
    for trial, losses in rows:
        if all(v < r for v, r in zip(losses, ref)):
            kept.append(losses)
            kept_array = np.array(kept, dtype=float)
            kept = [tuple(row) for row in kept_array[pareto_front(kept_array)]]
            volume = hypervolume(np.array(kept, dtype=float), ref)
        tids.append(trial["tid"])
        volumes.append(volume)
    return np.array(tids), np.array(volumes, dtype=float)


def first_scored(trials: Iterable[Mapping[str, Any]]) -> tuple[Mapping[str, Any], tuple] | None:
    """(trial, losses) of the first ``ok`` trial, which fixes the number of objectives."""
    for trial in trials:
        losses = loss_tuple(trial["result"])
        if losses is not None:
            return trial, losses
    return None


class FrontArchive:
    """Loss vectors no other one added dominates, kept as they arrive (fmin's progress)."""

    def __init__(self) -> None:
        self.points: list[tuple] = []

    def __len__(self) -> int:
        return len(self.points)

    def add(self, losses: tuple) -> bool:
        """Add ``losses``; True when it joins the front (no kept point dominates it)."""
        for kept in self.points:
            if all(k <= v for k, v in zip(kept, losses)) and kept != losses:
                return False
        self.points = [
            kept
            for kept in self.points
            if not (all(v <= k for k, v in zip(kept, losses)) and kept != losses)
        ]
        self.points.append(losses)
        return True
