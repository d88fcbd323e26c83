"""What runs inside a Spark task: evaluate trials and hand their results back.

Two shapes of task (see trials.py for how the driver picks one):

* a **slot task** (``run_slot``) connects to the driver's channel and runs trial
  after trial until the driver says quit; reports, heartbeats and stop requests
  travel over the channel while a trial runs;
* a **trial task** (``run_trial_task``) runs one trial of a batch job and sends
  its result through an accumulator (delivery.py); reports come back with the
  result, since nothing can reach the driver before the task ends.

Every exception of the objective is caught here and returned as a failed
result, so Spark never retries a trial because the objective raised; Spark
retries only what the objective cannot cause, such as a lost executor.
"""

from __future__ import annotations

import os
import pickle
import sys
import threading
import time
from typing import Any

import cloudpickle

from .channel import ChannelClient, ChannelClosedError

# Python workers are reused across tasks: unpickle each run's domain once per worker.
_domains: dict[str, Any] = {}

#: what the task adds to the result for the driver (popped there): the process that
#: ran the trial, recorded as its ``owner`` (rule 9 of the storage contract)
OWNER_KEY = "__hopt_owner__"
#: reports a trial task made, returned with its result (popped by the driver)
REPORTS_KEY = "__hopt_reports__"

#: how long a slot task tries to reach the driver before saying it cannot
CONNECT_TIMEOUT_SECS = 10.0
#: while a trial runs, how often its slot tells the driver it lives (and hears of a stop)
BEAT_SECS = 0.5


def _domain(run_id: str, payload: Any) -> Any:
    domain = _domains.get(run_id)
    if domain is None:
        _domains.clear()  # one run at a time per worker keeps memory flat
        data = payload.value if hasattr(payload, "value") else payload  # a broadcast, or bytes
        domain = _domains[run_id] = pickle.loads(data)
    return domain


def evaluate_on_executor(run_id: str, payload: Any, config: dict, ctrl: Any = None) -> dict:
    """The trial's result dict (``attachments`` included, stored by the driver)."""
    from ..._utils import worker_name
    from ...results import exception_result

    try:
        domain = _domain(run_id, payload)
        result = domain.evaluate(config, ctrl=ctrl, attach_attachments=False)
    except Exception as exc:  # recorded as a failed trial, never retried by Spark
        result = exception_result(exc)
    return {**result, OWNER_KEY: worker_name()}


class CollectingCtrl:
    """The ``Ctrl`` of a trial task: reports are kept and returned with the result."""

    def __init__(self, tid: Any) -> None:
        self.current_trial = {"tid": tid}
        self.reports: list[dict] = []

    def report(self, value: float, step: int) -> None:
        # checked by hopt.report, the only caller (Spark refuses pass_expr_memo_ctrl)
        self.reports.append({"step": step, "value": value, "time": time.time()})

    def checkpoint(self, result: Any = None) -> None:
        """Intermediate results cannot reach the driver before a trial task ends."""

    def should_prune(self, pruner: Any) -> bool:
        """Never: a trial task sees no other trial's reports (docs/spark.md)."""
        return False

    @property
    def should_stop(self) -> bool:
        return False  # a trial task cannot hear the driver


def run_trial_task(run_id: str, payload: Any, batch: list, results: Any) -> list:
    """The body of one Spark task of a batch job: partition ``k`` runs ``batch[k]``.

    ``batch`` is a list of ``(tid, config)``. The result travels to the driver
    through the ``results`` accumulator (see delivery.py) as soon as this task
    ends; the task itself returns only the tid.
    """
    from pyspark import TaskContext

    context = TaskContext.get()
    assert context is not None, "run_trial_task runs only inside a Spark task"
    tid, config = batch[context.partitionId()]
    ctrl = CollectingCtrl(tid)
    result = evaluate_on_executor(run_id, payload, config, ctrl)
    if ctrl.reports:
        result[REPORTS_KEY] = ctrl.reports
    results.add([(tid, result)])
    return [tid]


def run_connect_trial(run_id: str, payload: bytes, data: bytes) -> bytes:
    """One trial in a Spark Connect task (no accumulator there): pickled ``(tid, config)``
    in, the pickled result (reports included) out."""
    tid, config = pickle.loads(data)
    ctrl = CollectingCtrl(tid)
    result = evaluate_on_executor(run_id, payload, config, ctrl)
    if ctrl.reports:
        result[REPORTS_KEY] = ctrl.reports
    return _result_bytes(result)


class SlotCtrl:
    """The ``Ctrl`` of a trial in a slot task: reports go to the driver at once, and the
    driver's replies (to reports and heartbeats) carry the trial's stop flag."""

    def __init__(self, client: ChannelClient, tid: Any) -> None:
        self.current_trial = {"tid": tid}
        self.reports: list[dict] = []
        self._client = client
        self._tid = tid
        self._stop = threading.Event()
        self._prune = False  # the driver's pruner decision on the last report

    def _heard(self, reply: Any) -> None:
        if reply and reply[0] == "ack" and reply[1]:
            self._stop.set()

    def report(self, value: float, step: int) -> None:
        # checked by hopt.report, the only caller; the driver checks again on arrival
        self.reports.append({"step": step, "value": value})
        reply = self._client.call(("report", self._tid, step, value, time.time()))
        self._heard(reply)
        self._prune = bool(len(reply) > 2 and reply[2])

    def should_prune(self, pruner: Any) -> bool:
        """The driver decides, with every trial's reports, when each report reaches it."""
        return self._prune

    def checkpoint(self, result: Any = None) -> None:
        """Store an intermediate result with the driver (kept if the trial is lost)."""
        if result is not None:
            self._heard(self._client.call(("checkpoint", self._tid, dict(result))))

    def beat(self) -> None:
        self._heard(self._client.call(("beat", self._tid)))

    @property
    def should_stop(self) -> bool:
        return self._stop.is_set()


def _heartbeat(ctrl: SlotCtrl, done: threading.Event) -> None:
    while not done.wait(BEAT_SECS):
        try:
            ctrl.beat()
        except (OSError, ChannelClosedError):
            if done.is_set():
                return  # the trial ended meanwhile; the slot's own call sees the close
            # The driver is gone, or gave this trial to another task: no result of this
            # trial can be recorded any more.  Nothing else stops the objective: a Spark
            # Connect server runs a dead client's job on, and an objective may run for
            # hours.  Ending the Python worker ends the task (Spark logs a crash).
            sys.stderr.write(
                f"hopt: the driver's channel closed while trial {ctrl.current_trial['tid']} "
                "ran; ending this Python worker\n"
            )
            sys.stderr.flush()
            os._exit(1)


def _result_bytes(result: dict) -> bytes:
    """The result pickled for the driver, or a failed result saying why it cannot be."""
    from ...results import RESULT_NOT_STORABLE_ERROR, failed_result

    try:
        return cloudpickle.dumps(result)
    except Exception as exc:
        failed = failed_result(
            RESULT_NOT_STORABLE_ERROR,
            f"the objective's result cannot be pickled to reach the driver: "
            f"{type(exc).__name__}: {exc}",
        )
        failed[OWNER_KEY] = result.get(OWNER_KEY)
        return pickle.dumps(failed)


def run_slot(run_id: str, payload: Any, address: tuple[str, int], secret: bytes, slot: int) -> list:
    """The body of one slot task: run the trials the driver hands out until it says quit.

    Returns ``[("done", trials_run)]``, or ``[("unreachable", reason)]`` when the
    driver's channel cannot be reached from here (the driver then falls back to
    one Spark job per batch of trials).
    """
    from ..._utils import worker_name

    try:
        client = ChannelClient(address, secret, CONNECT_TIMEOUT_SECS)
    except (OSError, ChannelClosedError) as exc:
        return [("unreachable", f"{type(exc).__name__}: {exc}")]
    ran = 0
    try:
        client.call(("hello", slot, worker_name()))
        while True:
            reply = client.call(("next",))
            if reply[0] == "quit":
                break
            if reply[0] != "trial":
                continue  # "idle": nothing to run yet, ask again
            _, tid, config = reply
            ctrl = SlotCtrl(client, tid)
            done = threading.Event()
            beats = threading.Thread(target=_heartbeat, args=(ctrl, done), daemon=True)
            beats.start()
            try:
                result = evaluate_on_executor(run_id, payload, config, ctrl)
            finally:
                done.set()
                beats.join()
            client.call(("result", tid, _result_bytes(result)))
            ran += 1
    except (OSError, ChannelClosedError, EOFError):
        pass  # the driver closed the channel: the run is over (or the driver is gone)
    finally:
        client.close()
    return [("done", ran)]
