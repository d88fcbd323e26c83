"""In-memory ``Trials`` against the backend contract (hopt.testing.backends)."""

from __future__ import annotations

import pytest

from hopt import Trials
from hopt.testing.backends import BackendConformance


class TestInMemoryTrials(BackendConformance):
    @pytest.fixture
    def make_trials(self):
        return lambda exp_key: Trials()
