"""What Spark is really doing with the trials of a jobs-mode run: slots, started tasks.

In jobs mode a trial is RUNNING from the moment its batch's job is submitted, but
its Spark task may still wait for a slot (another job holds it, or executors are
still registering).  Two questions the driver asks Spark here:

* how many trials may be handed out at once: ``min(parallelism, task slots)``,
  the slots read again at most every ``SLOTS_REFRESH_SECS`` (they grow as
  executors register), so each new suggestion sees the results of finished trials
  instead of waiting in Spark's queue;
* how many of the submitted trials have started: the active tasks of the run's
  batch jobs, from Spark's status tracker (``sc.statusTracker()``, kept by the
  driver's listener: the same on local, local-cluster, standalone, YARN, ...).

A Spark Connect session has no status tracker: there a submitted trial counts as
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
    """How many unfinished trials of these batch jobs have a started task, or None.

    ``batches`` maps each batch's job group to ``(trials in it, trials not recorded
    yet)``.  Spark's tracker learns of a task's end after the driver has recorded its
    result (the result stream runs first), and a queued task may start on the freed
    slot before that: so a batch's started tasks are its active and completed ones,
    less those already recorded, never more than its unrecorded trials.
    """
    try:
        tracker = spark_context.statusTracker()
        started = 0
        for group, (size, unrecorded) in batches.items():
            begun = 0
            for job_id in tracker.getJobIdsForGroup(group):
                job = tracker.getJobInfo(job_id)
                for stage_id in job.stageIds if job is not None else ():
                    stage = tracker.getStageInfo(stage_id)
                    if stage is not None:
                        begun += stage.numActiveTasks + stage.numCompletedTasks
            started += min(max(begun - (size - unrecorded), 0), unrecorded)
        return started
    except Exception:  # the context is stopping, say: the states are all we know
        logger.debug("SparkTrials: could not read Spark's status tracker", exc_info=True)
        return None
