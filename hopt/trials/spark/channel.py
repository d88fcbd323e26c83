"""A small authenticated socket channel between Spark tasks and the driver.

Why a socket of our own: Spark gives a running task no way to talk to the
driver's Python process and hear back (accumulators flow one way, and only when
a task ends), and trials need both directions while they run: reports and
heartbeats up, stop requests down.  PySpark itself talks to its Python workers
the same way (a local socket and a per-process secret).

Security.  The server listens only on the address Spark's own driver uses
(``spark.driver.bindAddress`` or ``spark.driver.host``), on a port the kernel
picks.  Every connection must first prove it knows the run's secret (32 random
bytes, shipped to the tasks inside the Spark job, as the job's own closure is):
the server sends a random challenge and the client answers with its HMAC-SHA256
under the secret.  Nothing is unpickled before that proof.  A connection that
does not answer correctly within ``AUTH_TIMEOUT_SECS`` is closed.

Framing: a 4-byte big-endian length, then a pickle.  Each exchange is one
request from the task and one reply from the driver.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
import os
import pickle
import socket
import struct
import threading
from collections.abc import Callable
from typing import Any

from ...exceptions import BackendConnectionError

logger = logging.getLogger("hopt.spark")

AUTH_TIMEOUT_SECS = 10.0
#: a frame larger than this is refused (a result with huge attachments belongs in storage)
MAX_FRAME_BYTES = 1 << 30
_LENGTH = struct.Struct(">I")
_CHALLENGE_BYTES = 32


class ChannelClosedError(BackendConnectionError):
    """The other side closed the channel (or never proved it knows the secret)."""


def new_secret() -> bytes:
    """A fresh per-run secret."""
    return os.urandom(32)


def _answer(secret: bytes, challenge: bytes) -> bytes:
    return hmac.new(secret, challenge, hashlib.sha256).digest()


def _read_exactly(sock: socket.socket, size: int) -> bytes:
    chunks = []
    left = size
    while left:
        chunk = sock.recv(min(left, 1 << 20))
        if not chunk:
            raise ChannelClosedError("the channel was closed by the other side")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def send_frame(sock: socket.socket, message: Any) -> None:
    """Send one pickled message."""
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    if len(data) > MAX_FRAME_BYTES:
        raise ValueError(f"a channel message of {len(data)} bytes is over the 1 GiB limit")
    sock.sendall(_LENGTH.pack(len(data)) + data)


def read_frame(sock: socket.socket) -> Any:
    """Read one pickled message (only ever called after the peer proved the secret)."""
    (size,) = _LENGTH.unpack(_read_exactly(sock, _LENGTH.size))
    if size > MAX_FRAME_BYTES:
        raise ChannelClosedError(f"a channel message announced {size} bytes; closing")
    return pickle.loads(_read_exactly(sock, size))


class Connection:
    """The driver's side of one task's connection, given to the server's handler."""

    def __init__(self, sock: socket.socket, peer: Any) -> None:
        self.sock = sock
        self.peer = peer
        #: free for the handler: what this connection is (a slot and its trial)
        self.state: dict[str, Any] = {}

    def receive(self) -> Any:
        return read_frame(self.sock)

    def reply(self, message: Any) -> None:
        send_frame(self.sock, message)


#: ``handler(connection)`` serves one authenticated connection until it returns or raises
Handler = Callable[[Connection], None]


class ChannelServer:
    """Listens on ``host``; runs ``handler`` in a thread for each authenticated connection."""

    def __init__(self, host: str, handler: Handler, bind_host: str | None = None) -> None:
        self.secret = new_secret()
        self._handler = handler
        self._listener = socket.create_server((bind_host or host, 0), backlog=128)
        self.host = host  # what tasks connect to (the driver's address as Spark knows it)
        self.port = self._listener.getsockname()[1]
        self._closed = threading.Event()
        self._connections: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._thread = threading.Thread(
            target=self._accept_loop, name="hopt-spark-channel", daemon=True
        )
        self._thread.start()

    @property
    def address(self) -> tuple[str, int]:
        return (self.host, self.port)

    def _accept_loop(self) -> None:
        while not self._closed.is_set():
            try:
                sock, peer = self._listener.accept()
            except OSError:
                return  # closed
            threading.Thread(
                target=self._serve, args=(sock, peer), name="hopt-spark-slot", daemon=True
            ).start()

    def _serve(self, sock: socket.socket, peer: Any) -> None:
        with self._lock:
            if self._closed.is_set():
                sock.close()
                return
            self._connections.add(sock)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if not self._authenticate(sock):
                logger.warning(
                    "SparkTrials: refused a channel connection from %s: bad secret", peer
                )
                return
            self._handler(Connection(sock, peer))
        except (ChannelClosedError, OSError, EOFError):
            pass  # the task went away; the handler's own cleanup has run
        except Exception:
            logger.exception("SparkTrials: the channel handler for %s failed", peer)
        finally:
            with self._lock:
                self._connections.discard(sock)
            with contextlib.suppress(OSError):
                sock.close()

    def _authenticate(self, sock: socket.socket) -> bool:
        sock.settimeout(AUTH_TIMEOUT_SECS)
        challenge = os.urandom(_CHALLENGE_BYTES)
        sock.sendall(challenge)
        answer = _read_exactly(sock, hashlib.sha256().digest_size)
        if not hmac.compare_digest(answer, _answer(self.secret, challenge)):
            return False
        sock.sendall(b"\x01")
        sock.settimeout(None)
        return True

    def close(self) -> None:
        """Stop listening and drop every connection (their tasks see the channel close)."""
        self._closed.set()
        with contextlib.suppress(OSError):
            self._listener.close()
        with self._lock:
            connections = list(self._connections)
        for sock in connections:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class ChannelClient:
    """A task's side: connect, prove the secret, then ``call`` (request, reply) under a lock."""

    def __init__(self, address: tuple[str, int], secret: bytes, timeout: float) -> None:
        self._sock = socket.create_connection(address, timeout=timeout)
        try:
            self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            challenge = _read_exactly(self._sock, _CHALLENGE_BYTES)
            self._sock.sendall(_answer(secret, challenge))
            if _read_exactly(self._sock, 1) != b"\x01":
                raise ChannelClosedError("the driver refused this task's secret")
        except BaseException:
            self._sock.close()
            raise
        self._sock.settimeout(None)
        self._lock = threading.Lock()

    def call(self, message: Any) -> Any:
        """Send ``message`` and wait for the driver's reply."""
        with self._lock:
            send_frame(self._sock, message)
            return read_frame(self._sock)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._sock.close()
