"""``MongoTrials`` with two real hopt-worker processes against the backend contract."""

from __future__ import annotations

import pytest

from hopt.testing.backends import BackendConformance
from hopt.trials.mongo import MongoTrials


class TestMongoTrials(BackendConformance):
    @pytest.fixture
    def make_trials(self, mongo_url, start_workers):
        start_workers(2, "--max-consecutive-failures", "1000")  # serving every exp_key
        return lambda exp_key: MongoTrials(mongo_url, exp_key=exp_key)
