"""``FileJobs``: the job queue of a FileTrials file (the protocol of hopt.trials.queue).

Each trial is one row: its document (pickled whole) and, as columns, what the
queue queries (state, lease, lease expiry, change sequence).  Every write is one
``BEGIN IMMEDIATE`` transaction that rewrites the row and stamps it with the
store's next change sequence, so a reader asks for the rows changed since the
sequence it last saw (``changed_since``) instead of reading every trial.

Leases are timed with this machine's clock (``time.time()``): every process of a
file runs on the machine that holds it.  On the same machine, a trial whose
worker process no longer exists is given back at the next sweep without waiting
for its lease to expire.
"""

from __future__ import annotations

import logging
import os
import pickle
import socket
import time
from collections.abc import Iterable, Mapping
from typing import Any

from ..._types import JOB_STATE_CANCEL, JOB_STATE_DONE, JOB_STATE_NEW, JOB_STATE_RUNNING
from ..._utils import utcnow
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
from .attachments import FileAttachments
from .database import Database, next_seq

logger = logging.getLogger("hopt.file")

#: the pickle protocol of stored documents (Python 3.8+ reads it)
PICKLE_PROTOCOL = 5


def encode(doc: Mapping[str, Any]) -> bytes:
    """A document as stored: cloudpickle, so values of classes defined in a script
    (which a worker received by value) read back in any process."""
    import cloudpickle

    return cloudpickle.dumps({k: v for k, v in doc.items() if k != "_id"}, PICKLE_PROTOCOL)


def _exp_clause(exp_key: Any) -> tuple[str, tuple]:
    if exp_key is ANY:
        return "1", ()
    return "exp_id = ?", (experiment_id(exp_key),)


def _pid_gone(owner: str | None) -> bool:
    """Whether ``owner`` (``host:pid:...``) names a process of this machine that has ended."""
    if not owner:
        return False
    parts = owner.split(":")
    if len(parts) < 2 or parts[0] != socket.gethostname() or not parts[1].isdigit():
        return False
    try:
        os.kill(int(parts[1]), 0)
    except ProcessLookupError:
        return True
    except (PermissionError, OverflowError):
        return False
    return False


class FileJobs(JobQueue):
    """The queue in one SQLite file (see hopt.trials.file.database for why SQLite)."""

    def __init__(self, database: Database) -> None:
        self.db = database

    @classmethod
    def open(cls, path: str | os.PathLike, where: str = "FileTrials") -> FileJobs:
        """Open the file, creating it (and its tables) when it does not exist."""
        return cls(Database(path, where, create=True))

    @classmethod
    def open_existing(cls, path: str | os.PathLike, where: str = "hopt-worker") -> FileJobs:
        """Open a file that must already exist (a worker never creates one)."""
        return cls(Database(path, where, create=False))

    @property
    def location(self) -> str:  # type: ignore[override]
        """The file's path, for messages."""
        return self.db.path

    # -- reading documents -------------------------------------------------------------
    def _decode(self, exp_id: str, tid: int, blob: bytes) -> dict | None:
        try:
            doc = pickle.loads(blob)
        except Exception as exc:  # one damaged row must not take the others with it
            logger.warning(
                "%s: trial %s of %s cannot be read (%s: %s); it is left out",
                self.db.where,
                tid,
                self.db.path,
                type(exc).__name__,
                exc,
            )
            return None
        doc["_id"] = (exp_id, tid)
        return doc

    def changed_since(
        self, exp_key: Any, seq: int, deletions: int
    ) -> tuple[list[dict], int, int, bool]:
        """What a reader that saw change ``seq`` and ``deletions`` deletions must read.

        Returns the documents written since, the newest change, the deletion count,
        and whether the documents are all of them (trials were deleted meanwhile,
        so the reader's copy must be rebuilt); one read transaction.
        """
        where, args = _exp_clause(exp_key)
        with self.db.read("read trials") as db:
            meta = dict(db.execute("SELECT key, value FROM hopt_meta").fetchall())
            everything = int(meta["deletions"]) != deletions
            rows = db.execute(
                f"SELECT exp_id, tid, doc FROM trials WHERE {where} AND seq > ?",
                (*args, 0 if everything else seq),
            ).fetchall()
        docs = [self._decode(*row) for row in rows]
        found = [d for d in docs if d is not None]
        return found, int(meta["seq"]), int(meta["deletions"]), everything

    def changes(self) -> tuple[int, int]:
        """The store's change sequence and deletion count (cheap: fmin polls it)."""
        with self.db.read("poll for changes") as db:
            values = dict(db.execute("SELECT key, value FROM hopt_meta").fetchall())
        return int(values["seq"]), int(values["deletions"])

    def count(self, exp_key: Any, states: Iterable[int]) -> int:
        """How many of an experiment's trials are in ``states``."""
        where, args = _exp_clause(exp_key)
        states = list(states)
        marks = ",".join("?" * len(states))
        with self.db.read("count trials") as db:
            row = db.execute(
                f"SELECT COUNT(*) FROM trials WHERE {where} AND state IN ({marks})",
                (*args, *states),
            ).fetchone()
        return int(row[0])

    # -- fmin's writes ---------------------------------------------------------------------
    def allocate_tids(self, n: int) -> list[int]:
        """``n`` trial ids never handed out before in this file (one transaction)."""
        if n <= 0:
            return []
        with self.db.write("allocate trial ids") as db:
            last = db.execute(
                "UPDATE hopt_meta SET value = value + ? WHERE key = 'next_tid' RETURNING value",
                (n,),
            ).fetchone()[0]
        return list(range(int(last) - n, int(last)))

    def insert(self, docs: Iterable[dict], max_attempts: int) -> list:
        """Store new trial documents; a tid already stored is skipped (safe to retry)."""
        docs = list(docs)
        with self.db.write("insert trials") as db:
            seq = next_seq(db)
            top = 0
            for doc in docs:
                doc = dict(doc)
                doc.setdefault("attempts", 0)
                doc.setdefault("max_attempts", max_attempts)
                doc.setdefault("lease", None)
                db.execute(
                    "INSERT OR IGNORE INTO trials (exp_id, tid, state, seq, doc) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (experiment_id(doc.get("exp_key")), doc["tid"], doc["state"], seq, encode(doc)),
                )
                if isinstance(doc["tid"], int):
                    top = max(top, doc["tid"] + 1)
            # documents made elsewhere (trials_from_docs, a copy) keep tids unique too
            db.execute("UPDATE hopt_meta SET value = MAX(value, ?) WHERE key = 'next_tid'", (top,))
        return [doc["tid"] for doc in docs]

    def _rewrite(self, db: Any, exp_id: str, tid: int, doc: dict, seq: int) -> None:
        db.execute(
            "UPDATE trials SET state = ?, lease = ?, lease_expires = ?, seq = ?, doc = ? "
            "WHERE exp_id = ? AND tid = ?",
            (
                doc["state"],
                doc.get("lease"),
                doc.get("lease_expires"),
                seq,
                encode(doc),
                exp_id,
                tid,
            ),
        )

    def _update_where(self, action: str, query: str, args: tuple, change: Any) -> int:
        """Apply ``change(doc)`` to every row matching ``query``, in one transaction."""
        with self.db.write(action) as db:
            rows = db.execute(f"SELECT exp_id, tid, doc FROM trials WHERE {query}", args).fetchall()
            if not rows:
                return 0
            seq = next_seq(db)
            for exp_id, tid, blob in rows:
                doc = self._decode(exp_id, tid, blob)
                if doc is None:
                    continue
                change(doc)
                doc["version"] = doc.get("version", 0) + 1
                doc["refresh_time"] = utcnow()
                self._rewrite(db, exp_id, tid, doc, seq)
        return len(rows)

    def cancel_new(self, exp_key: Any, tids: Iterable, reason: str) -> int:
        """Record the given trials that are still NEW as cancelled, saying why; how many."""
        where, args = _exp_clause(exp_key)
        tids = list(tids)
        cancelled = failed_result(TRIAL_CANCELLED_ERROR, f"never started: {reason}")

        def cancel(doc: dict) -> None:
            doc["state"] = JOB_STATE_CANCEL
            doc["result"] = cancelled

        marks = ",".join("?" * len(tids))
        return self._update_where(
            "cancel queued trials",
            f"{where} AND state = {JOB_STATE_NEW} AND tid IN ({marks})",
            (*args, *tids),
            cancel,
        )

    def delete(self, exp_key: Any, tids: Iterable | None = None, only_new: bool = False) -> int:
        """Delete an experiment's trials (only ``tids``, only NEW ones if asked); how many."""
        where, args = _exp_clause(exp_key)
        if tids is not None:
            tids = list(tids)
            where += f" AND tid IN ({','.join('?' * len(tids))})"
            args = (*args, *tids)
        if only_new:
            where += f" AND state = {JOB_STATE_NEW}"
        with self.db.write("delete trials") as db:
            removed = db.execute(f"DELETE FROM trials WHERE {where}", args).rowcount
            if removed:
                db.execute("UPDATE hopt_meta SET value = value + 1 WHERE key = 'deletions'")
                next_seq(db)
        return removed

    def forget_experiment(self, exp_key: Any) -> None:
        """Delete the experiment's stored objective and attachments."""
        where, args = _exp_clause(exp_key)
        with self.db.write("delete the experiment") as db:
            db.execute(f"DELETE FROM experiments WHERE {where}", args)
            db.execute(f"DELETE FROM attachments WHERE {where}", args)

    def request_stop(self, exp_key: Any, tid: Any) -> bool:
        """Flag the running trial ``tid`` to stop; False if it is not running."""
        where, args = _exp_clause(exp_key)

        def flag(doc: dict) -> None:
            doc["stop_requested"] = True

        return (
            self._update_where(
                "ask a trial to stop",
                f"{where} AND tid = ? AND state = {JOB_STATE_RUNNING}",
                (*args, tid),
                flag,
            )
            > 0
        )

    def set_domain(self, exp_key: str | None, blob: bytes, signature: str | None) -> None:
        """Store the experiment's objective (its pickle and signature), as a new version."""
        with self.db.write("store the objective") as db:
            db.execute(
                "INSERT INTO experiments (exp_id, domain, signature, domain_version) "
                "VALUES (?, ?, ?, 1) ON CONFLICT (exp_id) DO UPDATE SET domain = excluded.domain, "
                "signature = excluded.signature, domain_version = domain_version + 1",
                (experiment_id(exp_key), blob, signature),
            )

    # -- the lease protocol (workers) ------------------------------------------------------
    def _one(self, db: Any, doc_id: Any, token: str) -> dict | None:
        """The trial ``doc_id`` if ``token`` holds its lease (inside a transaction)."""
        exp_id, tid = doc_id
        row = db.execute(
            "SELECT doc FROM trials WHERE exp_id = ? AND tid = ? AND state = ? AND lease = ?",
            (exp_id, tid, JOB_STATE_RUNNING, token),
        ).fetchone()
        return None if row is None else self._decode(exp_id, tid, row[0])

    def _guarded_write(self, action: str, doc_id: Any, token: str, change: Any) -> dict | None:
        with self.db.write(action) as db:
            doc = self._one(db, doc_id, token)
            if doc is None:
                return None
            change(doc)
            doc["version"] = doc.get("version", 0) + 1
            doc["refresh_time"] = utcnow()
            exp_id, tid = doc_id
            self._rewrite(db, exp_id, tid, doc, next_seq(db))
        return doc

    def reserve(
        self, owner: str, token: str, lease_secs: float, exp_key: Any = ANY, refused=()
    ) -> dict | None:
        where, args = _exp_clause(exp_key)
        refused_ids = [experiment_id(key) for key in refused]
        if refused_ids:
            where += f" AND exp_id NOT IN ({','.join('?' * len(refused_ids))})"
            args = (*args, *refused_ids)
        with self.db.write("reserve a trial") as db:
            row = db.execute(
                f"SELECT exp_id, tid, doc FROM trials WHERE state = {JOB_STATE_NEW} AND {where} "
                "ORDER BY tid LIMIT 1",
                args,
            ).fetchone()
            if row is None:
                return None
            doc = self._decode(*row)
            if doc is None:  # unreadable: fail it, so it is not offered again and again
                self._fail_unreadable(db, row[0], row[1])
                return None
            now = utcnow()
            doc.update(
                state=JOB_STATE_RUNNING,
                owner=owner,
                lease=token,
                book_time=now,
                refresh_time=now,
                lease_expires=time.time() + lease_secs,
                attempts=doc.get("attempts", 0) + 1,
                version=doc.get("version", 0) + 1,
                stop_requested=False,
            )
            self._rewrite(db, row[0], row[1], doc, next_seq(db))
        return doc

    def _fail_unreadable(self, db: Any, exp_id: str, tid: int) -> None:
        db.execute(
            "UPDATE trials SET state = ?, seq = ? WHERE exp_id = ? AND tid = ?",
            (JOB_STATE_DONE, next_seq(db), exp_id, tid),
        )

    def holds(self, doc_id: Any, token: str) -> bool:
        with self.db.read("check a lease") as db:
            return self._one(db, doc_id, token) is not None

    def renew(self, doc_id: Any, token: str, lease_secs: float) -> Renewal:
        def extend(doc: dict) -> None:
            doc["lease_expires"] = time.time() + lease_secs

        doc = self._guarded_write("renew a lease", doc_id, token, extend)
        if doc is None:
            return Renewal(held=False, stop_requested=False)
        return Renewal(held=True, stop_requested=bool(doc.get("stop_requested")))

    def checkpoint(self, doc_id: Any, token: str, result: dict) -> bool:
        def store(doc: dict) -> None:
            doc["result"] = result

        return self._guarded_write("checkpoint a trial", doc_id, token, store) is not None

    def report(self, doc_id: Any, token: str, entry: Mapping[str, Any]) -> bool:
        def append(doc: dict) -> None:
            doc.setdefault("reports", []).append(dict(entry))

        return self._guarded_write("report a value", doc_id, token, append) is not None

    def finish(self, doc: dict, token: str, result: dict) -> bool:
        def record(stored: dict) -> None:
            error = recorded_error(result)
            if error is not None:
                stored["misc"]["error"] = (error["type"], error["message"])
            stored.update(state=JOB_STATE_DONE, result=result, lease=None, end_time=utcnow())

        return self._guarded_write("record a result", doc["_id"], token, record) is not None

    def release(self, doc: dict, token: str) -> bool:
        def give_back(stored: dict) -> None:
            stored.update(
                state=JOB_STATE_NEW,
                owner=None,
                lease=None,
                attempts=max(stored.get("attempts", 1) - 1, 0),
            )

        try:
            return (
                self._guarded_write("give a trial back", doc["_id"], token, give_back) is not None
            )
        except Exception:  # best effort: the lease brings it back otherwise
            logger.warning("could not give trial %s back; its lease will", doc["tid"])
            return False

    def requeue_expired(self) -> int:
        """Trials whose lease expired, or whose worker here has ended, go back to the queue
        (or fail with ``WorkerLostError`` after max_attempts)."""
        now = time.time()
        with self.db.read("look for lost trials") as db:
            rows = db.execute(
                "SELECT exp_id, tid, lease_expires, doc FROM trials WHERE state = ?",
                (JOB_STATE_RUNNING,),
            ).fetchall()
        lost = []
        for exp_id, tid, expires, blob in rows:
            doc = self._decode(exp_id, tid, blob)
            if doc is not None and ((expires or 0) < now or _pid_gone(doc.get("owner"))):
                lost.append((exp_id, tid, doc["lease"]))
        failed = requeued = 0
        for exp_id, tid, token in lost:
            with self.db.write("requeue a lost trial") as db:
                doc = self._one(db, (exp_id, tid), token)
                if doc is None:  # finished or renewed meanwhile
                    continue
                doc["lost_owners"] = [*doc.get("lost_owners", []), doc.get("owner")]
                if doc.get("attempts", 1) >= doc.get("max_attempts", DEFAULT_MAX_ATTEMPTS):
                    result = failed_result(WORKER_LOST_ERROR, WORKER_LOST_MESSAGE)
                    doc["misc"]["error"] = (WORKER_LOST_ERROR, result["error"]["message"])
                    doc.update(state=JOB_STATE_DONE, result=result, end_time=utcnow())
                    failed += 1
                else:
                    doc.update(state=JOB_STATE_NEW, owner=None)
                    requeued += 1
                doc.update(lease=None, version=doc.get("version", 0) + 1, refresh_time=utcnow())
                self._rewrite(db, exp_id, tid, doc, next_seq(db))
        if failed or requeued:
            logger.warning(
                "%d trial(s) lost their worker: %d requeued, %d failed after max_attempts",
                failed + requeued,
                requeued,
                failed,
            )
        return failed + requeued

    # -- the worker registry ---------------------------------------------------------------
    def worker_seen(self, worker_id: str, info: dict, stale_after_secs: float) -> None:
        serves = info.get("exp_key")
        with self.db.write("report this worker") as db:
            db.execute(
                "INSERT OR REPLACE INTO workers (id, serves, info, stale_at) VALUES (?, ?, ?, ?)",
                (
                    worker_id,
                    None if serves is None else experiment_id(serves),
                    pickle.dumps(dict(info)),
                    time.time() + stale_after_secs,
                ),
            )

    def worker_gone(self, worker_id: str) -> None:
        try:
            with self.db.write("unregister this worker") as db:
                db.execute("DELETE FROM workers WHERE id = ?", (worker_id,))
        except Exception:  # best effort: it goes stale on its own
            logger.debug("could not unregister %s", worker_id, exc_info=True)

    def forget_dead_workers(self, silent_secs: float = DEAD_WORKER_SECS) -> int:
        with self.db.write("forget dead workers") as db:
            return db.execute(
                "DELETE FROM workers WHERE stale_at < ?", (time.time() - silent_secs,)
            ).rowcount

    def live_workers(self, exp_key: Any) -> int:
        query, args = "stale_at > ?", (time.time(),)  # type: tuple[str, tuple]
        if exp_key is not ANY:
            query += " AND (serves IS NULL OR serves = ?)"
            args = (*args, experiment_id(exp_key))
        with self.db.read("count workers") as db:
            return int(
                db.execute(f"SELECT COUNT(*) FROM workers WHERE {query}", args).fetchone()[0]
            )

    # -- what a worker needs to run a trial ------------------------------------------------
    def domain_version(self, exp_key: str | None) -> Any:
        with self.db.read("read the experiment") as db:
            row = db.execute(
                "SELECT domain_version FROM experiments WHERE exp_id = ? AND domain IS NOT NULL",
                (experiment_id(exp_key),),
            ).fetchone()
        return None if row is None else int(row[0])

    def domain_blob(self, exp_key: str | None, version: Any) -> tuple[bytes, str | None]:
        with self.db.read("read the objective") as db:
            row = db.execute(
                "SELECT domain, signature FROM experiments WHERE exp_id = ?",
                (experiment_id(exp_key),),
            ).fetchone()
        return bytes(row[0]), row[1]

    def attachment_store(self, exp_key: str | None) -> FileAttachments:
        return FileAttachments(self.db, experiment_id(exp_key))

    def trials_view(self, exp_key: str | None) -> Any:
        from .trials import FileTrials  # the fmin side is built on this module

        return FileTrials(self, exp_key=exp_key, refresh=False)

    def unstorable(self, result: dict, attachments: Any) -> str | None:
        advice = "Put values that cannot be pickled in 'attachments' as bytes."
        problem = check_attachments(attachments, "FileTrials", advice)
        if problem is not None:
            return problem
        try:
            encode({"result": result})
        except Exception as exc:
            return f"the objective's result cannot be pickled: {type(exc).__name__}: {exc}."
        return None
