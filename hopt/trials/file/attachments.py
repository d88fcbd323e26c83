"""``FileAttachments``: an experiment's named blobs in the FileTrials file.

Trial attachments live here too, under ``ATTACH::<tid>::<name>`` (Hyperopt's
naming), so ``TrialAttachments`` works on it unchanged.  Each write is one
transaction: a name holds its old value or its new one, never a part.
"""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from typing import Any

from ...exceptions import InvalidArgumentError
from .database import Database


class FileAttachments(MutableMapping):
    """An experiment's attachments in the file: named blobs (bytes or str)."""

    def __init__(self, database: Database, exp_id: str) -> None:
        self._db = database
        self._exp_id = exp_id

    def put(self, name: str, blob: Any, guard: Any = None) -> Any:
        """Store ``blob`` under ``name``; with a ``guard``, only while ``guard()`` holds."""
        if not isinstance(name, str):
            raise InvalidArgumentError(f"attachment names must be strings; got {name!r}.")
        if not isinstance(blob, (bytes, bytearray, memoryview, str)):
            raise InvalidArgumentError(
                f"attachment {name!r}: FileTrials stores bytes or str; got a "
                f"{type(blob).__name__}. Pickle or encode the value first."
            )
        if guard is not None and not guard():
            return None
        is_text = isinstance(blob, str)
        data = blob.encode() if isinstance(blob, str) else bytes(blob)
        with self._db.write(f"store attachment {name!r}") as db:
            db.execute(
                "INSERT OR REPLACE INTO attachments (exp_id, name, blob, is_text) "
                "VALUES (?, ?, ?, ?)",
                (self._exp_id, name, data, int(is_text)),
            )
        return name

    def __setitem__(self, name: str, value: Any) -> None:
        self.put(name, value)

    def __getitem__(self, name: str) -> Any:
        with self._db.read(f"read attachment {name!r}") as db:
            row = db.execute(
                "SELECT blob, is_text FROM attachments WHERE exp_id = ? AND name = ?",
                (self._exp_id, name),
            ).fetchone()
        if row is None:
            raise KeyError(name)
        return bytes(row[0]).decode() if row[1] else bytes(row[0])

    def __delitem__(self, name: str) -> None:
        with self._db.write(f"delete attachment {name!r}") as db:
            gone = db.execute(
                "DELETE FROM attachments WHERE exp_id = ? AND name = ?", (self._exp_id, name)
            ).rowcount
        if not gone:
            raise KeyError(name)

    def __iter__(self) -> Iterator[str]:
        with self._db.read("list attachments") as db:
            names = [
                row[0]
                for row in db.execute(
                    "SELECT name FROM attachments WHERE exp_id = ? ORDER BY name", (self._exp_id,)
                )
            ]
        return iter(names)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def clear(self) -> None:
        with self._db.write("delete attachments") as db:
            db.execute("DELETE FROM attachments WHERE exp_id = ?", (self._exp_id,))
