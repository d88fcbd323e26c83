"""``SparkTrials``: fmin's trials run as Spark tasks while the driver keeps suggesting.

Two modes (``mode=``; docs/spark.md says which features each has):

* **slots** (the default whenever Spark's tasks can reach the driver): one
  long-lived Spark task per slot pulls trial after trial from the driver over a
  small authenticated socket channel (channel.py, slots.py).  A trial costs a
  message round trip, not a Spark job; reports arrive while it runs, and a stop
  request reaches it.
* **jobs**: the trials of a batch run as **one Spark job with one task per
  trial**, in the batch's own job group; each task's result reaches the driver
  as soon as that task ends, through an accumulator (delivery.py).  Reports come
  back with the result.  ``mode="auto"`` falls back to it, with a warning, when
  the slot tasks cannot reach the driver.

How a run goes:

* ``attach_fmin`` pickles the domain once, broadcasts it, and starts the slot
  tasks (slots) or opens the result stream and a thread pool (jobs).
* fmin inserts NEW trials; ``_dispatch`` queues them for the slots, or marks up
  to ``parallelism`` of them RUNNING and launches them as one batch job.
  ``idle_slots`` tells fmin how many trials to ask TPE for.
* If Spark gives up on a batch's job (a task failed ``spark.task.maxFailures``
  times, e.g. its executor kept dying), Spark stops the whole job; the batch's
  unfinished trials are re-run one per job, so only the trial that fails on its
  own is recorded as failed.  A slot task that dies gives its trial back.
* When fmin stops (max_evals, a timeout, loss_threshold, early_stop_fn, an
  interrupt), ``detach_fmin`` cancels what still runs: those trials and the
  never-started ones become JOB_STATE_CANCEL with the reason in their result.
"""

from __future__ import annotations

import collections
import functools
import logging
import pickle
import threading
import time
import uuid
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, cast

from ..._types import (
    JOB_STATE_CANCEL,
    JOB_STATE_DONE,
    JOB_STATE_NEW,
    JOB_STATE_RUNNING,
    STATUS_FAIL,
    STATUS_OK,
    TrialDoc,
)
from ..._utils import utcnow
from ..._validate import check_loss_threshold, check_positive_number, check_timeout
from ...exceptions import InvalidArgumentError
from ...results import (
    RESULT_NOT_STORABLE_ERROR,
    SPARK_JOB_ERROR,
    TRIAL_CANCELLED_ERROR,
    TRIAL_TIMEOUT_ERROR,
    failed_result,
    recorded_error,
)
from ..base import Trials
from ..contract import checked_report
from ..documents import spec_from_misc, to_python
from .connect import cancel_tag, is_connect_session, run_python_tasks
from .delivery import close_stream, open_stream
from .executor import OWNER_KEY, REPORTS_KEY, run_connect_trial, run_trial_task
from .failures import executors_lack, first_line, missing_module
from .payload import dumps_domain
from .session import active_session, check_parallelism, effective_parallelism, task_slots
from .slots import ClassicLauncher, ConnectLauncher, SlotLauncher, SlotPool, driver_address
from .tracking import SlotLimit, started_tasks

logger = logging.getLogger("hopt.spark")

#: after a trial finishes, how long to wait for others so their slots refill as one job
COALESCE_SECS = 0.1

#: how long detach_fmin waits for cancelled Spark jobs to give their threads back
CANCEL_GRACE_SECS = 60.0

#: ``mode=`` values: "auto" picks slots and falls back to jobs when tasks cannot reach the driver
MODES = ("auto", "slots", "jobs")


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
        self.batch_sizes: dict[str, int] = {}  # job group -> trials in its batch
        self.batch_count = 0
        self.stop_reason: str | None = None  # set once fmin stops: dispatch no more
        self.scan_from = 0  # _dynamic_trials before this index are not NEW (or are queued)
        self.connect = False  # through a Spark Connect session (DataFrame jobs, tags)
        self.pruner: Any = None  # fmin's pruner: decides on the driver as reports arrive
        self.domain: Any = None  # fmin's domain (its numbers of losses and constraints)
        self.mode = "jobs"  # "slots" while slot tasks serve the run
        self.forced = False  # the user chose the mode: no fallback
        self.waiting: collections.deque = collections.deque()  # NEW trials queued for slots
        self.slots: SlotPool | None = None
        self.timed_out_groups: set[str] = set()  # batch jobs cancelled for trial_timeout
        self.batch_of: dict[Any, str] = {}  # tid -> its batch's job group (jobs mode)
        self.started_at: dict[Any, float] = {}  # tid -> monotonic start (jobs mode)
        # jobs mode hands out at most this many trials at once (the cluster's task slots)
        self.limit: SlotLimit | Any = lambda: parallelism

    def new_group(self) -> str:
        self.batch_count += 1
        return f"hopt-{self.id}-batch-{self.batch_count}"


class SparkTrials(Trials):
    """Trials evaluated on a Spark cluster (Hyperopt's API, plus live reports and stops).

    Args:
        parallelism: trials run at once; None uses every task slot of the cluster.
        timeout: seconds after which fmin stops and running trials are cancelled.
        loss_threshold: fmin stops once a loss is at most this.
        spark_session: the session to use; the active one (or a new one) by default.
        mode: "auto" (slot tasks, or one job per batch when tasks cannot reach the
            driver), "slots" or "jobs" to force one; see docs/spark.md.
        trial_timeout: seconds one trial may run; past it, the trial is recorded as
            failed (``TrialTimeoutError``), its Spark task is cancelled and its slot
            started again.
    """

    asynchronous = True

    def __init__(
        self,
        parallelism: int | None = None,
        timeout: float | None = None,
        loss_threshold: float | None = None,
        spark_session: Any = None,
        *,
        mode: str = "auto",
        trial_timeout: float | None = None,
    ) -> None:
        # fmin's own rules (NaN was once accepted here), checked before Spark is touched
        self._requested_parallelism = check_parallelism(parallelism)
        check_timeout(timeout, "SparkTrials")
        check_loss_threshold(loss_threshold, "SparkTrials")
        if mode not in MODES:
            raise InvalidArgumentError(
                f"SparkTrials: mode must be one of {', '.join(map(repr, MODES))}; got mode={mode!r}. "
                "'auto' runs slot tasks and falls back to one Spark job per batch of trials "
                "when tasks cannot reach the driver."
            )
        self.mode = mode
        self.trial_timeout = check_positive_number(
            trial_timeout, "trial_timeout", "SparkTrials", allow_none=True, unit="seconds"
        )
        self.timeout = timeout
        self.loss_threshold = loss_threshold
        self._spark = active_session(spark_session)  # fails clearly without pyspark
        self.parallelism = effective_parallelism(  # warnings come at fmin, with max_evals
            self._requested_parallelism, task_slots(self._spark), None, warn=False
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
        count = getattr(domain, "n_objectives", None)  # declared, or fixed by stored trials
        if count is not None and count > 1 and self.loss_threshold is not None:
            raise InvalidArgumentError(
                f"SparkTrials: loss_threshold={self.loss_threshold} stops at one loss, but "
                f"this search has {count} objectives; leave loss_threshold out (stop with "
                "fmin's max_evals, timeout or early_stop_fn)."
            )
        if self._spark is None:
            self._spark = active_session(None)
        session = self._spark
        connect = is_connect_session(session)
        max_evals = settings.get("max_evals")
        slots = task_slots(session)
        parallelism = effective_parallelism(self._requested_parallelism, slots, max_evals)
        self.parallelism = parallelism
        data = dumps_domain(domain)  # an unpicklable objective fails here, before any trial
        if connect:  # no broadcasts or accumulators: the domain travels with each job
            run = _Run(parallelism, data, None)
            run.connect = True
            launcher: SlotLauncher = ConnectLauncher(session, run.id)
        else:
            sc = session.sparkContext
            run = _Run(
                parallelism, sc.broadcast(data), sc.parallelize(range(parallelism), parallelism)
            )
            run.results = open_stream(sc, run.id, functools.partial(self._on_results, run))
            launcher = ClassicLauncher(sc, run.base_rdd, run.id)
        run.limit = SlotLimit(session, parallelism, slots, refresh=not connect)
        run.pruner = getattr(domain, "pruner", None)
        run.domain = domain  # checks each result's number of losses on arrival
        self._requeue_orphans()
        self._run = run
        self._started_at = time.monotonic()
        self.fmin_cancelled_reason = None
        if self.mode in ("auto", "slots"):
            run.mode = "slots"
            run.forced = self.mode == "slots"
            host, bind = driver_address(session)
            run.slots = SlotPool(
                self, run, launcher, host, bind, functools.partial(self._slots_unreachable, run)
            )
            run.slots.start(parallelism)
        logger.info(
            "SparkTrials: running up to %d trials at a time (%s)",
            parallelism,
            "slot tasks" if run.mode == "slots" else "one Spark job per batch",
        )

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

    def detach_fmin(self, stop_reason: str | None = None, *, interrupted: bool = False) -> None:
        run = self._run
        if run is None:
            return
        if self.fmin_cancelled_reason is None and stop_reason:
            self.fmin_cancelled_reason = stop_reason  # why, whichever side stopped the run
        reason = self.fmin_cancelled_reason or stop_reason or "fmin stopped"
        try:
            with self._changed:
                # their objectives were running (run.running holds trial documents)
                started = cast(list[TrialDoc], list(run.running.values()))
            self._stop(run, reason)
            if interrupted:
                self._queue_interrupted_again(started)
        finally:
            self._run = None
            close_stream(run.id)
            run.pool.shutdown(wait=False, cancel_futures=True)
            try:
                if not run.connect:
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

    def _queue_interrupted_again(self, started: list[TrialDoc]) -> None:
        """Ctrl-C cancelled these running trials: they did not fail, so each point is
        queued again and the next fmin on these trials evaluates it first."""
        again = []
        for doc in started:
            if doc["state"] == JOB_STATE_CANCEL:
                again.append((doc["tid"], self.queue_point_again(doc)))
        if again:
            logger.warning(
                "SparkTrials: Ctrl-C cancelled %d running trial(s); their points are queued "
                "again (trial -> new trial: %s) and run first when fmin resumes on these trials",
                len(again),
                ", ".join(f"{old} -> {new}" for old, new in again),
            )

    def idle_slots(self) -> int:
        run = self._run
        if run is None or run.stop_reason is not None:
            return 0
        if run.mode == "slots" and run.slots is not None:
            # only slots whose task is up: trials for the rest would wait, suggested blind
            return max(len(run.slots.connected) - len(run.running), 0)
        # no more than Spark runs at once: the next suggestions then see these results
        return max(run.limit() - len(run.running), 0)

    def in_flight_counts(self) -> tuple[int, int] | None:
        """``(queued, running)``: running trials are those whose Spark task has started.

        Slot tasks know (a slot holds only the trial it runs); in jobs mode a batch's
        trials are RUNNING from its job's submission, so Spark's task scheduler says
        how many of their tasks have started (tracking.py).  Through Spark Connect,
        which cannot see the scheduler, a submitted trial counts as running.
        """
        run = self._run
        if run is None:
            return None
        with self._changed:
            unfinished = self.count_by_state_unsynced((JOB_STATE_NEW, JOB_STATE_RUNNING))
            running = len(run.running)
            batches = None
            if run.mode == "jobs" and not run.connect:
                left = collections.Counter(run.batch_of.values())
                batches = {group: (size, left[group]) for group, size in run.batch_sizes.items()}
        if batches is not None and self._spark is not None:
            started = started_tasks(self._spark.sparkContext, batches)
            if started is not None:
                running = min(running, started)
        return unfinished - running, running

    def wait_for_progress(self, seconds: float) -> None:
        """Start queued trials, then sleep until one changes (or ``seconds`` pass).

        In jobs mode, when a trial has finished, wait up to ``COALESCE_SECS`` more
        for others: trials that started together tend to end together, and the
        slots they free are refilled by one Spark job instead of one job each.
        """
        self._dispatch()
        self._enforce_trial_timeout()
        deadline = time.monotonic() + seconds
        if self.trial_timeout is not None:  # wake up in time to stop an overdue trial
            deadline = min(deadline, time.monotonic() + max(self.trial_timeout / 4, 0.05))
        with self._changed:
            finished_before = self._finished
            while self._news == self._seen_news:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._changed.wait(left)
            run = self._run
            if run is not None and run.mode == "jobs" and self._finished != finished_before:
                linger_until = min(deadline, time.monotonic() + COALESCE_SECS)
                while run.running and run.stop_reason is None:
                    left = linger_until - time.monotonic()
                    if left <= 0:
                        break
                    self._changed.wait(left)
            self._seen_news = self._news

    def _bump(self) -> None:
        """Something changed (caller holds the lock): wake fmin's loop and the slots."""
        self._news += 1
        self._changed.notify_all()

    def _enforce_trial_timeout(self) -> None:
        """Record trials running past ``trial_timeout`` as failed and cancel their tasks."""
        run = self._run
        if run is None or self.trial_timeout is None:
            return
        limit = self.trial_timeout
        with self._changed:
            if run.mode == "slots" and run.slots is not None:
                overdue = run.slots.overdue(limit)
            else:
                now = time.monotonic()
                overdue = [tid for tid, t0 in run.started_at.items() if now - t0 > limit]
            cancel_slots, cancel_groups = [], []
            for tid in overdue:
                doc = run.running.get(tid)
                if doc is None:
                    continue
                result = failed_result(
                    TRIAL_TIMEOUT_ERROR, f"the trial ran past trial_timeout={limit} s; stopped"
                )
                self._record(run, doc, result, JOB_STATE_DONE)
                slot = run.slots.forget(tid) if run.slots is not None else None
                if slot is not None:
                    cancel_slots.append(slot)
                group = run.batch_of.get(tid)
                if group is not None:
                    run.timed_out_groups.add(group)
                    cancel_groups.append(group)
            # A cancel that reaches Spark before the job itself (a busy Spark Connect
            # server registers an operation late) cancels nothing: repeat it while a
            # timed-out batch's job is still running.
            cancel_groups += [
                g for g in run.timed_out_groups if g in run.batches and g not in cancel_groups
            ]
        if overdue:
            logger.warning("SparkTrials: trial(s) %s ran past trial_timeout=%s s", overdue, limit)
        for slot in cancel_slots:  # its slot thread starts a new task for the slot
            assert run.slots is not None
            run.slots.launcher.cancel(slot)
        for group in cancel_groups:  # the batch's other trials are run again
            self._cancel_group(group)

    def _slots_unreachable(self, run: _Run, why: str) -> None:
        """A slot task could not reach the driver: fall back to jobs mode (or stop, if forced)."""
        assert run.slots is not None
        host, port = run.slots.server.address
        address = f"{host}:{port}"
        with self._changed:
            if run.mode != "slots":
                return  # another slot said so first
            if run.forced:
                reason = (
                    f"mode='slots' was asked for, but Spark tasks cannot reach the driver at "
                    f"{address} ({why}); use mode='auto' or mode='jobs'"
                )
                if self.fmin_cancelled_reason is None:
                    self.fmin_cancelled_reason = reason
                self._bump()
                logger.error("SparkTrials: %s", reason)
                return
            run.mode = "jobs"
            run.waiting.clear()  # still NEW: the jobs dispatch finds them again
            run.scan_from = 0
            self._bump()
        logger.warning(
            "SparkTrials: Spark tasks cannot reach the driver at %s (%s); running one Spark "
            "job per batch of trials instead: reports arrive with each trial's result and "
            "stop requests do not reach running trials",
            address,
            why,
        )

    def _missing_module_stops_run(self, run: _Run, failure: BaseException) -> bool:
        """Stop the run, saying what to do, when a task could not even be loaded."""
        module = missing_module(failure)
        if module is None:
            return False
        self._stop_run_with(run, executors_lack(module))
        return True

    def _stop_run_with(self, run: _Run, reason: str) -> None:
        """Make fmin stop with ``reason`` (it then calls detach_fmin, which cancels the rest)."""
        with self._changed:
            if self.fmin_cancelled_reason is None:
                self.fmin_cancelled_reason = reason
            self._bump()

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
        several = [loss for loss in losses if isinstance(loss, (list, tuple))]
        if several:  # a search whose count fmin did not know: ignored, as fmin ignores its own
            if not getattr(self, "_threshold_ignored", False):
                self._threshold_ignored = True
                logger.warning(
                    "SparkTrials: loss_threshold is ignored: the results have %d losses, and "
                    "it stops at one (pass n_objectives=%d to fmin to have it refused up front).",
                    len(several[0]),
                    len(several[0]),
                )
            return False
        numbers = [loss for loss in losses if isinstance(loss, (int, float))]
        return bool(numbers) and min(numbers) <= self.loss_threshold

    # -- dispatching -------------------------------------------------------------------------
    def _dispatch(self) -> None:
        """Launch the NEW trials that fit in the free slots, as one batch (any thread may call)."""
        run = self._run
        if run is None:
            return
        # may ask Spark: not under the lock that the result stream's handler takes
        limit = run.limit() if run.mode == "jobs" else 0
        with self._changed:
            docs = self._dynamic_trials
            if run.mode == "slots":  # queue every new trial; the next free slot takes it
                fresh = [doc for doc in docs[run.scan_from :] if doc["state"] == JOB_STATE_NEW]
                run.scan_from = len(docs)
                if fresh and run.stop_reason is None:
                    run.waiting.extend(fresh)
                    self._bump()
                return
            while run.scan_from < len(docs) and docs[run.scan_from]["state"] != JOB_STATE_NEW:
                run.scan_from += 1
            batch: list[dict] = []
            index = run.scan_from
            while (
                run.stop_reason is None
                and len(run.running) + len(batch) < limit
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
            if batch and run.connect:
                # one job per trial: a Connect job's results arrive only when it ends
                for doc in batch:
                    self._launch(run, [doc])
            elif batch:
                self._launch(run, batch)

    def _launch(self, run: _Run, batch: list[dict]) -> None:
        """Give ``batch`` (already RUNNING) to a pool thread as one job; caller holds the lock."""
        group = run.new_group()
        run.batches.add(group)
        run.batch_sizes[group] = len(batch)
        now = time.monotonic()
        for doc in batch:
            run.running[doc["tid"]] = doc
            run.batch_of[doc["tid"]] = group
            run.started_at[doc["tid"]] = now
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
            run.batch_sizes.pop(group, None)
            unsettled = [doc for doc in batch if doc["tid"] in run.running]
            if not unsettled:
                return
            if run.stop_reason is not None:
                reason = run.stop_reason
                for doc in unsettled:
                    result = failed_result(TRIAL_CANCELLED_ERROR, f"trial cancelled: {reason}")
                    self._record(run, doc, result, JOB_STATE_CANCEL)
            elif group in run.timed_out_groups:
                # cancelled because another trial of the batch ran past trial_timeout
                for doc in unsettled:
                    self._launch(run, [doc])
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
                    first_line(failure),
                    [doc["tid"] for doc in unsettled],
                )
                for doc in unsettled:
                    self._launch(run, [doc])
            else:
                for doc in unsettled:
                    self._record(run, doc, _job_failure(doc["tid"], failure), JOB_STATE_DONE)

    def _evaluate_remotely(self, run: _Run, group: str, batch: list[dict]) -> None:
        assert self._spark is not None
        if run.connect:
            # one DataFrame job tagged with the batch's group; results come with its end
            inputs = [pickle.dumps((doc["tid"], spec_from_misc(doc["misc"]))) for doc in batch]
            task = functools.partial(run_connect_trial, run.id, run.payload)
            outputs = run_python_tasks(self._spark, inputs, task, group)
            self._on_results(
                run, [(doc["tid"], pickle.loads(out)) for doc, out in zip(batch, outputs)]
            )
            return
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

    def _cancel_group(self, group: str) -> None:
        """Cancel a batch's job: its job group, or its tag through Spark Connect."""
        if self._spark is None:
            return
        try:
            if is_connect_session(self._spark):
                cancel_tag(self._spark, group)
            else:
                self._spark.sparkContext.cancelJobGroup(group)
        except Exception:  # the session may be stopping; the grace period settles the rest
            logger.debug("SparkTrials: could not cancel %s", group, exc_info=True)

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
        reports = result.pop(REPORTS_KEY, None)  # a trial task's reports, sent with its result
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
        if state == JOB_STATE_DONE and run.domain is not None:
            # an executor's copy of the domain may not have seen the first result yet
            result = run.domain.checked(result)
        with self._changed:
            if attachments:
                store = self.trial_attachments(doc)
                for key, blob in attachments.items():
                    store[key] = blob
            for entry in reports or ():
                value, step = checked_report(entry["value"], entry["step"], "hopt.report")
                doc.setdefault("reports", []).append({**entry, "value": value, "step": step})
            error = recorded_error(result)
            if error is not None:
                doc["misc"]["error"] = (error["type"], error["message"])
            doc["result"] = result
            if owner is not None:
                doc["owner"] = owner
            doc["refresh_time"] = doc["end_time"] = utcnow()
            doc["state"] = state  # last: readers see a finished trial with its result
            run.running.pop(doc["tid"], None)
            run.batch_of.pop(doc["tid"], None)
            run.started_at.pop(doc["tid"], None)
            if run.slots is not None:
                run.slots.forget(doc["tid"])
            self._finished += 1
            self._bump()

    def _record_cancelled(self, run: _Run, doc: dict, reason: str) -> None:
        result = failed_result(TRIAL_CANCELLED_ERROR, f"trial cancelled: {reason}")
        self._record(run, doc, result, JOB_STATE_CANCEL)

    def _stop(self, run: _Run, reason: str) -> None:
        """Dispatch no more; cancel queued and running trials; wait for their threads."""
        with self._changed:
            run.stop_reason = reason
            queued = [*run.waiting, *self._dynamic_trials[run.scan_from :]]
            run.waiting.clear()
            for doc in queued:
                if doc["state"] == JOB_STATE_NEW:
                    doc["result"] = failed_result(TRIAL_CANCELLED_ERROR, f"never started: {reason}")
                    doc["state"] = JOB_STATE_CANCEL
            if run.slots is not None:  # their tasks are cancelled next; results are dropped
                for doc in list(run.running.values()):
                    self._record_cancelled(run, doc, reason)
            self._bump()  # idle slots hear "quit"
        if run.slots is not None:
            run.slots.stop(CANCEL_GRACE_SECS)
        if not run.running:
            return
        deadline = time.monotonic() + CANCEL_GRACE_SECS
        while run.running and time.monotonic() < deadline:
            for group in list(run.batches):
                # Repeated: a job submitted just after a cancel is not cancelled by it.
                self._cancel_group(group)
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
        SPARK_JOB_ERROR, f"the Spark job of trial {tid} failed: {first_line(failure)}"
    )
