"""``QueueWorker``: reserve a trial, evaluate it under a lease, record the result.

It runs against the job-queue protocol (``protocol.JobQueue``), so the same
worker serves MongoDB (``MongoJobs``) and a local file (``FileJobs``).  A
heartbeat thread renews the lease of the trial being evaluated (reading its stop
flag on the way) and keeps this worker's entry in the worker registry fresh
(fmin sizes its queue from it).  The objective runs in the main thread, in
process, so the domain is unpickled once per experiment, not once per trial.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import random
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from typing import TYPE_CHECKING, Any, cast

from ..._types import STATUS_OK, STATUS_PRUNED
from ..._utils import utcnow
from ...exceptions import HoptError, UntrustedPayloadError
from ...objectives import describe
from ...results import RESULT_NOT_STORABLE_ERROR, exception_result, failed_result, recorded_error
from ..attachments import TrialAttachments, attachment_name
from ..contract import checked_report
from ..ctrl import Ctrl
from ..documents import spec_from_misc, to_python
from ..signing import verify
from .protocol import ANY, JobQueue, experiment_id
from .views import ExperimentViews

if TYPE_CHECKING:
    from ..._types import TrialDoc

logger = logging.getLogger("hopt.worker")

#: the first pause after finding the queue empty; pauses then double up to poll_interval
FIRST_POLL_PAUSE = 0.05


# A BaseException on purpose, like KeyboardInterrupt, and not a HoptError: it must pass
# through the objective's ``except Exception`` (and the worker's own) to reach the loop
# that gives the trial back. Its name says it is a signal, not an error.
class WorkerShutdown(BaseException):
    """Raised in the main thread by SIGTERM/SIGINT/SIGHUP: give the trial back and stop."""


class QueueCtrl(Ctrl):
    """``Ctrl`` of a trial run by a worker: checkpoints, reports and attachments go to
    the queue under the trial's lease; a stop request arrives with a lease renewal;
    a pruner decides over the experiment's trials as the store holds them now.

    ``ctrl.trials`` is the worker's view of the experiment (``ExperimentViews``),
    as of its last refresh."""

    def __init__(self, worker: QueueWorker, doc: dict, token: str) -> None:
        # the reserved document as the queue stored it: a trial document (TrialDoc)
        super().__init__(worker.views.get(doc.get("exp_key")), cast("TrialDoc", doc))
        self._worker = worker
        self._token = token
        self.trial: dict = doc

    def checkpoint(self, result: Mapping[str, Any] | None = None) -> None:
        super().checkpoint(result)
        if result is not None:
            self._worker.handle.checkpoint(self.trial["_id"], self._token, to_python(result))

    def report(self, value: float, step: int) -> None:
        value, step = checked_report(value, step, "hopt.report")
        entry = {"step": step, "value": value, "time": utcnow()}
        self.trial.setdefault("reports", []).append(entry)
        if self._token in self._worker.lost_tokens:
            return
        if not self._worker.handle.report(self.trial["_id"], self._token, entry):
            # the store refused it: the lease is lost, the trial runs elsewhere
            self._worker._lease_lost(self.trial, self._token)

    def should_prune(self, pruner: Any) -> bool:
        """``pruner``'s decision over the experiment's trials as the store holds them
        now, other workers' reports included (one read of what changed since this
        worker's last decision; see ``ExperimentViews``)."""
        return self._worker.views.decide(pruner, self.trial)

    @property
    def should_stop(self) -> bool:
        """Whether a stop was requested (seen at the last lease renewal)."""
        return self._token in self._worker.stop_tokens

    @property
    def attachments(self):
        """The trial's attachments; writes are stored only while the lease is held."""
        return TrialAttachments(LeasedStore(self._worker, self.trial, self._token), self.trial)


class LeasedStore(MutableMapping):
    """The experiment's attachments as a worker holding a trial's lease may change them.

    Reads go straight to the store.  A write or a delete happens only while the
    lease is held: once it has expired and the trial was handed to another
    worker, this worker's attachments would be mixed with, or replace, those of
    the worker now running the trial.  A refused change is logged, marks the
    lease lost (so the trial's result is discarded as well) and is otherwise
    silent, like a refused checkpoint: the objective is running for nothing by
    then.  A write checks the lease before storing and again before removing the
    older versions (``GridFSStore.put``'s guard), so even a lease lost during
    the upload leaves the new worker's attachments in place.
    """

    def __init__(self, worker: QueueWorker, doc: dict, token: str) -> None:
        self._worker, self._doc, self._token = worker, doc, token
        self._store = worker.store(doc)

    def _holds(self) -> bool:
        return self._worker.holds_lease(self._doc, self._token)

    def _refused(self, action: str, key: str) -> None:
        prefix = attachment_name(self._doc, "")  # the trial's own names without their prefix
        name = key[len(prefix) :] if key.startswith(prefix) else key
        logger.warning(
            "trial %s: lease lost; %s attachment %r refused (the trial runs elsewhere)",
            self._doc["tid"],
            action,
            name,
        )

    def __getitem__(self, name: str) -> Any:
        return self._store[name]

    def __contains__(self, name: object) -> bool:
        return name in self._store

    def __iter__(self) -> Iterator[str]:
        return iter(self._store)

    def __len__(self) -> int:
        return len(self._store)

    def __setitem__(self, name: str, value: Any) -> None:
        if not self._holds() or self._store.put(name, value, guard=self._holds) is None:
            self._refused("writing", name)

    def __delitem__(self, name: str) -> None:
        if not self._holds():
            self._refused("deleting", name)
            return
        del self._store[name]


class _Heartbeat(threading.Thread):
    """Renews the current lease and the registry entry every ``interval`` seconds."""

    def __init__(self, worker: QueueWorker, interval: float) -> None:
        super().__init__(name="hopt-worker-heartbeat", daemon=True)
        self.worker = worker
        self.interval = interval
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.interval):
            try:
                self.worker.beat()
            except Exception:  # the main thread sees the same server problem and reports it
                logger.debug("heartbeat failed", exc_info=True)


class QueueWorker:
    """One worker process serving the queue of ``handle`` (one experiment or all)."""

    def __init__(
        self,
        handle: JobQueue,
        exp_key: str | None = None,
        poll_interval: float = 1.0,
        workdir: str | None = None,
        lease_secs: float = 30.0,
        key: bytes | None = None,
    ) -> None:
        self.handle = handle
        self.exp_key = exp_key
        self.poll_interval = poll_interval
        self.workdir = workdir
        self.lease_secs = lease_secs
        self.key = key
        self.id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self._domains: dict[str, tuple[Any, Any]] = {}  # experiment -> (file id, domain)
        #: this process's view of each experiment it served (``ctrl.trials``, pruners)
        self.views = ExperimentViews(handle)
        self._refused: set = set()  # exp_keys whose stored domain this worker refused
        self._lock = threading.Lock()
        self._current: tuple[dict, str] | None = None  # (trial doc, lease token)
        #: the signal that asked this worker to stop (set by the hopt-worker command)
        self.shutdown_requested: str | None = None
        #: while True, a stop signal is kept in ``deferred_shutdown`` instead of raised
        self.defer_shutdown = False
        self.deferred_shutdown: str | None = None
        self.lost_tokens: set = set()  # tokens whose lease was found lost
        self.stop_tokens: set = set()  # tokens whose trial was asked to stop
        self._last_sweep = -float("inf")
        self._heartbeat = _Heartbeat(self, interval=max(lease_secs / 3.0, 0.05))

    # -- registry and leases ---------------------------------------------------------------
    def start(self) -> None:
        """Register in the queue's worker registry and start renewing leases."""
        self.beat()
        self._heartbeat.start()

    def stop(self) -> None:
        """Stop renewing and leave the worker registry."""
        self._heartbeat.stopped.set()
        with contextlib.suppress(Exception):
            self.handle.worker_gone(self.id)

    def beat(self) -> None:
        """One heartbeat: refresh the registry entry and renew the running trial's lease."""
        with self._lock:
            current = self._current
        info = {
            "exp_key": self.exp_key,
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "tid": None if current is None else current[0]["tid"],
        }
        self.handle.worker_seen(self.id, info, stale_after_secs=self.lease_secs)
        if current is not None:
            doc, token = current
            if token in self.lost_tokens:
                return
            renewal = self.handle.renew(doc["_id"], token, self.lease_secs)
            if renewal.stop_requested:
                self.stop_tokens.add(token)
            if not renewal.held:
                with self._lock:  # the result is stored and the trial let go under this lock
                    still_ours = self._current is current
                if still_ours:  # else the renewal came just after the result was stored
                    self._lease_lost(doc, token)

    def holds_lease(self, doc: dict, token: str) -> bool:
        """Whether this worker still holds the trial's lease (asks the server)."""
        if token in self.lost_tokens:
            return False
        if self.handle.holds(doc["_id"], token):
            return True
        self._lease_lost(doc, token)
        return False

    def _lease_lost(self, doc: dict, token: str) -> None:
        with self._lock:
            if token in self.lost_tokens:
                return
            self.lost_tokens.add(token)
        logger.warning(
            "lost the lease on trial %s (it expired and may run elsewhere); "
            "its result will be discarded",
            doc["tid"],
        )

    def store(self, doc: dict) -> Any:
        """The attachment store of the trial's experiment."""
        return self.handle.attachment_store(doc.get("exp_key"))

    # -- the work loop -----------------------------------------------------------------------
    def reserve(
        self, timeout: float | None, give_up: Callable[[], bool] | None = None
    ) -> tuple[dict, str] | None:
        """Wait up to ``timeout`` seconds for a trial; back off while the queue is empty.

        ``give_up`` is asked before each wait: True ends the wait with None.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        pause = min(FIRST_POLL_PAUSE, self.poll_interval / 25)  # a local file: 2 ms
        exp_key = ANY if self.exp_key is None else self.exp_key
        while True:
            if time.monotonic() - self._last_sweep >= self.lease_secs / 2:
                self._last_sweep = time.monotonic()
                self.handle.requeue_expired()  # trials of dead workers become available
                self.handle.forget_dead_workers()
            token = uuid.uuid4().hex
            try:
                # a stop signal waits until a trial the server handed over is recorded
                # as ours, so that it can be given back rather than left to its lease
                with self._lock, self._shutdown_deferred():
                    # the heartbeat must see the trial as soon as it is ours
                    doc = self.handle.reserve(
                        self.id, token, self.lease_secs, exp_key, self._refused
                    )
                    if doc is not None:
                        self._current = (doc, token)
            except WorkerShutdown:
                self.give_back_current()
                raise
            if doc is not None:
                return doc, token
            if deadline is not None and time.monotonic() >= deadline:
                return None
            if give_up is not None and give_up():
                return None
            left = None if deadline is None else deadline - time.monotonic()
            time.sleep(max(min(pause * random.uniform(0.5, 1.0), left if left else pause), 0))
            pause = min(pause * 2, self.poll_interval)

    @contextlib.contextmanager
    def _shutdown_deferred(self) -> Iterator[None]:
        """A stop signal in this block is raised when it ends (see the hopt-worker command)."""
        self.defer_shutdown = True
        try:
            yield
        finally:
            self.defer_shutdown = False
        if self.deferred_shutdown:
            raise WorkerShutdown(self.deferred_shutdown)

    def give_back_current(self) -> None:
        """Give the trial this worker holds back to the queue (it is stopping)."""
        with self._lock:
            current, self._current = self._current, None
        if current is not None:
            doc, token = current
            if self.handle.release(doc, token):
                logger.info("trial %s: given back to the queue (worker stopping)", doc["tid"])

    def run_one(self, doc: dict, token: str) -> bool | None:
        """Evaluate a reserved trial and record it.

        Returns True when it finished ``ok`` or was pruned (a pruned trial is not a
        failure: --max-consecutive-failures does not count it), False when it
        failed, None when the lease was lost meanwhile (the result was discarded:
        the trial runs elsewhere).
        """
        tid, started = doc["tid"], time.monotonic()
        try:
            try:
                domain = self.domain_for(doc)
            except UntrustedPayloadError:
                self.handle.release(doc, token)
                raise
            logger.info(
                "trial %s (exp_key %r, attempt %s): started",
                tid,
                doc.get("exp_key"),
                doc.get("attempts"),
            )
            result = self._evaluate(domain, doc, token)
            if self.shutdown_requested:  # the objective caught the shutdown and returned
                raise WorkerShutdown(self.shutdown_requested)
        except WorkerShutdown:
            with self._lock:
                self._current = None
            if self.handle.release(doc, token):
                logger.info("trial %s: given back to the queue (worker stopping)", tid)
            raise
        except BaseException:
            with self._lock:
                self._current = None
            raise
        try:  # the heartbeat goes on renewing the lease while the result is stored
            if not self._store_result(doc, token, result):
                return None
        finally:
            with self._lock:
                self._current = None
        seconds = time.monotonic() - started
        if result.get("status") == STATUS_OK:
            logger.info("trial %s: ok, %s, %.2f s", tid, describe(result), seconds)
            return True
        if result.get("status") == STATUS_PRUNED:
            logger.info(
                "trial %s: pruned at step %s, %s, %.2f s",
                tid,
                result.get("pruned_step"),
                describe(result),
                seconds,
            )
            return True
        error = recorded_error(result) or {}
        logger.warning(
            "trial %s: failed after %.2f s: %s: %s",
            tid,
            seconds,
            error.get("type"),
            error.get("message"),
        )
        return False

    def _store_result(self, doc: dict, token: str, result: dict) -> bool:
        """Store the result and its attachments; False if the lease was lost first.

        A result MongoDB cannot hold (see ``unstorable``) is stored as a failed trial
        that says why, instead of crashing the worker and leaving the trial to be
        retried, and failed, by every worker in turn.
        """
        tid = doc["tid"]
        attachments = result.pop("attachments", None)
        if token in self.lost_tokens:
            logger.warning("trial %s: lease lost while running; result discarded", tid)
            return False
        problem = self.handle.unstorable(result, attachments)
        if problem is not None:
            result, attachments = failed_result(RESULT_NOT_STORABLE_ERROR, problem), None
        if attachments:
            store = TrialAttachments(LeasedStore(self, doc, token), doc)
            for name, blob in dict(attachments).items():
                store[name] = blob
        with self._lock:  # so a heartbeat renewing meanwhile knows the trial is let go
            stored = token not in self.lost_tokens and self.handle.finish(doc, token, result)
            self._current = None
        if not stored:
            logger.warning("trial %s: lease lost before the result was stored; discarded", tid)
            return False
        return True

    def _evaluate(self, domain: Any, doc: dict, token: str) -> dict:
        if isinstance(domain, BaseException):  # the domain could not be unpickled here
            return exception_result(domain)
        ctrl = QueueCtrl(self, doc, token)
        workdir = self.workdir or doc["misc"].get("workdir")
        try:
            with _working_directory(workdir, str(doc["tid"])):
                result = domain.evaluate(
                    spec_from_misc(doc["misc"]), ctrl, attach_attachments=False
                )
        except Exception as exc:  # recorded as a failed trial; the worker goes on
            return exception_result(exc)
        return to_python(result)

    def domain_for(self, doc: dict) -> Any:
        """The experiment's domain (cached per stored version), checked against the key.

        The version is the one the trial was queued with, when fmin wrote it into the
        trial (``domain_version``: MongoTrials does, saving a read per trial), else the
        one stored now.
        """
        exp_key = doc.get("exp_key")
        version = doc.get("domain_version")
        if version is None:
            version = self.handle.domain_version(exp_key)
        if version is None:
            return DomainUnavailableError(
                f"no domain is stored for exp_key {exp_key!r} in {self.handle.location}; "
                "run fmin on it first"
            )
        cached = self._domains.get(experiment_id(exp_key))
        if cached is not None and cached[0] == version:
            return cached[1]
        blob, signature = self.handle.domain_blob(exp_key, version)
        try:
            verify(self.key, experiment_id(exp_key), blob, signature)
        except UntrustedPayloadError:
            self._refused.add(exp_key)
            raise
        try:
            domain = pickle.loads(blob)
        except Exception as exc:  # e.g. a module the objective needs is not installed here
            domain = DomainUnavailableError(
                f"cannot load the objective on worker {self.id}: {type(exc).__name__}: {exc}"
            )
        self._domains[experiment_id(exp_key)] = (version, domain)
        return domain


class DomainUnavailableError(HoptError, RuntimeError):
    """This worker cannot load the trial's objective (none stored, or it does not unpickle)."""


@contextlib.contextmanager
def _working_directory(base: str | None, name: str):
    if not base:
        yield
        return
    path = os.path.join(os.path.expanduser(base), name)
    os.makedirs(path, exist_ok=True)
    previous = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(previous)
