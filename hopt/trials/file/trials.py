"""``FileTrials``: durable trials in one file, evaluated by local worker processes.

    trials = FileTrials("search.db", parallelism=4)
    fmin(objective, space, algo=tpe.suggest, max_evals=200, trials=trials)

How a run goes (see docs/file-trials.md):

* ``attach_fmin`` pickles the domain (cloudpickle; signed when a shared key is
  set) into the file and starts ``parallelism`` ``hopt-worker`` processes on it
  (``LocalWorkers``); ``parallelism=0`` starts none, for workers started by hand
  with ``hopt-worker --store PATH``.
* fmin queues NEW trials (one per idle worker beyond ``max_queue_len``); workers
  reserve, evaluate and record them under a lease (``FileJobs``).  fmin waits by
  polling the file's change sequence, and refreshes only the trials changed since.
* At the end (also on Ctrl-C or an error) the workers are stopped; a trial a
  worker was running when the run was cut short goes back to the queue, and
  trials fmin queued but no worker took are cancelled when fmin stopped early.
  The next fmin on the same file resumes, as with a pickled Trials.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterable, Mapping
from typing import Any

from ..._types import JOB_STATE_RUNNING, JOB_VALID_STATES
from ..._validate import check_int, check_positive_number
from ...exceptions import InvalidArgumentError
from ..attachments import TrialAttachments
from ..base import Trials
from ..queue.protocol import ANY, DEFAULT_MAX_ATTEMPTS, experiment_id
from ..queue.remote import RunsOnWorkers
from ..serialization import dumps_domain
from ..signing import load_key, sign
from .jobs import FileJobs
from .pool import LocalWorkers

logger = logging.getLogger("hopt.file")

#: how often a waiting fmin gives trials of dead workers back to the queue (seconds)
SWEEP_INTERVAL = 2.0
#: longest pause between two polls of the change sequence (seconds; a poll costs ~50 µs)
MAX_POLL_PAUSE = 0.05


class FileTrials(RunsOnWorkers, Trials):
    """Trials kept in one SQLite file on local disk, shared by processes of this machine."""

    asynchronous = True
    attachments: Any  # a FileAttachments (a dict in the base class)

    def __init__(
        self,
        path: str | os.PathLike | FileJobs,
        exp_key: str | None = None,
        parallelism: int = 1,
        refresh: bool = True,
        *,
        lease_secs: float = 30.0,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        key: bytes | str | None = None,
    ) -> None:
        if exp_key is not None and not isinstance(exp_key, str):
            raise InvalidArgumentError(
                f"FileTrials: exp_key must be a string or None; got exp_key={exp_key!r}."
            )
        self.parallelism = check_int(parallelism, "parallelism", "FileTrials", minimum=0)
        self.max_attempts = check_int(max_attempts, "max_attempts", "FileTrials", minimum=1)
        self.lease_secs = check_positive_number(
            lease_secs, "lease_secs", "FileTrials", allow_inf=False, unit="seconds",
            fix="A dead worker's trial comes back after this long.",
        )  # fmt: skip
        if isinstance(path, FileJobs):
            self.jobs = path
        else:
            self.jobs = FileJobs.open(path, where="FileTrials")
            self.jobs.db.check_integrity()
        if isinstance(key, str):
            key = key.encode()
        self._key = key if key is not None else load_key(None, where="FileTrials")
        self._workers: LocalWorkers | None = None
        self._run_tids: set = set()
        self._reset_copy()
        self._last_sweep = 0.0
        super().__init__(exp_key=exp_key, refresh=refresh)
        self.attachments = self.jobs.attachment_store(exp_key)

    def _reset_copy(self) -> None:
        self._docs: dict[Any, dict] = {}  # this process's copy: (exp_id, tid) -> document
        self._position: dict[Any, int] = {}  # (exp_id, tid) -> index in _dynamic_trials
        self._dynamic_trials: list[dict] = []
        self._trials: list[dict] = []
        self._ids: set = set()
        self._seen_seq = 0
        self._seen_deletions = -1

    @property
    def path(self) -> str:
        """The SQLite file the trials are stored in."""
        return self.jobs.location

    def __repr__(self) -> str:
        return f"FileTrials({self.path!r}, exp_key={self._exp_key!r})"

    # -- pickling: the path travels, the file is opened again ----------------------------
    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state["jobs"] = self.path
        for name in ("attachments", "_workers", "_docs", "_dynamic_trials", "_trials"):
            state.pop(name, None)
        return state

    def __setstate__(self, state: dict) -> None:
        path = state.pop("jobs")
        self.__dict__.update(state)
        self.jobs = FileJobs.open(path, where="FileTrials")
        self.attachments = self.jobs.attachment_store(self._exp_key)
        self._workers = None
        self._reset_copy()
        self.refresh()

    @property
    def _query_key(self) -> Any:
        return ANY if self._exp_key is None else self._exp_key

    # -- storage -----------------------------------------------------------------------------
    def view(self, exp_key: str | None = None, refresh: bool = True) -> FileTrials:
        other = FileTrials(self.jobs, exp_key=exp_key, parallelism=0, refresh=refresh)
        other._key = self._key
        return other

    def refresh(self) -> None:
        """Re-read the trials written since the last refresh (all, after a deletion).

        A few changed trials cost a copy of the list and their own places in it, not
        a lookup per trial: a worker's pruner refreshes after every report."""
        changed, seq, deletions, everything = self.jobs.changed_since(
            self._query_key, self._seen_seq, self._seen_deletions
        )
        self._seen_seq, self._seen_deletions = seq, deletions
        if not changed and not everything:
            return  # nothing written since the last refresh
        if everything:  # trials were deleted (or this is the first read): rebuild the copy
            self._docs = {}
        added = any(doc["_id"] not in self._docs for doc in changed)
        for doc in changed:
            self._docs[doc["_id"]] = doc
        if added or len(self._dynamic_trials) != len(self._docs):
            self._dynamic_trials = sorted(self._docs.values(), key=lambda d: (d["tid"], d["_id"]))
            self._position = {d["_id"]: i for i, d in enumerate(self._dynamic_trials)}
            self._ids = {d["tid"] for d in self._dynamic_trials}
        else:  # the same trials, some newer: the new copies take the old ones' places
            trials = list(self._dynamic_trials)  # a new list: the last snapshot stays as it was
            for doc in changed:
                trials[self._position[doc["_id"]]] = doc
            self._dynamic_trials = trials
        self._trials = [d for d in self._dynamic_trials if d["state"] in JOB_VALID_STATES]

    def new_trial_ids(self, n: int) -> list[int]:
        return self.jobs.allocate_tids(n)

    def _insert_trial_docs(self, docs: Iterable[dict]) -> list:
        tids = self.jobs.insert(list(docs), self.max_attempts)
        self._run_tids.update(tids)
        return tids

    def count_by_state_unsynced(self, arg: Any) -> int:
        states = [arg] if isinstance(arg, int) else list(arg)
        return self.jobs.count(self._query_key, states)

    def discard_new_trials(self, tids: Iterable) -> int:
        removed = self.jobs.delete(self._query_key, tids, only_new=True)
        if removed:
            self.refresh()
        return removed

    def delete_all(self) -> None:
        """Delete every trial and attachment of this experiment (all, when exp_key is None)."""
        self.jobs.delete(self._query_key)
        self.jobs.forget_experiment(self._query_key)
        self._run_tids = set()
        self.refresh()

    def trial_attachments(self, trial: Mapping[str, Any]) -> TrialAttachments:
        return TrialAttachments(self.jobs.attachment_store(trial.get("exp_key")), trial)

    def request_stop(self, tid: Any) -> bool:
        return self.jobs.request_stop(self._query_key, tid)

    # -- hooks used by fmin --------------------------------------------------------------------
    def attach_fmin(self, domain: Any, settings: Any) -> None:
        blob = dumps_domain(domain, "FileTrials", "worker processes")
        signature = (
            None if self._key is None else sign(self._key, experiment_id(self._exp_key), blob)
        )
        self.jobs.set_domain(self._exp_key, blob, signature)
        self._run_tids = set()
        self.jobs.requeue_expired()  # a killed earlier run's trials come back first
        if self.parallelism > 0:
            self._workers = LocalWorkers(
                self.path, self.parallelism, self._exp_key, self.lease_secs
            )
            self._workers.start()

    def detach_fmin(self, stop_reason: str | None = None, *, interrupted: bool = False) -> None:
        # (a trial running on a worker goes on, or is given back to the queue by it)
        try:
            if stop_reason and self._run_tids:
                cancelled = self.jobs.cancel_new(self._query_key, self._run_tids, stop_reason)
                if cancelled:
                    logger.info(
                        "FileTrials: %d queued trial(s) cancelled: %s", cancelled, stop_reason
                    )
        finally:
            if self._workers is not None:
                self._workers.stop()  # a trial still running is given back to the queue
                self._workers = None
            self._run_tids = set()
            self.refresh()

    def idle_slots(self) -> int:
        """Workers (started here or by hand) with no trial of this experiment yet."""
        live = self.jobs.live_workers(self._query_key)
        if self._workers is not None:  # counted before they first report themselves
            live = max(live, self._workers.alive())
        running = self.count_by_state_synced(JOB_STATE_RUNNING)
        return max(live - running, 0)

    def wait_for_progress(self, seconds: float) -> None:
        """Poll the file's change sequence (backing off) until it moves or time is up."""
        now = time.monotonic()
        deadline = now + seconds
        if now - self._last_sweep >= SWEEP_INTERVAL:
            self._last_sweep = now
            self.jobs.requeue_expired()
            if self._workers is not None:
                self._workers.check()
        pause = 0.001
        while True:
            if self.jobs.changes() != (self._seen_seq, self._seen_deletions):
                return
            left = deadline - time.monotonic()
            if left <= 0:
                return
            time.sleep(min(pause, left))
            pause = min(pause * 1.5, MAX_POLL_PAUSE)
