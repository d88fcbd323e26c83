"""Saving trials to a file so that a crash never loses or corrupts them."""

from __future__ import annotations

import os
import stat
import uuid
from typing import Any

import cloudpickle


def save_atomically(obj: Any, path: str) -> None:
    """Pickle ``obj`` to ``path`` so that readers see the old file or the new one, whole.

    The data goes to a temporary file in the same directory, is flushed to disk,
    and then replaces ``path`` in one rename; a crash at any point leaves the
    previous file intact.  The file gets the permissions a plain ``open`` would
    give it (the umask applies), or keeps those of the file it replaces.
    """
    directory = os.path.dirname(os.path.abspath(path))
    tmp_path = os.path.join(directory, f".hopt-save-{os.getpid()}-{uuid.uuid4().hex}.tmp")
    try:
        with open(tmp_path, "xb") as tmp:  # exclusive: never another writer's file
            if os.path.exists(path):
                os.chmod(tmp_path, stat.S_IMODE(os.stat(path).st_mode))
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
