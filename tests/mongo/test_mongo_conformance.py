"""``MongoTrials`` against the backend, storage and job-queue contracts, on a real server."""

from __future__ import annotations

import pytest

from hopt.testing.backends import BackendConformance
from hopt.testing.storage import QueueConformance, StorageConformance
from hopt.trials.mongo import MongoJobs, MongoTrials


class TestMongoTrials(BackendConformance):
    @pytest.fixture
    def make_trials(self, mongo_url, start_workers):
        start_workers(2, "--max-consecutive-failures", "1000")  # serving every exp_key
        return lambda exp_key: MongoTrials(mongo_url, exp_key=exp_key)

    @pytest.fixture
    def open_reader(self, mongo_url):
        # another process's view of the database: a MongoTrials with its own connection
        return lambda exp_key, trials: MongoTrials(mongo_url, exp_key=exp_key)


class TestMongoStorage(StorageConformance, QueueConformance):
    @pytest.fixture
    def make_store(self, mongo_url):
        return lambda exp_key=None: MongoTrials(mongo_url, exp_key=exp_key)

    @pytest.fixture
    def reopen(self, mongo_url):
        return lambda trials: MongoTrials(mongo_url, exp_key=trials._exp_key)

    @pytest.fixture
    def make_queue(self, mongo_url):
        def make(lease_secs):
            return MongoTrials(mongo_url), MongoJobs.new_from_connection_str(mongo_url)

        return make
