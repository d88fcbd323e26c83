"""PercentilePruner and MedianPruner: stop a trial that does worse than most completed ones."""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .._validate import check_int, check_number
from ._index import CompletedValues
from .base import Pruner, due_check

__all__ = ["MedianPruner", "PercentilePruner"]


def _percentile(values: np.ndarray, percentile: float) -> float:
    # numpy's default (linear interpolation between the closest ranks), as Optuna's
    return float(np.percentile(values, percentile))


class PercentilePruner(Pruner):
    """Stop a trial whose best value so far is worse than a percentile of completed trials.

    At a check, with ``step`` the largest step the trial reported, the trial is
    pruned when the lowest of its values (at every step it reported so far) is
    greater than the ``percentile``-th percentile (numpy's linear interpolation)
    of the values that completed trials reported at exactly ``step``.  This is
    Optuna's rule, read from its source: the trial's *best so far* against the
    others' values *at that step* (not their best so far).  Only completed trials
    (DONE, status ok) are the reference, as in Optuna; pruned ones are not.

    No trial is pruned while fewer than ``max(n_startup_trials, 1)`` trials have
    completed, while ``step < n_warmup_steps``, between checks (checks are due at
    steps ``n_warmup_steps + k * interval_steps``, or at the first report past a
    due step the trial skipped), or when fewer than ``n_min_trials`` completed
    trials reported at ``step``.

    ``percentile=25`` keeps trials in the best quarter: a trial is pruned when
    its best is worse than the value 25% of completed trials reach at that step.

    Cache: the completed trials' values at each step and their percentile,
    updated when a trial completes (see ``hopt.pruners._index``); a call costs one
    walk over the documents.
    """

    def __init__(
        self,
        percentile: float,
        n_startup_trials: int = 5,
        n_warmup_steps: int = 0,
        interval_steps: int = 1,
        n_min_trials: int = 1,
    ) -> None:
        where = type(self).__name__
        self._percentile = check_number(
            percentile,
            "percentile",
            where,
            low=0,
            high=100,
            fix="Give a number of percent: 25 keeps the best quarter of trials at each step.",
        )
        self._n_startup_trials = check_int(
            n_startup_trials,
            "n_startup_trials",
            where,
            minimum=0,
            fix="It is how many trials must complete before any is pruned.",
        )
        self._n_warmup_steps = check_int(
            n_warmup_steps,
            "n_warmup_steps",
            where,
            minimum=0,
            fix="It is the first step at which a trial may be pruned (0: from the start).",
        )
        self._interval_steps = check_int(
            interval_steps,
            "interval_steps",
            where,
            minimum=1,
            fix="Use 1 to check at every step.",
        )
        self._n_min_trials = check_int(
            n_min_trials,
            "n_min_trials",
            where,
            minimum=1,
            fix="It is how many completed trials must have reported at a step to compare with.",
        )
        self._completed = CompletedValues(
            functools.partial(_percentile, percentile=self._percentile)
        )

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(percentile={self._percentile!r}, "
            f"n_startup_trials={self._n_startup_trials}, "
            f"n_warmup_steps={self._n_warmup_steps}, interval_steps={self._interval_steps}, "
            f"n_min_trials={self._n_min_trials})"
        )

    def prune(self, trial: Mapping[str, Any], trials: Sequence[Mapping[str, Any]]) -> bool:
        """Whether the trial's best value so far is worse than the percentile at its step."""
        due = due_check(trial, self._n_warmup_steps, self._interval_steps)
        if due is None:
            return False
        values, step = due
        with self._completed.locked():
            n_completed = self._completed.sync(trials)
            # Optuna needs one completed trial even with n_startup_trials=0.
            if n_completed == 0 or n_completed < self._n_startup_trials:
                return False
            count, reference = self._completed.statistic(step)
        if count < self._n_min_trials or math.isnan(reference):
            return False
        return min(values.values()) > reference


class MedianPruner(PercentilePruner):
    """Stop a trial whose best value so far is worse than the median of completed trials.

    ``PercentilePruner`` at the 50th percentile (see it for the exact rule): at a
    check, the trial is pruned when the lowest value it reported so far is above
    the median of the values completed trials reported at the trial's largest step.
    """

    def __init__(
        self,
        n_startup_trials: int = 5,
        n_warmup_steps: int = 0,
        interval_steps: int = 1,
        n_min_trials: int = 1,
    ) -> None:
        super().__init__(50.0, n_startup_trials, n_warmup_steps, interval_steps, n_min_trials)

    def __repr__(self) -> str:
        return (
            f"MedianPruner(n_startup_trials={self._n_startup_trials}, "
            f"n_warmup_steps={self._n_warmup_steps}, interval_steps={self._interval_steps}, "
            f"n_min_trials={self._n_min_trials})"
        )
