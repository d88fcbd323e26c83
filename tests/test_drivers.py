"""The serial driver on Ctrl-C: the interrupted trial is cancelled and runs again on resume."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from hopt import (
    JOB_STATE_CANCEL,
    JOB_STATE_DONE,
    JOB_STATE_NEW,
    STATUS_OK,
    Trials,
    fmin,
    hp,
    rand,
    tpe,
)
from hopt.trials import persistence

SPACE = hp.uniform("x", -1, 1)


def interrupted_at(call):
    """An objective that raises KeyboardInterrupt (as Ctrl-C does) on its ``call``-th call."""
    calls = []

    def objective(x):
        calls.append(x)
        if len(calls) == call:
            raise KeyboardInterrupt
        return x**2

    objective.calls = calls
    return objective


def recording():
    calls = []

    def objective(x):
        calls.append(x)
        return x**2

    objective.calls = calls
    return objective


def states(trials):
    return [trials.count_by_state_unsynced(s) for s in (JOB_STATE_DONE, JOB_STATE_CANCEL)]


@pytest.mark.parametrize("algo", [rand.suggest, tpe.suggest], ids=["rand", "tpe"])
def test_ctrl_c_cancels_the_trial_and_a_resumed_run_evaluates_its_point_first(tmp_path, algo):
    path = str(tmp_path / "trials.pkl")
    first = interrupted_at(4)
    common = {"algo": algo, "trials_save_file": path, "show_progressbar": False}
    with pytest.raises(KeyboardInterrupt):
        fmin(first, SPACE, max_evals=10, rstate=0, **common)
    saved = persistence.load(path)  # written atomically on the way out
    assert states(saved) == [3, 1], "3 done, the interrupted one cancelled, not failed"
    assert len(saved) == 4, "3 done and the interrupted point, queued again"
    again = saved.trials[-1]
    assert again["state"] == JOB_STATE_NEW and again["misc"]["vals"]["x"] == [first.calls[3]]
    cancelled = [t for t in saved._dynamic_trials if t["state"] == JOB_STATE_CANCEL]
    assert again["misc"]["from_tid"] == cancelled[0]["tid"]
    error = cancelled[0]["result"]["error"]
    assert error["type"] == "TrialCancelledError" and error["message"].startswith(
        f"interrupted by KeyboardInterrupt; its point is queued again as trial {again['tid']}"
    )
    assert not any("KeyboardInterrupt" == t["result"].get("error", {}).get("type")
                   for t in saved._dynamic_trials)  # fmt: skip

    second = recording()
    fmin(second, SPACE, max_evals=10, rstate=0, **common)
    assert second.calls[0] == first.calls[3], "the interrupted point runs again, first"
    assert len(second.calls) == 7, "the cancelled trial does not count toward max_evals"
    resumed = persistence.load(path)
    assert len(resumed) == 10 and resumed.statuses() == [STATUS_OK] * 10
    assert states(resumed) == [10, 1]


def test_the_same_trials_object_resumes_after_ctrl_c():
    trials = Trials()
    first = interrupted_at(2)
    with pytest.raises(KeyboardInterrupt):
        fmin(first, SPACE, algo=rand.suggest, max_evals=5, trials=trials, rstate=0,
             show_progressbar=False)  # fmt: skip
    second = recording()
    fmin(second, SPACE, algo=rand.suggest, max_evals=5, trials=trials, rstate=1,
         show_progressbar=False)  # fmt: skip
    assert second.calls[0] == first.calls[1] and len(second.calls) == 4
    assert states(trials) == [5, 1] and len(trials) == 5


def test_ctrl_c_in_the_requeued_trial_queues_it_once_more():
    trials = Trials()
    with pytest.raises(KeyboardInterrupt):
        fmin(interrupted_at(1), SPACE, algo=rand.suggest, max_evals=3, trials=trials,
             rstate=0, show_progressbar=False)  # fmt: skip
    with pytest.raises(KeyboardInterrupt):
        fmin(interrupted_at(1), SPACE, algo=rand.suggest, max_evals=3, trials=trials,
             rstate=0, show_progressbar=False)  # fmt: skip
    assert states(trials) == [0, 2] and len(trials) == 1  # one point, waiting
    fmin(recording(), SPACE, algo=rand.suggest, max_evals=3, trials=trials, rstate=0,
         show_progressbar=False)  # fmt: skip
    assert states(trials) == [3, 2] and len(trials) == 3


CHILD = textwrap.dedent(
    """
    import os, sys, time
    from hopt import fmin, hp, rand

    def objective(x):
        if len(os.listdir(sys.argv[2])) == 3:  # the 4th trial: say so, then wait for Ctrl-C
            open(os.path.join(sys.argv[2], "waiting"), "w").close()
            time.sleep(60)
        open(os.path.join(sys.argv[2], repr(x)), "w").close()
        return x ** 2

    fmin(objective, hp.uniform("x", -1, 1), algo=rand.suggest, max_evals=10, rstate=0,
         trials_save_file=sys.argv[1], show_progressbar=False)
    """
)


def test_a_real_ctrl_c_saves_the_run_and_the_next_run_finishes_it(tmp_path):
    path, marks = str(tmp_path / "trials.pkl"), tmp_path / "marks"
    marks.mkdir()
    # as in a terminal: a background job of a script (CI) would inherit SIGINT ignored
    child = subprocess.Popen([sys.executable, "-c", CHILD, path, str(marks)],
                             stderr=subprocess.PIPE, text=True,
                             preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not (marks / "waiting").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert (marks / "waiting").exists(), "the child never reached its 4th trial"
        child.send_signal(signal.SIGINT)
        _, stderr = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
    assert "KeyboardInterrupt" in stderr, "the interrupt reaches the user"
    saved = persistence.load(path)
    assert states(saved) == [3, 1] and len(saved) == 4
    done_before = {float(name) for name in os.listdir(marks) if name != "waiting"}
    second = recording()
    fmin(second, SPACE, algo=rand.suggest, max_evals=10, trials_save_file=path, rstate=0,
         show_progressbar=False)  # fmt: skip
    assert len(second.calls) == 7 and second.calls[0] not in done_before
    assert saved.trials[-1]["misc"]["vals"]["x"] == [second.calls[0]]
    assert states(persistence.load(path)) == [10, 1]
