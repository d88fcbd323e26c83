"""``Ctrl``: what an objective called with ``pass_expr_memo_ctrl`` can do to its trial."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

from .._types import JOB_STATE_DONE, TrialDoc, TrialResult
from ..exceptions import InvalidArgumentError

if TYPE_CHECKING:  # annotations only: base.py imports this module
    from .base import Trials

logger = logging.getLogger("hopt")


class Ctrl:
    """Control object for one running trial (Hyperopt's ``base.Ctrl``).

    An objective decorated with ``fmin_pass_expr_memo_ctrl`` gets one as ``ctrl``.

    Args:
        trials: the ``Trials`` the trial belongs to (``ctrl.trials``).
        current_trial: the running trial's document (``ctrl.current_trial``).
    """

    info = logger.info
    warn = logger.warning
    error = logger.error
    debug = logger.debug

    def __init__(self, trials: Trials, current_trial: TrialDoc | None = None) -> None:
        if trials is None:
            raise InvalidArgumentError("Ctrl: trials must be a Trials object; got trials=None.")
        self.trials = trials
        self.current_trial = current_trial

    def checkpoint(self, result: Mapping[str, Any] | None = None) -> None:
        """Store an intermediate result of the current trial."""
        if result is not None and self.current_trial is not None:
            self.current_trial["result"] = cast("TrialResult", result)  # stored as given

    def report(self, value: float, step: int) -> None:
        """Record an intermediate loss ``value`` at ``step`` (an epoch, a round)."""
        if self.current_trial is None:
            raise InvalidArgumentError(
                "Ctrl.report: this Ctrl has no current trial; call it from the objective."
            )
        self.trials.add_report(self.current_trial, value, step)  # checks value and step

    def should_prune(self, pruner: Any) -> bool:
        """``pruner``'s decision for the current trial over the trials this process holds."""
        if self.current_trial is None:
            return False
        return bool(pruner.prune(self.current_trial, self.trials._dynamic_trials))

    @property
    def should_stop(self) -> bool:
        """Whether someone asked this trial to stop (``trials.request_stop(tid)``)."""
        return self.current_trial is not None and self.trials.stop_requested(self.current_trial)

    @property
    def attachments(self):
        """The current trial's attachments (a dict-like view)."""
        if self.current_trial is None:
            return self.trials.attachments
        return self.trials.trial_attachments(self.current_trial)

    def inject_results(self, specs, results, miscs, new_tids=None) -> list:
        """Add finished trials computed elsewhere (e.g. by a nested search)."""
        trial = self.current_trial
        if new_tids is None:
            new_tids = self.trials.new_trial_ids(len(specs))
        sources = [trial] * len(specs) if trial is not None else [{"tid": None}] * len(specs)
        docs = self.trials.source_trial_docs(
            tids=new_tids, specs=specs, results=results, miscs=miscs, sources=sources
        )
        for doc in docs:
            doc["state"] = JOB_STATE_DONE
        return self.trials.insert_trial_docs(docs)
