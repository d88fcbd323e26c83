"""``ExperimentViews``: a worker's copy of each experiment it serves, for pruners.

A pruner decides over the experiment's trial documents as the store holds them
now, other workers' reports included (``hopt.should_prune`` in an objective run
by ``hopt-worker``).  Reading every trial for every decision would cost a read
that grows with the experiment, so a worker process keeps one Trials view per
exp_key (``JobQueue.trials_view``) and refreshes it before each decision.  A
refresh reads only what changed since the last one: FileTrials the rows whose
change sequence is newer, MongoTrials the documents stamped since its newest
``changed`` stamp (``TrialListing``).  Every report bumps both, in the same
write that stores it, so the next decision of any worker sees it.

The view sees what the Trials object fmin was given sees: for ``exp_key=None``
that is every trial in the store, as for fmin's own reads.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .protocol import JobQueue, experiment_id


class ExperimentViews:
    """One Trials view of ``queue`` per exp_key, made on first use and kept."""

    def __init__(self, queue: JobQueue) -> None:
        self._queue = queue
        self._views: dict[str, Any] = {}

    def get(self, exp_key: str | None) -> Any:
        """The view of ``exp_key``'s trials (as last refreshed; ``ctrl.trials`` gives it)."""
        key = experiment_id(exp_key)
        view = self._views.get(key)
        if view is None:
            view = self._views[key] = self._queue.trials_view(exp_key)
        return view

    def decide(self, pruner: Any, trial: dict) -> bool:
        """``pruner``'s decision for the running ``trial`` over its experiment's trials,
        read from the store now (only the changes since this worker's last read)."""
        view = self.get(trial.get("exp_key"))
        view.refresh()
        return bool(pruner.prune(trial, with_running_trial(view._dynamic_trials, trial)))


def with_running_trial(docs: Sequence[Mapping[str, Any]], trial: dict) -> list:
    """``docs`` (in trial order) with the store's copy of ``trial`` replaced by ``trial``.

    The worker's own document holds the same reports (each was stored before the
    call returned); passing it keeps ``trial`` one of ``trials``, as in process.
    The running trial is among the newest, so the search starts from the end.
    """
    tid, exp_key = trial["tid"], trial.get("exp_key")
    out = list(docs)
    for index in range(len(out) - 1, -1, -1):
        doc = out[index]
        if doc["tid"] == tid and doc.get("exp_key") == exp_key:
            out[index] = trial
            return out
    out.append(trial)  # not listed (e.g. under another exp_key): still one of them
    return out
