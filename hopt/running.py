"""The trial running in this thread: ``hopt.report``, ``hopt.should_prune``,
``hopt.should_stop`` and ``hopt.TrialPruned``.

An objective reports intermediate losses without changing its signature:
``Domain.evaluate`` makes the trial's ``Ctrl`` (and the run's pruner) current
while it calls the objective, on every backend (in-memory, FileTrials and
MongoDB workers, Spark executors), and these functions reach it.  A context
variable rather than a global: threads and asyncio tasks running other trials
keep their own.

Where a pruner's decision is made depends on where the trials' reports are:
in process (in-memory Trials), on the worker from the store (FileTrials,
MongoTrials), or on the Spark driver when the report reaches it (slot tasks).
Each ``Ctrl`` implements ``should_prune(pruner)``.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from typing import Any

from .exceptions import InvalidArgumentError
from .trials.contract import checked_report

_current: contextvars.ContextVar[Any] = contextvars.ContextVar("hopt_current_ctrl", default=None)
_pruner: contextvars.ContextVar[Any] = contextvars.ContextVar("hopt_current_pruner", default=None)


class TrialPruned(Exception):  # noqa: N818 - Optuna's name, which its users know
    """Raised by an objective (or by ``hopt.report(..., prune=True)``) to end its trial
    as pruned: the trial is recorded with status ``"pruned"``, its reports kept and its
    loss the last reported value.  A control-flow signal, not an error: it is not a
    ``HoptError``."""


@contextlib.contextmanager
def running_trial(ctrl: Any, pruner: Any = None) -> Iterator[None]:
    """Make ``ctrl`` the current trial's control (and ``pruner`` the run's) while the
    objective runs."""
    token = _current.set(ctrl)
    pruner_token = _pruner.set(pruner)
    try:
        yield
    finally:
        _pruner.reset(pruner_token)
        _current.reset(token)


def current_ctrl() -> Any:
    """The running trial's ``Ctrl``, or None outside a trial."""
    return _current.get()


def report(value: float, step: int, *, prune: bool = False) -> None:
    """Record the intermediate loss ``value`` at ``step`` (an epoch, a boosting round).

    Lower is better, as for the final loss.  Other processes see the report while
    the trial runs (plots, the dashboard, pruners).  With ``prune=True``, raises
    ``TrialPruned`` when the run's pruner says to stop after this report.  Called
    outside a trial run by fmin (the objective called by hand, or from a thread the
    objective started), it raises ``InvalidArgumentError`` saying so.
    """
    ctrl = _current.get()
    if ctrl is None:
        raise InvalidArgumentError(
            f"hopt.report({value!r}, step={step!r}) was called outside a trial run by fmin; "
            "call it from the objective's own thread while fmin runs it (a thread the "
            "objective starts does not see its trial: report from the objective's thread)."
        )
    value, step = checked_report(value, step, "hopt.report")
    last = getattr(ctrl, "_hopt_last_step", None)  # this attempt's; a retried trial restarts
    if last is not None and step < last:
        raise InvalidArgumentError(
            f"hopt.report: step={step} goes back from the step reported last ({last}); "
            "steps must not decrease within a trial: number each report after the previous one."
        )
    ctrl.report(value, step)
    ctrl._hopt_last_step = step
    if prune and should_prune():
        raise TrialPruned(f"pruned at step {step} (value {value})")


def should_prune() -> bool:
    """Whether the run's pruner says the running trial should stop now.

    Checked after ``hopt.report``: ``if hopt.should_prune(): raise hopt.TrialPruned()``.
    Always False without a pruner (``fmin(..., pruner=None)``) and outside a trial.
    """
    ctrl = _current.get()
    pruner = _pruner.get()
    if ctrl is None or pruner is None:
        return False
    decide = getattr(ctrl, "should_prune", None)
    return bool(decide(pruner)) if decide is not None else False


def last_report(ctrl: Any) -> dict | None:
    """The last report the running trial made through ``ctrl``, or None."""
    reports = getattr(ctrl, "reports", None)
    if reports is None:
        current = getattr(ctrl, "current_trial", None) or {}
        reports = current.get("reports") or []
    return reports[-1] if reports else None


def should_stop() -> bool:
    """Whether someone asked the running trial to stop (``trials.request_stop(tid)``).

    An objective that checks it between epochs can return its best loss so far.
    Always False outside a trial.
    """
    ctrl = _current.get()
    return bool(ctrl is not None and ctrl.should_stop)
