"""SparkTrials through a Spark Connect session: what a user on Spark Connect sees."""

from __future__ import annotations

import contextlib
import functools
import os
import re
import threading
import time

import pytest

import hopt
from hopt import JOB_STATE_CANCEL, STATUS_OK, fmin, hp, rand, tpe
from hopt.exceptions import InvalidArgumentError
from hopt.testing.reporting import reports_until_stopped
from hopt.testing.waits import fmin_in_thread, running_trial, wait_for
from hopt.trials.spark import SparkTrials

SPACE = {"x": hp.uniform("x", -3, 3)}


def test_slot_tasks_run_the_trials_through_spark_connect(connect_session):
    trials = SparkTrials(parallelism=2, spark_session=connect_session)
    assert trials.parallelism == 2  # local[2] read from the server's configuration
    fmin(lambda p: (p["x"] - 1) ** 2, SPACE, algo=rand.suggest, max_evals=8, trials=trials,
         rstate=0, show_progressbar=False)  # fmt: skip
    assert trials.count_successful_trials() == 8
    owners = {t["owner"] for t in trials.trials}
    assert 1 <= len(owners) <= 2 and not any(o.endswith(f":{os.getpid()}") for o in owners)
    assert all(t["attempts"] == 1 for t in trials.trials), "one slot task ran trial after trial"


def test_reports_arrive_live_and_a_stop_request_reaches_the_trial(connect_session):
    trials = SparkTrials(parallelism=1, spark_session=connect_session)
    join = fmin_in_thread(fn=reports_until_stopped, space=SPACE, algo=rand.suggest, max_evals=1,
                          trials=trials, rstate=0)  # fmt: skip
    running = wait_for(
        lambda: (t := running_trial(trials)) and len(t.get("reports", [])) >= 3 and t,
        90,
        "three live reports of the running trial",
    )
    assert trials.request_stop(running["tid"])
    join(60)
    (trial,) = trials.trials
    assert trial["result"]["stopped"] is True
    assert [r["step"] for r in trial["reports"]] == list(range(len(trial["reports"])))


def test_one_job_per_trial_mode_returns_results_and_reports(connect_session):
    def reports(params):
        hopt.report(5.0, step=0)
        return params["x"] ** 2

    trials = SparkTrials(parallelism=2, spark_session=connect_session, mode="jobs")
    fmin(reports, SPACE, algo=rand.suggest, max_evals=4, trials=trials, rstate=1,
         show_progressbar=False)  # fmt: skip
    assert trials.statuses() == [STATUS_OK] * 4
    assert all([r["value"] for r in t["reports"]] == [5.0] for t in trials.trials)


def test_two_objectives_and_a_constraint_come_back_through_spark_connect(connect_session):
    def objective(params):
        x = params["x"]
        losses = [(x - 1) ** 2, (x + 1) ** 2] + ([0.0] if x == -2.0 else [])  # -2: three
        return {"loss": losses, "status": STATUS_OK, "constraints": [x - 0.5]}

    trials = SparkTrials(parallelism=2, spark_session=connect_session)
    points = [{"x": 0.9}, {"x": 0.0}, {"x": -2.0}]
    best = fmin(objective, SPACE, algo=functools.partial(tpe.suggest, n_startup_jobs=4),
                max_evals=10, trials=trials, rstate=0, n_objectives=2,
                points_to_evaluate=points, show_progressbar=False)  # fmt: skip
    by_x = {t["misc"]["vals"]["x"][0]: t["result"] for t in trials.trials}
    assert by_x[-2.0]["error"]["type"] == "InvalidLossError"
    assert "3 losses, but this search has 2 objectives" in by_x[-2.0]["error"]["message"]
    ok = {x: r for x, r in by_x.items() if r["status"] == STATUS_OK}
    assert len(ok) == 9
    for x, result in ok.items():
        assert result["loss"] == [(x - 1) ** 2, (x + 1) ** 2]
        assert result["feasible"] is (x <= 0.5)
    front = trials.best_trials
    assert front and all(t["result"]["feasible"] for t in front)
    assert 0.9 not in [t["misc"]["vals"]["x"][0] for t in front]
    assert best == {"x": trials.best_trial["misc"]["vals"]["x"][0]}


def test_trial_timeout_and_fmin_timeout_leave_nothing_running(connect_session, tmp_path):
    finished = tmp_path / "finished"
    timed_out = tmp_path / "finished-past-trial-timeout"

    def one_hangs(params):
        if params["x"] == 2.0:
            time.sleep(20)
            timed_out.touch()  # must never happen: the trial's task is cancelled
        return params["x"] ** 2

    trials = SparkTrials(parallelism=2, spark_session=connect_session, trial_timeout=3)
    first_started = time.monotonic()
    fmin(one_hangs, SPACE, algo=rand.suggest, max_evals=5, trials=trials, rstate=2,
         points_to_evaluate=[{"x": 2.0}], show_progressbar=False)  # fmt: skip
    by_x = {t["misc"]["vals"]["x"][0]: t for t in trials.trials}
    assert by_x[2.0]["result"]["error"]["type"] == "TrialTimeoutError"
    assert trials.count_successful_trials() == 4

    def slow(params):
        time.sleep(20)
        finished.touch()
        return 0.0

    trials = SparkTrials(parallelism=2, spark_session=connect_session)
    started = time.monotonic()
    fmin(slow, SPACE, algo=rand.suggest, max_evals=4, timeout=3, trials=trials, rstate=3,
         show_progressbar=False, return_argmin=False)  # fmt: skip
    assert time.monotonic() - started < 45
    assert {t["state"] for t in trials._dynamic_trials} == {JOB_STATE_CANCEL}
    # Spark kills a cancelled task's Python worker about 3.5 s after the cancel; wait at
    # least that, and until the hanging trial of the first run would have ended (20 s)
    time.sleep(max(8.0, 22.0 - (time.monotonic() - first_started)))
    assert not timed_out.exists(), "the trial past trial_timeout ran on to its end"
    assert not finished.exists(), "a trial cancelled by fmin's timeout ran on to its end"


def test_an_unpicklable_objective_fails_before_any_trial_runs(connect_session):
    lock = threading.Lock()

    def holds_a_lock(params):
        with lock:
            return params["x"]

    trials = SparkTrials(parallelism=2, spark_session=connect_session)
    with pytest.raises(InvalidArgumentError, match="cannot be pickled"):
        fmin(holds_a_lock, SPACE, algo=rand.suggest, max_evals=2, trials=trials,
             show_progressbar=False)  # fmt: skip
    assert len(trials._dynamic_trials) == 0


def test_a_killed_client_leaves_no_trial_running_on_the_server(connect_session, tmp_path):
    # The Connect server runs a dead client's job on; the slot task must end itself.
    import signal
    import subprocess
    import sys
    import textwrap

    started, finished = tmp_path / "started", tmp_path / "finished"
    script = textwrap.dedent(
        f"""
        import time
        from pyspark.sql import SparkSession
        from hopt import fmin, hp, rand
        from hopt.trials.spark import SparkTrials

        def slow(params):
            open({str(started)!r}, "w").close()
            time.sleep(10)
            open({str(finished)!r}, "w").close()
            return 0.0

        spark = SparkSession.builder.remote({os.environ["SPARK_CONNECT_URL"]!r}).getOrCreate()
        fmin(slow, hp.uniform("x", 0, 1), algo=rand.suggest, max_evals=1,
             trials=SparkTrials(parallelism=1, spark_session=spark), show_progressbar=False)
        """
    )
    client = subprocess.Popen([sys.executable, "-c", script], stderr=subprocess.DEVNULL)
    try:
        wait_for(started.exists, 90, "the trial to start on the server")
        t_kill = time.monotonic()
        client.send_signal(signal.SIGKILL)
        client.wait(10)
        time.sleep(max(0.0, 12 - (time.monotonic() - t_kill)))
        assert not finished.exists(), "the trial ran on after its client was killed"
    finally:
        if client.poll() is None:
            client.kill()


def test_jobs_mode_hands_out_no_more_trials_than_slots_and_the_bar_says_so(connect_session):
    from hopt.trials.spark.connect import connect_task_slots

    slots = connect_task_slots(connect_session)  # what SparkTrials itself reads
    postfixes: list[str] = []

    class Bar:
        def update(self, n=1):
            pass

        def set_postfix_str(self, text, refresh=True):
            postfixes.append(text)

    @contextlib.contextmanager
    def progress(initial, total):
        yield Bar()

    def objective(params):
        time.sleep(0.3)
        return params["x"] ** 2

    trials = SparkTrials(parallelism=slots + 2, spark_session=connect_session, mode="jobs")
    with pytest.warns(UserWarning, match="task slots"):
        fmin(objective, SPACE, algo=tpe.suggest, max_evals=2 * slots + 2, trials=trials,
             rstate=5, show_progressbar=progress)  # fmt: skip
    assert trials.count_successful_trials() == 2 * slots + 2
    events = sorted(
        [(t["book_time"], 1) for t in trials.trials] + [(t["end_time"], -1) for t in trials.trials]
    )
    depth = peak = 0
    for _, step in events:
        depth += step
        peak = max(peak, depth)
    assert peak <= slots, "more trials handed to Spark than it has slots"
    # no status tracker through Connect: a submitted trial counts as running
    running = [int(m.group(1)) for p in postfixes if (m := re.search(r"running: (\d+)", p))]
    assert running and max(running) <= slots
    assert all("queued: " in p for p in postfixes), postfixes
