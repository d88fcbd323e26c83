"""WilcoxonPruner: stop a trial that a signed-rank test says is worse than the best one."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from .._validate import check_int, check_number, is_real
from ._index import completed_documents
from .base import Pruner, completion_order, values_by_step

__all__ = ["WilcoxonPruner"]


def best_completed_trial(
    trials: Sequence[Mapping[str, Any]], exclude_tid: Any = None
) -> Mapping[str, Any] | None:
    """The completed trial with the lowest (single, finite) loss; ties: the first finished."""
    best: Mapping[str, Any] | None = None
    best_loss = math.inf
    for trial in completed_documents(trials):
        loss = trial["result"].get("loss")
        # a float is the common case; is_real (an ABC check) is ten times slower
        if type(loss) is not float and not is_real(loss):
            continue  # several objectives (a list): no single best
        if not loss <= best_loss or not math.isfinite(loss) or trial.get("tid") == exclude_tid:
            continue  # worse, NaN or infinite
        # the finishing order is read only on a tie: it is the slow part
        if best is None or loss < best_loss or completion_order(trial) < completion_order(best):
            best, best_loss = trial, float(loss)
    return best


class WilcoxonPruner(Pruner):
    """Prune when a one-sided Wilcoxon signed-rank test finds the trial worse than the best.

    For objectives that average a loss over instances (cross-validation folds,
    problem instances): report each instance's loss with the instance's id as the
    step, in any order.  The reference is the best completed trial (lowest loss;
    ties: the one that finished first), as Optuna's ``study.best_trial``.

    The rule, Optuna's exactly: pair the trial's values with the best trial's at the
    steps both reported (values by step; at a step reported twice, the last).  With
    fewer than ``max(2, n_startup_steps)`` pairs, keep.  Otherwise ``p`` is
    ``scipy.stats.wilcoxon(trial - best, alternative="greater",
    zero_method="zsplit").pvalue``, the chance of differences at least this far
    in the trial's disfavour if neither were better.  Prune when ``p <
    p_threshold``, except when the mean of *all* the trial's values is at most the
    mean of *all* the best trial's values (over every step each reported, paired or
    not): a trial already better on average is kept.

    No pruning while no trial has completed, or when the best trial reported
    nothing (it must report the same instances); values that are not finite
    (hopt refuses them at report time) keep the trial.  The test is sequential:
    asking after every report makes false prunes likelier than ``p_threshold``.
    scipy is imported at the first test, not with hopt.
    """

    def __init__(self, p_threshold: float = 0.1, n_startup_steps: int = 2) -> None:
        where = "WilcoxonPruner"
        self._p_threshold = check_number(
            p_threshold,
            "p_threshold",
            where,
            low=0,
            high=1,
            fix="It is a p-value: 0.1 prunes when the test is 90% sure the trial is worse.",
        )
        self._n_startup_steps = check_int(
            n_startup_steps,
            "n_startup_steps",
            where,
            minimum=0,
            fix="It is how many instances both trials must have reported before a test.",
        )

    def __repr__(self) -> str:
        return (
            f"WilcoxonPruner(p_threshold={self._p_threshold!r}, "
            f"n_startup_steps={self._n_startup_steps})"
        )

    def prune(self, trial: Mapping[str, Any], trials: Sequence[Mapping[str, Any]]) -> bool:
        """Whether the trial is worse than the best completed one on the shared steps."""
        values = values_by_step(trial)
        if not values or not all(math.isfinite(v) for v in values.values()):
            return False
        best = best_completed_trial(trials, exclude_tid=trial.get("tid"))
        if best is None:
            return False
        best_values = values_by_step(best)
        if not best_values or not all(math.isfinite(v) for v in best_values.values()):
            return False
        shared = sorted(values.keys() & best_values.keys())
        if len(shared) < max(2, self._n_startup_steps):
            return False
        mean = sum(values.values()) / len(values)
        best_mean = sum(best_values.values()) / len(best_values)
        if mean <= best_mean:
            return False  # better on average already: a low p cannot make it worse
        import numpy as np
        from scipy import stats  # lazily: importing scipy costs `import hopt` ~0.3 s

        differences = np.array([values[s] - best_values[s] for s in shared])
        p = stats.wilcoxon(differences, alternative="greater", zero_method="zsplit").pvalue
        return bool(p < self._p_threshold)
