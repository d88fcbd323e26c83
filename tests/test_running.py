"""hopt.report and hopt.should_stop: what an objective sees, in and out of a trial."""

from __future__ import annotations

import threading

import pytest

import hopt
from hopt import Trials, fmin, hp, rand
from hopt.exceptions import InvalidArgumentError


def test_reports_of_an_in_memory_run_are_stored_in_order_with_times():
    def objective(params):
        for step in (0, 5, 10):
            hopt.report(params["x"] + step, step)
        return params["x"]

    trials = Trials()
    fmin(objective, {"x": hp.uniform("x", 0, 1)}, algo=rand.suggest, max_evals=3,
         trials=trials, rstate=0, show_progressbar=False)  # fmt: skip
    for trial in trials.trials:
        x = trial["misc"]["vals"]["x"][0]
        assert [(r["step"], r["value"]) for r in trial["reports"]] == [
            (0, x),
            (5, x + 5),
            (10, x + 10),
        ]
        assert all(r["time"] is not None for r in trial["reports"])


def test_a_bad_report_fails_the_trial_naming_the_argument():
    def objective(params):
        hopt.report("high", step=0)
        return 0.0

    trials = Trials()  # an objective's exception ends fmin (Hyperopt's default), as here
    with pytest.raises(InvalidArgumentError, match="hopt.report: value must be a finite number"):
        fmin(objective, {"x": hp.uniform("x", 0, 1)}, algo=rand.suggest, max_evals=2,
             trials=trials, rstate=0, show_progressbar=False)  # fmt: skip
    (error_type, message) = trials._dynamic_trials[0]["misc"]["error"]
    assert error_type == "InvalidArgumentError" and "got value='high'" in message


def test_report_outside_a_trial_is_a_clear_error_and_should_stop_is_false():
    with pytest.raises(
        InvalidArgumentError, match=r"hopt.report\(1.0, step=0\) was called outside"
    ):
        hopt.report(1.0, 0)
    assert hopt.should_stop() is False
    assert hopt.should_prune() is False


def test_a_stop_request_is_seen_by_the_running_objective():
    seen = []
    trials = Trials()

    def objective(params):
        tid = trials._dynamic_trials[-1]["tid"]
        seen.append(hopt.should_stop())
        trials.request_stop(tid)
        seen.append(hopt.should_stop())
        return 0.0

    fmin(objective, {"x": hp.uniform("x", 0, 1)}, algo=rand.suggest, max_evals=1,
         trials=trials, rstate=0, show_progressbar=False)  # fmt: skip
    assert seen == [False, True]


def test_threads_running_other_trials_keep_their_own_trial():
    from hopt.running import current_ctrl, running_trial

    found = {}

    def in_thread(name):
        with running_trial(name):
            barrier.wait()
            found[name] = current_ctrl()

    barrier = threading.Barrier(2)
    threads = [threading.Thread(target=in_thread, args=(n,)) for n in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert found == {"a": "a", "b": "b"}
    assert current_ctrl() is None


def test_ctrl_report_refuses_a_negative_step():
    trials = Trials()

    def objective(params):
        with pytest.raises(InvalidArgumentError, match="step must be a whole number >= 0"):
            hopt.report(1.0, step=-1)
        return 0.0

    fmin(objective, {"x": hp.uniform("x", 0, 1)}, algo=rand.suggest, max_evals=1,
         trials=trials, rstate=0, show_progressbar=False)  # fmt: skip
    assert trials.trials[0]["result"]["status"] == "ok"


def test_a_step_that_goes_back_is_refused_and_earlier_reports_are_kept():
    trials = Trials()

    def objective(params):
        hopt.report(1.0, step=3)
        hopt.report(0.9, step=3)  # the same step again: allowed, the last one counts
        with pytest.raises(
            InvalidArgumentError, match=r"step=2 goes back from the step reported last \(3\)"
        ):
            hopt.report(0.8, step=2)
        return 0.5

    fmin(objective, {"x": hp.uniform("x", 0, 1)}, algo=rand.suggest, max_evals=1,
         trials=trials, rstate=0, show_progressbar=False)  # fmt: skip
    assert [(r["step"], r["value"]) for r in trials.trials[0]["reports"]] == [(3, 1.0), (3, 0.9)]
