"""SparkTrials on a real Spark session (local, local-cluster or standalone; see conftest)."""

from __future__ import annotations

import logging
import os
import pickle
import threading
import time
import warnings

import numpy as np
import pytest

from hopt import (
    JOB_STATE_CANCEL,
    JOB_STATE_DONE,
    JOB_STATE_RUNNING,
    STATUS_OK,
    Trials,
    fmin,
    hp,
    rand,
    tpe,
)
from hopt.early_stop import no_progress_loss
from hopt.exceptions import AllTrialsFailedError, InvalidArgumentError
from hopt.trials.spark import SparkTrials

SPACE = {"x": hp.uniform("x", -3, 3)}


def quadratic(params):
    return (params["x"] - 1) ** 2


def _offset(x):
    """A module-level helper: executors must receive it with the objective."""
    return x + 0.5


def uses_helper(params):
    return _offset(params["x"]) ** 2


def test_fmin_runs_every_trial_and_answers_like_trials(spark):
    trials = SparkTrials(parallelism=2, spark_session=spark)
    best = fmin(
        quadratic,
        SPACE,
        algo=tpe.suggest,
        max_evals=12,
        trials=trials,
        rstate=0,
        show_progressbar=False,
    )
    assert len(trials) == 12
    assert all(t["state"] == JOB_STATE_DONE for t in trials.trials)
    assert trials.count_successful_trials() == 12
    assert trials.count_failed_trials() == 0
    assert sorted(trials.tids) == list(range(12))
    assert best == trials.argmin
    assert trials.best_trial["result"]["loss"] == min(trials.losses())
    assert abs(best["x"] - 1) < 1.5


def test_each_trial_records_the_executor_process_that_ran_it_and_its_times(spark):
    trials = SparkTrials(parallelism=2, spark_session=spark)
    fmin(quadratic, SPACE, algo=rand.suggest, max_evals=4, trials=trials, rstate=0,
         show_progressbar=False)  # fmt: skip
    for trial in trials.trials:
        host, pid = trial["owner"].split(":")[:2]
        assert host and int(pid) != os.getpid(), "a Python worker of Spark, not the driver"
        assert trial["book_time"] <= trial["end_time"]
        assert "__hopt_owner__" not in trial["result"]


def test_objective_using_a_test_module_helper_runs_on_executors(spark):
    trials = SparkTrials(parallelism=2, spark_session=spark)
    fmin(
        uses_helper,
        SPACE,
        algo=rand.suggest,
        max_evals=4,
        trials=trials,
        rstate=1,
        show_progressbar=False,
    )
    for trial in trials.trials:
        x = trial["misc"]["vals"]["x"][0]
        assert trial["result"]["loss"] == pytest.approx((x + 0.5) ** 2)


def test_trials_run_concurrently_up_to_parallelism(spark):
    def slow(params):
        time.sleep(0.8)
        return params["x"] ** 2

    trials = SparkTrials(parallelism=2, spark_session=spark)
    fmin(
        slow, SPACE, algo=tpe.suggest, max_evals=6, trials=trials, rstate=2, show_progressbar=False
    )
    spans = sorted((t["book_time"], t["refresh_time"]) for t in trials.trials)
    # the largest number of trials whose [start, end] intervals overlap at once
    events = sorted([(s, 1) for s, _ in spans] + [(e, -1) for _, e in spans])
    depth = peak = 0
    for _, step in events:
        depth += step
        peak = max(peak, depth)
    assert peak == 2


def failing_for_negative(params):
    if params["x"] < 0:
        raise ValueError(f"objective failed: x={params['x']:.3f}")
    return params["x"]


def test_raising_objective_gives_failed_trials_with_traceback_and_the_run_goes_on(spark):
    trials = SparkTrials(parallelism=2, spark_session=spark)
    fmin(
        failing_for_negative,
        SPACE,
        algo=rand.suggest,
        max_evals=10,
        trials=trials,
        rstate=3,
        show_progressbar=False,
    )
    assert len(trials) == 10
    failed = [t for t in trials.trials if t["result"]["status"] != STATUS_OK]
    assert failed, "seed 3 draws negative x"
    for trial in failed:
        error = trial["result"]["error"]
        assert error["type"] == "ValueError"
        assert "objective failed" in error["message"]
        assert "Traceback" in error["traceback"]
        assert trial["state"] == JOB_STATE_DONE
    assert trials.count_failed_trials() == len(failed)
    assert trials.count_successful_trials() == 10 - len(failed)


def test_raising_objective_is_not_retried_by_spark(spark, tmp_path):
    calls = tmp_path / "calls"
    calls.mkdir()

    def raises_and_counts(params):
        (calls / f"{os.getpid()}-{time.monotonic_ns()}").touch()
        raise RuntimeError("always fails")

    trials = SparkTrials(parallelism=2, spark_session=spark)
    with pytest.raises(AllTrialsFailedError):
        fmin(
            raises_and_counts,
            SPACE,
            algo=rand.suggest,
            max_evals=3,
            trials=trials,
            rstate=4,
            show_progressbar=False,
        )
    assert trials.count_failed_trials() == 3
    assert len(list(calls.iterdir())) == 3  # one call per trial: no Spark task retries


def test_fmin_timeout_cancels_running_trials_and_returns_promptly(spark, tmp_path):
    def hangs(params):
        time.sleep(120)
        return 0.0

    trials = SparkTrials(parallelism=2, spark_session=spark)
    start = time.monotonic()
    with pytest.raises(AllTrialsFailedError, match="no trial finished .*timeout"):
        fmin(
            hangs,
            SPACE,
            algo=rand.suggest,
            max_evals=4,
            timeout=3,
            trials=trials,
            rstate=5,
            show_progressbar=False,
        )
    elapsed = time.monotonic() - start
    assert elapsed < 25, f"fmin took {elapsed:.1f} s after a 3 s timeout"
    assert trials.count_cancelled_trials() >= 2
    cancelled = [t for t in trials._dynamic_trials if t["state"] == JOB_STATE_CANCEL]
    for trial in cancelled:
        assert trial["result"]["error"]["type"] == "TrialCancelledError"
        assert "timeout" in trial["result"]["error"]["message"]
    assert trials.count_successful_trials() == 0


def test_sparktrials_timeout_stops_the_search(spark):
    def slow(params):
        time.sleep(0.5)
        return params["x"] ** 2

    # 10 s leaves room for a fresh executor Python worker on a loaded 2-core machine
    # (CI saw a 6 s timeout pass with no trial finished on local-cluster).
    trials = SparkTrials(parallelism=2, timeout=10, spark_session=spark)
    start = time.monotonic()
    fmin(
        slow,
        SPACE,
        algo=rand.suggest,
        max_evals=50,
        trials=trials,
        rstate=6,
        show_progressbar=False,
    )
    assert time.monotonic() - start < 25
    assert 0 < trials.count_successful_trials() < 50
    assert "timeout" in trials.fmin_cancelled_reason


def test_loss_threshold_of_sparktrials_stops_early(spark):
    trials = SparkTrials(parallelism=2, loss_threshold=1.0, spark_session=spark)
    fmin(
        quadratic,
        SPACE,
        algo=rand.suggest,
        max_evals=200,
        trials=trials,
        rstate=7,
        show_progressbar=False,
    )
    assert min(trials.losses()) <= 1.0
    assert trials.count_successful_trials() < 200
    assert "loss_threshold" in trials.fmin_cancelled_reason


def two_quadratics(params):
    return [(params["x"] - 1) ** 2, (params["x"] + 1) ** 2]


def test_loss_threshold_of_sparktrials_is_refused_for_a_declared_second_objective(spark):
    trials = SparkTrials(parallelism=2, loss_threshold=1.0, spark_session=spark)
    with pytest.raises(InvalidArgumentError, match=r"loss_threshold=1.0 stops at one loss.*2 obj"):
        fmin(two_quadratics, SPACE, algo=rand.suggest, max_evals=4, trials=trials,
             n_objectives=2, show_progressbar=False)  # fmt: skip
    assert len(trials) == 0, "refused before any trial was queued"


def test_loss_threshold_of_sparktrials_is_ignored_with_a_warning_when_results_have_two_losses(
    spark, caplog
):
    # as fmin's own loss_threshold: a search whose count was not declared is not stopped
    # by comparing lists with a number (several losses of 0 would be at or below 1.0)
    trials = SparkTrials(parallelism=2, loss_threshold=1.0, spark_session=spark)
    with caplog.at_level(logging.WARNING, logger="hopt.spark"):
        fmin(lambda p: [0.0, 0.0], SPACE, algo=rand.suggest, max_evals=6, trials=trials,
             rstate=0, show_progressbar=False)  # fmt: skip
    assert trials.count_successful_trials() == 6 and trials.fmin_cancelled_reason is None
    assert caplog.text.count("SparkTrials: loss_threshold is ignored: the results have 2") == 1


def test_early_stop_fn_works_while_trials_are_in_flight(spark):
    trials = SparkTrials(parallelism=2, spark_session=spark)
    fmin(
        lambda p: 1.0,
        SPACE,
        algo=tpe.suggest,
        max_evals=100,
        trials=trials,
        rstate=8,
        early_stop_fn=no_progress_loss(5),
        show_progressbar=False,
    )
    assert 5 <= trials.count_successful_trials() < 100


def test_unpicklable_objective_fails_before_any_trial_runs(spark):
    lock = threading.Lock()

    def holds_a_lock(params):
        with lock:
            return params["x"]

    trials = SparkTrials(parallelism=2, spark_session=spark)
    with pytest.raises(InvalidArgumentError, match="cannot be pickled"):
        fmin(
            holds_a_lock,
            SPACE,
            algo=rand.suggest,
            max_evals=3,
            trials=trials,
            show_progressbar=False,
        )
    # the objective is pickled before any trial is queued (attach_fmin)
    assert trials.count_total_trials() == 0 and trials._dynamic_trials == []


def test_parallelism_above_max_evals_warns_and_is_capped(spark):
    trials = SparkTrials(parallelism=2, spark_session=spark)
    with pytest.warns(UserWarning, match="more than max_evals=1"):
        fmin(
            quadratic,
            SPACE,
            algo=rand.suggest,
            max_evals=1,
            trials=trials,
            rstate=9,
            show_progressbar=False,
        )
    assert trials.parallelism == 1
    assert len(trials) == 1


def test_parallelism_above_the_cluster_slots_is_kept_with_one_warning_at_fmin(spark):
    # Spark's slots may be counted before executors register, or the cluster may grow:
    # the request stands (as in Hyperopt), and fmin says what it means
    slots = spark.sparkContext.defaultParallelism
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        trials = SparkTrials(parallelism=np.int64(slots + 2), spark_session=spark)
    with pytest.warns(UserWarning, match="task slots") as caught:
        fmin(quadratic, SPACE, algo=rand.suggest, max_evals=slots + 2, trials=trials,
             rstate=15, show_progressbar=False)  # fmt: skip
    assert len([w for w in caught if "task slots" in str(w.message)]) == 1
    assert caught[0].filename == __file__, "the warning points at the user's fmin call"
    assert trials.parallelism == slots + 2
    assert trials.count_successful_trials() == slots + 2


def test_default_parallelism_is_the_cluster_slots(spark):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        trials = SparkTrials(spark_session=spark)
    assert trials.parallelism == spark.sparkContext.defaultParallelism


@pytest.mark.parametrize(
    "kwargs, word",
    [
        ({"parallelism": 0}, "parallelism"),
        ({"parallelism": 2.5}, "parallelism"),
        ({"timeout": -1}, "timeout"),
        ({"loss_threshold": "low"}, "loss_threshold"),
        ({"spark_session": "local"}, "spark_session"),
    ],
)
def test_bad_arguments_name_the_parameter(spark, kwargs, word):
    with pytest.raises(InvalidArgumentError, match=word):
        SparkTrials(**kwargs)


def test_attachments_from_executors_are_stored_on_the_driver(spark):
    def with_attachment(params):
        return {"loss": params["x"] ** 2, "status": STATUS_OK, "attachments": {"log": b"hello"}}

    trials = SparkTrials(parallelism=2, spark_session=spark)
    fmin(
        with_attachment,
        SPACE,
        algo=rand.suggest,
        max_evals=2,
        trials=trials,
        rstate=10,
        show_progressbar=False,
    )
    for trial in trials.trials:
        assert trials.trial_attachments(trial)["log"] == b"hello"
        assert "attachments" not in trial["result"]


def test_pickled_sparktrials_loads_as_plain_data(spark):
    trials = SparkTrials(parallelism=2, spark_session=spark)
    fmin(
        quadratic,
        SPACE,
        algo=rand.suggest,
        max_evals=3,
        trials=trials,
        rstate=11,
        show_progressbar=False,
    )
    loaded = pickle.loads(pickle.dumps(trials))
    assert isinstance(loaded, Trials)
    assert loaded.argmin == trials.argmin
    assert loaded.losses() == trials.losses()


def test_pass_expr_memo_ctrl_is_refused_with_a_reason(spark):
    trials = SparkTrials(parallelism=2, spark_session=spark)
    with pytest.raises(InvalidArgumentError, match="pass_expr_memo_ctrl"):
        fmin(
            lambda expr, memo, ctrl: 0.0,
            SPACE,
            algo=rand.suggest,
            max_evals=2,
            trials=trials,
            pass_expr_memo_ctrl=True,
            show_progressbar=False,
        )


def test_a_trial_saved_while_running_is_run_again_on_resume(spark, caplog):
    trials = SparkTrials(parallelism=2, spark_session=spark)
    fmin(quadratic, SPACE, algo=rand.suggest, max_evals=3, trials=trials, rstate=12,
         show_progressbar=False)  # fmt: skip
    orphan = trials._dynamic_trials[1]
    orphan.update(state=JOB_STATE_RUNNING, result={"status": "new"}, owner="spark:gone")
    saved = pickle.loads(pickle.dumps(trials))  # what trials_save_file holds mid-run
    started = time.monotonic()
    with caplog.at_level("WARNING", logger="hopt"):
        fmin(quadratic, SPACE, algo=rand.suggest, max_evals=4, trials=saved, rstate=12,
             timeout=120, show_progressbar=False)  # fmt: skip
    assert time.monotonic() - started < 60, "fmin waited for a trial nothing was running"
    assert [t["state"] for t in saved._dynamic_trials] == [JOB_STATE_DONE] * 4
    assert saved._dynamic_trials[1]["result"]["status"] == STATUS_OK
    assert "left unfinished queued again: [1]" in caplog.text


def test_trials_still_running_after_the_cancel_grace_are_recorded_cancelled(spark, monkeypatch):
    import hopt.trials.spark.trials as spark_trials

    monkeypatch.setattr(spark_trials, "CANCEL_GRACE_SECS", 0.0)

    def slow(params):
        time.sleep(20)
        return 0.0

    # one job per batch: slot tasks record their trials cancelled at once, with no grace
    trials = SparkTrials(parallelism=2, spark_session=spark, mode="jobs")
    fmin(slow, SPACE, algo=rand.suggest, max_evals=2, timeout=2, trials=trials, rstate=13,
         show_progressbar=False, return_argmin=False)  # fmt: skip
    states = [t["state"] for t in trials._dynamic_trials]
    assert states == [JOB_STATE_CANCEL] * 2, states
    for trial in trials._dynamic_trials:
        assert "still running 0 s later" in trial["result"]["error"]["message"]
    # the same object runs a second search instead of waiting for those trials forever
    started = time.monotonic()
    fmin(quadratic, SPACE, algo=rand.suggest, max_evals=2, trials=trials, rstate=14,
         timeout=120, show_progressbar=False)  # fmt: skip
    assert time.monotonic() - started < 60
    assert trials.count_successful_trials() == 2


def test_attachments_that_are_not_a_dict_fail_the_trial_with_the_reason(spark):
    def bad_attachments(params):
        return {"loss": params["x"], "status": STATUS_OK, "attachments": [b"model"]}

    trials = SparkTrials(parallelism=2, spark_session=spark)
    with pytest.raises(AllTrialsFailedError, match="'attachments' must be a dict"):
        fmin(bad_attachments, SPACE, algo=rand.suggest, max_evals=2, trials=trials,
             rstate=16, show_progressbar=False)  # fmt: skip
    for trial in trials.trials:
        assert trial["result"]["error"]["type"] == "ResultNotStorableError"
        assert "got list [b'model']" in trial["result"]["error"]["message"]
