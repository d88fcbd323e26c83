"""``FileTrials`` against the backend, storage and job-queue contracts (hopt.testing)."""

from __future__ import annotations

import pytest

from hopt import FileTrials
from hopt.testing.backends import BackendConformance
from hopt.testing.storage import QueueConformance, StorageConformance
from hopt.trials.file import FileJobs


class TestFileTrials(BackendConformance):
    @pytest.fixture
    def make_trials(self, tmp_path):
        # a file per run: fmin starts and stops two worker processes on it
        return lambda exp_key: FileTrials(tmp_path / f"{exp_key}.db", exp_key, parallelism=2)

    @pytest.fixture
    def open_reader(self):
        # another process's view of the file: a FileTrials of its own, no workers
        return lambda exp_key, trials: FileTrials(trials.path, exp_key, parallelism=0)


class TestFileStorage(StorageConformance, QueueConformance):
    @pytest.fixture
    def make_store(self, store_path):
        return lambda exp_key=None: FileTrials(store_path, exp_key=exp_key, parallelism=0)

    @pytest.fixture
    def reopen(self, store_path):
        return lambda trials: FileTrials(store_path, exp_key=trials._exp_key, parallelism=0)

    @pytest.fixture
    def make_queue(self, store_path):
        def make(lease_secs):
            trials = FileTrials(store_path, parallelism=0, lease_secs=lease_secs)
            return trials, FileJobs.open_existing(store_path)

        return make
