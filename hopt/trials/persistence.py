"""Saving trials to a file so that a crash never loses or corrupts them."""

from __future__ import annotations

import os
import tempfile
from typing import Any

import cloudpickle


def save_atomically(obj: Any, path: str) -> None:
    """Pickle ``obj`` to ``path`` so that readers see the old file or the new one, whole.

    The data goes to a temporary file in the same directory, is flushed to disk,
    and then replaces ``path`` in one rename; a crash at any point leaves the
    previous file intact.
    """
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp_path = tempfile.mkstemp(prefix=".hopt-save-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as tmp:
            cloudpickle.dump(obj, tmp)
            tmp.flush()
            os.fsync(tmp.fileno())
        os.replace(tmp_path, path)
    except BaseException:
        if os.path.exists(tmp_path):
            os.unlink(tmp_path)
        raise


def load(path: str) -> Any:
    with open(path, "rb") as f:
        return cloudpickle.load(f)
