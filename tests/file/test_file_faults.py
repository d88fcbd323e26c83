"""FileTrials under crashes, with real processes: kill -9 of a worker, of fmin, Ctrl-C,
a damaged file.  Nothing finished is lost; nothing finished runs twice."""

from __future__ import annotations

import os
import signal
import sqlite3
import time

import pytest

from hopt import FileTrials, fmin, hp, rand
from hopt._types import JOB_STATE_DONE, JOB_STATE_NEW, STATUS_OK
from hopt.exceptions import StoreCorruptError
from hopt.testing.crashes import (
    MARKER_VARIABLE,
    check_killed_run_resumes,
    check_reports_survived_the_kill,
    reports_then_killed_once,
    wait_for,
)

SPACE = hp.uniform("x", -5, 5)


def _workers_of(pid):
    """Pids of the live worker processes that fmin process ``pid`` started (from /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                args = handle.read().split(b"\0")
            with open(f"/proc/{entry}/stat") as handle:
                zombie = handle.read().rsplit(")", 1)[1].split()[0] == "Z"
        except (OSError, IndexError):
            continue
        if b"--parent-pid" in args and args[args.index(b"--parent-pid") + 1] == str(pid).encode():
            if not zombie:
                found.append(int(entry))
    return found


def test_kill_9_of_fmin_then_a_rerun_loses_nothing_and_runs_nothing_twice(tmp_path, store_path):
    def two_workers_run(pid):
        assert len(_workers_of(pid)) == 2

    def workers_exit(pid):
        # they notice: they record the trial they hold, then exit
        wait_for(lambda: not _workers_of(pid), 15, "the killed run's workers to exit")

    check_killed_run_resumes(
        tmp_path, store_path, "from hopt import FileTrials", "FileTrials(STORE, parallelism=2)",
        lambda: FileTrials(store_path, parallelism=0), max_evals=12, kill_after=4,
        before_kill=two_workers_run, after_kill=workers_exit,
    )  # fmt: skip


def kills_its_worker_once(x):
    """kill -9 of the worker process, on the first trial only (a marker file remembers)."""
    marker = os.environ["HOPT_TEST_MARKER"]
    if not os.path.exists(marker):
        with open(marker, "w") as handle:
            handle.write(str(x))
        os.kill(os.getpid(), signal.SIGKILL)
    return x**2


def test_kill_9_of_a_worker_mid_trial_gives_the_trial_back(store_path, tmp_path, monkeypatch):
    marker = tmp_path / "killed"
    monkeypatch.setenv("HOPT_TEST_MARKER", str(marker))
    trials = FileTrials(store_path, parallelism=2, lease_secs=3)
    fmin(kills_its_worker_once, SPACE, algo=rand.suggest, max_evals=6, trials=trials,
         rstate=0, show_progressbar=False)  # fmt: skip
    assert len(trials) == 6 and set(trials.statuses()) == {STATUS_OK}
    killed_x = float(marker.read_text())
    (again,) = [t for t in trials.trials if t["misc"]["vals"]["x"][0] == killed_x]
    assert again["attempts"] == 2 and len(again["lost_owners"]) == 1
    assert again["owner"] != again["lost_owners"][0], "another worker finished it"


def sleeps(x):
    time.sleep(0.3)
    return x**2


def test_ctrl_c_stops_the_workers_and_gives_running_trials_back(store_path):
    trials = FileTrials(store_path, parallelism=2)

    def interrupt_soon(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGALRM, interrupt_soon)
    signal.setitimer(signal.ITIMER_REAL, 1.5)
    try:
        with pytest.raises(KeyboardInterrupt):
            fmin(sleeps, SPACE, algo=rand.suggest, max_evals=50, trials=trials, rstate=0,
                 show_progressbar=False)  # fmt: skip
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert trials._workers is None
    trials.refresh()
    states = [t["state"] for t in trials.trials]
    assert states.count(JOB_STATE_DONE) >= 2
    assert set(states) <= {JOB_STATE_DONE, JOB_STATE_NEW}, "nothing left running"
    fmin(sleeps, SPACE, algo=rand.suggest, max_evals=len(trials) + 1, trials=trials,
         rstate=0, show_progressbar=False)  # fmt: skip
    assert all(t["state"] == JOB_STATE_DONE for t in trials.trials), "a rerun finishes them"


def _run_a_little(store_path):
    trials = FileTrials(store_path, parallelism=1)
    fmin(lambda x: x**2, SPACE, algo=rand.suggest, max_evals=3, trials=trials, rstate=0,
         show_progressbar=False)  # fmt: skip


def test_a_truncated_file_gives_a_clear_error_naming_it(store_path):
    _run_a_little(store_path)
    with sqlite3.connect(store_path) as db:  # everything into the main file, then cut it
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    size = os.path.getsize(store_path)
    with open(store_path, "r+b") as handle:
        handle.truncate(size // 2)
    for suffix in ("-wal", "-shm"):
        if os.path.exists(store_path + suffix):
            os.remove(store_path + suffix)
    with pytest.raises(StoreCorruptError, match=f"{store_path} .*(damaged|not a readable)") as info:
        FileTrials(store_path).refresh()
    assert "Move it aside and start a new file" in str(info.value)


def test_a_file_that_is_not_a_database_gives_a_clear_error(store_path):
    with open(store_path, "wb") as handle:
        handle.write(b"these are my notes, not trials\n" * 200)
    with pytest.raises(StoreCorruptError, match=f"{store_path} is not a readable hopt trials"):
        FileTrials(store_path)


def test_one_damaged_trial_does_not_take_the_others_with_it(store_path, caplog):
    _run_a_little(store_path)
    with sqlite3.connect(store_path) as db:
        db.execute("UPDATE trials SET doc = x'00ff00' WHERE tid = 1")
    trials = FileTrials(store_path, parallelism=0)
    assert trials.tids == [0, 2]
    assert f"trial 1 of {store_path} cannot be read" in caplog.text


def test_kill_9_of_a_worker_after_it_reported_keeps_its_reports(store_path, tmp_path, monkeypatch):
    marker = tmp_path / "killed"
    monkeypatch.setenv(MARKER_VARIABLE, str(marker))
    trials = FileTrials(store_path, parallelism=2, lease_secs=3)
    fmin(reports_then_killed_once, SPACE, algo=rand.suggest, max_evals=4, trials=trials,
         rstate=0, show_progressbar=False)  # fmt: skip
    assert len(trials) == 4 and set(trials.statuses()) == {STATUS_OK}
    check_reports_survived_the_kill(trials, marker)
