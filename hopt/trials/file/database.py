"""The SQLite file behind ``FileTrials``: opening it, its schema, transactions, errors.

Why SQLite (and not an append-only journal, as Optuna's JournalFileBackend):
one transaction writes a trial whole or not at all, also when the writer is
killed (rule 1 of the storage contract); WAL mode lets any number of readers
read while one process writes; an index finds the next queued trial and the
trials changed since a reader last looked, so a refresh or a reservation does
not replay the whole history, as every process of a journal must.  It needs a
local disk: SQLite's locks do not work over NFS and most network filesystems.

``synchronous=NORMAL`` in WAL mode: a killed process never loses a committed
transaction or corrupts the file; a power cut may lose the last few commits.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Iterator

from ...exceptions import InvalidArgumentError, StoreCorruptError

#: bumped when the schema changes in a way an older hopt cannot read
FORMAT_VERSION = 1
#: how long a writer waits for another process's write to finish (seconds)
BUSY_TIMEOUT_SECS = 60.0

SCHEMA = """
CREATE TABLE IF NOT EXISTS hopt_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS trials (
    exp_id TEXT NOT NULL,
    tid INTEGER NOT NULL,
    state INTEGER NOT NULL,
    lease TEXT,
    lease_expires REAL,
    seq INTEGER NOT NULL,
    doc BLOB NOT NULL,
    PRIMARY KEY (exp_id, tid)
);
CREATE INDEX IF NOT EXISTS trials_by_state ON trials (state, tid);
CREATE INDEX IF NOT EXISTS trials_by_change ON trials (exp_id, seq);
CREATE TABLE IF NOT EXISTS experiments (
    exp_id TEXT PRIMARY KEY,
    domain BLOB,
    signature TEXT,
    domain_version INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS attachments (
    exp_id TEXT NOT NULL,
    name TEXT NOT NULL,
    blob BLOB NOT NULL,
    is_text INTEGER NOT NULL,
    PRIMARY KEY (exp_id, name)
);
CREATE TABLE IF NOT EXISTS workers (
    id TEXT PRIMARY KEY,
    serves TEXT,
    info BLOB NOT NULL,
    stale_at REAL NOT NULL
);
"""

#: what to do about a file that cannot be read
CORRUPT_ADVICE = (
    "Move it aside and start a new file (FileTrials creates one), or restore it from a "
    "backup; `sqlite3 FILE .recover` may save what is left of a damaged file."
)


class Database:
    """One connection to a trials file, shared by this process's threads under a lock."""

    def __init__(self, path: str | os.PathLike, where: str, create: bool) -> None:
        if not isinstance(path, (str, os.PathLike)) or not os.fspath(path):
            raise InvalidArgumentError(
                f"{where}: path must be a file path such as 'trials.db'; got path={path!r}."
            )
        self.path = os.path.abspath(os.fspath(path))
        self.where = where
        if os.path.isdir(self.path):
            raise InvalidArgumentError(
                f"{where}: {self.path} is a directory; give a file path such as "
                f"{os.path.join(self.path, 'trials.db')!r}."
            )
        if not create and not os.path.exists(self.path):
            raise FileNotFoundError(
                f"{where}: no trials file at {self.path}; fmin(..., "
                f"trials=FileTrials({self.path!r})) creates it."
            )
        parent = os.path.dirname(self.path)
        if not os.path.isdir(parent):
            raise InvalidArgumentError(
                f"{where}: the folder {parent} does not exist; create it first."
            )
        self.lock = threading.RLock()
        with self.errors("open"):
            self.connection = sqlite3.connect(
                self.path,
                timeout=BUSY_TIMEOUT_SECS,
                isolation_level=None,  # transactions are explicit (BEGIN IMMEDIATE)
                check_same_thread=False,  # the worker's heartbeat thread, under self.lock
            )
            self._set_up()

    def _set_up(self) -> None:
        db = self.connection
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
        if tables and "hopt_meta" not in tables:
            raise StoreCorruptError(
                f"{self.where}: {self.path} is an SQLite database but not a hopt trials "
                "file; give FileTrials a path of its own."
            )
        mode = db.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise StoreCorruptError(
                f"{self.where}: cannot use write-ahead logging on {self.path} (journal mode "
                f"{mode!r}); FileTrials needs a local disk, not a network filesystem."
            )
        db.execute("PRAGMA synchronous = NORMAL")
        with self.write("create the tables"):
            for statement in SCHEMA.split(";"):  # (executescript would commit first)
                if statement.strip():
                    db.execute(statement)
            db.execute(
                "INSERT OR IGNORE INTO hopt_meta (key, value) VALUES "
                "('format', ?), ('next_tid', 0), ('seq', 0), ('deletions', 0)",
                (FORMAT_VERSION,),
            )
        found = self.meta("format")
        if found > FORMAT_VERSION:
            raise StoreCorruptError(
                f"{self.where}: {self.path} was written by a newer hopt (format {found}; this "
                f"one reads up to {FORMAT_VERSION}); upgrade hopt to read it."
            )

    @contextlib.contextmanager
    def errors(self, action: str) -> Iterator[None]:
        """SQLite's errors as hopt's, naming the file and what to do."""
        try:
            yield
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise StoreCorruptError(
                    f"{self.where}: {self.path} stayed locked by another process for "
                    f"{BUSY_TIMEOUT_SECS:g} s while trying to {action}; is a process stuck "
                    "holding it (e.g. the sqlite3 shell)?"
                ) from exc
            if "unable to open" in str(exc):
                raise StoreCorruptError(
                    f"{self.where}: cannot open {self.path} ({exc}); check that the folder "
                    "is writable."
                ) from exc
            raise self._corrupt(action, exc) from exc
        except sqlite3.DatabaseError as exc:
            raise self._corrupt(action, exc) from exc

    def _corrupt(self, action: str, exc: Exception) -> StoreCorruptError:
        return StoreCorruptError(
            f"{self.where}: {self.path} is not a readable hopt trials file (while trying to "
            f"{action}: {exc}). {CORRUPT_ADVICE}"
        )

    @contextlib.contextmanager
    def write(self, action: str) -> Iterator[sqlite3.Connection]:
        """One write transaction: all of it is stored, or none (also if the process dies)."""
        with self.lock, self.errors(action):
            db = self.connection
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    @contextlib.contextmanager
    def read(self, action: str) -> Iterator[sqlite3.Connection]:
        """One read transaction: a consistent snapshot across several queries."""
        with self.lock, self.errors(action):
            db = self.connection
            db.execute("BEGIN")
            try:
                yield db
            finally:
                db.execute("COMMIT")

    def meta(self, key: str) -> int:
        with self.lock, self.errors("read the file's header"):
            row = self.connection.execute(
                "SELECT value FROM hopt_meta WHERE key = ?", (key,)
            ).fetchone()
        return 0 if row is None else int(row[0])

    def check_integrity(self) -> None:
        """Read every page once (``PRAGMA quick_check``): a damaged file is found at open."""
        with self.lock, self.errors("check the file"):
            problems = [row[0] for row in self.connection.execute("PRAGMA quick_check(5)")]
        if problems != ["ok"]:
            raise StoreCorruptError(
                f"{self.where}: {self.path} is damaged ({'; '.join(problems)}). {CORRUPT_ADVICE}"
            )

    def close(self) -> None:
        with self.lock:
            self.connection.close()


def next_seq(db: sqlite3.Connection) -> int:
    """Bump and return the store's change sequence (inside a write transaction).

    Writers are serialised, so sequence numbers follow commit order: a reader that
    saw sequence ``s`` finds everything written since with ``seq > s``.
    """
    row = db.execute(
        "UPDATE hopt_meta SET value = value + 1 WHERE key = 'seq' RETURNING value"
    ).fetchone()
    return int(row[0])
