"""examples/spark_trials.py, in a subprocess with its own local[2] driver.

It runs once, in the local[2] pass of the Spark suite: on the standalone cluster the
suite's own application holds the worker's cores, and a second application would
wait for them.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from test_examples import check_example_output, run_example  # noqa: E402


def test_spark_example_runs(spark_master, tmp_path):
    if not spark_master.startswith("local["):
        pytest.skip("runs in the local[N] pass only (its own driver needs free cores)")
    run = run_example("spark_trials.py", "--master", "local[2]", "--parallelism", "2",
                      tmp_path=tmp_path)  # fmt: skip
    check_example_output("spark_trials.py", run, tmp_path)
    assert "3 trials ok" in run.stdout
