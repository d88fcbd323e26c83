"""Results that reach the driver the moment their Spark task ends.

A batch of trials runs as one Spark job (one task per trial), and a job's
``collect`` returns only when its last task ends. To free a slot as soon as
*its* trial ends, each task also adds ``(tid, result)`` to a Spark accumulator.
Spark merges a successful task's accumulator update on the driver when that
task completes (once per task, never for failed attempts), and PySpark hands
the update to the driver's Python process right then, through its accumulator
server thread. ``ResultStream`` turns that merge into a call of the run's
handler.

Rules for the handler, which runs on PySpark's accumulator server thread while
Spark's scheduler waits for it: be quick and never wait for a Spark job (the
job could only finish after the handler returns). Recording a trial and
submitting work to a thread pool are fine.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

logger = logging.getLogger("hopt.spark")

Handler = Callable[[list], None]

# run id -> handler; only ever filled in the driver process
_handlers: dict[str, Handler] = {}
_handlers_lock = threading.Lock()


class ResultStream:
    """Accumulates ``(tid, result)`` pairs in a task; hands them to the run's handler on the driver.

    PySpark's ``AccumulatorParam`` protocol (``zero`` and ``addInPlace``); not a
    subclass, so importing hopt never imports pyspark.
    """

    def __init__(self, run_id: str) -> None:
        self.run_id = run_id

    def zero(self, value: Any) -> list:
        return []

    def addInPlace(self, value1: list, value2: list) -> list:  # noqa: N802 - pyspark's name
        with _handlers_lock:
            handler = _handlers.get(self.run_id)
        if handler is None:  # inside a task: keep this task's results for Spark to send
            value1.extend(value2)
            return value1
        try:
            handler(value2)
        except Exception:  # never break PySpark's accumulator server
            logger.exception("SparkTrials: could not record results %r", value2)
        return value1


def open_stream(spark_context: Any, run_id: str, handler: Handler) -> Any:
    """A new accumulator whose task-side additions reach ``handler`` on the driver."""
    with _handlers_lock:
        _handlers[run_id] = handler
    return spark_context.accumulator([], ResultStream(run_id))


def close_stream(run_id: str) -> None:
    """Stop handing results of ``run_id`` to its handler (late ones are dropped)."""
    with _handlers_lock:
        _handlers.pop(run_id, None)
