"""The driver's side of slot mode: long-lived slot tasks that pull trial after trial.

One Spark task per slot runs ``executor.run_slot``: it connects to the driver's
channel (channel.py) and asks for a trial, runs it, sends reports and
heartbeats while it runs, sends the result, and asks again, until the driver
says quit.  A trial then costs one message round trip instead of one Spark job.

Each slot is its own one-task Spark job in its own job group, started and
watched by one thread here: so one slot can be cancelled (its trial ran past
``trial_timeout``) and started again without touching the others.  When a slot's
task dies (its Python worker or executor was killed), the trial it held is given
back to the queue, counted as an attempt; after ``MAX_ATTEMPTS`` the trial is
recorded as failed with ``WorkerLostError``.  On a cluster Spark retries the
task itself; in local mode the job fails and the slot thread starts it again.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import pickle
import socket
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from ..._types import JOB_STATE_DONE, JOB_STATE_NEW, JOB_STATE_RUNNING, TrialDoc
from ..._utils import utcnow
from ...results import WORKER_LOST_ERROR, failed_result
from ..documents import spec_from_misc
from .channel import ChannelServer, Connection
from .connect import cancel_tag, is_connect_session, run_python_tasks
from .executor import run_slot
from .failures import first_line

if TYPE_CHECKING:
    from .trials import SparkTrials, _Run

logger = logging.getLogger("hopt.spark")

#: a slot asking for work with none queued hears "idle" after this long and asks again
IDLE_SECS = 2.0
#: silence this long from a slot (no heartbeat, no request) means its task is lost: Spark's
#: own default for a silent executor (spark.network.timeout).  A killed task's socket
#: closes at once; this only covers a machine that vanished without closing it.
LOST_AFTER_SECS = 120.0
#: reservations of one trial before it is recorded as failed (as for queue workers)
MAX_ATTEMPTS = 3
#: a slot whose task fails this many times in a row before it reaches the driver is given up
MAX_START_FAILURES = 3

_QUIT = object()


class SlotLauncher:
    """How a slot task gets onto the cluster (classic SparkContext or Spark Connect)."""

    def run_task(self, slot: int, body: Callable[[], list]) -> list:
        """Run ``body`` as one Spark task of its own job; block until it ends; its output."""
        raise NotImplementedError

    def cancel(self, slot: int) -> None:
        """Cancel the job running slot ``slot`` (its Python worker is killed)."""
        raise NotImplementedError


class ClassicLauncher(SlotLauncher):
    """Slot ``k`` is a one-task job over partition ``k`` of the run's RDD, in its own group."""

    def __init__(self, spark_context: Any, base_rdd: Any, run_id: str) -> None:
        self._sc = spark_context
        self._rdd = base_rdd
        self._run_id = run_id
        self._groups: dict[int, str] = {}
        self._starts = 0
        self._lock = threading.Lock()

    def run_task(self, slot: int, body: Callable[[], list]) -> list:
        with self._lock:
            self._starts += 1
            group = self._groups[slot] = f"hopt-{self._run_id}-slot-{slot}-{self._starts}"
        # Pool threads are reused: set this slot's own group on every job.
        self._sc.setJobGroup(group, f"hopt slot {slot}", True)
        return self._sc.runJob(self._rdd, lambda _: body(), partitions=[slot])

    def cancel(self, slot: int) -> None:
        with self._lock:
            group = self._groups.get(slot)
        if group is not None:
            self._sc.cancelJobGroup(group)


class ConnectLauncher(SlotLauncher):
    """Slot ``k`` is a one-task DataFrame job through Spark Connect, with its own tag."""

    def __init__(self, session: Any, run_id: str) -> None:
        self._session = session
        self._run_id = run_id
        self._tags: dict[int, str] = {}
        self._starts = 0
        self._lock = threading.Lock()

    def run_task(self, slot: int, body: Callable[[], list]) -> list:
        with self._lock:
            self._starts += 1
            tag = self._tags[slot] = f"hopt-{self._run_id}-slot-{slot}-{self._starts}"
        outputs = run_python_tasks(
            self._session, [b""], functools.partial(_pickled_call, body), tag
        )
        return list(pickle.loads(outputs[0]))

    def cancel(self, slot: int) -> None:
        with self._lock:
            tag = self._tags.get(slot)
        if tag is not None:
            cancel_tag(self._session, tag)


def _pickled_call(body: Callable[[], list], _input: bytes) -> bytes:
    return pickle.dumps(body())


def driver_address(session: Any) -> tuple[str, str]:
    """``(host tasks connect to, address to bind)``: the driver's own, as Spark uses them.

    A Spark Connect client is not Spark's driver: its tasks can reach it, if at all,
    at the address this machine uses to reach the Connect server (loopback for a
    local server).
    """
    if is_connect_session(session):
        return _client_address(session)
    conf = session.sparkContext.getConf()
    host = conf.get("spark.driver.host", None) or "127.0.0.1"
    bind = conf.get("spark.driver.bindAddress", None) or host
    return host, bind


def _client_address(session: Any) -> tuple[str, str]:
    server = str(session.client.host).strip("[]")
    if server in ("localhost", "127.0.0.1", "::1"):
        return "127.0.0.1", "127.0.0.1"
    try:  # no packet is sent: connect() on a UDP socket only picks the route
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect((server, 15002))
            ip = str(probe.getsockname()[0])
    except OSError:
        ip = "127.0.0.1"  # tasks will say they cannot reach it; auto falls back
    return ip, ip


class SlotPool:
    """Slot tasks of one run: the channel server, a thread per slot, and handing out trials.

    Shares the trials' lock (``trials._changed``): every change to a trial
    document happens under it, as in the rest of SparkTrials.
    """

    def __init__(
        self,
        trials: SparkTrials,
        run: _Run,
        launcher: SlotLauncher,
        host: str,
        bind: str,
        on_unreachable: Callable[[str], None],
    ) -> None:
        self.trials = trials
        self.run = run
        self.launcher = launcher
        self.server = ChannelServer(host, self._serve, bind_host=bind)
        self._on_unreachable = on_unreachable
        self.connected: dict[int, str] = {}  # slot -> "idle" | "busy", while its task is connected
        self.slot_of: dict[Any, int] = {}  # tid -> slot running it
        self.started_at: dict[Any, float] = {}  # tid -> monotonic time it was handed out
        self.given_up: set[int] = set()
        self.threads: list[threading.Thread] = []

    # -- slot threads -----------------------------------------------------------------------
    def start(self, slots: int) -> None:
        for slot in range(slots):
            thread = threading.Thread(
                target=self._slot_loop, args=(slot,), name=f"hopt-spark-slot-{slot}", daemon=True
            )
            self.threads.append(thread)
            thread.start()

    def _wanted(self) -> bool:
        return self.run.stop_reason is None and self.run.mode == "slots"

    def _slot_loop(self, slot: int) -> None:
        run = self.run
        body = functools.partial(
            run_slot, run.id, run.payload, self.server.address, self.server.secret, slot
        )
        failures = 0
        while self._wanted():
            try:
                outputs = self.launcher.run_task(slot, body)
            except BaseException as exc:  # noqa: BLE001 - a slot must never take fmin down
                if not self._wanted():
                    return
                if self.trials._missing_module_stops_run(run, exc):
                    return
                failures += 1
                if failures >= MAX_START_FAILURES:
                    self._give_up(slot, exc)
                    return
                logger.warning(
                    "SparkTrials: the Spark task of slot %d failed (%s); starting it again",
                    slot,
                    first_line(exc),
                )
                continue
            kind, detail = outputs[0] if outputs else ("done", 0)
            if kind == "unreachable":
                self._on_unreachable(str(detail))
                return
            if self._wanted():  # the task ended by itself (the channel closed): start anew
                failures += 1
                if failures >= MAX_START_FAILURES:
                    self._give_up(slot, RuntimeError("its task kept ending"))
                    return
                continue
            return

    def _give_up(self, slot: int, exc: BaseException) -> None:
        with self.trials._changed:
            self.given_up.add(slot)
            every_slot_lost = len(self.given_up) == len(self.threads)
        logger.error(
            "SparkTrials: slot %d failed %d times before reaching the driver (%s); "
            "not starting it again",
            slot,
            MAX_START_FAILURES,
            first_line(exc),
        )
        if every_slot_lost:
            self.trials._stop_run_with(
                self.run, f"every Spark slot task failed to start; last error: {first_line(exc)}"
            )

    # -- the channel's handler: one slot task's connection ------------------------------------
    def _serve(self, conn: Connection) -> None:
        hello = conn.receive()
        if not (isinstance(hello, tuple) and hello[:1] == ("hello",)):
            return
        _, slot, owner = hello
        conn.sock.settimeout(LOST_AFTER_SECS)
        lock = self.trials._changed
        with lock:
            self.connected[slot] = "idle"
            self.trials._bump()
        conn.reply(("ok",))
        held: dict | None = None
        try:
            while True:
                message = conn.receive()
                kind = message[0]
                if kind == "next":
                    held = None
                    doc = self._take(slot, owner)
                    if doc is _QUIT:
                        conn.reply(("quit",))
                        return
                    if doc is None:
                        conn.reply(("idle",))
                        continue
                    held = doc
                    conn.reply(("trial", doc["tid"], spec_from_misc(doc["misc"])))
                elif kind == "result":
                    _, tid, data = message
                    self._finish(held, tid, data)
                    held = None
                    with lock:
                        self.connected[slot] = "idle"  # a stop now lets it quit, not cancels it
                    conn.reply(("ack", False))
                elif kind == "report":
                    _, tid, step, value, _sent = message
                    prune = self._report(held, tid, value, step)
                    conn.reply(("ack", _stop_flag(held), prune))
                elif kind == "checkpoint":
                    _, tid, result = message
                    with lock:
                        if held is not None and held["tid"] == tid:
                            held["result"] = result
                    conn.reply(("ack", _stop_flag(held)))
                else:  # "beat"
                    conn.reply(("ack", _stop_flag(held)))
        finally:
            with lock:
                self.connected.pop(slot, None)
                if held is not None and self.run.running.get(held["tid"]) is held:
                    self._lost(held, owner)
                self.trials._bump()

    def _take(self, slot: int, owner: str) -> Any:
        """The next queued trial for ``slot`` (now RUNNING), None after IDLE_SECS, or _QUIT."""
        run = self.run
        deadline = time.monotonic() + IDLE_SECS
        with self.trials._changed:
            self.connected[slot] = "idle"
            while True:
                if not self._wanted():
                    return _QUIT
                if run.waiting:
                    doc = run.waiting.popleft()
                    doc["state"] = JOB_STATE_RUNNING
                    doc["book_time"] = utcnow()
                    doc["owner"] = owner
                    doc["attempts"] = doc.get("attempts", 0) + 1
                    run.running[doc["tid"]] = doc
                    self.slot_of[doc["tid"]] = slot
                    self.started_at[doc["tid"]] = time.monotonic()
                    self.connected[slot] = "busy"
                    self.trials._bump()
                    return doc
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.trials._changed.wait(left)

    def _finish(self, held: dict | None, tid: Any, data: bytes) -> None:
        try:
            result = pickle.loads(data)
        except Exception as exc:  # a class the driver cannot import, say
            from ...results import RESULT_NOT_STORABLE_ERROR

            result = failed_result(
                RESULT_NOT_STORABLE_ERROR,
                f"the driver cannot unpickle the trial's result: {type(exc).__name__}: {exc}",
            )
        with self.trials._changed:
            if held is not None and held["tid"] == tid and self.run.running.get(tid) is held:
                self.trials._record(self.run, held, result, JOB_STATE_DONE)

    def _report(self, held: dict | None, tid: Any, value: float, step: int) -> bool:
        """Record the report; the run's pruner decision for the trial after it."""
        with self.trials._changed:
            if held is None or held["tid"] != tid or self.run.running.get(tid) is not held:
                return False
            self.trials.add_report(cast("TrialDoc", held), value, step)
            self.trials._bump()
            pruner = self.run.pruner
            if pruner is None:
                return False
            try:  # under the lock: the pruner reads every trial's documents
                return bool(pruner.prune(held, self.trials._dynamic_trials))
            except Exception:  # a broken pruner must not end the slot
                logger.exception("SparkTrials: the pruner failed on trial %s", tid)
                return False

    def _lost(self, doc: dict, owner: str) -> None:
        """``doc``'s slot task went away mid-trial (caller holds the lock): queue it again."""
        run = self.run
        tid = doc["tid"]
        run.running.pop(tid, None)
        self.slot_of.pop(tid, None)
        self.started_at.pop(tid, None)
        doc.setdefault("lost_owners", []).append(owner)
        if run.stop_reason is not None:
            self.trials._record_cancelled(run, doc, run.stop_reason)
            return
        if doc["attempts"] >= MAX_ATTEMPTS:
            logger.warning(
                "SparkTrials: trial %s lost its Spark task %d times; recorded as failed",
                tid,
                MAX_ATTEMPTS,
            )
            result = failed_result(
                WORKER_LOST_ERROR,
                f"the Spark task running this trial died {MAX_ATTEMPTS} times (its Python worker "
                "or executor was lost); see lost_owners",
            )
            self.trials._record(run, doc, result, JOB_STATE_DONE)
            return
        logger.warning(
            "SparkTrials: the Spark task running trial %s went away (%s); queued again", tid, owner
        )
        doc["state"] = JOB_STATE_NEW
        doc["owner"] = None
        doc["book_time"] = None
        run.waiting.appendleft(doc)

    # -- stopping ---------------------------------------------------------------------------
    def forget(self, tid: Any) -> int | None:
        """Stop tracking ``tid`` (recorded by the caller); the slot that ran it, if any."""
        self.started_at.pop(tid, None)
        return self.slot_of.pop(tid, None)

    def overdue(self, trial_timeout: float) -> list[Any]:
        """Tids running longer than ``trial_timeout`` seconds."""
        now = time.monotonic()
        return [tid for tid, t0 in self.started_at.items() if now - t0 > trial_timeout]

    def stop(self, grace_secs: float) -> None:
        """End every slot: idle ones are told to quit, the rest are cancelled; wait for them.

        The caller has set ``run.stop_reason`` (or left slot mode) and woken the slots.
        """
        deadline = time.monotonic() + grace_secs
        quitting_until = time.monotonic() + 1.0  # idle slots hear "quit" at once
        while any(t.is_alive() for t in self.threads) and time.monotonic() < deadline:
            with self.trials._changed:
                idle = {slot for slot, state in self.connected.items() if state == "idle"}
            for slot in range(len(self.threads)):
                if self.threads[slot].is_alive() and (
                    slot not in idle or time.monotonic() > quitting_until
                ):
                    # repeated: a job submitted just after a cancel is not cancelled by it
                    with contextlib.suppress(Exception):
                        self.launcher.cancel(slot)
            for thread in self.threads:
                thread.join(timeout=0.2)
        self.server.close()


def _stop_flag(held: dict | None) -> bool:
    return bool(held is not None and held.get("stop_requested"))
