"""Opening STORE: trials files and FileTrials files, bad STOREs, reading only on change.

(MongoDB URLs: tests/mongo/test_mongo_dashboard.py, against the real server.)
"""

from __future__ import annotations

import os
import pickle

import pytest
from dashboard_support import SCRIPT_LABEL, SPACE, objective, run_search

from hopt import FileTrials, fmin, rand
from hopt.dashboard import StoreError, open_source, open_store
from hopt.dashboard.store import ACCEPTED_FORMS, PickleSource


def test_a_trials_file_opens_with_its_trials(tmp_path):
    saved = run_search(tmp_path / "run.pkl", 6)
    watcher = open_store(tmp_path / "run.pkl")
    snapshot = watcher.snapshot(fresh=True)
    assert watcher.kind == "trials file"
    assert snapshot.version == 1
    assert [t["tid"] for t in snapshot.trials.trials] == saved.tids
    assert snapshot.trials.best_trial["tid"] == saved.best_trial["tid"]


def test_a_trials_file_is_read_again_only_when_it_changed(tmp_path, monkeypatch):
    path = tmp_path / "run.pkl"
    run_search(path, 3)
    source = open_source(path)
    assert isinstance(source, PickleSource)
    assert source.read() is not None  # the first read hands over what opening loaded
    loads = []
    import cloudpickle

    real_load = cloudpickle.load
    monkeypatch.setattr(cloudpickle, "load", lambda f: loads.append(1) or real_load(f))
    assert source.read() is None and source.read() is None  # unchanged: one stat each
    assert loads == []
    run_search(path, 5)  # resumes the same file and saves it again
    loads.clear()
    again = source.read()
    assert loads == [1] and len(again.trials) == 5


def test_the_watcher_moves_its_version_only_when_trials_changed(tmp_path):
    path = tmp_path / "run.pkl"
    run_search(path, 3)
    watcher = open_store(path, min_interval=0.0)
    first = watcher.snapshot(fresh=True)
    os.utime(path)  # a new mtime, the same trials: read, but the same version
    assert watcher.snapshot(fresh=True) is first
    run_search(path, 4)
    assert watcher.snapshot(fresh=True).version == 2
    assert len(watcher.snapshot(fresh=True).trials.trials) == 4


def test_a_snapshot_is_a_copy_the_store_cannot_change(tmp_path):
    path = tmp_path / "run.pkl"
    run_search(path, 3)
    watcher = open_store(path, min_interval=0.0)
    snapshot = watcher.snapshot(fresh=True)
    run_search(path, 6)
    watcher.snapshot(fresh=True)
    assert len(snapshot.trials.trials) == 3


def test_exp_key_picks_one_experiment_of_a_trials_file(tmp_path):
    from hopt import Trials
    from hopt.trials.persistence import save_atomically

    trials = Trials(exp_key="a")
    fmin(objective, SPACE, algo=rand.suggest, max_evals=2, trials=trials, rstate=0,
         show_progressbar=False, catch_eval_exceptions=True)  # fmt: skip
    path = tmp_path / "run.pkl"
    save_atomically(trials, str(path))
    assert len(open_store(path, exp_key="a").snapshot().trials.trials) == 2
    assert len(open_store(path, exp_key="b").snapshot().trials.trials) == 0


def test_a_file_trials_store_opens_and_follows_new_trials(tmp_path):
    path = str(tmp_path / "search.db")
    trials = FileTrials(path, parallelism=1)
    fmin(objective, SPACE, algo=rand.suggest, max_evals=3, trials=trials, rstate=0,
         show_progressbar=False)  # fmt: skip
    watcher = open_store(path, min_interval=0.0)
    assert watcher.kind == "FileTrials"
    first = watcher.snapshot(fresh=True)
    assert sorted(t["tid"] for t in first.trials.trials) == sorted(trials.tids)
    assert SCRIPT_LABEL in first.trials.trials[0]["misc"]["vals"]
    assert watcher.snapshot(fresh=True) is first  # nothing written since: the same snapshot
    fmin(objective, SPACE, algo=rand.suggest, max_evals=5, trials=trials, rstate=1,
         show_progressbar=False)  # fmt: skip
    assert len(watcher.snapshot(fresh=True).trials.trials) == 5
    assert watcher.snapshot(fresh=True).version == 2


def test_opening_a_file_trials_store_writes_no_trial(tmp_path):
    path = str(tmp_path / "search.db")
    trials = FileTrials(path, parallelism=1)
    fmin(objective, SPACE, algo=rand.suggest, max_evals=2, trials=trials, rstate=0,
         show_progressbar=False)  # fmt: skip
    before = trials.jobs.changes()
    watcher = open_store(path, min_interval=0.0)
    watcher.snapshot(fresh=True)
    watcher.snapshot(fresh=True)
    assert trials.jobs.changes() == before


def _not_trials(tmp_path):
    path = tmp_path / "dict.pkl"
    path.write_bytes(pickle.dumps({"a": 1}))
    return str(path), "holds a dict, not a Trials"


def _garbage(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("hello")
    return str(path), "is neither an SQLite FileTrials file nor a readable trials file"


def _missing(tmp_path):
    return str(tmp_path / "nope.pkl"), "there is no file at"


def _folder(tmp_path):
    return str(tmp_path), "is a directory"


def _http(tmp_path):
    return "http://127.0.0.1:8080/db/jobs", "the URL scheme is not one of mongo://"


def _bad_mongo(tmp_path):
    return "mongo://127.0.0.1:27017", "the MongoDB URL does not parse"


@pytest.mark.parametrize("case", [_not_trials, _garbage, _missing, _folder, _http, _bad_mongo])
def test_a_bad_store_says_which_forms_are_accepted(case, tmp_path):
    spec, problem = case(tmp_path)
    with pytest.raises(StoreError) as caught:
        open_store(spec)
    message = str(caught.value)
    assert message.startswith("hopt dashboard: ")
    assert problem in message
    assert f"got STORE={spec!r}" in message
    assert ACCEPTED_FORMS in message


def test_a_vanished_trials_file_keeps_the_last_snapshot_and_says_why(tmp_path):
    path = tmp_path / "run.pkl"
    run_search(path, 2)
    watcher = open_store(path, min_interval=0.0)
    first = watcher.snapshot(fresh=True)
    path.unlink()
    assert watcher.snapshot(fresh=True) is first
    assert "is gone" in watcher.error


def test_a_slow_read_spaces_out_the_next_ones(tmp_path):
    """A read may take at most a fifth of the time (a big trials file loaded again)."""
    from hopt.dashboard.store import LiveSource, StoreWatcher

    path = tmp_path / "run.pkl"
    trials = run_search(path, 2)
    clock = [0.0]
    reads = []

    class SlowSource(LiveSource):
        def read(self):
            reads.append(clock[0])
            clock[0] += 1.0  # each read takes a second
            return self.trials

    watcher = StoreWatcher(
        SlowSource("x", trials, "test"), min_interval=0.1, clock=lambda: clock[0]
    )
    watcher.snapshot()
    assert reads == [0.0]
    clock[0] = 4.9  # 1 s of reading allows the next read 5 s after the last began
    watcher.snapshot()
    assert reads == [0.0]
    clock[0] = 5.0
    watcher.snapshot()
    assert reads == [0.0, 5.0]


def test_a_fresh_snapshot_reads_at_once_and_a_polled_one_waits_its_turn(tmp_path):
    path = tmp_path / "run.pkl"
    run_search(path, 2)
    watcher = open_store(path, min_interval=3600.0)
    run_search(path, 3)
    assert len(watcher.snapshot().trials.trials) == 2  # read less than an hour ago
    assert len(watcher.snapshot(fresh=True).trials.trials) == 3
