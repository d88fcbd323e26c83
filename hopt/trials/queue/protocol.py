"""``JobQueue``: the job-queue protocol that ``hopt-worker`` runs against.

A queue backend (MongoDB's ``MongoJobs``, the SQLite file's ``FileJobs``)
stores trial documents with a few fields of its own and provides the methods
below; ``QueueWorker`` and the ``hopt-worker`` command use nothing else.

The lease protocol.  A worker reserves a NEW trial with one atomic operation
that sets it RUNNING under a fresh random ``token`` and an expiry of now +
``lease_secs``.  While the objective runs the worker renews the lease (a third
of it at a time).  Every later write of the worker (checkpoint, report,
attachment, result) is guarded by its token: once the lease expired and the
trial was handed to another worker, the first worker's writes change nothing.
``requeue_expired`` returns expired trials to the queue, or fails them once
``max_attempts`` reservations have all been lost (``WorkerLostError``).
``release`` gives a trial back without counting the attempt (a worker stopping).

Times are the queue's own clock (the server's for MongoDB, the machine's for a
file), so the clocks of workers on other machines do not matter.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping, MutableMapping
from typing import Any, NamedTuple

#: how many times a trial may lose its worker before it is recorded as failed
DEFAULT_MAX_ATTEMPTS = 3
#: a registered worker silent this long past its lease is removed from the registry
DEAD_WORKER_SECS = 600.0


class _Any:
    def __repr__(self) -> str:
        return "ANY"


#: pass as exp_key to act on every experiment in the queue
ANY: Any = _Any()


def experiment_id(exp_key: str | None) -> str:
    """The id of an experiment in a queue (``None`` is an experiment of its own)."""
    return "none" if exp_key is None else "key:" + exp_key


#: the error message of a trial whose every worker vanished (``WorkerLostError``)
WORKER_LOST_MESSAGE = (
    "every worker that reserved this trial stopped renewing its lease (it was killed, "
    "or lost the store) and it has had max_attempts reservations; see lost_owners"
)


class Renewal(NamedTuple):
    """What renewing a lease tells the worker."""

    held: bool  # False: the lease was lost (expired and handed on)
    stop_requested: bool  # someone asked the running trial to stop


class JobQueue(abc.ABC):
    """One queue of trials that workers serve (see the module docstring)."""

    #: where the queue lives, for messages (a URL or a path; no password)
    location: str

    # -- the lease protocol ------------------------------------------------------------
    @abc.abstractmethod
    def reserve(
        self, owner: str, token: str, lease_secs: float, exp_key: Any = ANY, refused=()
    ) -> dict | None:
        """Atomically take the oldest NEW trial (not of a ``refused`` exp_key); None if none."""

    @abc.abstractmethod
    def holds(self, doc_id: Any, token: str) -> bool:
        """Whether ``token`` still holds the lease on the trial."""

    @abc.abstractmethod
    def renew(self, doc_id: Any, token: str, lease_secs: float) -> Renewal:
        """Extend a held lease and read the trial's stop flag in the same operation."""

    @abc.abstractmethod
    def checkpoint(self, doc_id: Any, token: str, result: dict) -> bool:
        """Store an intermediate result of a running trial (only under its lease)."""

    @abc.abstractmethod
    def report(self, doc_id: Any, token: str, entry: Mapping[str, Any]) -> bool:
        """Append ``{"step", "value", "time"}`` to the trial's reports (under its lease)."""

    @abc.abstractmethod
    def finish(self, doc: dict, token: str, result: dict) -> bool:
        """Record the result of a reserved trial; False if the lease was lost meanwhile."""

    @abc.abstractmethod
    def release(self, doc: dict, token: str) -> bool:
        """Give a reserved trial back, not counting the attempt (best effort)."""

    @abc.abstractmethod
    def requeue_expired(self) -> int:
        """Expired trials back to the queue, or failed after max_attempts; how many."""

    # -- the worker registry (fmin sizes its queue to the live workers) -------------------
    @abc.abstractmethod
    def worker_seen(self, worker_id: str, info: dict, stale_after_secs: float) -> None:
        """Record a worker's heartbeat; it counts as live for ``stale_after_secs``."""

    @abc.abstractmethod
    def worker_gone(self, worker_id: str) -> None:
        """Remove a worker from the registry (it is stopping)."""

    @abc.abstractmethod
    def forget_dead_workers(self, silent_secs: float = DEAD_WORKER_SECS) -> int:
        """Drop registry entries of workers silent this long past their lease."""

    @abc.abstractmethod
    def live_workers(self, exp_key: Any) -> int:
        """Workers with a recent heartbeat that serve this experiment."""

    # -- what a worker needs to run a trial ------------------------------------------------
    @abc.abstractmethod
    def domain_version(self, exp_key: str | None) -> Any:
        """An id of the experiment's stored objective (changes when fmin stores a new
        one), or None when none is stored."""

    @abc.abstractmethod
    def domain_blob(self, exp_key: str | None, version: Any) -> tuple[bytes, str | None]:
        """The stored objective's pickle and its signature (None if unsigned)."""

    @abc.abstractmethod
    def attachment_store(self, exp_key: str | None) -> MutableMapping:
        """The experiment's attachments; ``put(name, blob, guard=...)`` stores a blob
        only while ``guard()`` holds (a worker passes "my lease is still held")."""

    @abc.abstractmethod
    def trials_view(self, exp_key: str | None) -> Any:
        """A Trials object of this queue for ``exp_key`` (what ``ctrl.trials`` gives)."""

    @abc.abstractmethod
    def unstorable(self, result: dict, attachments: Any) -> str | None:
        """Why this result or these attachments cannot be stored, or None if they can."""


def check_attachments(attachments: Any, backend: str, advice: str) -> str | None:
    """Why ``attachments`` is not a dict of name -> bytes or str, or None."""
    if attachments is None:
        return None
    if not isinstance(attachments, Mapping):
        return (
            "the result's 'attachments' must be a dict of name -> bytes; got a "
            f"{type(attachments).__name__}. {advice}"
        )
    for name, blob in attachments.items():
        if not isinstance(name, str) or not isinstance(blob, (bytes, bytearray, str)):
            return (
                f"attachment {name!r}: {backend} stores bytes or str under a str "
                f"name; got a {type(blob).__name__}. {advice}"
            )
    return None
