"""``SparkTrials`` on the session's cluster against the backend contract."""

from __future__ import annotations

import pytest

from hopt.testing.backends import BackendConformance
from hopt.trials.spark import SparkTrials


class TestSparkTrials(BackendConformance):
    @pytest.fixture
    def make_trials(self, spark):
        return lambda exp_key: SparkTrials(parallelism=2, spark_session=spark)
