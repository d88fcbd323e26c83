"""Finding the Spark session and how many tasks its cluster can run at once."""

from __future__ import annotations

import os
import sys
import warnings
from typing import Any

from ..._utils import install_hint
from ..._validate import check_int
from ...exceptions import InvalidArgumentError, MissingDependencyError
from .connect import connect_task_slots, is_connect_session

#: more concurrent trials than this would only queue threads and Spark jobs
MAX_PARALLELISM = 128


def require_pyspark() -> Any:
    """The ``pyspark`` module, or a clear error saying how to install it."""
    try:
        import pyspark
        import pyspark.sql
    except ImportError as exc:
        raise MissingDependencyError(
            f"SparkTrials needs pyspark, which is not installed: {install_hint('spark', 'pyspark')}."
        ) from exc
    return pyspark


def active_session(spark_session: Any = None) -> Any:
    """The given session, else the active one, else a new one from the builder defaults."""
    require_pyspark()
    from pyspark.sql import SparkSession

    if spark_session is not None:
        if is_connect_session(spark_session):
            return spark_session  # a Spark Connect client session (no sparkContext)
        if not isinstance(spark_session, SparkSession):
            raise InvalidArgumentError(
                "SparkTrials: spark_session must be a pyspark.sql.SparkSession (classic or "
                "Spark Connect); "
                f"got spark_session={spark_session!r}."
            )
        return spark_session
    if not _new_local_session_without_a_python():
        return SparkSession.builder.getOrCreate()
    # Spark's Python workers would otherwise run `python3` from PATH, which often lacks
    # hopt (a virtualenv that is not activated): use the driver's Python.  PySpark reads
    # the choice from $PYSPARK_PYTHON when the context starts (the spark.pyspark.python
    # setting only works through spark-submit), so it is set for that moment only.
    os.environ["PYSPARK_PYTHON"] = sys.executable
    try:
        return SparkSession.builder.getOrCreate()
    finally:
        del os.environ["PYSPARK_PYTHON"]


def _new_local_session_without_a_python() -> bool:
    """No session yet, a local master, and no Python chosen for Spark's workers."""
    from pyspark import SparkConf, SparkContext

    if SparkContext._active_spark_context is not None:  # noqa: SLF001 - no public check
        return False  # getOrCreate returns the running session, whatever its settings
    if os.environ.get("PYSPARK_PYTHON"):
        return False
    conf = SparkConf()
    if conf.contains("spark.pyspark.python"):
        return False
    return conf.get("spark.master", "local[*]").startswith("local")


def task_slots(session: Any) -> int:
    """How many tasks the session's cluster runs at once (executor cores / task CPUs)."""
    if is_connect_session(session):
        return connect_task_slots(session)
    return max(int(session.sparkContext.defaultParallelism), 1)


def check_parallelism(parallelism: Any) -> int | None:
    """The user's parallelism as an int, or None for "the cluster's slots"."""
    return check_int(
        parallelism,
        "parallelism",
        "SparkTrials",
        minimum=1,
        allow_none=True,
        fix="None uses every task slot of the cluster.",
    )


def effective_parallelism(
    requested: int | None, slots: int, max_evals: int | None, warn: bool = True
) -> int:
    """How many trials run at once: the request, capped at 128 and at ``max_evals``.

    A request above the slots Spark reports is kept, with a warning: executors may
    not have registered yet, or the cluster may grow.  Trials are still handed out
    only as slots free up (slot tasks that have started; in jobs mode the slots
    Spark reports, read again as the run goes), never beyond them.
    """

    def say(message: str) -> None:
        if warn:
            warnings.warn(message, stacklevel=5)

    if requested is None:
        parallelism = min(slots, MAX_PARALLELISM)
    else:
        parallelism = requested
        if parallelism > MAX_PARALLELISM:
            say(f"SparkTrials: parallelism={parallelism} is capped at {MAX_PARALLELISM}.")
            parallelism = MAX_PARALLELISM
    if max_evals is not None and 0 < max_evals < parallelism:
        if requested is not None:
            say(
                f"SparkTrials: parallelism={parallelism} is more than max_evals={max_evals}; "
                f"running at most {max_evals} trials at a time."
            )
        parallelism = max_evals
    if requested is not None and parallelism > slots:  # said of what will really run
        say(
            f"SparkTrials: parallelism={parallelism} is more than the {slots} task slots "
            f"Spark reports now; at most {slots} trials run at a time, more as executors "
            "are added. Trials are handed out only as slots free up, so each suggestion "
            "sees the results of the trials before it."
        )
    return max(parallelism, 1)
