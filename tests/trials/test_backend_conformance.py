"""In-memory ``Trials`` against the backend and storage contracts (hopt.testing)."""

from __future__ import annotations

import pytest

from hopt import Trials
from hopt.testing.backends import BackendConformance
from hopt.testing.storage import RunInProcessConformance, StorageConformance


class TestInMemoryTrials(BackendConformance):
    @pytest.fixture
    def make_trials(self):
        return lambda exp_key: Trials()


class TestInMemoryStorage(StorageConformance, RunInProcessConformance):
    @pytest.fixture
    def make_store(self):
        shared = Trials()  # every store of one test is a view of the same documents
        return lambda exp_key=None: shared.view(exp_key=exp_key)

    @pytest.fixture
    def reopen(self):
        return lambda trials: trials.view(exp_key=trials._exp_key)
