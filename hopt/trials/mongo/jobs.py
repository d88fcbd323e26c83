"""``MongoJobs``: the job queue, its leases and the collections around it.

Collections, all named after the jobs collection (``jobs`` by default), so two
queues in one database never mix:

* ``jobs``: one trial document per trial (Hyperopt's schema plus lease fields);
* ``jobs.ids``: the counter that hands out trial ids atomically;
* ``jobs.experiments``: per experiment, the stored objective's file id and signature;
* ``jobs.workers``: a heartbeat document per live worker;
* ``jobs.fs``: GridFS, for the pickled domain and attachments.

The lease protocol.  A worker reserves a NEW trial with one atomic
find_one_and_update that sets state RUNNING, a random lease token and
``lease_expires`` = server time + lease.  While the objective runs, the worker
renews the lease.  Every later write of the worker (checkpoint, attachments,
the result) is guarded by its token, so once a lease has expired and the trial
was handed to someone else, a late result of the first worker changes nothing.
Expired trials return to the queue, or fail once ``max_attempts`` reservations
have all been lost.

Every write of a trial document also bumps its ``version`` and stamps ``changed``
with the server's clock, so a reader can ask for what changed since it last
looked (``changed_docs``) instead of reading every trial again.  All times are
the server's (``$$NOW`` when writing, the ``hello`` command's ``localTime`` when
comparing), so worker clocks may differ.  An insert cannot evaluate ``$$NOW``:
it stamps the server's clock as read at most ``INSERT_CLOCK_AGE`` seconds ago
plus the time elapsed since on this machine's monotonic clock (never this
machine's wall clock).  That is off by the two clocks' drift over those seconds,
far less than the margin readers allow for (listing.py), and saves the second
command a stamping update would cost per insert.

What a trial costs (docs/mongodb.md): fmin inserts it (one ``insert``, trial ids
come in blocks), a worker reserves it and records its result (a
``findAndModify`` and an ``update``), and fmin reads what changed with one
``find`` per poll.  There is no change counter to bump: the poll is the read.
"""

from __future__ import annotations

import datetime
import logging
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ..._types import JOB_STATE_CANCEL, JOB_STATE_DONE, JOB_STATE_NEW, JOB_STATE_RUNNING
from ...results import TRIAL_CANCELLED_ERROR, WORKER_LOST_ERROR, failed_result, recorded_error
from ..queue.protocol import (
    ANY,
    DEAD_WORKER_SECS,
    DEFAULT_MAX_ATTEMPTS,
    WORKER_LOST_MESSAGE,
    JobQueue,
    Renewal,
    check_attachments,
    experiment_id,
)
from .connection import Connection
from .files import GridFSStore
from .url import MongoURL, parse_url

logger = logging.getLogger("hopt.mongo")

#: pipeline-update expression: the document's version plus one (every write bumps it)
_NEXT_VERSION = {"$add": [{"$ifNull": ["$version", 0]}, 1]}
#: the name of the stored domain among the experiment's attachments (Hyperopt's)
DOMAIN_ATTACHMENT = "FMinIter_Domain"
#: an insert's ``changed`` stamp extrapolates a server clock read at most this long ago
INSERT_CLOCK_AGE = 10.0
#: the largest result document stored; MongoDB refuses documents over 16 MiB
MAX_RESULT_BYTES = 15 * 1024 * 1024


def _server_now_plus(seconds: float) -> dict:
    """Pipeline-update expression: the server's clock plus ``seconds``."""
    return {"$add": ["$$NOW", int(seconds * 1000)]}


def _exp_filter(exp_key: Any) -> dict:
    return {} if exp_key is ANY else {"exp_key": exp_key}


class MongoJobs(JobQueue):
    """The queue of one jobs collection (Hyperopt's ``MongoJobs``, pymongo 4 API)."""

    def __init__(self, connection: Connection, collection: str = "jobs") -> None:
        self.conn = connection
        db = connection.db
        self.collection = collection
        self.jobs = db[collection]
        self.ids = db[f"{collection}.ids"]
        self.experiments = db[f"{collection}.experiments"]
        self.workers = db[f"{collection}.workers"]
        self.fs_prefix = f"{collection}.fs"
        self._indexes_ready = False
        self._server_clock: tuple[float, Any] = (0.0, None)  # (monotonic time, server time)

    @classmethod
    def new_from_connection_str(
        cls, url: str | MongoURL, where: str = "MongoJobs", **connection_options: Any
    ) -> MongoJobs:
        """A queue on the collection a ``mongo://host:port/db/jobs`` URL names."""
        parsed = url if isinstance(url, MongoURL) else parse_url(url, where)
        return cls(Connection(parsed, where=where, **connection_options), parsed.collection)

    @property
    def url(self) -> MongoURL:
        """The parsed URL of the queue's collection."""
        return self.conn.url

    def create_indexes(self) -> None:
        """Create the queue's indexes (once per handle: a worker makes many MongoTrials)."""
        if self._indexes_ready:
            return

        def create() -> None:
            self.jobs.create_index([("exp_key", 1), ("tid", 1)], unique=True)
            self.jobs.create_index([("state", 1), ("exp_key", 1), ("tid", 1)])
            self.jobs.create_index([("state", 1), ("lease_expires", 1)])
            self.jobs.create_index([("exp_key", 1), ("changed", 1)])

        self.conn.call("create indexes", create)
        self._indexes_ready = True

    # -- trial ids and inserts ----------------------------------------------------------
    def allocate_tids(self, n: int) -> list[int]:
        """``n`` trial ids never handed out before in this queue (atomic ``$inc``)."""
        if n <= 0:
            return []
        from pymongo import ReturnDocument

        counter = self.conn.call(
            "allocate trial ids",
            lambda: self.ids.find_one_and_update(
                {"_id": "tid"},
                {"$inc": {"last": n}},
                upsert=True,
                return_document=ReturnDocument.AFTER,
            ),
        )
        last = int(counter["last"])
        return list(range(last - n, last))

    def give_back_tids(self, first: int, end: int) -> bool:
        """Return the ids ``first`` .. ``end - 1`` taken last and never used: only when no
        one has taken ids since (the counter still stands at ``end``)."""
        done = self.conn.call(
            "give back trial ids",
            lambda: self.ids.update_one({"_id": "tid", "last": end}, {"$set": {"last": first}}),
        )
        return done.modified_count == 1

    def insert(self, docs: Sequence[dict]) -> list[dict]:
        """Insert trial documents; safe to retry (an already stored tid is skipped).

        Returns the documents as stored, with their ``_id``.  Their ``changed``
        stamp is the server's clock as extrapolated (see the module docstring).
        """
        if not docs:
            return []
        from pymongo.errors import BulkWriteError

        now = self.server_time(max_age=INSERT_CLOCK_AGE)
        stored = [{**doc, "version": doc.get("version", 0), "changed": now} for doc in docs]

        def insert() -> None:
            try:  # pymongo sets each _id before sending: a retry sends the same ones
                self.jobs.insert_many(stored, ordered=False)
            except BulkWriteError as exc:
                others = [e for e in exc.details.get("writeErrors", []) if e.get("code") != 11000]
                if others:
                    raise

        self.conn.call("insert trials", insert)
        return stored

    # -- reading ------------------------------------------------------------------------
    def find(self, exp_key: Any, states: Iterable[int] | None = None) -> list[dict]:
        """An experiment's trial documents (in ``states`` if given), in tid order."""
        query = _exp_filter(exp_key)
        if states is not None:
            query["state"] = {"$in": list(states)}
        return self.conn.call(
            "read trials", lambda: list(self.jobs.find(query).sort([("tid", 1), ("_id", 1)]))
        )

    def listing(self, exp_key: Any, since: Any = None) -> list[tuple[Any, Any, Any]]:
        """``(_id, version, changed)`` of every trial, or of those changed at ``since`` or later.

        ``changed`` is the server time of the trial's last write (None for a
        document written without it, e.g. by an older hopt).
        """
        query = _exp_filter(exp_key)
        if since is not None:
            query["changed"] = {"$gte": since}
        fields = {"_id": 1, "version": 1, "changed": 1}
        return self.conn.call(
            "read trial versions",
            lambda: [
                (doc["_id"], doc.get("version"), doc.get("changed"))
                for doc in self.jobs.find(query, fields)
            ],
        )

    def find_ids(self, ids: list) -> list[dict]:
        """The trial documents with these ``_id`` s."""
        return self.conn.call("read trials", lambda: list(self.jobs.find({"_id": {"$in": ids}})))

    def changed_docs(self, exp_key: Any, since: Any) -> list[dict]:
        """Whole documents of the trials stamped at ``since`` or later (all when None)."""
        query = _exp_filter(exp_key)
        if since is not None:
            query["changed"] = {"$gte": since}
        return self.conn.call("read changed trials", lambda: list(self.jobs.find(query)))

    def count(self, exp_key: Any, states: Iterable[int]) -> int:
        """How many of an experiment's trials are in ``states``."""
        query = {**_exp_filter(exp_key), "state": {"$in": list(states)}}
        return self.conn.call("count trials", lambda: self.jobs.count_documents(query))

    # -- the lease protocol ---------------------------------------------------------------
    def reserve(
        self, owner: str, token: str, lease_secs: float, exp_key: Any = ANY, refused=()
    ) -> dict | None:
        """Atomically take the oldest NEW trial; None when the queue is empty."""
        from pymongo import ReturnDocument

        query: dict[str, Any] = {"state": JOB_STATE_NEW, **_exp_filter(exp_key)}
        if refused:
            query["exp_key"] = {
                **({"$eq": exp_key} if exp_key is not ANY else {}),
                "$nin": list(refused),
            }
        update = [
            {
                "$set": {
                    "state": JOB_STATE_RUNNING,
                    "owner": {"$literal": owner},
                    "lease": {"$literal": token},
                    "book_time": "$$NOW",
                    "refresh_time": "$$NOW",
                    "lease_expires": _server_now_plus(lease_secs),
                    "attempts": {"$add": [{"$ifNull": ["$attempts", 0]}, 1]},
                    "version": _NEXT_VERSION,
                    "changed": "$$NOW",
                }
            }
        ]
        doc = self.conn.call(
            "reserve a trial",
            lambda: self.jobs.find_one_and_update(
                query, update, sort=[("tid", 1)], return_document=ReturnDocument.AFTER
            ),
        )
        return doc

    def _guarded(self, doc_id: Any, token: str) -> dict:
        return {"_id": doc_id, "lease": token, "state": JOB_STATE_RUNNING}

    def holds(self, doc_id: Any, token: str) -> bool:
        """Whether ``token`` still holds the lease on the trial (it is RUNNING under it)."""
        found = self.conn.call(
            "check a lease",
            lambda: self.jobs.find_one(self._guarded(doc_id, token), {"_id": 1}),
        )
        return found is not None

    def renew(self, doc_id: Any, token: str, lease_secs: float) -> Renewal:
        """Extend a held lease and read the stop flag, in one command."""
        from pymongo import ReturnDocument

        update = [
            {
                "$set": {
                    "lease_expires": _server_now_plus(lease_secs),
                    "refresh_time": "$$NOW",
                    "version": _NEXT_VERSION,
                    "changed": "$$NOW",
                }
            }
        ]
        doc = self.conn.call(
            "renew a lease",
            lambda: self.jobs.find_one_and_update(
                self._guarded(doc_id, token),
                update,
                projection={"stop_requested": 1},
                return_document=ReturnDocument.AFTER,
            ),
        )
        if doc is None:
            return Renewal(held=False, stop_requested=False)
        return Renewal(held=True, stop_requested=bool(doc.get("stop_requested")))

    def report(self, doc_id: Any, token: str, entry: Mapping[str, Any]) -> bool:
        done = self.conn.call(
            "report an intermediate value",
            lambda: self.jobs.update_one(
                self._guarded(doc_id, token),
                {
                    "$push": {"reports": dict(entry)},
                    "$currentDate": {"refresh_time": True, "changed": True},
                    "$inc": {"version": 1},
                },
            ),
        )
        return done.matched_count == 1

    def request_stop(self, exp_key: Any, tid: Any) -> bool:
        """Set the stop flag of a running trial; False if it is not running."""
        query = {**_exp_filter(exp_key), "tid": tid, "state": JOB_STATE_RUNNING}
        done = self.conn.call(
            "ask a trial to stop",
            lambda: self.jobs.update_one(
                query,
                {
                    "$set": {"stop_requested": True},
                    "$currentDate": {"changed": True},
                    "$inc": {"version": 1},
                },
            ),
        )
        return done.matched_count == 1

    def checkpoint(self, doc_id: Any, token: str, result: dict) -> bool:
        """Store an intermediate result of a running trial (only while the lease is held)."""
        done = self.conn.call(
            "checkpoint a trial",
            lambda: self.jobs.update_one(
                self._guarded(doc_id, token),
                {
                    "$set": {"result": result},
                    "$currentDate": {"refresh_time": True, "changed": True},
                    "$inc": {"version": 1},
                },
            ),
        )
        return done.matched_count == 1

    def finish(self, doc: dict, token: str, result: dict) -> bool:
        """Record the result of a reserved trial; False if the lease was lost meanwhile."""
        fields: dict[str, Any] = {"state": JOB_STATE_DONE, "result": result, "lease": None}
        error = recorded_error(result)
        if error is not None:
            fields["misc.error"] = [error["type"], error["message"]]
        done = self.conn.call(
            "record a result",
            lambda: self.jobs.update_one(
                self._guarded(doc["_id"], token),
                {
                    "$set": fields,
                    "$currentDate": {"refresh_time": True, "end_time": True, "changed": True},
                    "$inc": {"version": 1},
                },
            ),
        )
        return done.matched_count == 1

    def release(self, doc: dict, token: str) -> bool:
        """Give a reserved trial back to the queue, not counting this attempt (best effort)."""
        done = self.conn.try_once(
            "give a trial back to the queue",
            lambda: self.jobs.update_one(
                self._guarded(doc["_id"], token),
                {
                    "$set": {"state": JOB_STATE_NEW, "owner": None, "lease": None},
                    "$inc": {"attempts": -1, "version": 1},
                    "$currentDate": {"changed": True},
                },
            ),
        )
        return done is not None and done.matched_count == 1

    def server_time(self, max_age: float = 0.0) -> Any:
        """The server's clock (naive UTC), to compare with times it wrote as ``$$NOW``.

        Queries compare with this value instead of ``$$NOW`` inside ``$expr``: plain
        date comparisons work on every MongoDB-wire server we tried, ``$expr`` ones not.
        With ``max_age`` > 0 the clock read less than that many seconds ago, plus the
        time elapsed since on this machine's monotonic clock, will do: for decisions
        that a slightly late or early answer does not make wrong (whether a sweep
        is worth it, which workers count as live).
        """
        read_at, then = self._server_clock
        elapsed = time.monotonic() - read_at
        if then is not None and elapsed < max_age:
            return then + datetime.timedelta(seconds=elapsed)
        hello = self.conn.call("read the server clock", lambda: self.conn.db.command("hello"))
        now = hello.get("localTime")
        if now is None:  # a server that does not report its clock: use ours
            now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
        now = now.replace(tzinfo=None)
        self._server_clock = (time.monotonic(), now)
        return now

    def requeue_expired(self) -> int:
        """Trials whose lease expired go back to the queue, or fail after max_attempts."""
        expired = {"state": JOB_STATE_RUNNING, "lease_expires": {"$lt": self.server_time()}}
        out_of_attempts = {
            "$gte": [
                {"$ifNull": ["$attempts", 1]},
                {"$ifNull": ["$max_attempts", DEFAULT_MAX_ATTEMPTS]},
            ]
        }
        lost = failed_result(WORKER_LOST_ERROR, WORKER_LOST_MESSAGE)
        # pipeline updates: the owner that lost the lease is kept in lost_owners
        keep_owner = {
            "$concatArrays": [{"$ifNull": ["$lost_owners", []]}, [{"$ifNull": ["$owner", None]}]]
        }
        failed = self.conn.call(
            "fail lost trials",
            lambda: self.jobs.update_many(
                {**expired, "$expr": out_of_attempts},
                [
                    {
                        "$set": {
                            "state": JOB_STATE_DONE,
                            "result": {"$literal": lost},
                            "misc.error": {
                                "$literal": [WORKER_LOST_ERROR, lost["error"]["message"]]
                            },
                            "lost_owners": keep_owner,
                            "lease": None,
                            "refresh_time": "$$NOW",
                            "end_time": "$$NOW",
                            "version": _NEXT_VERSION,
                            "changed": "$$NOW",
                        }
                    }
                ],
            ),
        )
        requeued = self.conn.call(
            "requeue lost trials",
            lambda: self.jobs.update_many(
                expired,
                [
                    {
                        "$set": {
                            "state": JOB_STATE_NEW,
                            "lost_owners": keep_owner,
                            "owner": None,
                            "lease": None,
                            "version": _NEXT_VERSION,
                            "changed": "$$NOW",
                        }
                    }
                ],
            ),
        )
        changed = failed.modified_count + requeued.modified_count
        if changed:
            logger.warning(
                "%d trial(s) lost their worker: %d requeued, %d failed after max_attempts",
                changed,
                requeued.modified_count,
                failed.modified_count,
            )
        return changed

    def cancel_new(self, exp_key: Any, tids: Iterable, reason: str) -> int:
        """Mark still-queued trials JOB_STATE_CANCEL (a stopped fmin no longer wants them)."""
        query = {**_exp_filter(exp_key), "state": JOB_STATE_NEW, "tid": {"$in": list(tids)}}
        cancelled = failed_result(TRIAL_CANCELLED_ERROR, f"never started: {reason}")
        done = self.conn.call(
            "cancel queued trials",
            lambda: self.jobs.update_many(
                query,
                {
                    "$set": {"state": JOB_STATE_CANCEL, "result": cancelled},
                    "$currentDate": {"refresh_time": True, "changed": True},
                    "$inc": {"version": 1},
                },
            ),
        )
        return done.modified_count

    def delete(self, exp_key: Any, query: dict | None = None) -> int:
        """Delete an experiment's trials (those matching ``query`` if given); how many."""
        full = {**_exp_filter(exp_key), **(query or {})}
        done = self.conn.call("delete trials", lambda: self.jobs.delete_many(full))
        return done.deleted_count

    def forget_experiment(self, exp_key: Any) -> None:
        """Delete an experiment's own document (stored objective, change count); every
        experiment's with ``ANY``.  The next fmin or change writes a new one."""
        which = {} if exp_key is ANY else {"_id": experiment_id(exp_key)}
        self.conn.call("delete the experiment", lambda: self.experiments.delete_many(which))

    # -- experiments: the stored domain ---------------------------------------------------
    def experiment(self, exp_key: str | None) -> dict | None:
        """The experiment's own document (its stored objective), or None."""
        return self.conn.call(
            "read the experiment",
            lambda: self.experiments.find_one({"_id": experiment_id(exp_key)}),
        )

    def set_domain(self, exp_key: str | None, file_id: Any, signature: str | None) -> None:
        """Publish the experiment's objective: the GridFS file of its pickle and signature."""
        self.conn.call(
            "publish the domain",
            lambda: self.experiments.update_one(
                {"_id": experiment_id(exp_key)},
                {"$set": {"domain_file": file_id, "signature": signature, "exp_key": exp_key}},
                upsert=True,
            ),
        )

    # -- the worker registry (fmin sizes its queue to the live workers) ------------------------
    def worker_seen(self, worker_id: str, info: dict, stale_after_secs: float) -> None:
        fields: dict[str, Any] = {key: {"$literal": value} for key, value in info.items()}
        fields["last_seen"] = "$$NOW"
        fields["stale_at"] = _server_now_plus(stale_after_secs)
        self.conn.call(
            "report this worker",
            lambda: self.workers.update_one({"_id": worker_id}, [{"$set": fields}], upsert=True),
        )

    def forget_dead_workers(self, silent_secs: float = DEAD_WORKER_SECS) -> int:
        """Drop registry entries of workers silent this long past their lease (killed
        with no chance to unregister); they were no longer counted, only clutter."""
        cutoff = self.server_time(max_age=60.0) - datetime.timedelta(seconds=silent_secs)
        done = self.conn.call(
            "forget dead workers",
            lambda: self.workers.delete_many({"stale_at": {"$lt": cutoff}}),
        )
        return done.deleted_count

    def worker_gone(self, worker_id: str) -> None:
        self.conn.try_once(
            "unregister this worker", lambda: self.workers.delete_one({"_id": worker_id})
        )

    def live_workers(self, exp_key: Any, clock_age: float = 0.0) -> int:
        """Workers whose last heartbeat is recent and who serve this experiment
        (``clock_age``: see ``server_time``'s ``max_age``)."""
        query: dict[str, Any] = {"stale_at": {"$gt": self.server_time(clock_age)}}
        if exp_key is not ANY:
            query["exp_key"] = {"$in": [exp_key, None]}
        return self.conn.call("count workers", lambda: self.workers.count_documents(query))

    # -- what a worker needs to run a trial ---------------------------------------------------
    @property
    def location(self) -> str:  # type: ignore[override]
        """The queue's URL, for messages (no password)."""
        return str(self.url)

    def domain_version(self, exp_key: str | None) -> Any:
        experiment = self.experiment(exp_key)
        return None if experiment is None else experiment.get("domain_file")

    def domain_blob(self, exp_key: str | None, version: Any) -> tuple[bytes, str | None]:
        store = self.attachment_store(exp_key)
        try:
            blob, info = store.read_id(version)
        except KeyError:  # replaced by a newer fmin meanwhile: read that one
            blob, info = store.read(DOMAIN_ATTACHMENT)
        else:  # the id comes from a trial document: it must name this experiment's domain
            if info.get("filename") != DOMAIN_ATTACHMENT or info.get("exp_key") != exp_key:
                blob, info = store.read(DOMAIN_ATTACHMENT)
        return blob, info.get("signature")

    def attachment_store(self, exp_key: str | None) -> GridFSStore:
        return GridFSStore(self.conn, self.fs_prefix, exp_key)

    def trials_view(self, exp_key: str | None) -> Any:
        from .listing import worker_listing
        from .trials import MongoTrials  # the fmin side is built on this module

        view = MongoTrials(self, exp_key=exp_key, refresh=False)
        view._listing = worker_listing()  # re-reads less, for pruners (see listing.py)
        return view

    def unstorable(self, result: dict, attachments: Any) -> str | None:
        """Why MongoDB cannot store this result and these attachments, or None if it can."""
        import bson  # pymongo's; imported where used, like pymongo itself (an optional extra)
        import bson.errors

        advice = (
            "Return numbers, strings, lists and dicts with string keys in the result, and "
            "put anything else in its 'attachments' as bytes (e.g. pickle.dumps(value))."
        )
        problem = check_attachments(attachments, "MongoTrials", advice)
        if problem is not None:
            return problem
        try:
            size = len(bson.encode({"result": result}))
        except (bson.errors.InvalidDocument, OverflowError, TypeError, ValueError) as exc:
            return f"MongoDB cannot store the objective's result: {exc}. {advice}"
        if size > MAX_RESULT_BYTES:
            return (
                f"the objective's result is {size / 2**20:.1f} MiB, over the "
                f"{MAX_RESULT_BYTES // 2**20} MiB a trial's result may take in MongoDB. {advice}"
            )
        return None
