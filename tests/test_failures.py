"""Failed trials while fmin runs: a script bug stops it at once; the others are shown."""

from __future__ import annotations

import contextlib
import logging
import math
import subprocess
import sys
import textwrap

import pytest

from hopt import JOB_STATE_DONE, STATUS_FAIL, STATUS_OK, Trials, fmin, hp, rand
from hopt import failures as failures_module
from hopt.exceptions import InvalidLossError, InvalidResultStatusError
from hopt.trials import persistence

SPACE = hp.uniform("x", -1, 1)


def run(fn, **kwargs):
    kwargs.setdefault("algo", rand.suggest)
    kwargs.setdefault("max_evals", 50)
    kwargs.setdefault("rstate", 0)
    kwargs.setdefault("show_progressbar", False)
    trials = kwargs.setdefault("trials", Trials())
    return fmin(fn, SPACE, **kwargs), trials


def counting(returns):
    """An objective returning ``returns(x)``, with the calls it got in ``.calls``."""
    calls = []

    def objective(x):
        calls.append(x)
        return returns(x)

    objective.calls = calls
    return objective


# -- item 1: a script bug stops fmin at the first trial that shows it --------------------

SCRIPT_BUGS = [
    pytest.param(
        None,
        InvalidLossError,
        r"None \(does it end without a return "
        r"statement\?\); return a number \(the loss\) or a dict",
        id="None",
    ),  # fmt: skip
    pytest.param("0.5", InvalidLossError, r"str '0\.5'; return a number", id="str"),
    pytest.param(
        {"acc": 0.9},
        InvalidResultStatusError,
        r"a dict with neither 'loss' nor 'status'; add 'loss'",
        id="dict-without-loss",
    ),  # fmt: skip
    pytest.param(
        {"status": "ok"}, InvalidLossError, r"status 'ok' without a 'loss'", id="ok-no-loss"
    ),
    pytest.param(
        {"loss": 1.0, "status": "success"},
        InvalidResultStatusError,
        r"status='success'; a finished trial's status must be one of",
        id="status",
    ),  # fmt: skip
    pytest.param(
        {"loss": None},
        InvalidLossError,
        r"loss=None, which is NoneType, not a number",
        id="loss-None",
    ),  # fmt: skip
]


@pytest.mark.parametrize("catch", [False, True], ids=["default", "catch_eval_exceptions"])
@pytest.mark.parametrize(("returned", "error", "message"), SCRIPT_BUGS)
def test_a_result_that_can_never_be_a_loss_stops_fmin_after_one_trial(
    returned, error, message, catch
):
    objective = counting(lambda x: returned)
    trials = Trials()
    with pytest.raises(
        error, match=r"^fmin stopped at trial 0: the objective returned " + message
    ) as e:
        run(objective, trials=trials, catch_eval_exceptions=catch)
    assert "bug in the objective, not a bad configuration" in str(e.value)
    assert len(objective.calls) == 1, "the budget is not burnt"
    (trial,) = trials.trials  # recorded, nothing lost
    assert trial["state"] == JOB_STATE_DONE and trial["result"]["status"] == STATUS_FAIL
    assert trial["result"]["error"]["type"] == error.__name__
    assert trial["misc"]["error"][0] == error.__name__


def test_a_script_bug_in_one_branch_stops_at_the_first_trial_that_takes_it():
    objective = counting(lambda x: None if x < 0 else x)
    trials = Trials()
    with pytest.raises(InvalidLossError, match="returned None"):
        run(objective, trials=trials)
    assert objective.calls[-1] < 0 and all(x >= 0 for x in objective.calls[:-1])
    assert trials.statuses() == [STATUS_OK] * (len(objective.calls) - 1) + [STATUS_FAIL]


@pytest.mark.parametrize(
    "returned",
    [float("nan"), {"loss": float("inf")}, [1.0, 2.0], {"loss": 0.5, "constraints": "x"}],
    ids=["nan", "inf", "another-number-of-losses", "bad-constraints"],
)
def test_a_bad_value_of_the_right_kind_fails_that_trial_and_the_search_goes_on(returned):
    # the first result fixes one loss, so a later list of two is this trial's failure
    objective = counting(lambda x: returned if x < 0 else x)
    _, trials = run(objective, max_evals=20)
    assert len(objective.calls) == 20
    statuses = trials.statuses()
    assert 0 < statuses.count(STATUS_FAIL) < 20 and STATUS_OK in statuses


def test_the_save_file_holds_the_trial_that_stopped_fmin(tmp_path):
    path = str(tmp_path / "trials.pkl")
    with pytest.raises(InvalidLossError):
        run(counting(lambda x: None if x < 0 else x), trials=None, trials_save_file=path)
    saved = persistence.load(path)
    assert saved.trials[-1]["result"]["error"]["fatal"] is True
    assert [t["result"]["status"] for t in saved.trials[:-1]] == [STATUS_OK] * (len(saved) - 1)


def test_a_fixed_script_resumes_the_trials_a_script_bug_stopped(tmp_path):
    path = str(tmp_path / "trials.pkl")
    with pytest.raises(InvalidLossError):
        run(counting(lambda x: None), trials=None, trials_save_file=path)
    best, _ = run(lambda x: x**2, trials=None, trials_save_file=path, max_evals=10)
    saved = persistence.load(path)
    assert len(saved) == 10 and saved.statuses()[0] == STATUS_FAIL
    assert math.isclose(saved.best_trial["result"]["loss"], best["x"] ** 2)


# -- item 2: every failure is visible while the run goes on ------------------------------


class RecordingBar:
    """A bar of Hyperopt's progress protocol that keeps every postfix it was given."""

    def __init__(self):
        self.postfixes = []

    @property
    def postfix(self):
        return self.postfixes[-1] if self.postfixes else None

    @postfix.setter
    def postfix(self, text):
        self.postfixes.append(text)

    def update(self, n):
        pass


def recording_progress(bar):
    @contextlib.contextmanager
    def progress(initial, total):
        yield bar

    return progress


def fails_below_zero(x):
    if x < 0:
        raise ValueError(f"x={x:.3f} is below zero")
    return x


def test_the_bar_counts_the_failures_and_shows_the_last_error():
    bar = RecordingBar()
    _, trials = run(fails_below_zero, max_evals=20, catch_eval_exceptions=True,
                    show_progressbar=recording_progress(bar))  # fmt: skip
    failed = [t for t in trials.trials if t["result"]["status"] == STATUS_FAIL]
    last = failed[-1]["result"]["error"]["message"]
    assert bar.postfix.endswith(f"failed: {len(failed)}, last: ValueError: {last}")
    first = next(p for p in bar.postfixes if "failed" in p)
    assert "failed: 1, last: ValueError: x=" in first, "shown from the first failure on"


def test_a_long_error_is_cut_in_the_bar():
    bar = RecordingBar()
    long_error = counting(lambda x: {"loss": float("nan")} if x < 0 else x)
    run(long_error, max_evals=10, show_progressbar=recording_progress(bar))
    last = bar.postfix.split("last: ", 1)[1]
    assert last.startswith("InvalidLossError: objective returned loss=nan")
    assert last.endswith("…") and len(last) == failures_module.SHORT_ERROR_CHARS


def test_failures_the_objective_reports_itself_are_counted_not_logged(caplog):
    bar = RecordingBar()
    with caplog.at_level(logging.INFO, logger="hopt"):
        run(counting(lambda x: {"status": "fail"} if x < 0 else x), max_evals=10,
            show_progressbar=recording_progress(bar))  # fmt: skip
    assert "failed: " in bar.postfix and "last:" not in bar.postfix
    assert not [r for r in caplog.records if "failed" in r.getMessage()]


def test_failure_lines_are_rate_limited_and_summed_up_at_the_end(caplog):
    with caplog.at_level(logging.WARNING, logger="hopt"):
        _, trials = run(fails_below_zero, max_evals=300, catch_eval_exceptions=True)
    n_failed = trials.statuses().count(STATUS_FAIL)
    assert n_failed > 100
    lines = [r.getMessage() for r in caplog.records if r.name == "hopt"]
    assert len(lines) == 2, lines  # not one per failure
    assert lines[0].startswith("trial ") and "ValueError: x=" in lines[0]
    assert lines[0].endswith("is below zero [1 failed so far]")
    assert lines[1].startswith(f"{n_failed - 1} more trial(s) failed since the last failure line")
    assert f"({n_failed} failed in all; the last: ValueError: x=" in lines[1]


def test_a_failure_line_after_the_interval_says_how_many_failed_since(caplog, monkeypatch):
    monkeypatch.setattr(failures_module, "LOG_INTERVAL_SECS", 0.0)
    with caplog.at_level(logging.WARNING, logger="hopt"):
        _, trials = run(fails_below_zero, max_evals=30, catch_eval_exceptions=True)
    lines = [r.getMessage() for r in caplog.records if r.name == "hopt"]
    assert len(lines) == trials.statuses().count(STATUS_FAIL)  # no limit: every one


def test_with_a_bar_the_lines_are_info(caplog):
    with caplog.at_level(logging.INFO, logger="hopt"):
        run(fails_below_zero, max_evals=10, catch_eval_exceptions=True,
            show_progressbar=recording_progress(RecordingBar()))  # fmt: skip
    levels = {r.levelno for r in caplog.records if "failed" in r.getMessage()}
    assert levels == {logging.INFO}


SCRIPT = textwrap.dedent(
    """
    from hopt import fmin, hp, rand

    def objective(x):
        if x < 0:
            raise ValueError(f"x={x:.3f} is below zero")
        return x

    fmin(objective, hp.uniform("x", -1, 1), algo=rand.suggest, max_evals=40, rstate=0,
         catch_eval_exceptions=True, show_progressbar=BAR)
    print("done")
    """
)


def run_script(bar: bool) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", SCRIPT.replace("BAR", str(bar))], capture_output=True,
                          text=True, timeout=120, check=True)  # fmt: skip


def test_without_a_bar_a_user_who_configured_no_logging_sees_the_failures_on_stderr():
    finished = run_script(bar=False)
    assert finished.stdout == "done\n"
    lines = finished.stderr.splitlines()
    assert len(lines) == 2, finished.stderr
    assert lines[0].startswith("trial ") and "failed: ValueError: x=-" in lines[0]
    assert "more trial(s) failed since the last failure line" in lines[1]


def test_with_the_bar_the_failures_show_in_it():
    stderr = run_script(bar=True).stderr
    assert "trial 0 failed" not in stderr and "more trial(s)" not in stderr  # no lines
    final = stderr.rsplit("\r", 1)[-1]
    assert "40/40" in final and "failed: " in final and "last: ValueError: x=-" in final
