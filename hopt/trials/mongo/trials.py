"""``MongoTrials``: fmin queues trials in MongoDB; ``hopt-worker`` processes run them.

How a run goes (see docs/mongodb.md):

* ``attach_fmin`` pickles the domain, signs it when a shared key is set, and
  stores it once per exp_key in GridFS; workers load it from there.
* fmin inserts NEW trials: ``max_queue_len`` plus one per idle live worker
  (``idle_slots``), so every worker finds work without tuning max_queue_len.
* Workers reserve, evaluate and record trials under a lease (jobs.py).  fmin
  waits by polling one small per-experiment change counter with backoff, and
  now and then returns trials of dead workers to the queue.
* When fmin stops early (timeout, loss_threshold, early_stop_fn), the trials it
  queued and no worker took yet become JOB_STATE_CANCEL; running ones finish
  and are recorded.  A second fmin with the same exp_key resumes the search.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterable, Mapping
from typing import Any, cast

from ..._types import JOB_STATE_NEW, JOB_STATE_RUNNING, JOB_VALID_STATES
from ..._validate import check_int
from ...exceptions import InvalidArgumentError
from ..attachments import TrialAttachments
from ..base import Trials
from ..queue.remote import RunsOnWorkers
from ..serialization import dumps_domain
from ..signing import load_key, sign
from .files import GridFSStore
from .jobs import ANY, DEFAULT_MAX_ATTEMPTS, DOMAIN_ATTACHMENT, MongoJobs, experiment_id
from .listing import TrialListing
from .url import parse_url

logger = logging.getLogger("hopt.mongo")

#: how often a waiting fmin returns trials of dead workers to the queue (seconds)
SWEEP_INTERVAL = 5.0
#: longest pause between two polls of the change counter (seconds)
MAX_POLL_PAUSE = 0.5
#: warn when fmin has waited this long with no live worker (seconds)
NO_WORKER_WARNING_SECS = 30.0


class MongoTrials(RunsOnWorkers, Trials):
    """Trials stored in MongoDB and evaluated by ``hopt-worker`` processes."""

    asynchronous = True
    handle: MongoJobs
    attachments: Any  # a GridFSStore (a dict in the base class)
    max_attempts: int
    workdir: str | None
    _key: bytes | None
    _last_sweep: float
    _seen_changes: int | None
    _listing: TrialListing  # this process's copy of the trial documents

    def __init__(
        self,
        arg: str | MongoJobs,
        exp_key: str | None = None,
        cmd: Any = None,
        workdir: str | None = None,
        refresh: bool = True,
        *,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        key: bytes | str | None = None,
        connect_timeout: float = 10.0,
        reconnect_timeout: float = 300.0,
    ) -> None:
        if exp_key is not None and not isinstance(exp_key, str):
            raise InvalidArgumentError(
                f"MongoTrials: exp_key must be a string or None; got exp_key={exp_key!r}."
            )
        max_attempts = check_int(max_attempts, "max_attempts", "MongoTrials", minimum=1)
        if isinstance(arg, MongoJobs):
            self.handle = arg
        elif isinstance(arg, str):
            self.handle = MongoJobs.new_from_connection_str(
                parse_url(arg, "MongoTrials", "url"),
                where="MongoTrials",
                connect_timeout=connect_timeout,
                reconnect_timeout=reconnect_timeout,
            )
        else:
            raise InvalidArgumentError(
                "MongoTrials: the first argument must be a URL such as "
                f"'mongo://host:27017/db/jobs' or a MongoJobs; got {arg!r}."
            )
        if isinstance(key, str):
            key = key.encode()
        self._key = key if key is not None else load_key(None, where="MongoTrials")
        self.handle.create_indexes()
        self.cmd = cmd
        self.workdir = workdir
        self.max_attempts = max_attempts
        self._run_tids: set = set()
        self._seen_changes: int | None = None
        self._last_sweep = 0.0
        self._idle: tuple[float, int] = (0.0, 0)
        self._no_workers_since: float | None = None
        self._listing = TrialListing()
        super().__init__(exp_key=exp_key, refresh=refresh)
        self.attachments = self._store(exp_key)

    def __repr__(self) -> str:
        return f"MongoTrials({str(self.handle.url)!r}, exp_key={self._exp_key!r})"

    # -- pickling: the URL travels, the connection is made again -------------------------
    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state["handle"] = self.handle.url  # a MongoURL; str() of it hides the password
        state.pop("attachments", None)
        state.pop("_listing", None)
        return state

    def __setstate__(self, state: dict) -> None:
        url = state.pop("handle")
        self.__dict__.update(state)
        self.handle = MongoJobs.new_from_connection_str(url, where="MongoTrials")
        self.attachments = self._store(self._exp_key)
        self._listing = TrialListing()

    @property
    def _query_key(self) -> Any:
        return ANY if self._exp_key is None else self._exp_key

    def _store(self, exp_key: str | None) -> GridFSStore:
        return GridFSStore(self.handle.conn, self.handle.fs_prefix, exp_key)

    # -- storage -----------------------------------------------------------------------------
    def view(self, exp_key: str | None = None, refresh: bool = True) -> MongoTrials:
        other = cast(MongoTrials, super().view(exp_key=exp_key, refresh=False))
        other.attachments = other._store(exp_key)
        other._listing = TrialListing()
        if refresh:
            other.refresh()
        return other

    def refresh(self) -> None:
        """Re-read the experiment: only the trials changed since the last refresh are read
        from the database (``TrialListing``), however many trials it holds."""
        # (Every hopt writer bumps a trial's version and stamps ``changed``.  An edit
        # that only bumps the version is seen at the next full listing; one that
        # bumps neither is not seen until the trial changes again.)
        docs = self._listing.update(self.handle, self._query_key)
        self._dynamic_trials = docs
        self._trials = [doc for doc in docs if doc["state"] in JOB_VALID_STATES]
        self._ids = {doc["tid"] for doc in docs}

    def refresh_tids(self, tids: Iterable | None = None) -> None:
        """Hyperopt's partial refresh; hopt's refresh already fetches only changed trials."""
        self.refresh()

    def new_trial_ids(self, n: int) -> list[int]:
        return self.handle.allocate_tids(n)

    def _insert_trial_docs(self, docs: Iterable[dict]) -> list:
        docs = [dict(doc) for doc in docs]
        for doc in docs:
            doc.setdefault("attempts", 0)
            doc.setdefault("max_attempts", self.max_attempts)
            doc.setdefault("lease", None)
            if self.workdir is not None and doc["misc"].get("workdir") is None:
                doc["misc"] = {**doc["misc"], "workdir": self.workdir}
        after = self.handle.insert(docs).get(experiment_id(self._exp_key))
        if after is not None and self._seen_changes == after - 1:
            # the change was this insert alone: nothing new for wait_for_progress to see
            self._seen_changes = after
        tids = [doc["tid"] for doc in docs]
        self._run_tids.update(tids)
        return tids

    def count_by_state_unsynced(self, arg: Any) -> int:
        states = [arg] if isinstance(arg, int) else list(arg)
        return self.handle.count(self._query_key, states)

    def discard_new_trials(self, tids: Iterable) -> int:
        removed = self.handle.delete(
            self._query_key, {"tid": {"$in": list(tids)}, "state": JOB_STATE_NEW}
        )
        if removed:
            self._listing.list_everything_next()
            self.refresh()
        return removed

    def delete_all(self) -> None:
        """Delete every trial and attachment of this experiment (all, when exp_key is None)."""
        self.handle.delete(self._query_key)
        self.attachments.clear()
        self.handle.forget_experiment(self._query_key)  # its stored objective is gone too
        self._run_tids = set()
        self._listing.list_everything_next()
        self.refresh()

    def trial_attachments(self, trial: Mapping[str, Any]) -> TrialAttachments:
        return TrialAttachments(self._store(trial.get("exp_key")), trial)

    def request_stop(self, tid: Any) -> bool:
        """Ask a running trial to stop; its worker sees it at its next lease renewal."""
        return self.handle.request_stop(self._query_key, tid)

    # -- hooks used by fmin --------------------------------------------------------------------
    def attach_fmin(self, domain: Any, settings: Any) -> None:
        blob = dumps_domain(domain, "MongoTrials", "hopt-worker processes")
        experiment = experiment_id(self._exp_key)
        signature = None if self._key is None else sign(self._key, experiment, blob)
        file_id = self.attachments.put(DOMAIN_ATTACHMENT, blob, signature=signature)
        self.handle.set_domain(self._exp_key, file_id, signature)
        self._run_tids = set()
        self._seen_changes = None
        self._no_workers_since = None
        logger.info(
            "MongoTrials: domain stored for exp_key %r at %s%s",
            self._exp_key,
            self.handle.url,
            " (signed)" if signature else "",
        )

    def detach_fmin(self, stop_reason: str | None = None) -> None:
        if stop_reason and self._run_tids:
            cancelled = self.handle.cancel_new(self._query_key, self._run_tids, stop_reason)
            if cancelled:
                logger.info("MongoTrials: %d queued trial(s) cancelled: %s", cancelled, stop_reason)
        running = self.count_by_state_unsynced(JOB_STATE_RUNNING)
        if stop_reason and running:
            logger.info(
                "MongoTrials: %d trial(s) still running on workers; their results will be "
                "stored when they finish",
                running,
            )
        self._run_tids = set()
        self.refresh()

    def idle_slots(self) -> int:
        """Live workers serving this experiment that have no trial of it yet."""
        checked_at, idle = self._idle
        now = time.monotonic()
        if now - checked_at >= 0.5:
            live = self.handle.live_workers(self._query_key)
            # fmin asks right after refreshing its copy: no need to count in the database
            running = self.count_by_state_synced(JOB_STATE_RUNNING)
            idle = max(live - running, 0)
            self._idle = (now, idle)
            self._note_workers(live, now)
        return idle

    def _note_workers(self, live: int, now: float) -> None:
        """Say once, after a while, that nobody is serving this experiment."""
        if live > 0:
            self._no_workers_since = None
            return
        if self._no_workers_since is None:
            self._no_workers_since = now
        elif now - self._no_workers_since >= NO_WORKER_WARNING_SECS:
            self._no_workers_since = math.inf  # warned: not again in this wait
            key = "" if self._exp_key is None else f" --exp-key {self._exp_key}"
            logger.warning(
                "MongoTrials: no hopt-worker has served exp_key %r for %.0f s; trials wait in "
                "the queue. Start workers with: hopt-worker --mongo %s%s",
                self._exp_key,
                NO_WORKER_WARNING_SECS,
                self.handle.url,
                key,
            )

    def wait_for_progress(self, seconds: float) -> None:
        """Poll the experiment's change counter (backing off) until it moves or time is up."""
        now = time.monotonic()
        deadline = now + seconds
        if now - self._last_sweep >= SWEEP_INTERVAL:
            self._last_sweep = now
            self.handle.requeue_expired()
        pause = 0.02
        while True:
            changes = self.handle.changes(self._exp_key)
            if self._seen_changes is not None and changes != self._seen_changes:
                self._seen_changes = changes
                return
            self._seen_changes = changes
            left = deadline - time.monotonic()
            if left <= 0:
                return
            time.sleep(min(pause, left))
            pause = min(pause * 1.5, MAX_POLL_PAUSE)
