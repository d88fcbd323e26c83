"""``SparkTrials``: fmin's trials run as Spark tasks while the driver keeps suggesting.

How a run goes (see docs/spark.md):

* ``attach_fmin`` pickles the domain once, broadcasts it, opens the run's
  result stream (an accumulator, see delivery.py) and a thread pool.
* fmin inserts NEW trials; ``_dispatch`` marks up to ``parallelism`` of them
  RUNNING and launches the ones it found together as **one Spark job with one
  task per trial**, in the batch's own job group. A job per batch rather than
  per trial: most of Spark's cost is per job (about 3x less CPU per trial here
  for 8-task jobs), and on a small driver that cost decides how fast the slots
  refill. Every job runs over the same ``parallelism``-partition RDD, made
  once per run.
* Each task's result reaches the driver as soon as that task ends, through the
  result stream, so its slot is refilled without waiting for the rest of its
  batch. The trial becomes DONE (ok or failed, with the objective's traceback).
  Only fmin's loop (``wait_for_progress``) launches trials: it waits briefly for
  trials that end together, and ``idle_slots`` tells it how many to ask TPE for,
  so the freed slots are refilled by one batch.
* If Spark gives up on a batch's job (a task failed ``spark.task.maxFailures``
  times, e.g. its executor kept dying), Spark stops the whole job; the batch's
  unfinished trials are re-run one per job, so only the trial that fails on its
  own is recorded as failed.
* When fmin stops (max_evals, a timeout, loss_threshold, early_stop_fn, an
  interrupt), ``detach_fmin`` cancels what still runs: those trials and the
  never-started ones become JOB_STATE_CANCEL with the reason in their result.
"""

from __future__ import annotations

import functools
import logging
import re
import threading
import time
import uuid
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ..._types import (
    JOB_STATE_CANCEL,
    JOB_STATE_DONE,
    JOB_STATE_NEW,
    JOB_STATE_RUNNING,
    STATUS_FAIL,
    STATUS_OK,
)
from ..._utils import utcnow
from ..._validate import check_loss_threshold, check_timeout
from ...exceptions import InvalidArgumentError
from ...results import (
    RESULT_NOT_STORABLE_ERROR,
    SPARK_JOB_ERROR,
    TRIAL_CANCELLED_ERROR,
    failed_result,
    recorded_error,
)
from ..base import Trials
from ..documents import spec_from_misc, to_python
from .delivery import close_stream, open_stream
from .executor import OWNER_KEY, run_trial_task
from .payload import dumps_domain
from .session import active_session, check_parallelism, effective_parallelism, task_slots

logger = logging.getLogger("hopt.spark")

#: after a trial finishes, how long to wait for others so their slots refill as one job
COALESCE_SECS = 0.1

#: how long detach_fmin waits for cancelled Spark jobs to give their threads back
CANCEL_GRACE_SECS = 60.0


class _Run:
    """The state of one fmin call on a SparkTrials (pool, broadcast, running batches)."""

    def __init__(self, parallelism: int, payload: Any, base_rdd: Any) -> None:
        self.id = uuid.uuid4().hex[:12]
        self.parallelism = parallelism
        self.payload = payload
        self.base_rdd = base_rdd  # ``parallelism`` partitions: a batch's job runs the first k
        self.pool = ThreadPoolExecutor(max_workers=parallelism, thread_name_prefix="hopt-spark")
        self.results: Any = None  # the result stream's accumulator
        self.running: dict[Any, dict] = {}  # tid -> its document, until recorded
        self.batches: set[str] = set()  # job groups of the batches still running
        self.batch_count = 0
        self.stop_reason: str | None = None  # set once fmin stops: dispatch no more
        self.scan_from = 0  # _dynamic_trials before this index are not NEW

    def new_group(self) -> str:
        self.batch_count += 1
        return f"hopt-{self.id}-batch-{self.batch_count}"


class SparkTrials(Trials):
    """Trials evaluated on a Spark cluster, one Spark task per trial (Hyperopt's API)."""

    asynchronous = True

    def __init__(
        self,
        parallelism: int | None = None,
        timeout: float | None = None,
        loss_threshold: float | None = None,
        spark_session: Any = None,
    ) -> None:
        # fmin's own rules (NaN was once accepted here), checked before Spark is touched
        self._requested_parallelism = check_parallelism(parallelism)
        check_timeout(timeout, "SparkTrials")
        check_loss_threshold(loss_threshold, "SparkTrials")
        self.timeout = timeout
        self.loss_threshold = loss_threshold
        self._spark = active_session(spark_session)  # fails clearly without pyspark
        self.parallelism = effective_parallelism(  # warnings come at fmin, with max_evals
            self._requested_parallelism, task_slots(self._spark.sparkContext), None, warn=False
        )
        self._changed = threading.Condition()
        self._news = 0  # bumped whenever a trial changes state
        self._finished = 0  # bumped whenever a trial is recorded as finished
        self._seen_news = 0
        self._run: _Run | None = None
        self._started_at: float | None = None
        self.fmin_cancelled_reason: str | None = None
        super().__init__(exp_key=None, refresh=True)

    # -- pickling: a saved SparkTrials is plain data; the session is found again on use ----
    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        for key in ("_spark", "_changed", "_run"):
            state.pop(key, None)
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._spark = None
        self._changed = threading.Condition()
        self._run = None

    # -- hooks used by fmin ------------------------------------------------------------------
    def attach_fmin(self, domain: Any, settings: Any) -> None:
        if domain.pass_expr_memo_ctrl:
            raise InvalidArgumentError(
                "SparkTrials: pass_expr_memo_ctrl objectives need the driver's Trials object "
                "and cannot run on executors; use Trials() or MongoTrials for them."
            )
        if self._spark is None:
            self._spark = active_session(None)
        sc = self._spark.sparkContext
        max_evals = settings.get("max_evals")
        parallelism = effective_parallelism(self._requested_parallelism, task_slots(sc), max_evals)
        self.parallelism = parallelism
        payload = sc.broadcast(dumps_domain(domain))  # an unpicklable objective fails here
        run = _Run(parallelism, payload, sc.parallelize(range(parallelism), parallelism))
        run.results = open_stream(sc, run.id, functools.partial(self._on_results, run))
        self._requeue_orphans()
        self._run = run
        self._started_at = time.monotonic()
        self.fmin_cancelled_reason = None
        logger.info("SparkTrials: running up to %d trials at a time", parallelism)

    def _requeue_orphans(self) -> None:
        """Queue again the trials an earlier run left RUNNING, so this run evaluates them.

        With no run attached no Spark task can be running a trial, so a RUNNING trial
        is an orphan: saved mid-run (``trials_save_file``) by a process that then
        stopped.  Left RUNNING, fmin would wait for it forever.
        """
        with self._changed:
            orphans = [doc for doc in self._dynamic_trials if doc["state"] == JOB_STATE_RUNNING]
            for doc in orphans:
                doc["state"] = JOB_STATE_NEW
                doc["owner"] = None
                doc["book_time"] = None
        if orphans:
            logger.warning(
                "SparkTrials: %d trial(s) an earlier run left unfinished queued again: %s",
                len(orphans),
                [doc["tid"] for doc in orphans],
            )

    def detach_fmin(self, stop_reason: str | None = None) -> None:
        run = self._run
        if run is None:
            return
        if self.fmin_cancelled_reason is None and stop_reason:
            self.fmin_cancelled_reason = stop_reason  # why, whichever side stopped the run
        reason = self.fmin_cancelled_reason or stop_reason or "fmin stopped"
        try:
            self._stop(run, reason)
        finally:
            self._run = None
            close_stream(run.id)
            run.pool.shutdown(wait=False, cancel_futures=True)
            try:
                run.payload.destroy()
            except Exception:  # the context may already be gone (interpreter exit)
                logger.debug("SparkTrials: could not destroy the broadcast", exc_info=True)
            self.refresh()
            logger.info(
                "SparkTrials: %d trials: %d ok, %d failed, %d cancelled",
                self.count_total_trials(),
                self.count_successful_trials(),
                self.count_failed_trials(),
                self.count_cancelled_trials(),
            )

    def idle_slots(self) -> int:
        run = self._run
        if run is None or run.stop_reason is not None:
            return 0
        return max(run.parallelism - len(run.running), 0)

    def wait_for_progress(self, seconds: float) -> None:
        """Start queued trials, then sleep until one changes (or ``seconds`` pass).

        When a trial has finished, wait up to ``COALESCE_SECS`` more for others:
        trials that started together tend to end together, and the slots they
        free are refilled by one Spark job instead of one job each.
        """
        self._dispatch()
        deadline = time.monotonic() + seconds
        with self._changed:
            finished_before = self._finished
            while self._news == self._seen_news:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._changed.wait(left)
            run = self._run
            if run is not None and self._finished != finished_before:
                linger_until = min(deadline, time.monotonic() + COALESCE_SECS)
                while run.running and run.stop_reason is None:
                    left = linger_until - time.monotonic()
                    if left <= 0:
                        break
                    self._changed.wait(left)
            self._seen_news = self._news

    @property
    def cancelled_reason(self) -> str | None:
        """Why SparkTrials stops fmin (its own ``timeout`` or loss threshold), or None."""
        if self.fmin_cancelled_reason is None:
            if self._timed_out():
                self.fmin_cancelled_reason = f"SparkTrials timeout of {self.timeout} s reached"
            elif self._threshold_reached():
                self.fmin_cancelled_reason = (
                    f"SparkTrials loss_threshold {self.loss_threshold} reached"
                )
        return self.fmin_cancelled_reason

    def _timed_out(self) -> bool:
        return (
            self.timeout is not None
            and self._started_at is not None
            and time.monotonic() - self._started_at >= self.timeout
        )

    def _threshold_reached(self) -> bool:
        if self.loss_threshold is None:
            return False
        losses = [loss for loss in self.losses() if loss is not None]
        return bool(losses) and min(losses) <= self.loss_threshold

    # -- dispatching -------------------------------------------------------------------------
    def _dispatch(self) -> None:
        """Launch the NEW trials that fit in the free slots, as one batch (any thread may call)."""
        run = self._run
        if run is None:
            return
        with self._changed:
            docs = self._dynamic_trials
            while run.scan_from < len(docs) and docs[run.scan_from]["state"] != JOB_STATE_NEW:
                run.scan_from += 1
            batch: list[dict] = []
            index = run.scan_from
            while (
                run.stop_reason is None
                and len(run.running) + len(batch) < run.parallelism
                and index < len(docs)
            ):
                doc = docs[index]
                index += 1
                if doc["state"] != JOB_STATE_NEW:
                    continue
                doc["state"] = JOB_STATE_RUNNING
                doc["book_time"] = utcnow()
                doc["owner"] = f"spark:{run.id}"
                batch.append(doc)
            if batch:
                self._launch(run, batch)

    def _launch(self, run: _Run, batch: list[dict]) -> None:
        """Give ``batch`` (already RUNNING) to a pool thread as one job; caller holds the lock."""
        group = run.new_group()
        run.batches.add(group)
        for doc in batch:
            run.running[doc["tid"]] = doc
        run.pool.submit(self._run_batch, run, group, batch)
        self._news += 1

    def _run_batch(self, run: _Run, group: str, batch: list[dict]) -> None:
        """Pool thread: one Spark job, one task per trial; settle what the stream did not."""
        try:
            self._evaluate_remotely(run, group, batch)
            failure: BaseException | None = None
        except BaseException as exc:  # noqa: BLE001 - every trial must still be recorded
            failure = exc
        with self._changed:
            run.batches.discard(group)
            unsettled = [doc for doc in batch if doc["tid"] in run.running]
            if not unsettled:
                return
            if run.stop_reason is not None:
                reason = run.stop_reason
                for doc in unsettled:
                    result = failed_result(TRIAL_CANCELLED_ERROR, f"trial cancelled: {reason}")
                    self._record(run, doc, result, JOB_STATE_CANCEL)
            elif failure is not None and (module := missing_module(failure)):
                # the task could not even be loaded: every trial would fail the same way,
                # so the run stops, saying what to do
                reason = executors_lack(module)
                if self.fmin_cancelled_reason is None:
                    self.fmin_cancelled_reason = reason
                for doc in unsettled:
                    self._record(run, doc, failed_result(SPARK_JOB_ERROR, reason), JOB_STATE_DONE)
            elif failure is not None and len(unsettled) > 1:
                # Spark stops a whole job when one task fails for good: run the
                # unfinished trials alone, so only the one at fault is recorded failed.
                # (With one left, that one is the task that failed.)
                logger.warning(
                    "SparkTrials: the Spark job of trials %s failed (%s); re-running "
                    "its unfinished trials %s one per job",
                    [doc["tid"] for doc in batch],
                    _first_line(failure),
                    [doc["tid"] for doc in unsettled],
                )
                for doc in unsettled:
                    self._launch(run, [doc])
            else:
                for doc in unsettled:
                    self._record(run, doc, _job_failure(doc["tid"], failure), JOB_STATE_DONE)

    def _evaluate_remotely(self, run: _Run, group: str, batch: list[dict]) -> None:
        assert self._spark is not None
        sc = self._spark.sparkContext
        # Pool threads are reused: set this batch's own group on every job.
        sc.setJobGroup(group, f"hopt trials {[doc['tid'] for doc in batch]}", True)
        if run.stop_reason is not None:
            raise RuntimeError("run stopped before the batch started")
        run_id, payload, results = run.id, run.payload, run.results
        work = [(doc["tid"], spec_from_misc(doc["misc"])) for doc in batch]
        sc.runJob(
            run.base_rdd,
            lambda _: run_trial_task(run_id, payload, work, results),
            partitions=list(range(len(work))),
        )

    def _on_results(self, run: _Run, pairs: list) -> None:
        """The result stream's handler: record finished trials, refill their slots."""
        with self._changed:
            for tid, result in pairs:
                doc = run.running.get(tid)
                if doc is not None:  # else: already settled (e.g. cancelled)
                    self._record(run, doc, result, JOB_STATE_DONE)
        # No dispatch from here: fmin's loop refills the freed slots together.

    def _record(self, run: _Run, doc: dict, result: dict, state: int) -> None:
        owner = result.pop(OWNER_KEY, None)
        attachments = result.pop("attachments", None)
        if attachments is not None and not (
            isinstance(attachments, Mapping) and all(isinstance(k, str) for k in attachments)
        ):  # failed here with the reason, not later as "returned no result"
            result = failed_result(
                RESULT_NOT_STORABLE_ERROR,
                "the result's 'attachments' must be a dict of str name -> value; got "
                f"{type(attachments).__name__} {attachments!r:.80}",
            )
            attachments = None
        result = to_python(result)
        with self._changed:
            if attachments:
                store = self.trial_attachments(doc)
                for key, blob in attachments.items():
                    store[key] = blob
            error = recorded_error(result)
            if error is not None:
                doc["misc"]["error"] = (error["type"], error["message"])
            doc["result"] = result
            if owner is not None:
                doc["owner"] = owner
            doc["refresh_time"] = doc["end_time"] = utcnow()
            doc["state"] = state  # last: readers see a finished trial with its result
            run.running.pop(doc["tid"], None)
            self._news += 1
            self._finished += 1
            self._changed.notify_all()

    def _stop(self, run: _Run, reason: str) -> None:
        """Dispatch no more; cancel queued and running trials; wait for their threads."""
        with self._changed:
            run.stop_reason = reason
            for doc in self._dynamic_trials[run.scan_from :]:
                if doc["state"] == JOB_STATE_NEW:
                    doc["result"] = failed_result(TRIAL_CANCELLED_ERROR, f"never started: {reason}")
                    doc["state"] = JOB_STATE_CANCEL
        if not run.running:
            return
        sc = self._spark.sparkContext if self._spark is not None else None
        deadline = time.monotonic() + CANCEL_GRACE_SECS
        while run.running and time.monotonic() < deadline:
            if sc is not None:
                for group in list(run.batches):
                    # Repeated: a job submitted just after a cancel is not cancelled by it.
                    sc.cancelJobGroup(group)
            with self._changed:
                self._changed.wait(0.5)
        with self._changed:
            stuck = list(run.running.values())
            for doc in stuck:  # settled now: a result arriving later is dropped
                result = failed_result(
                    TRIAL_CANCELLED_ERROR,
                    f"trial cancelled: {reason}; still running {CANCEL_GRACE_SECS:.0f} s "
                    "later, so its result is not recorded",
                )
                self._record(run, doc, result, JOB_STATE_CANCEL)
        if stuck:
            logger.warning(
                "SparkTrials: %d trial(s) still running %.0f s after being cancelled, "
                "recorded as cancelled: %s",
                len(stuck),
                CANCEL_GRACE_SECS,
                sorted(doc["tid"] for doc in stuck),
            )

    # -- Hyperopt's SparkTrials counters ------------------------------------------------------
    def count_successful_trials(self) -> int:
        """Finished trials whose status is ``ok`` (Hyperopt's counter)."""
        return sum(
            1
            for t in self._dynamic_trials
            if t["state"] == JOB_STATE_DONE and t["result"].get("status") == STATUS_OK
        )

    def count_failed_trials(self) -> int:
        """Finished trials whose status is ``fail``."""
        return sum(
            1
            for t in self._dynamic_trials
            if t["state"] == JOB_STATE_DONE and t["result"].get("status") == STATUS_FAIL
        )

    def count_cancelled_trials(self) -> int:
        """Trials cancelled because fmin stopped (timeout, stopping rule, an error)."""
        return self.count_by_state_unsynced(JOB_STATE_CANCEL)

    def count_total_trials(self) -> int:
        """Every trial, in any state."""
        return len(self._dynamic_trials)


def _job_failure(tid: Any, failure: BaseException | None) -> dict:
    if failure is None:  # the job ended but the trial's result never arrived
        return failed_result(SPARK_JOB_ERROR, f"the Spark job of trial {tid} returned no result")
    logger.warning("SparkTrials: trial %s: Spark job failed: %s", tid, failure)
    return failed_result(
        SPARK_JOB_ERROR, f"the Spark job of trial {tid} failed: {_first_line(failure)}"
    )


def missing_module(failure: BaseException) -> str | None:
    """The module a Spark job could not import, if that is why it failed.

    The objective's own exceptions are caught inside the task and come back as
    results; a ModuleNotFoundError that fails the job was raised loading the task
    itself (hopt, numpy, a package the objective uses), in the executors' Python.
    """
    found = re.search(r"ModuleNotFoundError: No module named '([^']+)'", str(failure))
    return found.group(1) if found else None


def executors_lack(module: str) -> str:
    return (
        f"the Python that Spark runs trials in cannot import {module!r} "
        "(ModuleNotFoundError). Set $PYSPARK_PYTHON (or spark.pyspark.python with "
        "spark-submit) to a Python that has hopt and the objective's packages: on a local "
        "master, sys.executable, before the session starts; on a cluster, install them "
        "on every executor."
    )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    lines = [line for line in text.splitlines() if line.strip()]
    for line in lines:  # Py4J puts the Spark reason after a line about the Java call
        if "Exception" in line or "Error" in line:
            return line.strip()[:500]
    return (lines[0] if lines else type(exc).__name__)[:500]
