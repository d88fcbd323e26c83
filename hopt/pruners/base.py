"""The pruner contract, and how every pruner reads trial documents.

A pruner is a pure decision rule: given the running trial's document (its
``reports`` so far) and every trial document of the experiment, should the
running trial stop now?  It never writes to a document and never talks to a
backend; ``hopt.should_prune()`` asks it after each report, in whichever process
runs the check, so two processes looking at the same documents decide alike.

Reading a document (the helpers below, shared by every pruner):

- Lower is better, always (hopt minimises; a maximised metric is reported negated).
- *The value of a trial at step s* is its report at that step; when it reported
  at one step several times, the last one (in the order made) counts.  (Optuna
  keeps the first and ignores the rest with a warning; hopt keeps every report,
  and a re-evaluation at a step is most likely a correction.)
- *The trial's step* is the largest step it has reported so far, as Optuna's
  ``last_step``: steps need not come in order (``WilcoxonPruner`` folds).
- *Completed* trials are the finished ones that count as evaluations: state
  ``JOB_STATE_DONE`` and status ``"ok"``.  Pruned trials (status ``"pruned"``),
  failures, and queued or running trials are not completed, as in Optuna.
"""

from __future__ import annotations

import abc
import datetime
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .._types import JOB_STATE_DONE, STATUS_OK, STATUS_PRUNED

__all__ = [
    "NopPruner",
    "Pruner",
    "best_value",
    "completed_trials",
    "completion_order",
    "due_check",
    "first_completed_trial",
    "is_check_step",
    "is_completed",
    "is_pruned",
    "last_step",
    "value_at_step",
    "values_by_step",
]

TrialDocument = Mapping[str, Any]


class Pruner(abc.ABC):
    """Decides whether a running trial should stop early (lower values are better).

    Subclasses implement :meth:`prune`.  A pruner may keep caches between calls to
    stay fast with many trials, but its decision must depend only on the documents
    it is given (so every process that holds the same documents decides alike);
    each cache documents what it keys on and when it is rebuilt.
    """

    @abc.abstractmethod
    def prune(self, trial: TrialDocument, trials: Sequence[TrialDocument]) -> bool:
        """Whether the running ``trial`` should stop now.

        ``trial`` is the running trial's document; its ``"reports"`` are the
        reports it made so far, in order.  ``trials`` is every trial document of
        the experiment, in any state, and may include ``trial`` itself (a pruner
        tells them apart by ``tid``).  Called after each report, so it must be
        fast; it never modifies a document.
        """


class NopPruner(Pruner):
    """Never prunes: the default when an experiment has no pruner."""

    def prune(self, trial: TrialDocument, trials: Sequence[TrialDocument]) -> bool:
        """Always False."""
        return False


# -- reading one trial ----------------------------------------------------------------------


def values_by_step(trial: TrialDocument) -> dict[int, float]:
    """``{step: value}`` of the trial's reports; at a step reported twice, the last report."""
    # A dict filled in report order keeps the last value written at each step.
    return {int(r["step"]): float(r["value"]) for r in trial.get("reports") or ()}


def value_at_step(trial: TrialDocument, step: int) -> float | None:
    """The trial's value at ``step`` (its last report there), or None if it did not report it."""
    value = None
    for report in trial.get("reports") or ():
        if report["step"] == step:
            value = float(report["value"])
    return value


def last_step(trial: TrialDocument) -> int | None:
    """The largest step the trial has reported, or None before its first report."""
    reports = trial.get("reports")
    if not reports:
        return None
    return max(int(r["step"]) for r in reports)


def best_value(trial: TrialDocument) -> float | None:
    """The lowest of the trial's values by step (see :func:`values_by_step`), or None."""
    values = values_by_step(trial)
    return min(values.values()) if values else None


def is_completed(trial: TrialDocument) -> bool:
    """Whether the trial finished as an evaluation: state DONE and status ``"ok"``."""
    if trial.get("state") != JOB_STATE_DONE:
        return False
    result = trial.get("result")
    return result is not None and result.get("status") == STATUS_OK


def is_pruned(trial: TrialDocument) -> bool:
    """Whether a pruner stopped the trial: its result's status is ``"pruned"``."""
    result = trial.get("result")
    return result is not None and result.get("status") == STATUS_PRUNED


def completed_trials(trials: Iterable[TrialDocument]) -> list[TrialDocument]:
    """The completed trials (:func:`is_completed`) among ``trials``, in their order."""
    return [t for t in trials if is_completed(t)]


def _time_order(value: Any) -> float:
    # end_time is a naive UTC datetime on every backend; a float (seconds) is taken as
    # it comes; a missing time sorts last, so a trial that says when it finished wins.
    if isinstance(value, datetime.datetime):
        return value.replace(tzinfo=datetime.timezone.utc).timestamp()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return math.inf


def completion_order(trial: TrialDocument) -> tuple[float, Any]:
    """Sort key of finished trials in the order they finished: ``end_time``, then ``tid``."""
    return (_time_order(trial.get("end_time")), trial.get("tid"))


def first_completed_trial(trials: Iterable[TrialDocument]) -> TrialDocument | None:
    """The completed trial that reported something and finished first, or None.

    "First" is the earliest ``end_time`` (then the smallest ``tid``): a rule every
    process answers alike however many trials have completed since, which is what
    the "auto" settings of the resource-based pruners are derived from.
    """
    candidates = [t for t in trials if is_completed(t) and t.get("reports")]
    return min(candidates, key=completion_order, default=None)


def due_check(
    trial: TrialDocument, n_warmup_steps: int, interval_steps: int
) -> tuple[dict[int, float], int] | None:
    """``(values by step, largest step)`` of a trial due for a check now, else None:
    no reports yet, still warming up, or between checks (see :func:`is_check_step`)."""
    values = values_by_step(trial)
    if not values:
        return None
    step = max(values)
    if step < n_warmup_steps or not is_check_step(values, step, n_warmup_steps, interval_steps):
        return None
    return values, step


def is_check_step(
    steps: Iterable[int], step: int, n_warmup_steps: int, interval_steps: int
) -> bool:
    """Whether a trial whose largest step is ``step`` is due for a check (Optuna's rule).

    Checks are due at steps ``n_warmup_steps + k * interval_steps``; a trial that
    skipped such a step is checked at its first report past it instead.  So the
    check happens when no earlier report (of ``steps``, the trial's reported steps)
    reached the latest due point at or below ``step``.  Call it with ``step >=
    n_warmup_steps``.
    """
    due = (step - n_warmup_steps) // interval_steps * interval_steps + n_warmup_steps
    previous = max((s for s in steps if s != step), default=-1)
    return previous < due
