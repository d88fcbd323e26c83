"""What hopt.trials.spark.connect decides without a server: slots from configuration,
argument checks, and telling sessions apart without importing the Connect client.

connect_task_slots reads a session's ``conf`` and the plan of ``range(1)``; a small fake
with those two stands in for the session here, and test_connect_tasks.py checks the
same function against the real server.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from hopt.exceptions import InvalidArgumentError
from hopt.trials.spark.connect import (
    FALLBACK_TASK_SLOTS,
    cancel_tag,
    connect_task_slots,
    is_connect_session,
    run_python_tasks,
)

RANGE_PLAN = "== Physical Plan ==\n*(1) Range (0, 1, step=1, splits={})\n\n"


class FakeConf:
    def __init__(self, values):
        self.values = values

    def get(self, key, default=None):
        value = self.values.get(key, default)
        if isinstance(value, Exception):
            raise value
        return value


class FakeFrame:
    def __init__(self, plan):
        self.plan = plan

    def _explain_string(self):
        if isinstance(self.plan, Exception):
            raise self.plan
        return self.plan


class FakeSession:
    """``conf.get`` and ``range(1)._explain_string()``, as connect_task_slots uses them."""

    def __init__(self, conf, plan):
        self.conf = FakeConf(conf)
        self.plan = plan

    def range(self, *args):
        return FakeFrame(self.plan)


@pytest.mark.parametrize(
    "conf, plan, slots",
    [
        ({"spark.default.parallelism": "8", "spark.master": "local[2]"}, None, 8),
        ({"spark.master": "local[3]"}, None, 3),
        ({"spark.master": "local"}, None, 1),
        ({"spark.master": "local[4,3]"}, None, 4),
        ({"spark.master": "local[4]", "spark.task.cpus": "2"}, None, 2),
        ({"spark.master": "local-cluster[2, 3, 1024]"}, None, 6),
        ({"spark.master": "local[*]"}, RANGE_PLAN.format(6), 6),
        (
            {"spark.master": "yarn", "spark.executor.instances": "3", "spark.executor.cores": "4"},
            None,
            12,
        ),
        ({"spark.master": "spark://10.0.0.1:7077"}, RANGE_PLAN.format(16), 16),
        ({"spark.master": "spark://host:7077", "spark.executor.instances": "3"}, "x", 2),
        ({"spark.default.parallelism": "many", "spark.master": "local[3]"}, None, 3),
        ({"spark.default.parallelism": "0", "spark.master": "local[3]"}, None, 3),
        ({"spark.master": RuntimeError("hidden")}, RANGE_PLAN.format(5), 5),
        (
            {"spark.master": "local[*]", "spark.sql.leafNodeDefaultParallelism": "7"},
            RANGE_PLAN.format(7),
            FALLBACK_TASK_SLOTS,
        ),
        ({"spark.master": "local[*]"}, RuntimeError("server gone"), FALLBACK_TASK_SLOTS),
        ({}, "== Physical Plan ==\nno range here", FALLBACK_TASK_SLOTS),
    ],
    ids=[
        "default-parallelism-first",
        "local-n",
        "local",
        "local-n-with-retries",
        "task-cpus-divide",
        "local-cluster",
        "local-star-asks-the-server",
        "executors-times-cores",
        "standalone-asks-the-server",
        "half-an-executor-setting-is-ignored",
        "malformed-parallelism-ignored",
        "zero-parallelism-ignored",
        "unreadable-setting-is-unset",
        "leaf-node-parallelism-hides-the-slots",
        "failed-plan-falls-back",
        "unknown-plan-falls-back",
    ],
)
def test_connect_task_slots_reads_the_configuration_then_the_server(conf, plan, slots):
    # plan None: the test expects the configuration alone to decide
    fake = FakeSession(conf, AssertionError("the plan was not needed") if plan is None else plan)
    assert connect_task_slots(fake) == slots


def test_fallback_task_slots_is_sparks_own_cluster_floor():
    assert FALLBACK_TASK_SLOTS == 2


def _double(data: bytes) -> bytes:
    return data * 2


@pytest.mark.parametrize(
    "inputs, fn, tag, message",
    [
        (
            [b"a"],
            _double,
            "",
            "run_python_tasks: tag must be a non-empty string without commas; got tag=''.",
        ),
        (
            [b"a"],
            _double,
            "a,b",
            "run_python_tasks: tag must be a non-empty string without commas; got tag='a,b'.",
        ),
        (
            [b"a"],
            _double,
            7,
            "run_python_tasks: tag must be a non-empty string without commas; got tag=7.",
        ),
        ([b"a"], "fn", "t", "run_python_tasks: fn must be callable; got fn='fn'."),
        (
            b"ab",
            _double,
            "t",
            "run_python_tasks: inputs must be a list of bytes, one per task; got inputs=b'ab'.",
        ),
        (
            None,
            _double,
            "t",
            "run_python_tasks: inputs must be a list of bytes, one per task; got inputs=None.",
        ),
        (
            [b"a", "b"],
            _double,
            "t",
            "run_python_tasks: every input must be bytes; got inputs[1]='b'.",
        ),
    ],
    ids=["empty-tag", "comma-tag", "int-tag", "fn", "bytes-inputs", "no-inputs", "str-input"],
)
def test_run_python_tasks_checks_its_arguments_before_spark_sees_them(inputs, fn, tag, message):
    with pytest.raises(InvalidArgumentError) as caught:
        run_python_tasks(None, inputs, fn, tag)  # no session needed to refuse them
    assert str(caught.value) == message


def test_run_python_tasks_with_no_inputs_runs_no_job():
    assert run_python_tasks(None, [], _double, "t") == []


def test_cancel_tag_checks_the_tag():
    with pytest.raises(InvalidArgumentError) as caught:
        cancel_tag(None, "x,y")
    assert str(caught.value) == (
        "cancel_tag: tag must be a non-empty string without commas; got tag='x,y'."
    )


def test_is_connect_session_is_false_for_other_objects():
    assert is_connect_session(object()) is False
    assert is_connect_session(None) is False


def test_is_connect_session_imports_no_connect_module():
    # A fresh interpreter with classic pyspark imported: no Connect module may load.
    code = (
        "import sys, pyspark.sql\n"
        "from hopt.trials.spark.connect import is_connect_session\n"
        "assert is_connect_session(object()) is False\n"
        "assert is_connect_session(None) is False\n"
        "loaded = [m for m in sys.modules if m.startswith('pyspark.sql.connect')]\n"
        "loaded += [m for m in ('pandas', 'pyarrow', 'grpc') if m in sys.modules]\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
