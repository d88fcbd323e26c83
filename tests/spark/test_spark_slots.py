"""Slot tasks and the driver channel, on real Spark: what a user of SparkTrials sees.

Runs in all three Spark passes (local, local-cluster, standalone; see conftest).
"""

from __future__ import annotations

import logging
import os
import threading
import time

import pytest

import hopt
from hopt import JOB_STATE_CANCEL, JOB_STATE_DONE, JOB_STATE_NEW, STATUS_OK, fmin, hp, rand
from hopt.exceptions import AllTrialsFailedError
from hopt.testing.reporting import reports_until_stopped
from hopt.testing.waits import fmin_in_thread, running_trial, wait_for
from hopt.trials.spark import SparkTrials

SPACE = {"x": hp.uniform("x", -3, 3)}


def assert_no_active_jobs(spark):
    """Nothing of the run is left running in Spark (a finished job can take a moment to show)."""
    tracker = spark.sparkContext.statusTracker()
    wait_for(lambda: not tracker.getActiveJobsIds(), 10, "Spark's active jobs to end")


def test_slot_tasks_run_many_trials_each_in_a_python_worker_of_their_own(spark):
    trials = SparkTrials(parallelism=2, spark_session=spark)
    fmin(lambda p: (p["x"] - 1) ** 2, SPACE, algo=rand.suggest, max_evals=16, trials=trials,
         rstate=0, show_progressbar=False)  # fmt: skip
    assert trials.count_successful_trials() == 16
    owners = [t["owner"] for t in trials.trials]
    driver = f":{os.getpid()}"
    assert all(owner and not owner.endswith(driver) for owner in owners), owners
    # one task per slot ran trial after trial: at most 2 Python workers for 16 trials
    assert 1 <= len(set(owners)) <= 2, owners
    assert all(t.get("attempts") == 1 for t in trials.trials)
    assert_no_active_jobs(spark)


def test_reports_reach_the_driver_while_the_trial_runs(spark, tmp_path):
    release = tmp_path / "release"

    def learns(params):
        for epoch in range(3):
            hopt.report(10.0 - epoch, step=epoch)
        while not os.path.exists(release):  # the test reads the reports meanwhile
            time.sleep(0.05)
        return 7.0

    trials = SparkTrials(parallelism=1, spark_session=spark)
    join = fmin_in_thread(fn=learns, space=SPACE, algo=rand.suggest, max_evals=1, trials=trials)
    try:
        running = wait_for(
            lambda: (t := running_trial(trials)) and len(t.get("reports", [])) == 3 and t,
            60,
            "three reports of the running trial",
        )
        assert [r["step"] for r in running["reports"]] == [0, 1, 2]
        assert [r["value"] for r in running["reports"]] == [10.0, 9.0, 8.0]
    finally:
        release.touch()
    join()
    (trial,) = trials.trials
    assert trial["result"] == {"loss": 7.0, "status": STATUS_OK}
    assert len(trial["reports"]) == 3


def test_a_stop_request_reaches_the_running_trial(spark):
    trials = SparkTrials(parallelism=1, spark_session=spark)
    join = fmin_in_thread(fn=reports_until_stopped, space=SPACE, algo=rand.suggest, max_evals=1,
                         trials=trials)  # fmt: skip
    running = wait_for(lambda: running_trial(trials), 60, "the trial to start")
    asked = time.monotonic()
    assert trials.request_stop(running["tid"])
    join()
    (trial,) = trials.trials
    assert trial["result"]["stopped"] is True, "the objective never saw hopt.should_stop()"
    assert trial["result"]["loss"] == 0.5
    assert time.monotonic() - asked < 30


def test_a_killed_python_worker_gives_its_trial_back_and_loses_none(spark, tmp_path):
    marker = tmp_path / "killed-once"

    def dies_once(params):
        if not marker.exists():
            marker.touch()
            os._exit(7)  # the Python worker dies mid-trial, as on an OOM kill
        return params["x"] ** 2

    trials = SparkTrials(parallelism=2, spark_session=spark)
    fmin(dies_once, SPACE, algo=rand.suggest, max_evals=6, trials=trials, rstate=3,
         show_progressbar=False)  # fmt: skip
    assert trials.count_successful_trials() == 6
    again = [t for t in trials.trials if t.get("attempts", 1) > 1]
    assert len(again) == 1, "exactly the trial whose worker died ran twice"
    assert len(again[0]["lost_owners"]) == 1
    assert_no_active_jobs(spark)


def test_a_trial_that_always_kills_its_worker_fails_after_three_attempts(spark, caplog):
    def crashes_at_minus_one(params):
        if params["x"] == -1.0:
            os._exit(3)
        return params["x"]

    trials = SparkTrials(parallelism=2, spark_session=spark)
    caplog.set_level(logging.WARNING, logger="hopt.spark")
    fmin(crashes_at_minus_one, SPACE, algo=rand.suggest, max_evals=4, trials=trials, rstate=0,
         points_to_evaluate=[{"x": -1.0}], show_progressbar=False)  # fmt: skip
    by_x = {t["misc"]["vals"]["x"][0]: t for t in trials.trials}
    crashed = by_x[-1.0]
    assert crashed["state"] == JOB_STATE_DONE
    assert crashed["result"]["error"]["type"] == "WorkerLostError"
    assert len(crashed["lost_owners"]) == 3
    assert [t["result"]["status"] for x, t in by_x.items() if x != -1.0] == [STATUS_OK] * 3


def test_trial_timeout_stops_the_trial_and_its_slot_runs_on(spark):
    def one_hangs(params):
        if params["x"] == 2.0:
            time.sleep(120)
        return params["x"] ** 2

    trials = SparkTrials(parallelism=2, spark_session=spark, trial_timeout=3)
    started = time.monotonic()
    fmin(one_hangs, SPACE, algo=rand.suggest, max_evals=6, trials=trials, rstate=5,
         points_to_evaluate=[{"x": 2.0}], show_progressbar=False)  # fmt: skip
    assert time.monotonic() - started < 90
    by_x = {t["misc"]["vals"]["x"][0]: t for t in trials.trials}
    assert by_x[2.0]["result"]["error"]["type"] == "TrialTimeoutError"
    assert trials.count_successful_trials() == 5
    assert_no_active_jobs(spark)


def test_fmin_timeout_cancels_running_trials_and_leaves_no_job(spark):
    def slow(params):
        time.sleep(60)
        return 0.0

    trials = SparkTrials(parallelism=2, spark_session=spark)
    started = time.monotonic()
    fmin(slow, SPACE, algo=rand.suggest, max_evals=4, timeout=3, trials=trials, rstate=1,
         show_progressbar=False, return_argmin=False)  # fmt: skip
    assert time.monotonic() - started < 45, "fmin waited for the trials it cancelled"
    # a timeout is no interrupt: nothing is queued again
    assert {t["state"] for t in trials._dynamic_trials} == {JOB_STATE_CANCEL}
    assert_no_active_jobs(spark)


def _unreachable_driver(monkeypatch):
    """Slot tasks get a driver address where nothing listens, as behind a firewall."""
    import socket

    from hopt.trials.spark.channel import ChannelServer

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    monkeypatch.setattr(ChannelServer, "address", property(lambda self: ("127.0.0.1", closed_port)))


def test_when_tasks_cannot_reach_the_driver_auto_falls_back_to_jobs(spark, monkeypatch, caplog):
    _unreachable_driver(monkeypatch)

    def reports(params):
        hopt.report(3.0, step=0)
        return params["x"] ** 2

    trials = SparkTrials(parallelism=2, spark_session=spark)
    caplog.set_level(logging.WARNING, logger="hopt.spark")
    fmin(reports, SPACE, algo=rand.suggest, max_evals=4, trials=trials, rstate=2,
         show_progressbar=False)  # fmt: skip
    assert trials.count_successful_trials() == 4
    assert "cannot reach the driver" in caplog.text and "one Spark job per batch" in caplog.text
    # reports still arrive, with each trial's result
    assert all(
        t["reports"] == [{**t["reports"][0], "step": 0, "value": 3.0}] for t in trials.trials
    )


def test_forced_slot_mode_that_cannot_reach_the_driver_stops_saying_why(spark, monkeypatch):
    _unreachable_driver(monkeypatch)
    trials = SparkTrials(parallelism=1, spark_session=spark, mode="slots")
    with pytest.raises(AllTrialsFailedError, match="mode='slots'.*cannot reach the driver"):
        fmin(lambda p: p["x"], SPACE, algo=rand.suggest, max_evals=3, trials=trials, rstate=2,
             show_progressbar=False)  # fmt: skip


@pytest.mark.parametrize("mode", ["slots", "jobs"])
def test_ctrl_c_stops_every_slot_and_leaves_no_job(spark, mode):
    import _thread

    def slow(params):
        time.sleep(60)
        return 0.0

    trials = SparkTrials(parallelism=2, spark_session=spark, mode=mode)
    interrupt = threading.Timer(4, _thread.interrupt_main)  # what Ctrl-C does to fmin
    started = time.monotonic()
    interrupt.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            fmin(slow, SPACE, algo=rand.suggest, max_evals=4, trials=trials, rstate=1,
                 show_progressbar=False)  # fmt: skip
    finally:
        interrupt.cancel()
    assert time.monotonic() - started < 45, "fmin waited for the trials it cancelled"
    assert_no_active_jobs(spark)
    # the trials whose objective was running did not fail: cancelled, each point queued again
    docs = trials._dynamic_trials
    again = [t for t in docs if t["state"] == JOB_STATE_NEW]
    assert again, "no running trial's point was queued again"
    assert {t["state"] for t in docs} == {JOB_STATE_CANCEL, JOB_STATE_NEW}
    by_tid = {t["tid"]: t for t in docs}
    for copy in again:
        original = by_tid[copy["misc"]["from_tid"]]
        assert original["state"] == JOB_STATE_CANCEL
        assert original["result"]["error"]["type"] == "TrialCancelledError"
        assert copy["misc"]["vals"] == original["misc"]["vals"]

    # a resumed run evaluates those points first, then new ones, up to max_evals
    fmin(lambda p: p["x"] ** 2, SPACE, algo=rand.suggest, max_evals=4, trials=trials, rstate=2,
         show_progressbar=False)  # fmt: skip
    done = [t for t in trials.trials if t["state"] == JOB_STATE_DONE]
    assert len(done) == 4
    resumed = {t["tid"] for t in again}
    assert resumed <= {t["tid"] for t in done}, "a queued-again point was not evaluated"


class PruneAboveFive:
    """Prunes a trial whose latest report is above 5; decided on the driver."""

    def prune(self, trial, trials):
        reports = trial.get("reports") or []
        return bool(reports) and reports[-1]["value"] > 5


def test_the_driver_decides_pruning_as_each_report_arrives(spark):
    def epochs(params):
        for epoch in range(4):
            hopt.report(params["x"] + epoch, step=epoch)
            if hopt.should_prune():
                raise hopt.TrialPruned()
        return params["x"]

    trials = SparkTrials(parallelism=2, spark_session=spark)
    fmin(epochs, SPACE, algo=rand.suggest, max_evals=3, trials=trials, rstate=0,
         points_to_evaluate=[{"x": 3.5}, {"x": 1.0}, {"x": -2.0}], pruner=PruneAboveFive(),
         show_progressbar=False)  # fmt: skip
    by_x = {t["misc"]["vals"]["x"][0]: t for t in trials.trials}
    # 3.5, 4.5, 5.5 > 5 at step 2: pruned there with loss 5.5
    assert by_x[3.5]["result"] == {"loss": 5.5, "status": "pruned", "pruned_step": 2}
    assert [r["step"] for r in by_x[3.5]["reports"]] == [0, 1, 2]
    # 1.0 .. 4.0 never above 5: completes; so does -2
    assert by_x[1.0]["result"] == {"loss": 1.0, "status": STATUS_OK}
    assert by_x[-2.0]["result"]["status"] == STATUS_OK
