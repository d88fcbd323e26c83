"""Opening the trials a dashboard shows, read-only, and noticing when they change.

``open_store(spec)`` accepts the three places trials live:

* a trials file that ``fmin(trials_save_file=...)`` wrote (a cloudpickle of a
  ``Trials``): read again whenever its modification time or size changes, so
  an unchanged file costs one ``stat`` per look;
* a ``FileTrials`` path (an SQLite file): refreshed through ``FileTrials.refresh``,
  which reads only the trials written since the last look;
* a ``mongo://host:port/db/jobs`` (or ``mongodb://``) URL: a ``MongoTrials``,
  refreshed the same way.

A ``StoreWatcher`` keeps the newest ``Snapshot``: an in-memory ``Trials`` copy of the
documents read, which the charts and the page read while the store moves on, and
a ``version`` that goes up only when the documents changed.  Nothing here writes
trials (opening a MongoDB collection makes sure its indexes exist, as every reader
of it does).
"""

from __future__ import annotations

import dataclasses
import datetime
import os
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from .._types import JOB_STATE_CANCEL, JOB_STATE_ERROR
from ..exceptions import HoptError, InvalidArgumentError, StoreCorruptError
from ..trials.base import Trials, trials_from_docs

#: what ``STORE`` may be, said in every error about it
ACCEPTED_FORMS = (
    "STORE must be one of: a trials file written by fmin(trials_save_file=...), "
    "a FileTrials file (e.g. search.db), or a MongoDB URL such as "
    "mongo://127.0.0.1:27017/db/jobs"
)
_MONGO_SCHEMES = ("mongo://", "mongodb://", "mongodb+srv://")
#: how long a read of a MongoDB store retries a lost server before the page says so
RECONNECT_SECS = 10.0
#: a read may take at most this share of the time between reads (a big trials file)
READ_SHARE = 0.2
_SQLITE_MAGIC = b"SQLite format 3\x00"


class StoreError(InvalidArgumentError):
    """STORE could not be opened; the message says which forms are accepted."""


def _fail(where: str, problem: str, spec: str) -> StoreError:
    return StoreError(f"{where}: {problem}; got STORE={spec!r}. {ACCEPTED_FORMS}.")


class _Source:
    """One kind of store: ``read()`` returns the current ``Trials``, or None if unchanged."""

    kind = ""

    def __init__(self, spec: str) -> None:
        self.spec = spec

    def read(self) -> Trials | None:
        raise NotImplementedError


class PickleSource(_Source):
    """A ``trials_save_file``: loaded again only when the file's mtime or size changed."""

    kind = "trials file"

    def __init__(self, spec: str, path: str, exp_key: str | None, where: str) -> None:
        super().__init__(spec)
        self.path, self.exp_key, self.where = path, exp_key, where
        self._seen: tuple[int, int] | None = None
        # a file that is not a trials file fails here, at once; the first read() returns it
        self._first: Trials | None = self._load()

    def read(self) -> Trials | None:
        first, self._first = self._first, None
        return first if first is not None else self._load()

    def _load(self) -> Trials | None:
        try:
            status = os.stat(self.path)
        except FileNotFoundError:
            raise StoreCorruptError(
                f"{self.where}: the trials file {self.path} is gone; was it moved?"
            ) from None
        stamp = (status.st_mtime_ns, status.st_size)
        if stamp == self._seen:
            return None
        import cloudpickle

        try:
            with open(self.path, "rb") as file:
                loaded = cloudpickle.load(file)
        except Exception as exc:  # any unpickling failure: not one of our files
            raise _fail(
                self.where,
                f"{self.path} is neither an SQLite FileTrials file nor a readable trials "
                f"file ({type(exc).__name__}: {exc})",
                self.spec,
            ) from exc
        if not isinstance(loaded, Trials):
            raise _fail(
                self.where,
                f"{self.path} holds a {type(loaded).__name__}, not a Trials",
                self.spec,
            )
        self._seen = stamp
        if loaded.asynchronous:  # a pickled FileTrials or MongoTrials: read its store
            loaded.refresh()
        if self.exp_key is not None:
            loaded = loaded.view(exp_key=self.exp_key)
        return loaded


class LiveSource(_Source):
    """A FileTrials or MongoTrials, brought up to date by its own ``refresh()``."""

    def __init__(self, spec: str, trials: Trials, kind: str) -> None:
        super().__init__(spec)
        self.trials, self.kind = trials, kind

    def read(self) -> Trials:
        self.trials.refresh()
        return self.trials


def open_source(spec: Any, exp_key: str | None = None, where: str = "hopt dashboard") -> _Source:
    """The store ``spec`` names, opened for reading; a clear ``StoreError`` if it is none."""
    if not isinstance(spec, (str, os.PathLike)) or not os.fspath(spec):
        raise _fail(where, "STORE must be a path or a URL", str(spec))
    text = os.fspath(spec)
    if text.startswith(_MONGO_SCHEMES):
        from ..trials.mongo.trials import MongoTrials

        try:
            # a server away for a while: the page says so after 10 s instead of waiting
            # the 5 minutes fmin's MongoTrials keeps retrying
            trials = MongoTrials(text, exp_key=exp_key, reconnect_timeout=RECONNECT_SECS)
        except InvalidArgumentError as exc:
            raise _fail(where, f"the MongoDB URL does not parse ({exc})", text) from exc
        return LiveSource(text, trials, "MongoTrials")
    if "://" in text:
        raise _fail(where, "the URL scheme is not one of " + ", ".join(_MONGO_SCHEMES), text)
    path = os.path.abspath(text)
    if os.path.isdir(path):
        raise _fail(where, f"{path} is a directory", text)
    if not os.path.exists(path):
        raise _fail(where, f"there is no file at {path}", text)
    with open(path, "rb") as file:
        head = file.read(len(_SQLITE_MAGIC))
    if head == _SQLITE_MAGIC:
        from ..trials.file.jobs import FileJobs
        from ..trials.file.trials import FileTrials

        jobs = FileJobs.open_existing(path, where=where)
        return LiveSource(text, FileTrials(jobs, exp_key=exp_key, parallelism=0), "FileTrials")
    return PickleSource(text, path, exp_key, where)


@dataclasses.dataclass(frozen=True)
class Snapshot:
    """What the store held at one read: never changed afterwards."""

    version: int  # goes up by one each time the documents changed
    trials: Trials  # an in-memory copy of the documents
    cancelled: int  # trials in JOB_STATE_CANCEL / JOB_STATE_ERROR (not in ``trials``)
    errored: int
    attachments: Mapping[int, list[str]]  # tid -> names of its attachments
    read_at: datetime.datetime  # UTC, when the documents were read


def _fingerprint(docs: list) -> int:
    """Changes whenever a trial is added, removed or written (its state, result, reports)."""
    return hash(
        tuple(
            (
                doc.get("tid"),
                doc.get("state"),
                str(doc.get("refresh_time")),
                len(doc.get("reports") or ()),
                str((doc.get("result") or {}).get("status")),
            )
            for doc in docs
        )
    )


def _attachment_names(trials: Trials) -> dict[int, list[str]]:
    """tid -> the names of its attachments, from the store's keys (``ATTACH::tid::name``)."""
    names: dict[int, list[str]] = {}
    try:
        keys = list(trials.attachments)
    except Exception:  # a store that cannot list them: the table shows none
        return names
    for key in keys:
        if isinstance(key, str) and key.startswith("ATTACH::"):
            tid, _, name = key[len("ATTACH::") :].partition("::")
            if tid.lstrip("-").isdigit():
                names.setdefault(int(tid), []).append(name)
    return names


class StoreWatcher:
    """Reads a store at most every ``min_interval`` seconds and keeps the newest snapshot.

    Several page requests at once share one read (a lock), so however many
    browsers poll, the store is read at most once per interval.  A read that
    takes long (a big trials file loaded again) spaces the next ones out, so that
    reading takes at most ``READ_SHARE`` of the time.
    """

    def __init__(
        self,
        source: _Source,
        min_interval: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.source = source
        self.min_interval = min_interval
        self._clock = clock
        self._lock = threading.Lock()
        self._fingerprint: int | None = None
        self._snapshot: Snapshot | None = None
        self._read_at = -float("inf")
        self._gap = min_interval  # until the next read: min_interval, or more after a slow read
        self.error: str | None = None  # the last read's failure, shown on the page

    @property
    def kind(self) -> str:
        """What the store is: "trials file", "FileTrials" or "MongoTrials"."""
        return self.source.kind

    def snapshot(self, fresh: bool = False) -> Snapshot:
        """The newest snapshot, reading the store first when the last read is old enough
        (``fresh``: read it now, whenever the last read was)."""
        with self._lock:
            due = self._clock() - self._read_at >= self._gap
            if self._snapshot is None or due or fresh:
                self._read_at = started = self._clock()
                try:
                    self._update()
                    self.error = None
                except HoptError as exc:  # a server away for a while: keep the last snapshot
                    if self._snapshot is None:
                        raise
                    self.error = str(exc)
                finally:
                    took = self._clock() - started
                    self._gap = max(self.min_interval, took / READ_SHARE)
            assert self._snapshot is not None
            return self._snapshot

    def _update(self) -> None:
        trials = self.source.read()
        if trials is None:
            return  # the trials file did not change
        docs = list(trials.trials)
        fingerprint = _fingerprint(docs)
        if self._snapshot is not None and fingerprint == self._fingerprint:
            return
        self._fingerprint = fingerprint
        version = 1 if self._snapshot is None else self._snapshot.version + 1
        self._snapshot = Snapshot(
            version=version,
            trials=trials_from_docs(docs, validate=False),
            cancelled=trials.count_by_state_unsynced(JOB_STATE_CANCEL),
            errored=trials.count_by_state_unsynced(JOB_STATE_ERROR),
            attachments=_attachment_names(trials),
            read_at=datetime.datetime.now(datetime.timezone.utc),
        )


def open_store(
    spec: Any, exp_key: str | None = None, where: str = "hopt dashboard", min_interval: float = 1.0
) -> StoreWatcher:
    """``open_source`` and a ``StoreWatcher`` on it, with its first snapshot read."""
    watcher = StoreWatcher(open_source(spec, exp_key, where), min_interval=min_interval)
    watcher.snapshot()
    return watcher
