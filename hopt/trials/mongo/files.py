"""Attachments in GridFS: a dict-like store of named blobs per experiment.

Trial attachments live in the same store under ``ATTACH::<tid>::<name>``
(Hyperopt's naming), so ``TrialAttachments`` works on it unchanged.  Writing a
name again stores a new file first and only then removes the older ones, so a
crash in between never leaves the name without a value.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, MutableMapping
from typing import Any

from ...exceptions import InvalidArgumentError
from .connection import Connection


class GridFSStore(MutableMapping):
    """Blobs of one experiment (``exp_key``; None is its own experiment) in GridFS."""

    def __init__(self, connection: Connection, prefix: str, exp_key: str | None) -> None:
        import gridfs

        self._conn = connection
        self._fs = gridfs.GridFS(connection.db, collection=prefix)
        self._files = connection.db[f"{prefix}.files"]
        self._exp_key = exp_key

    def put(
        self, name: str, blob: bytes, guard: Callable[[], bool] | None = None, **fields: Any
    ) -> Any:
        """Store ``blob`` under ``name`` with extra file fields; return the file id.

        With a ``guard``, the new file replaces the older ones only if ``guard()``
        is still true once it is stored; otherwise the new file is removed again,
        the older ones are kept, and None is returned.  A worker passes "my lease
        is still held", so a worker whose trial was handed on never removes what
        the trial's new worker stored.
        """
        if not isinstance(name, str):
            raise InvalidArgumentError(f"attachment names must be strings; got {name!r}.")
        is_text = isinstance(blob, str)
        data = blob.encode() if isinstance(blob, str) else blob
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise InvalidArgumentError(
                f"attachment {name!r}: MongoTrials stores bytes or str; got a "
                f"{type(blob).__name__}. Pickle or encode the value first."
            )
        new_id = self._conn.call(
            f"store attachment {name!r}",
            lambda: self._fs.put(
                bytes(data), filename=name, exp_key=self._exp_key, text=is_text, **fields
            ),
        )

        if guard is not None and not guard():
            self._delete_files([new_id], f"withdraw attachment {name!r}")
            return None

        def drop_older() -> None:
            for old in self._files.find(self._filter(name, _id={"$ne": new_id}), {"_id": 1}):
                self._fs.delete(old["_id"])

        self._conn.call(f"replace attachment {name!r}", drop_older)
        return new_id

    def get(self, name: str, default: Any = None) -> Any:
        try:
            return self[name]
        except KeyError:
            return default

    def read(self, name: str) -> tuple[bytes, dict]:
        """The newest blob stored under ``name`` and its file document."""

        def newest() -> tuple[bytes, dict] | None:
            grid_out = self._fs.find_one(self._filter(name), sort=[("uploadDate", -1)])
            if grid_out is None:
                return None
            return grid_out.read(), dict(grid_out._file)

        found = self._conn.call(f"read attachment {name!r}", newest)
        if found is None:
            raise KeyError(name)
        return found

    def read_id(self, file_id: Any) -> tuple[bytes, dict]:
        """The blob of one stored file (by id) and its file document; KeyError if gone."""
        import gridfs

        def by_id() -> tuple[bytes, dict] | None:
            try:
                grid_out = self._fs.get(file_id)
            except gridfs.errors.NoFile:
                return None
            return grid_out.read(), dict(grid_out._file)

        found = self._conn.call("read a stored file", by_id)
        if found is None:
            raise KeyError(file_id)
        return found

    def __getitem__(self, name: str) -> Any:
        blob, info = self.read(name)
        return blob.decode() if info.get("text") else blob

    def __setitem__(self, name: str, value: Any) -> None:
        self.put(name, value)

    def __delitem__(self, name: str) -> None:
        ids = self._conn.call(
            f"find attachment {name!r}",
            lambda: [f["_id"] for f in self._files.find(self._filter(name), {"_id": 1})],
        )
        if not ids:
            raise KeyError(name)
        self._delete_files(ids, f"delete attachment {name!r}")

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        found = self._conn.call(
            f"find attachment {name!r}",
            lambda: self._files.find_one(self._filter(name), {"_id": 1}),
        )
        return found is not None

    def __iter__(self) -> Iterator[str]:
        names = self._conn.call(
            "list attachments",
            lambda: self._files.distinct("filename", {"exp_key": self._exp_key}),
        )
        return iter(sorted(names))

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def clear(self) -> None:
        ids = self._conn.call(
            "list attachments",
            lambda: [f["_id"] for f in self._files.find({"exp_key": self._exp_key}, {"_id": 1})],
        )
        self._delete_files(ids, "delete attachments")

    def _delete_files(self, ids: list, what: str) -> None:
        def delete() -> None:
            for file_id in ids:
                self._fs.delete(file_id)  # deleting a missing file is a no-op: safe to retry

        self._conn.call(what, delete)

    def _filter(self, name: str, **extra: Any) -> dict:
        return {"filename": name, "exp_key": self._exp_key, **extra}
