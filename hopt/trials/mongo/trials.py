"""``MongoTrials``: fmin queues trials in MongoDB; ``hopt-worker`` processes run them.

How a run goes (see docs/mongodb.md):

* ``attach_fmin`` pickles the domain, signs it when a shared key is set, and
  stores it once per exp_key in GridFS; workers load it from there.
* fmin inserts NEW trials: ``max_queue_len`` plus one per idle live worker
  (``idle_slots``), so every worker finds work without tuning max_queue_len.
  Each carries the id of the stored domain, so a worker needs no extra read to
  know which objective to run.
* Workers reserve, evaluate and record trials under a lease (jobs.py).  fmin
  waits by reading the trials changed since its last read (listing.py), first
  when the next change is due at the pace changes have been coming, then
  backing off; the ``refresh()`` fmin makes right after that wait uses the read
  that ended it.  When a lease of its experiment may have expired, fmin
  returns the trials of dead workers to the queue.
* What a trial costs in database commands: docs/mongodb.md.
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

#: how often a waiting fmin looks for expired leases of its trials (seconds)
SWEEP_INTERVAL = 5.0
#: shortest and longest pause between two reads of what changed (seconds)
FIRST_POLL_PAUSE = 0.02
MAX_POLL_PAUSE = 0.5
#: the first poll after a change waits for the next one's due time plus this fraction
DUE_SLACK = 0.1
#: a refresh() this soon after the read that ended wait_for_progress uses that read
FRESH_READ_SECS = 0.02
#: how often idle_slots counts the live workers again (every 0.5 s while there are none)
LIVE_WORKERS_SECS = 5.0
#: for the sweep and live-worker decisions, the server's clock read this long ago will do
CLOCK_MAX_AGE = 60.0
#: fmin takes trial ids in blocks of this many (the unused rest is given back at the end)
TID_BLOCK = 16
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
        self._last_sweep = 0.0
        self._live: tuple[float, int] = (-math.inf, 0)  # (when counted, live workers)
        self._no_workers_since: float | None = None
        self._domain_version: Any = None  # the stored domain's file id, while fmin runs
        self._tid_pool: list[int] = []  # ids taken in a block and not handed out yet
        self._tid_block_end: int | None = None
        self._reset_waiting()
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
        state.update(_domain_version=None, _tid_pool=[], _tid_block_end=None)  # fmin's own
        return state

    def __setstate__(self, state: dict) -> None:
        url = state.pop("handle")
        self.__dict__.update(state)
        self.handle = MongoJobs.new_from_connection_str(url, where="MongoTrials")
        self.attachments = self._store(self._exp_key)
        self._listing = TrialListing()
        self._reset_waiting()

    def _reset_waiting(self) -> None:
        self._news = False  # a read found changes that no wait_for_progress has reported
        self._news_at: float | None = None  # when the last change found happened (monotonic)
        self._news_gap: float | None = None  # the usual time between two changes found
        self._pause: float | None = None  # the next pause; None: time it by _news_gap
        self._last_read_at = -math.inf
        self._fresh_read: float | None = None  # a read refresh() may use (see refresh)
        self._inserted = False  # fmin inserted trials and has not refreshed since

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
        other._reset_waiting()
        other._domain_version, other._tid_pool, other._tid_block_end = None, [], None
        if refresh:
            other.refresh()
        return other

    def refresh(self) -> None:
        """Re-read the experiment: only the trials changed since the last read are read
        from the database (``TrialListing``), however many trials it holds.

        fmin refreshes right after ``wait_for_progress`` returns, which ends with a
        read: a refresh within ``FRESH_READ_SECS`` of it uses that read instead of
        making the same one again (as if the refresh had run those milliseconds
        earlier).  Any other refresh reads.

        While fmin runs, it refreshes after each insert and then waits for
        progress.  That refresh's read is also the wait's first poll: it is made
        when the next change is due (at most ``MAX_POLL_PAUSE`` later), as the
        wait would make it, so that fmin reads once per trial instead of twice.
        """
        # (Every hopt writer bumps a trial's version and stamps
        # ``changed``.  An edit that only bumps the version is seen at the next full
        # listing; one that bumps neither is not seen until the trial changes again.)
        fresh, self._fresh_read = self._fresh_read, None
        if self._inserted:
            self._inserted = False
            if not self._news and self._news_gap is not None:
                time.sleep(self._next_pause())
        if fresh is None or time.monotonic() - fresh > FRESH_READ_SECS:
            self._read()
        docs = self._listing.docs()
        self._dynamic_trials = docs
        self._trials = [doc for doc in docs if doc["state"] in JOB_VALID_STATES]
        self._ids = {doc["tid"] for doc in docs}

    def refresh_tids(self, tids: Iterable | None = None) -> None:
        """Hyperopt's partial refresh; hopt's refresh already fetches only changed trials."""
        self.refresh()

    def _read(self) -> bool:
        """Read what changed into the listing; note when something had.

        When changes are found, the pace of changes is updated from when they
        happened (their server stamps), not from when they were read: timed by
        reads alone, polls that always find something would never learn that
        they come late.
        """
        news = self._listing.read(self.handle, self._query_key)
        now = self._last_read_at = time.monotonic()
        if news:
            happened = now
            stamp = self._listing.news_stamp
            if stamp is not None:  # how long ago, by the server's clock (read <= 60 s ago)
                late = (self.handle.server_time(max_age=CLOCK_MAX_AGE) - stamp).total_seconds()
                happened -= min(max(late, 0.0), MAX_POLL_PAUSE)
            if self._news_at is not None and happened > self._news_at:
                gap = happened - self._news_at
                self._news_gap = gap if self._news_gap is None else 0.7 * self._news_gap + 0.3 * gap
            self._news_at, self._news, self._pause = happened, True, None
        return news

    def new_trial_ids(self, n: int) -> list[int]:
        """Fresh trial ids; while fmin runs they come from blocks of ``TID_BLOCK``, one
        command per block instead of one per batch (``detach_fmin`` gives the unused
        rest back when nobody took ids after it, so a run's ids stay consecutive)."""
        if self._domain_version is None or n <= 0:
            return self.handle.allocate_tids(n)
        if len(self._tid_pool) < n:
            block = self.handle.allocate_tids(max(n - len(self._tid_pool), TID_BLOCK))
            self._tid_pool.extend(block)
            self._tid_block_end = block[-1] + 1
        tids, self._tid_pool = self._tid_pool[:n], self._tid_pool[n:]
        return tids

    def _give_back_tids(self) -> None:
        pool, end = self._tid_pool, self._tid_block_end
        self._tid_pool, self._tid_block_end = [], None
        if pool and end is not None and pool == list(range(end - len(pool), end)):
            self.handle.give_back_tids(pool[0], end)

    def _insert_trial_docs(self, docs: Iterable[dict]) -> list:
        docs = [dict(doc) for doc in docs]
        for doc in docs:
            doc.setdefault("attempts", 0)
            doc.setdefault("max_attempts", self.max_attempts)
            doc.setdefault("lease", None)
            if self.workdir is not None and doc["misc"].get("workdir") is None:
                doc["misc"] = {**doc["misc"], "workdir": self.workdir}
            if self._domain_version is not None:  # what a worker loads to run it
                doc.setdefault("domain_version", self._domain_version)
        stored = self.handle.insert(docs)
        self._fresh_read = None  # a refresh after this write must read
        self._inserted = self._domain_version is not None  # by fmin (see refresh)
        # known as stored: not news for wait_for_progress, and not read back
        self._listing.add_own(
            [doc for doc in stored if self._exp_key is None or doc["exp_key"] == self._exp_key]
        )
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
        self._domain_version = file_id
        self._reset_waiting()  # the pace of an earlier run says nothing about this one
        self._run_tids = set()
        self._no_workers_since = None
        logger.info(
            "MongoTrials: domain stored for exp_key %r at %s%s",
            self._exp_key,
            self.handle.url,
            " (signed)" if signature else "",
        )

    def detach_fmin(self, stop_reason: str | None = None, *, interrupted: bool = False) -> None:
        # (a trial running on a worker goes on, or is given back to the queue by it)
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
        self._give_back_tids()
        self._domain_version = None
        self.refresh()

    def idle_slots(self) -> int:
        """Live workers serving this experiment that have no trial of it yet.

        The running trials come from the copy fmin has just refreshed; the live
        workers are counted in the database every ``LIVE_WORKERS_SECS`` (a worker
        that finishes a trial shows as idle at once: its trial is no longer running).
        """
        checked_at, live = self._live
        now = time.monotonic()
        if now - checked_at >= (LIVE_WORKERS_SECS if live > 0 else 0.5):
            live = self.handle.live_workers(self._query_key, clock_age=CLOCK_MAX_AGE)
            self._live = (now, live)
            self._note_workers(live, now)
        return max(live - self.count_by_state_synced(JOB_STATE_RUNNING), 0)

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
        """Read what changed, at a fitting pace, until something has or time is up.

        Returns at once when a read since the last wait (a refresh) already found
        changes.  Otherwise the first read comes when the next change is due at the
        pace changes have been coming (a trial's length, over the workers), the
        next ones after pauses growing from ``FIRST_POLL_PAUSE`` to
        ``MAX_POLL_PAUSE``; the last one at ``seconds`` if nothing changed.  This
        process's own inserts are not news.
        """
        now = time.monotonic()
        deadline = now + seconds
        if now - self._last_sweep >= SWEEP_INTERVAL:
            self._last_sweep = now
            self._sweep_if_due()
        while not self._news:
            left = deadline - time.monotonic()
            pause = self._next_pause()
            if left > 0:
                time.sleep(pause if pause < left - FIRST_POLL_PAUSE else left)
            self._read()
            if time.monotonic() >= deadline:
                break
        self._news = False
        self._fresh_read = self._last_read_at

    def _next_pause(self) -> float:
        pause = self._pause
        if pause is None:  # the first read since the last change: when the next is due
            gap = self._news_gap
            self._pause = (
                FIRST_POLL_PAUSE
                if gap is None
                else min(max(gap / 4, FIRST_POLL_PAUSE), MAX_POLL_PAUSE)
            )
            if gap is None or self._news_at is None:
                return FIRST_POLL_PAUSE
            # a little after the due time: the change is then most likely there to be read
            due = self._news_at + gap * (1 + DUE_SLACK) - time.monotonic()
            return min(max(due, FIRST_POLL_PAUSE), MAX_POLL_PAUSE)
        self._pause = min(pause * 1.5, MAX_POLL_PAUSE)
        return pause

    def _sweep_if_due(self) -> None:
        """Return trials of dead workers to the queue, when a lease of this experiment's
        running trials may have expired (by the server's clock, read up to a minute
        ago; the sweep itself reads it afresh).  Workers sweep the whole queue too."""
        expires = [
            doc.get("lease_expires")
            for doc in self._listing.docs()
            if doc["state"] == JOB_STATE_RUNNING
        ]
        if not expires:
            return
        now = self.handle.server_time(max_age=CLOCK_MAX_AGE)
        if any(expiry is None or expiry <= now for expiry in expires):
            self.handle.requeue_expired()
