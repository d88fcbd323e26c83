"""Test support: a real MongoDB-wire server (SecantusDB's secantusd-py), and polling.

scripts/test.sh installs it into .venv-mongo and starts one for the whole run
(HOPT_TEST_MONGO_URL); tests that must stop and restart a server start their
own with this class, as does the suite when run by plain pytest.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def secantusd_path() -> str:
    path = os.environ.get("HOPT_SECANTUSD") or str(REPO / ".venv-mongo" / "bin" / "secantusd-py")
    if not os.access(path, os.X_OK):
        raise RuntimeError(
            f"no MongoDB-wire server at {path}: run `bash scripts/test.sh` once (it installs "
            "SecantusDB into .venv-mongo), or set HOPT_SECANTUSD to a secantusd-py."
        )
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SecantusServer:
    """One secantusd-py process on 127.0.0.1 with its data in ``storage_dir``."""

    def __init__(self, storage_dir: Path, port: int | None = None) -> None:
        self.storage_dir = Path(storage_dir)
        self.port = port or free_port()
        self.process: subprocess.Popen | None = None
        self.log_path = self.storage_dir / "server.log"

    @property
    def url(self) -> str:
        return f"mongo://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> SecantusServer:
        self.storage_dir.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [secantusd_path(), "--host", "127.0.0.1", "--port", str(self.port),
                 "--storage-path", str(self.storage_dir / "store")],
                stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        self._wait_ready(timeout)
        return self

    def _wait_ready(self, timeout: float) -> None:
        import pymongo

        client = pymongo.MongoClient(
            f"mongodb://127.0.0.1:{self.port}/", serverSelectionTimeoutMS=300
        )
        deadline = time.monotonic() + timeout
        try:
            while True:
                try:
                    client.admin.command("ping")
                    return
                except pymongo.errors.PyMongoError:
                    assert self.process is not None
                    if self.process.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(
                            f"secantusd-py did not answer on port {self.port}; log:\n"
                            + self.log_path.read_text()[-3000:]
                        ) from None
                    time.sleep(0.1)
        finally:
            client.close()

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None


def wait_until(condition, timeout: float, what: str, interval: float = 0.1):
    """Poll ``condition()`` until it is truthy; fail the test saying ``what`` never happened."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)
