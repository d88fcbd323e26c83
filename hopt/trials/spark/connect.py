"""Running Python tasks through a Spark Connect session (``SparkSession.builder.remote``).

A Connect session has no ``sparkContext``: no RDDs, broadcasts or accumulators, and
jobs are cancelled by tag, not by job group. What SparkTrials needs from it is
reduced here to a few functions over the DataFrame API:

* :func:`is_connect_session` tells a Connect session from a classic one;
* :func:`connect_task_slots` says how many tasks the server's cluster runs at once;
* :func:`run_python_tasks` runs ``fn(input) -> output`` once per input, each in its
  own Spark task, all in one Spark job carrying a tag;
* :func:`cancel_tag` interrupts the jobs carrying a tag.

Facts these rely on, measured on pyspark 4.3.0 against a server on ``local[2]``
(docs/spark-connect-notes.md has the numbers, and tests/spark_connect checks them): tags are per thread in the Connect client; inside
``fn``, ``pyspark.TaskContext.get()`` works (its ``partitionId()`` is the input's
index); a task can open a TCP connection back to the client machine; an interrupted
job makes the caller's ``collect`` raise within tens of milliseconds and Spark kills
the Python worker a few seconds later.

Importing this module does not import pyspark.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from ...exceptions import HoptError, InvalidArgumentError

__all__ = [
    "FALLBACK_TASK_SLOTS",
    "SparkTasksCancelledError",
    "SparkTasksError",
    "cancel_tag",
    "connect_task_slots",
    "is_connect_session",
    "run_python_tasks",
]

#: task slots assumed when neither the configuration nor the server says; Spark's own
#: floor for ``defaultParallelism`` on a cluster is 2 as well
FALLBACK_TASK_SLOTS = 2

#: the output schema of the tasks' UDF: which input a row answers, and fn's bytes
_OUTPUT_SCHEMA = "index long, output binary"

# local, local[4], local[*], local[4,3] (3 = task retries), local-cluster[2,3,1024]
_LOCAL = re.compile(r"local(?:\[(\d+|\*)(?:,\s*\d+)?\])?")
_LOCAL_CLUSTER = re.compile(r"local-cluster\[\s*(\d+)\s*,\s*(\d+)\s*,\s*\d+\s*\]")
# the physical plan of session.range(1) names its partition count: "Range (0, 1, step=1, splits=2)"
_RANGE_SPLITS = re.compile(r"\bsplits=(?:Some\()?(\d+)")
_SQLSTATE = re.compile(r"\s*SQLSTATE: \w+\s*$")
_GRPC_DETAILS = re.compile(r'details = "([^"\n]*)"')


class SparkTasksError(HoptError, RuntimeError):
    """The Spark job of :func:`run_python_tasks` failed (a task raised, or Spark gave up)."""


class SparkTasksCancelledError(SparkTasksError):
    """The Spark job of :func:`run_python_tasks` was interrupted through its tag."""


def is_connect_session(session: Any) -> bool:
    """True if ``session`` is a Spark Connect ``SparkSession``, False for anything else.

    Never imports pyspark's Connect modules (which need pandas, pyarrow and grpc): a
    Connect session can exist only once its module has been imported, so when it has
    not been, the answer is False.
    """
    module = sys.modules.get("pyspark.sql.connect.session")
    if module is None:
        return False
    return isinstance(session, module.SparkSession)


def connect_task_slots(session: Any) -> int:
    """How many tasks the cluster behind ``session`` runs at once (at least 1).

    The first of these that gives a number:

    1. ``spark.default.parallelism``, when set (what a classic session's
       ``sparkContext.defaultParallelism`` returns);
    2. the master URL: ``local`` is 1, ``local[N]`` and ``local[N,F]`` are N,
       ``local-cluster[E,C,M]`` is E × C (divided by ``spark.task.cpus``);
    3. ``spark.executor.instances`` × ``spark.executor.cores`` / ``spark.task.cpus``,
       when both are set (YARN and Kubernetes with a fixed number of executors);
    4. the server's own ``defaultParallelism``, read from the plan of
       ``session.range(1)`` (its partition count): this covers ``local[*]`` and
       standalone clusters, and counts the executors registered so far;
    5. :data:`FALLBACK_TASK_SLOTS`.

    Reads the session's configuration and asks the server to plan a query (about
    10 ms); no Spark job runs. For a classic session, ``task_slots`` in session.py
    reads ``sparkContext.defaultParallelism`` directly.
    """
    conf = _ConfReader(session)
    parallelism = conf.positive_int("spark.default.parallelism")
    if parallelism is not None:
        return parallelism
    task_cpus = conf.positive_int("spark.task.cpus") or 1
    cores = _cores_of_master(conf.text("spark.master"))
    if cores is None:
        instances = conf.positive_int("spark.executor.instances")
        executor_cores = conf.positive_int("spark.executor.cores")
        if instances is not None and executor_cores is not None:
            cores = instances * executor_cores
    if cores is not None:
        return max(cores // task_cpus, 1)
    # spark.sql.leafNodeDefaultParallelism, when set, replaces the cluster's figure in
    # range()'s partition count: the plan would then not say how many slots there are.
    if conf.text("spark.sql.leafNodeDefaultParallelism") is None:
        splits = _range_splits(session)
        if splits is not None:
            return splits
    return FALLBACK_TASK_SLOTS


def run_python_tasks(
    session: Any, inputs: Sequence[bytes], fn: Callable[[bytes], bytes], tag: str
) -> list[bytes]:
    """``[fn(x) for x in inputs]``, each call in its own Spark task, all in one tagged job.

    The job is ``session.range(n, numPartitions=n).mapInArrow(...)``: partition ``i``
    runs ``fn(inputs[i])`` in a Python worker of the cluster, so up to
    :func:`connect_task_slots` calls run at the same time. The outputs come back in
    the order of ``inputs`` once every task has ended. Blocks the calling thread.

    ``fn`` travels to the workers pickled by pyspark's cloudpickle, together with
    every input (each task receives all of them: keep them small, such as a slot
    number and an address to connect back to; large data is better fetched by the
    task). A function from a module the workers cannot import must be registered with
    ``pyspark.cloudpickle.register_pickle_by_value(module)``.

    The job carries ``tag``, added in the calling thread for the job's duration
    (tags are per thread in the Connect client), so :func:`cancel_tag` from any
    thread interrupts it. An exception raised by ``fn`` fails its task, and Spark
    retries a failed task before it gives up on the job (``spark.task.maxFailures``:
    once in ``local[N]``, 4 times on a cluster), so ``fn`` should catch its own
    exceptions and report them in its output. Raises :class:`SparkTasksCancelledError`
    when the job was interrupted and :class:`SparkTasksError` when it failed for any
    other reason, including a session stopped while the job ran (the server then
    interrupts the job); the error from pyspark or grpc is its ``__cause__``.
    """
    where = "run_python_tasks"
    _check_tag(tag, where)
    if not callable(fn):
        raise InvalidArgumentError(f"{where}: fn must be callable; got fn={fn!r}.")
    if isinstance(inputs, (bytes, bytearray, str)) or not isinstance(inputs, Sequence):
        raise InvalidArgumentError(
            f"{where}: inputs must be a list of bytes, one per task; got inputs={inputs!r}."
        )
    for index, value in enumerate(inputs):
        if not isinstance(value, bytes):
            raise InvalidArgumentError(
                f"{where}: every input must be bytes; got inputs[{index}]={value!r}."
            )
    count = len(inputs)
    if count == 0:
        return []
    frame = session.range(0, count, 1, count).mapInArrow(
        _task_body(fn, list(inputs)), _OUTPUT_SCHEMA
    )
    # The thread may carry the tag already (the caller's own): then it stays.
    had_tag = tag in session.getTags()
    session.addTag(tag)
    try:
        rows = frame.collect()
    except Exception as exc:
        # Whatever stopped the job (a task, Spark, the server, the connection, a
        # session stopped meanwhile: grpc's own ValueError then) reaches the caller
        # as one of two errors, with the original as its cause.
        if _was_cancelled(exc):
            raise SparkTasksCancelledError(
                f"{where}: the Spark job tagged {tag!r} was interrupted (cancel_tag); "
                f"Spark said: {_summary(exc)}"
            ) from exc
        hint = (
            " fn raised in a task (after Spark's retries, if any): catch exceptions in fn and "
            "return them in its output."
            if _is_python_error(exc)
            else ""
        )
        raise SparkTasksError(
            f"{where}: the Spark job tagged {tag!r} failed: {_summary(exc)}.{hint}"
        ) from exc
    finally:
        if not had_tag:
            session.removeTag(tag)
    outputs: list[bytes | None] = [None] * count
    for row in rows:
        outputs[row["index"]] = bytes(row["output"])
    missing = [index for index, output in enumerate(outputs) if output is None]
    if missing:  # Spark returns each partition's rows once; this would be a bug
        raise SparkTasksError(
            f"{where}: the Spark job tagged {tag!r} returned no output for inputs {missing}."
        )
    return [output for output in outputs if output is not None]


def cancel_tag(session: Any, tag: str) -> list[str]:
    """Interrupt every running operation of ``session`` tagged ``tag``; their ids.

    Returns at once (about 10 ms). The thread blocked in :func:`run_python_tasks`
    then raises :class:`SparkTasksCancelledError` within tens of milliseconds, and
    Spark kills the Python workers running ``fn`` a few seconds later (3.5 s here:
    it interrupts the task, waits ``spark.python.task.killTimeout``, then kills),
    so ``fn`` must not count on running to its end. Spark tasks still queued never
    start.

    Only operations already submitted are interrupted: a job started after this call
    runs, even with the same tag, so a caller that may cancel before its job starts
    must remember that it did (and call again) rather than rely on the tag.
    """
    _check_tag(tag, "cancel_tag")
    return list(session.interruptTag(tag))


class _ConfReader:
    """``session.conf`` read leniently: unset, unreadable or malformed values are None."""

    def __init__(self, session: Any) -> None:
        self._conf = session.conf

    def text(self, key: str) -> str | None:
        try:
            value = self._conf.get(key, None)
        except Exception:  # a server may refuse to show a setting: treat it as unset
            return None
        return None if value is None else str(value).strip()

    def positive_int(self, key: str) -> int | None:
        value = self.text(key)
        if value is None or not value.isdigit() or int(value) < 1:
            return None
        return int(value)


def _cores_of_master(master: str | None) -> int | None:
    """Cores a local master URL gives, or None (not local, or ``local[*]``)."""
    if master is None:
        return None
    cluster = _LOCAL_CLUSTER.fullmatch(master)
    if cluster is not None:
        return int(cluster.group(1)) * int(cluster.group(2))
    local = _LOCAL.fullmatch(master)
    if local is None:
        return None
    threads = local.group(1)
    if threads is None:
        return 1
    if threads == "*":  # the server machine's cores, which this client cannot see
        return None
    return int(threads) or None


def _range_splits(session: Any) -> int | None:
    """The server's defaultParallelism, from the physical plan of ``session.range(1)``."""
    frame = session.range(1)
    # DataFrame.explain only prints; the Connect DataFrame's _explain_string returns
    # the same text (a classic DataFrame has no such method: then no figure).
    explain = getattr(frame, "_explain_string", None)
    if explain is None:
        return None
    try:
        plan = explain()
    except Exception:  # planning failed (e.g. the server went away): no figure
        return None
    match = _RANGE_SPLITS.search(str(plan))
    return int(match.group(1)) if match is not None and int(match.group(1)) > 0 else None


def _task_body(
    fn: Callable[[bytes], bytes], inputs: list[bytes]
) -> Callable[[Iterator[Any]], Iterator[Any]]:
    """The mapInArrow function: rows of ``id`` in, rows of ``(index, fn(inputs[id]))`` out.

    A nested function, so cloudpickle ships its code by value: the workers need
    pyarrow but not hopt to run it (``fn`` itself may need more).
    """

    def body(batches: Iterator[Any]) -> Iterator[Any]:
        import pyarrow

        for batch in batches:
            indexes = batch.column(0).to_pylist()
            outputs = []
            for index in indexes:
                output = fn(inputs[index])
                if not isinstance(output, bytes):
                    raise TypeError(
                        f"run_python_tasks: fn must return bytes; got {type(output).__name__} "
                        f"for inputs[{index}]."
                    )
                outputs.append(output)
            yield pyarrow.RecordBatch.from_arrays(
                [pyarrow.array(indexes, pyarrow.int64()), pyarrow.array(outputs, pyarrow.binary())],
                names=["index", "output"],
            )

    return body


def _check_tag(tag: Any, where: str) -> None:
    # Spark's own rule for job tags: a non-empty string without commas.
    if not isinstance(tag, str) or tag == "" or "," in tag:
        raise InvalidArgumentError(
            f"{where}: tag must be a non-empty string without commas; got tag={tag!r}."
        )


def _is_python_error(exc: BaseException) -> bool:
    """True for pyspark's PythonException: Python code in a task raised."""
    # Checked by name so that this module imports no pyspark at load time.
    return any(
        cls.__module__.startswith("pyspark.") and cls.__name__ == "PythonException"
        for cls in type(exc).__mro__
    )


def _was_cancelled(exc: BaseException) -> bool:
    # Seen: OPERATION_CANCELED, for a job interrupted with tasks running and for one
    # still waiting for a free slot (the other jobs ran on). Any condition naming a
    # cancellation counts, in case a server words it differently.
    get_condition = getattr(exc, "getCondition", None)
    condition = get_condition() if callable(get_condition) else None
    return isinstance(condition, str) and "CANCEL" in condition.upper()


def _summary(exc: BaseException) -> str:
    """The error in one line: Spark's first line and, for a Python error, its last."""
    text = str(exc).split("\nJVM stacktrace:", 1)[0]
    details = _GRPC_DETAILS.search(text)
    if details is not None:  # a gRPC call's repr, many lines: its details say it all
        return f"{type(exc).__name__}: {details.group(1)}"
    # the SQLSTATE suffix says nothing a reader of a failed trial needs
    lines = [_SQLSTATE.sub("", line).strip() for line in text.splitlines()]
    lines = [line for line in lines if line]
    if not lines:
        return type(exc).__name__
    if not _is_python_error(exc) and not type(exc).__module__.startswith("pyspark."):
        lines[0] = f"{type(exc).__name__}: {lines[0]}"
    if len(lines) == 1:
        return lines[0]
    return f"{lines[0]} ... {lines[-1]}"
