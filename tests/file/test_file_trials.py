"""FileTrials: what a user does with it, and the bad input they may give it."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading

import cloudpickle
import pytest

from hopt import FileTrials, Trials, fmin, hp, rand, tpe
from hopt._types import JOB_STATE_DONE, STATUS_OK
from hopt.exceptions import InvalidArgumentError, StoreCorruptError

SPACE = hp.uniform("x", -5, 5)


def square(x):
    return (x - 1.0) ** 2


def reports_and_checks_stop(x, ctrl):
    for step in range(3):
        ctrl.report((x - 1.0) ** 2 + 1.0 / (step + 1), step)
    return {"loss": (x - 1.0) ** 2, "status": STATUS_OK, "stopped": ctrl.should_stop}


def test_fmin_runs_in_parallel_workers_and_the_file_keeps_everything(store_path):
    trials = FileTrials(store_path, parallelism=2)
    best = fmin(square, SPACE, algo=tpe.suggest, max_evals=15, trials=trials, rstate=0,
                show_progressbar=False)  # fmt: skip
    assert len(trials) == 15 and all(t["state"] == JOB_STATE_DONE for t in trials.trials)
    owners = {t["owner"] for t in trials.trials}
    # (on 2 busy cores one worker may take every trial: at most two, none of them fmin)
    assert 1 <= len(owners) <= 2 and os.getpid() not in {int(o.split(":")[1]) for o in owners}
    assert all(t["book_time"] <= t["end_time"] for t in trials.trials)
    reopened = FileTrials(store_path, parallelism=0)
    assert reopened.argmin == best and reopened.losses() == trials.losses()
    assert abs(best["x"] - 1.0) < 1.5
    assert trials._workers is None, "workers are stopped when fmin returns"


def test_a_second_fmin_on_the_file_resumes_where_the_first_stopped(store_path):
    fmin(square, SPACE, algo=rand.suggest, max_evals=4, trials=FileTrials(store_path),
         rstate=0, show_progressbar=False)  # fmt: skip
    trials = FileTrials(store_path)
    first_tids = list(trials.tids)
    fmin(square, SPACE, algo=tpe.suggest, max_evals=9, trials=trials, rstate=0,
         show_progressbar=False)  # fmt: skip
    assert len(trials) == 9 and trials.tids[:4] == first_tids


def test_reports_reach_the_file_and_a_stop_request_reaches_the_trial(store_path):
    from hopt.fmin import fmin_pass_expr_memo_ctrl

    @fmin_pass_expr_memo_ctrl
    def objective(expr, memo, ctrl):
        from hopt.space.evaluate import rec_eval

        x = rec_eval(expr, memo=memo)
        return reports_and_checks_stop(x, ctrl)

    trials = FileTrials(store_path, parallelism=1)
    fmin(objective, SPACE, algo=rand.suggest, max_evals=2, trials=trials, rstate=0,
         show_progressbar=False)  # fmt: skip
    for trial in trials.trials:
        assert [r["step"] for r in trial["reports"]] == [0, 1, 2]
        assert trial["reports"][-1]["value"] == pytest.approx(trial["result"]["loss"] + 1 / 3)
        assert trial["result"]["stopped"] is False


def test_hand_started_workers_serve_a_file_with_parallelism_0(store_path, tmp_path):
    trials = FileTrials(store_path, parallelism=0)
    workers = []

    def start_workers():  # once fmin has created the file and stored the objective
        for _ in range(2):
            workers.append(subprocess.Popen(
                [sys.executable, "-m", "hopt.worker", "--store", store_path,
                 "--poll-interval", "0.05", "--reserve-timeout", "3"],
                cwd=tmp_path, stderr=subprocess.PIPE, text=True,
            ))  # fmt: skip

    timer = threading.Timer(0.5, start_workers)
    timer.start()
    try:
        fmin(square, SPACE, algo=rand.suggest, max_evals=6, trials=trials, rstate=0,
             show_progressbar=False)  # fmt: skip
    finally:
        timer.join()
        outputs = [w.communicate(timeout=30)[1] for w in workers]
    assert len(trials) == 6 and set(trials.statuses()) == {STATUS_OK}
    assert len({t["owner"] for t in trials.trials}) >= 1
    assert all(w.returncode == 0 for w in workers), outputs
    assert "no trial to run for 3 s" in outputs[0]


def test_a_worker_on_a_missing_file_exits_1_naming_it(tmp_path):
    missing = str(tmp_path / "nope.db")
    done = subprocess.run(
        [sys.executable, "-m", "hopt.worker", "--store", missing],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 1
    assert f"no trials file at {missing}" in done.stderr
    assert not os.path.exists(missing), "a worker never creates a store"


def test_store_and_mongo_flags_exclude_each_other():
    done = subprocess.run(
        [sys.executable, "-m", "hopt.worker", "--store", "a.db", "--mongo", "localhost/db"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2 and "not allowed with argument" in done.stderr


def test_file_trials_is_trials_and_pickles_as_its_path(store_path):
    trials = FileTrials(store_path, parallelism=3)
    fmin(square, SPACE, algo=rand.suggest, max_evals=3, trials=trials, rstate=0,
         show_progressbar=False)  # fmt: skip
    assert isinstance(trials, Trials)
    copy = cloudpickle.loads(cloudpickle.dumps(trials))
    assert copy.path == trials.path and copy.parallelism == 3
    assert copy.tids == trials.tids and copy.argmin == trials.argmin


def test_an_empty_file_trials_pickles_too(store_path):
    copy = cloudpickle.loads(cloudpickle.dumps(FileTrials(store_path, parallelism=0)))
    assert copy.path == store_path and len(copy) == 0 and copy.trials == []


def test_an_objective_that_cannot_be_pickled_is_named_before_anything_runs(store_path):
    lock = threading.Lock()

    def holds_a_lock(x):
        with lock:
            return x

    with pytest.raises(InvalidArgumentError, match="cannot be pickled, so it cannot run on"):
        fmin(holds_a_lock, SPACE, algo=rand.suggest, max_evals=2,
             trials=FileTrials(store_path), show_progressbar=False)  # fmt: skip


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"parallelism": -1}, "parallelism must be an int >= 0; got parallelism=-1"),
        ({"parallelism": 2.0}, "parallelism must be an int >= 0; got parallelism=2.0"),
        ({"parallelism": True}, "parallelism must be an int >= 0; got parallelism=True"),
        ({"max_attempts": 0}, "max_attempts must be an int >= 1; got max_attempts=0"),
        (
            {"lease_secs": 0},
            "lease_secs must be a positive finite number of seconds; got lease_secs=0",
        ),
        ({"lease_secs": float("inf")}, "lease_secs must be finite; got lease_secs=inf"),
        ({"exp_key": 3}, "exp_key must be a string or None; got exp_key=3"),
    ],
)
def test_bad_arguments_are_refused_by_name(store_path, kwargs, message):
    with pytest.raises(InvalidArgumentError, match=message):
        FileTrials(store_path, **kwargs)


def test_bad_paths_are_refused_with_what_to_do(tmp_path):
    with pytest.raises(InvalidArgumentError, match="is a directory; give a file path"):
        FileTrials(tmp_path)
    with pytest.raises(InvalidArgumentError, match="does not exist; create it first"):
        FileTrials(tmp_path / "missing" / "trials.db")
    with pytest.raises(InvalidArgumentError, match="path must be a file path"):
        FileTrials("")


def test_another_sqlite_database_is_not_taken_for_a_trials_file(tmp_path):
    path = tmp_path / "app.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE users (name TEXT)")
    with pytest.raises(StoreCorruptError, match=f"{path} is an SQLite database but not a hopt"):
        FileTrials(path)


def thread_settings(x):
    return {"loss": x**2, "status": STATUS_OK, "omp": os.environ.get("OMP_NUM_THREADS")}


@pytest.mark.parametrize(("preset", "expected"), [(None, None), ("3", "3")])
def test_each_worker_gets_its_share_of_the_cores_unless_the_user_chose(
    store_path, monkeypatch, preset, expected
):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    if preset is not None:
        monkeypatch.setenv("OMP_NUM_THREADS", preset)
    trials = FileTrials(store_path, parallelism=2)
    fmin(thread_settings, SPACE, algo=rand.suggest, max_evals=2, trials=trials, rstate=0,
         show_progressbar=False)  # fmt: skip
    share = str(max(1, (os.cpu_count() or 1) // 2))
    assert {r["omp"] for r in trials.results} == {expected or share}
