"""What Spark is really doing with the trials of a jobs-mode run: slots, started tasks.

In jobs mode a trial is RUNNING from the moment its batch's job is submitted, but
its Spark task may still wait for a slot (another job holds it, or executors are
still registering).  Two questions the driver asks Spark here:

* how many trials may be handed out at once: ``min(parallelism, task slots)``,
  the slots read again at most every ``SLOTS_REFRESH_SECS`` (they grow as
  executors register), so each new suggestion sees the results of finished trials
  instead of waiting in Spark's queue;
* how many of the submitted trials have started: the running tasks of the run's
  batch jobs, read from the driver's task scheduler (the same on local,
  local-cluster, standalone, YARN, ...).

A Spark Connect client cannot see the scheduler: there a submitted trial counts as
started (docs/spark.md, "Queued and running").
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

from .session import task_slots

logger = logging.getLogger("hopt.spark")

#: how often the in-flight limit reads the cluster's task slots again (classic sessions)
SLOTS_REFRESH_SECS = 1.0


class SlotLimit:
    """How many trials a jobs-mode run hands to Spark at once (at least 1)."""

    def __init__(self, session: Any, parallelism: int, slots: int, refresh: bool) -> None:
        self._session = session
        self.parallelism = parallelism
        self.slots = slots
        self._refresh = refresh  # Spark Connect: read once (reading asks the server)
        self._read_at = time.monotonic()

    def __call__(self) -> int:
        if self._refresh and time.monotonic() - self._read_at >= SLOTS_REFRESH_SECS:
            self._read_at = time.monotonic()
            try:
                self.slots = task_slots(self._session)
            except Exception:  # the context may be stopping: keep the last figure
                logger.debug("SparkTrials: could not read the task slots", exc_info=True)
        return max(min(self.parallelism, self.slots), 1)


def started_tasks(spark_context: Any, batches: Mapping[str, tuple[int, int]]) -> int | None:
    """How many unrecorded trials of these batch jobs have a started task, or None.

    ``batches`` maps each batch's job group to ``(trials in it, trials not recorded
    yet)``.  Read live from Spark's task scheduler on the driver: the task sets of the
    running jobs, with their job group, running and succeeded tasks (a few py4j calls,
    1-5 ms).  Spark's status tracker (``sc.statusTracker()``) would be the public way,
    but its stage figures are rewritten at most every ``spark.ui.liveUpdate.period``
    and then only on the stage's next event or executor heartbeat: measured here, a
    batch's started tasks still read 0 a second and more after they started.  None
    when the scheduler cannot be read (another Spark version): the states then say it.

    Spark counts a task as ended a moment before the driver records its result (and
    may start the next task on the freed slot meanwhile): so a batch's started
    trials are its running and succeeded tasks less the trials already recorded,
    never more than its unrecorded ones.
    """
    try:
        queue = spark_context._jsc.sc().taskScheduler().rootPool().getSortedTaskSetQueue()
        begun: dict[str, int] = {}
        for index in range(queue.size()):
            task_set = queue.apply(index)
            group = task_set.taskSet().properties().getProperty("spark.jobGroup.id")
            if group in batches:
                begun[group] = (
                    begun.get(group, 0) + task_set.runningTasks() + task_set.tasksSuccessful()
                )
    except Exception:  # noqa: BLE001 - Spark's internals differ, or the context is stopping
        logger.debug("SparkTrials: could not read Spark's task scheduler", exc_info=True)
        return None
    started = 0
    for group, (size, unrecorded) in batches.items():
        # a finished job's task set is gone: its trials are being recorded
        started += min(max(begun.get(group, 0) - (size - unrecorded), 0), unrecorded)
    return started
