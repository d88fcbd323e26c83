"""MongoTrials tests, against a real MongoDB-wire server and real hopt-worker processes.

The server is the one scripts/test.sh started (HOPT_TEST_MONGO_URL), or one
this file starts for the session.  Each test gets a database of its own.
Every test here is marked ``mongo``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from mongo_support import SecantusServer


def pytest_collection_modifyitems(items):
    here = os.path.dirname(__file__)
    for item in items:
        if str(item.fspath).startswith(here):
            item.add_marker(pytest.mark.mongo)


@pytest.fixture(scope="session")
def mongo_server_url(tmp_path_factory):
    """``mongo://127.0.0.1:PORT`` of the server shared by the session."""
    url = os.environ.get("HOPT_TEST_MONGO_URL")
    if url:
        yield url
        return
    server = SecantusServer(tmp_path_factory.mktemp("mongo-server")).start()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture
def mongo_url(mongo_server_url):
    """A URL to a fresh database's ``jobs`` collection; the database is dropped afterwards."""
    import pymongo

    database = "t_" + uuid.uuid4().hex[:12]
    yield f"{mongo_server_url}/{database}/jobs"
    client = pymongo.MongoClient(
        mongo_server_url.replace("mongo://", "mongodb://") + "/", serverSelectionTimeoutMS=5000
    )
    try:
        client.drop_database(database)
    except pymongo.errors.PyMongoError:
        pass  # a test that stopped the server; its data goes with the session
    finally:
        client.close()


class Worker:
    """A ``python -m hopt.worker`` subprocess whose stderr goes to a file."""

    def __init__(self, args: list[str], cwd: Path, env: dict, index: int) -> None:
        self.log_path = cwd / f"worker-{index}.log"
        self.args = args
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "hopt.worker", *args],
                cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip

    @property
    def pid(self) -> int:
        return self.process.pid

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait(self, timeout: float = 60.0) -> int:
        return self.process.wait(timeout)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture
def start_workers(mongo_url, tmp_path):
    """``start_workers(n, *flags, url=None, env=None)``: n workers on the test's queue."""
    started: list[Worker] = []

    def start(n: int = 1, *flags: str, url: str | None = None, env: dict | None = None):
        base_env = {k: v for k, v in os.environ.items() if not k.startswith("HOPT_MONGO_KEY")}
        base_env.update(env or {})
        args = [
            "--mongo", url or mongo_url, "--poll-interval", "0.2", "--reserve-timeout", "120",
            "--log-level", "info", *flags,
        ]  # fmt: skip
        new = [Worker(args, tmp_path, base_env, len(started) + i) for i in range(n)]
        started.extend(new)
        return new

    yield start
    for worker in started:
        worker.stop()
