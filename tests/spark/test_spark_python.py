"""Which Python Spark runs trials in: a user's virtualenv need not be activated.

Each test starts its own Spark (a fresh process: one SparkContext per process),
with `python3` on PATH being a bare virtualenv without hopt, as when a user runs
`.venv/bin/python script.py` without activating `.venv`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import venv

import pytest
from conftest import MASTER

pytestmark = pytest.mark.skipif(
    not MASTER.startswith("local["), reason="starts its own local Spark; run once, in local mode"
)


@pytest.fixture(scope="module")
def path_without_hopt(tmp_path_factory):
    """A PATH whose `python3` is a bare virtualenv (no hopt, no numpy)."""
    where = tmp_path_factory.mktemp("bare-venv")
    venv.EnvBuilder(with_pip=False).create(where)
    check = subprocess.run([str(where / "bin" / "python3"), "-c", "import hopt"],
                           capture_output=True)  # fmt: skip
    assert check.returncode != 0, "the bare virtualenv must not have hopt"
    return f"{where / 'bin'}{os.pathsep}{os.environ['PATH']}"


def run_driver(code: str, path: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYSPARK_")}
    env["PATH"] = path
    env.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env,
                          capture_output=True, text=True, timeout=300)  # fmt: skip


def test_a_session_hopt_creates_runs_trials_in_the_drivers_python(path_without_hopt):
    done = run_driver(
        """
        import sys
        from hopt import SparkTrials, fmin, hp, rand
        trials = SparkTrials(parallelism=1)  # no session yet: hopt creates a local one
        trials._spark.sparkContext.setLogLevel("ERROR")
        fmin(lambda x: x ** 2, hp.uniform("x", -1, 1), algo=rand.suggest, max_evals=2,
             trials=trials, rstate=0, show_progressbar=False)
        import os
        print(trials.count_successful_trials(), trials._spark.sparkContext.pythonExec
              == sys.executable, "PYSPARK_PYTHON" in os.environ)
        """,
        path_without_hopt,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split()[-3:] == ["2", "True", "False"], "and the variable is not left set"


def test_executors_without_hopt_stop_the_run_at_once_saying_what_to_do(path_without_hopt):
    done = run_driver(
        """
        import shutil
        from pyspark.sql import SparkSession
        from hopt import SparkTrials, fmin, hp, rand
        from hopt.exceptions import AllTrialsFailedError
        import os
        os.environ["PYSPARK_PYTHON"] = shutil.which("python3")  # the bare virtualenv
        spark = (SparkSession.builder.master("local[1]")
                 .config("spark.ui.enabled", "false").getOrCreate())
        spark.sparkContext.setLogLevel("OFF")
        trials = SparkTrials(parallelism=1, spark_session=spark)
        try:
            fmin(lambda x: x ** 2, hp.uniform("x", -1, 1), algo=rand.suggest, max_evals=20,
                 trials=trials, rstate=0, show_progressbar=False)
        except AllTrialsFailedError as exc:
            print("RAISED", exc)
        print("RAN", trials.count_failed_trials())
        """,
        path_without_hopt,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    # (hopt itself may import from the working directory; numpy cannot)
    assert "RAISED" in done.stdout and "cannot import 'numpy'" in done.stdout
    assert "PYSPARK_PYTHON" in done.stdout
    ran = int(done.stdout.split("RAN")[-1].split()[0])
    # slot tasks fail before any trial runs (0); a batch job records its trials (1 or 2)
    assert ran <= 2, f"the run stops after the first failed job, not after {ran} trials"
