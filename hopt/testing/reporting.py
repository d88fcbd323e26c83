"""Objectives that report, and a pruner that reads other trials, for the backend kit.

A pruner that looks only at its own trial's reports would pass on a backend whose
decisions see no other trial.  ``AboveOthersBest`` compares with what the other
trials reported, so the backend kit (``BackendConformance``) shows that a decision
reads them wherever the trial runs: in process, on a worker from the store, or
on the Spark driver.

Objectives and pruner live in this installed module, so remote workers can
import them.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

#: a trial meant to be pruned asks the pruner this long at most, then completes
PRUNE_WAIT_SECS = 30.0
#: a trial waiting to be stopped waits this long at most, then completes
STOP_WAIT_SECS = 30.0
#: trials with x at or above this are meant to be pruned (see ``reports_until_pruned``)
PRUNED_FROM_X = 4.0


class AboveOthersBest:
    """Prunes a trial whose latest report is above the lowest value any *other* trial
    reported at the same step by more than ``margin``.

    Args:
        margin: how far above the others' best a value may be and go on.
    """

    def __init__(self, margin: float = 1.0) -> None:
        self.margin = margin

    def prune(self, trial: Mapping[str, Any], trials: Sequence[Mapping[str, Any]]) -> bool:
        """Whether ``trial``'s latest report is worse than the others allow."""
        reports = trial.get("reports") or []
        if not reports:
            return False
        step, value = reports[-1]["step"], reports[-1]["value"]
        tid = trial["tid"]
        best = min(
            (
                report["value"]
                for other in trials
                if other["tid"] != tid
                for report in other.get("reports") or ()
                if report["step"] == step
            ),
            default=None,
        )
        return best is not None and value > best + self.margin

    def __repr__(self) -> str:
        return f"AboveOthersBest(margin={self.margin!r})"


def reports_until_pruned(x: float) -> float:
    """Reports ``x`` at step 0 and ``x + 1`` at step 1, then asks ``hopt.should_prune``.

    A trial meant to be pruned (``x >= PRUNED_FROM_X``) asks again until the pruner
    says so, for up to ``PRUNE_WAIT_SECS``: on a parallel backend the better trials
    may still be running, and their reports must reach the decision when they come.
    A trial that is not pruned reports ``x + 2`` at step 2 and returns it.
    """
    from ..running import TrialPruned, report, should_prune

    report(x, step=0)
    report(x + 1, step=1)
    deadline = time.monotonic() + PRUNE_WAIT_SECS
    while not should_prune():
        if x < PRUNED_FROM_X or time.monotonic() >= deadline:
            report(x + 2, step=2)
            return x + 2
        time.sleep(0.02)
    raise TrialPruned()


def reports_then_waits_to_be_stopped(x: float) -> float:
    """Reports 2.0 at step 0 and 1.0 at step 1, then waits until someone asks the
    trial to stop (``trials.request_stop``), for up to ``STOP_WAIT_SECS``; returns
    ``abs(x)``."""
    from ..running import report, should_stop

    report(2.0, step=0)
    report(1.0, step=1)
    deadline = time.monotonic() + STOP_WAIT_SECS
    while not should_stop() and time.monotonic() < deadline:
        time.sleep(0.05)
    return abs(x)


def reports_until_stopped(params: Any) -> dict:
    """Reports ``1 / (epoch + 1)`` every 50 ms until the trial is asked to stop; returns
    loss 0.5 with ``"stopped": True`` then, or loss 99 with ``"stopped": False`` after
    ``STOP_WAIT_SECS`` with no request (so a test can tell the request never arrived)."""
    from ..running import report, should_stop

    deadline = time.monotonic() + STOP_WAIT_SECS
    epoch = 0
    while not should_stop():
        if time.monotonic() > deadline:
            return {"loss": 99.0, "status": "ok", "stopped": False}
        report(1.0 / (epoch + 1), step=epoch)
        epoch += 1
        time.sleep(0.05)
    return {"loss": 0.5, "status": "ok", "stopped": True}
