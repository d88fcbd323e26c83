"""Connecting to MongoDB, and riding out a server that goes away for a while.

Every database call of MongoTrials and hopt-worker goes through
:meth:`Connection.call`, which retries network failures with exponential
backoff until ``reconnect_timeout`` has passed.  The operations it retries are
written to be safe to repeat (guarded updates, idempotent inserts), see jobs.py.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import random
import time
from collections.abc import Callable
from typing import Any, TypeVar

from ..._utils import install_hint
from ..._validate import check_positive_number
from ...exceptions import BackendConnectionError, MissingDependencyError
from .url import MongoURL

logger = logging.getLogger("hopt.mongo")

T = TypeVar("T")

#: how long to wait for a server when connecting (seconds)
CONNECT_TIMEOUT = 10.0
#: how long a running fmin or worker keeps retrying after the server went away
RECONNECT_TIMEOUT = 300.0
#: for tests and benchmarks: a directory where each process writes, when it exits, the
#: database commands it sent (``commands-<pid>.json``: ``[[unix time, name, collection]]``)
COUNT_COMMANDS_ENV = "HOPT_MONGO_COUNT_COMMANDS"


def require_pymongo() -> Any:
    """The ``pymongo`` module, or a clear error saying how to install it."""
    try:
        import gridfs  # noqa: F401  (ships with pymongo)
        import pymongo
    except ImportError as exc:
        raise MissingDependencyError(
            f"MongoTrials needs pymongo, which is not installed: {install_hint('mongo', 'pymongo')}."
        ) from exc
    return pymongo


def _transient_errors() -> tuple[type[BaseException], ...]:
    from pymongo import errors

    # AutoReconnect covers NetworkTimeout, NotPrimaryError and ServerSelectionTimeoutError.
    return (errors.AutoReconnect, errors.ConnectionFailure)


class Connection:
    """A pymongo client for one URL, with bounded connect and retried calls."""

    def __init__(
        self,
        url: MongoURL,
        connect_timeout: float = CONNECT_TIMEOUT,
        reconnect_timeout: float = RECONNECT_TIMEOUT,
        where: str = "MongoTrials",
    ) -> None:
        # hopt-worker's rule for its --connect-timeout and --reconnect-timeout: an
        # infinite or NaN wait would hang on a lost server instead of saying so
        for name, seconds in (
            ("connect_timeout", connect_timeout),
            ("reconnect_timeout", reconnect_timeout),
        ):
            check_positive_number(seconds, name, where, allow_inf=False, unit="seconds")
        pymongo = require_pymongo()
        self.url = url
        self.where = where
        self.reconnect_timeout = reconnect_timeout
        self._transient = _transient_errors()
        # Each attempt gives up after a few seconds; call() decides when to stop retrying.
        attempt_ms = int(max(min(connect_timeout, 5.0), 0.5) * 1000)
        try:
            self.client = pymongo.MongoClient(
                url.client_uri,
                serverSelectionTimeoutMS=attempt_ms,
                connectTimeoutMS=attempt_ms,
                appname="hopt",
                event_listeners=_command_listeners(),
            )
        except Exception as exc:  # a bad option in the URI
            raise BackendConnectionError(
                f"{where}: cannot use {url}: {url.hide_secret(str(exc))}"
            ) from None
        self.db = self.client[url.database]
        self._ping(connect_timeout)

    def _ping(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.client.admin.command("ping")
                return
            except self._transient as exc:
                if time.monotonic() >= deadline:
                    self.client.close()
                    raise BackendConnectionError(
                        f"{self.where}: no MongoDB server answered at {self.url} within "
                        f"{timeout:g} s ({type(exc).__name__}: "
                        f"{self.url.hide_secret(_short(exc))}). Check the host and port, "
                        "and that the server is running and reachable from here."
                    ) from None
                time.sleep(0.2)
            except Exception as exc:  # e.g. authentication failed
                self.client.close()
                raise BackendConnectionError(
                    f"{self.where}: MongoDB at {self.url} refused the connection: "
                    f"{type(exc).__name__}: {self.url.hide_secret(_short(exc))}"
                ) from None

    def call(self, what: str, operation: Callable[[], T]) -> T:
        """Run ``operation``; on a network failure retry it, with backoff, for a while."""
        delay = 0.1
        deadline = None
        while True:
            try:
                return operation()
            except self._transient as exc:
                now = time.monotonic()
                if deadline is None:
                    deadline = now + self.reconnect_timeout
                    logger.warning(
                        "%s: lost the MongoDB server at %s while trying to %s (%s); "
                        "retrying for up to %.0f s",
                        self.where,
                        self.url,
                        what,
                        type(exc).__name__,
                        self.reconnect_timeout,
                    )
                if now >= deadline:
                    raise BackendConnectionError(
                        f"{self.where}: the MongoDB server at {self.url} has not answered for "
                        f"{self.reconnect_timeout:g} s (trying to {what}): "
                        f"{self.url.hide_secret(_short(exc))}"
                    ) from None
                time.sleep(delay * random.uniform(0.5, 1.0))
                delay = min(delay * 2, 5.0)

    def try_once(self, what: str, operation: Callable[[], T]) -> T | None:
        """Run ``operation`` once; on a network failure log it and return None.

        For best-effort writes whose failure a lease expiry repairs anyway (a
        stopping worker giving its trial back), so that stopping never hangs.
        """
        try:
            return operation()
        except self._transient as exc:
            logger.warning(
                "%s: could not %s (%s); the lease expiry will take care of it",
                self.where,
                what,
                type(exc).__name__,
            )
            return None

    def close(self) -> None:
        self.client.close()


_command_log: Any = None


def _command_listeners() -> list:
    """[a listener that logs every command] when $HOPT_MONGO_COUNT_COMMANDS is set, else []."""
    global _command_log
    directory = os.environ.get(COUNT_COMMANDS_ENV)
    if not directory:
        return []
    if _command_log is None:
        from pymongo import monitoring

        class CommandLog(monitoring.CommandListener):
            def __init__(self) -> None:
                self.sent: list[tuple] = []  # list.append is thread-safe

            def started(self, event: Any) -> None:
                target = event.command.get(event.command_name)
                target = target if isinstance(target, str) else ""
                self.sent.append((time.time(), event.command_name, target))

            def succeeded(self, event: Any) -> None:
                pass

            def failed(self, event: Any) -> None:
                pass

        log = _command_log = CommandLog()

        def write() -> None:
            path = os.path.join(directory, f"commands-{os.getpid()}.json")
            with open(path, "w") as out:
                json.dump(log.sent, out)

        atexit.register(write)
    return [_command_log]


def commands_sent() -> list[tuple]:
    """``(unix time, command name, collection)`` of each command this process sent since
    it first connected with $HOPT_MONGO_COUNT_COMMANDS set ([] if it never did)."""
    return [] if _command_log is None else list(_command_log.sent)


def _short(exc: BaseException) -> str:
    """The first line of a driver error (pymongo appends a long topology description)."""
    text = str(exc).split(", Timeout:")[0].split(", full error:")[0].split("\n")[0]
    return text[:300]
