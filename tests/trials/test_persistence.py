"""Saving trials atomically: a crash while writing never loses the previous file."""

import os
import pickle

import cloudpickle
import pytest

import hopt.trials.persistence as persistence
from hopt import Trials, fmin, hp, rand


def finished_trials(n):
    trials = Trials()
    fmin(
        lambda x: x**2,
        hp.uniform("x", -1, 1),
        rand.suggest,
        n,
        trials=trials,
        rstate=0,
        show_progressbar=False,
    )
    return trials


def crash_midway(obj, file, *args, **kwargs):
    file.write(b"\x80\x05partial pickle")
    raise OSError("disk full")


def test_save_then_load_round_trips(tmp_path):
    path = str(tmp_path / "t.pkl")
    trials = finished_trials(3)
    persistence.save_atomically(trials, path)
    loaded = persistence.load(path)
    assert loaded.trials == trials.trials


def test_saved_file_is_a_cloudpickle(tmp_path):
    path = tmp_path / "t.pkl"
    persistence.save_atomically({"a": 1}, str(path))
    assert cloudpickle.loads(path.read_bytes()) == {"a": 1}


def test_save_replaces_an_existing_file(tmp_path):
    path = str(tmp_path / "t.pkl")
    persistence.save_atomically("old", path)
    persistence.save_atomically("new", path)
    assert persistence.load(path) == "new"
    assert os.listdir(tmp_path) == ["t.pkl"]


def test_relative_path_is_saved_in_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    persistence.save_atomically([1, 2], "rel.pkl")
    assert persistence.load(str(tmp_path / "rel.pkl")) == [1, 2]


def test_crash_mid_write_keeps_old_file_and_removes_temp(tmp_path, monkeypatch):
    path = str(tmp_path / "t.pkl")
    old = finished_trials(2)
    persistence.save_atomically(old, path)
    monkeypatch.setattr(persistence.cloudpickle, "dump", crash_midway)
    with pytest.raises(OSError, match="disk full"):
        persistence.save_atomically(finished_trials(4), path)
    monkeypatch.undo()
    assert persistence.load(path).trials == old.trials
    assert os.listdir(tmp_path) == ["t.pkl"]


def test_crash_on_first_save_leaves_no_file(tmp_path, monkeypatch):
    monkeypatch.setattr(persistence.cloudpickle, "dump", crash_midway)
    with pytest.raises(OSError):
        persistence.save_atomically("x", str(tmp_path / "t.pkl"))
    assert os.listdir(tmp_path) == []


def test_interrupt_mid_write_removes_temp_file(tmp_path, monkeypatch):
    path = str(tmp_path / "t.pkl")
    persistence.save_atomically("old", path)

    def interrupted(obj, file, *args, **kwargs):
        file.write(b"partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(persistence.cloudpickle, "dump", interrupted)
    with pytest.raises(KeyboardInterrupt):
        persistence.save_atomically("new", path)
    monkeypatch.undo()
    assert persistence.load(path) == "old"
    assert os.listdir(tmp_path) == ["t.pkl"]


def test_unpicklable_object_keeps_old_file(tmp_path):
    path = str(tmp_path / "t.pkl")
    persistence.save_atomically("old", path)

    class Unpicklable:
        def __reduce__(self):
            raise pickle.PicklingError("cannot pickle this")

    with pytest.raises(pickle.PicklingError):
        persistence.save_atomically(Unpicklable(), path)
    assert persistence.load(path) == "old"
    assert os.listdir(tmp_path) == ["t.pkl"]


def test_load_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        persistence.load(str(tmp_path / "absent.pkl"))


def test_a_saved_file_gets_the_umask_permissions_or_keeps_the_old_ones(tmp_path):
    old_umask = os.umask(0o022)
    try:
        path = tmp_path / "new.pkl"
        persistence.save_atomically(finished_trials(2), str(path))
        assert oct(path.stat().st_mode & 0o777) == oct(0o644)  # as open() would make it
        os.chmod(path, 0o600)  # the user locked it down: a later save keeps that
        persistence.save_atomically(finished_trials(3), str(path))
        assert oct(path.stat().st_mode & 0o777) == oct(0o600)
    finally:
        os.umask(old_umask)
    assert [p.name for p in tmp_path.iterdir()] == ["new.pkl"], "no temporary file left"
