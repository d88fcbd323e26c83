"""Faults on a real cluster: a killed executor JVM; a script's objective in ``__main__``."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from hopt import JOB_STATE_DONE, fmin, hp, rand
from hopt.trials.spark import SparkTrials

SPACE = {"x": hp.uniform("x", 0, 1)}


def _executor_jvm_pid(python_worker_pid: int) -> int | None:
    """The JVM above a Python worker: worker -> pyspark.daemon -> executor JVM."""
    pid = python_worker_pid
    for _ in range(4):
        stat = Path(f"/proc/{pid}/stat").read_text()
        pid = int(stat.rsplit(")", 1)[1].split()[1])  # the parent pid field
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        if b"java" in cmdline.split(b"\0")[0]:
            return pid
    return None


def test_trial_survives_its_executor_being_killed(spark, is_cluster, tmp_path):
    if not is_cluster:
        pytest.skip("local[N] runs tasks inside the driver JVM: there is no executor to kill")
    marker = tmp_path / "worker.pid"

    def first_call_hangs(params):
        # The first trial to arrive records its process and waits to be killed;
        # its re-run on a new executor (and every other trial) returns at once.
        try:
            with open(marker, "x") as f:
                f.write(str(os.getpid()))
        except FileExistsError:
            return params["x"]
        time.sleep(120)
        return params["x"]

    killed: list[int] = []

    def kill_the_executor():
        deadline = time.monotonic() + 120
        while not marker.exists() or not marker.read_text():
            if time.monotonic() > deadline:
                return
            time.sleep(0.1)
        jvm = _executor_jvm_pid(int(marker.read_text()))
        if jvm is not None:
            os.kill(jvm, signal.SIGKILL)
            killed.append(jvm)

    killer = threading.Thread(target=kill_the_executor, daemon=True)
    killer.start()
    trials = SparkTrials(parallelism=2, spark_session=spark)
    fmin(
        first_call_hangs,
        SPACE,
        algo=rand.suggest,
        max_evals=4,
        trials=trials,
        rstate=0,
        show_progressbar=False,
    )
    killer.join(timeout=5)
    assert killed, "the executor JVM was not found"
    # no trial lost, none counted twice: each tid once, each one finished
    assert sorted(trials.tids) == [0, 1, 2, 3]
    assert all(t["state"] == JOB_STATE_DONE for t in trials.trials)
    statuses = [t["result"]["status"] for t in trials.trials]
    # the killed trial was re-run by Spark on a new executor (or recorded as failed)
    assert statuses.count("ok") >= 3
    for trial in trials.trials:
        if trial["result"]["status"] != "ok":
            assert trial["result"]["error"]["type"] == "SparkJobError"


SCRIPT = """
import sys
from pyspark.sql import SparkSession
from hopt import fmin, hp, tpe
from hopt.trials.spark import SparkTrials

SCALE = 3.0


def objective(x):  # defined in __main__: must travel to executors by value
    return SCALE * (x - 0.25) ** 2


spark = (SparkSession.builder.master(sys.argv[1]).appName("hopt-main-script")
         .config("spark.ui.enabled", "false")
         .config("spark.ui.showConsoleProgress", "false")
         .config("spark.pyspark.python", sys.executable).getOrCreate())
trials = SparkTrials(parallelism=2, spark_session=spark)
best = fmin(objective, hp.uniform("x", 0, 1), algo=tpe.suggest, max_evals=6,
            trials=trials, rstate=0, show_progressbar=False)
print("RESULT", len(trials), trials.count_successful_trials(), best["x"])
spark.stop()
"""


def test_objective_defined_in_a_script_main_runs_on_executors(spark, spark_master, tmp_path):
    if spark_master.startswith("spark://"):
        pytest.skip("a second application would wait for the worker's cores held by this one")
    script = tmp_path / "tune.py"
    script.write_text(textwrap.dedent(SCRIPT))
    env = dict(os.environ, SPARK_LOCAL_IP="127.0.0.1", PYSPARK_PYTHON=sys.executable)
    done = subprocess.run(
        [sys.executable, str(script), "local[2]"],
        capture_output=True,
        text=True,
        timeout=240,
        env=env,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    line = [row for row in done.stdout.splitlines() if row.startswith("RESULT")][0]
    _, n, ok, _ = line.split()
    assert (n, ok) == ("6", "6")


def test_a_trial_that_crashes_its_python_worker_fails_alone(spark, tmp_path, caplog):
    # Trials started together share one Spark job, and Spark aborts a whole job
    # when one task fails for good; the others must be re-run, not lost.
    def crashes_at_minus_one(params):
        if params["x"] == -1.0:
            os._exit(3)  # kills the Python worker: Spark fails the task (every attempt)
        if params["x"] == 0.5:
            first_run = tmp_path / "first-run"
            if not first_run.exists():  # still running when Spark gives up on the job
                first_run.touch()
                time.sleep(30)
        return params["x"]

    trials = SparkTrials(parallelism=2, spark_session=spark, mode="jobs")
    caplog.set_level(logging.WARNING, logger="hopt.spark")
    fmin(
        crashes_at_minus_one,
        {"x": hp.uniform("x", -1, 1)},
        algo=rand.suggest,
        max_evals=4,
        trials=trials,
        points_to_evaluate=[{"x": -1.0}, {"x": 0.5}],
        rstate=0,
        show_progressbar=False,
    )
    assert sorted(trials.tids) == [0, 1, 2, 3]
    by_x = {t["misc"]["vals"]["x"][0]: t for t in trials.trials}
    crashed = by_x[-1.0]
    assert crashed["state"] == JOB_STATE_DONE
    assert crashed["result"]["status"] == "fail"
    assert crashed["result"]["error"]["type"] == "SparkJobError"
    # its batch-mate was re-run and finished normally, as did every other trial
    others = [t for x, t in by_x.items() if x != -1.0]
    assert [t["result"]["status"] for t in others] == ["ok"] * 3
    assert by_x[0.5]["result"]["loss"] == 0.5
    assert "re-running its unfinished trials [0, 1] one per job" in caplog.text
