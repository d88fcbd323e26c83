"""SparkTrials and MongoTrials refuse bad arguments by fmin's rules, before any server is used.

No Spark session or MongoDB server is needed: the checks run first, and the
functions that would reach Spark or pymongo are replaced by ones that fail the
test if called.
"""

from __future__ import annotations

import math
import re

import pytest

from hopt.exceptions import InvalidArgumentError
from hopt.trials.mongo import connection
from hopt.trials.mongo.trials import MongoTrials
from hopt.trials.spark import trials as spark_trials
from hopt.trials.spark.trials import SparkTrials


def _untouched(*args, **kwargs):
    raise AssertionError("the server was reached before the arguments were checked")


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (
            {"loss_threshold": math.nan},
            "SparkTrials: loss_threshold must be None or a number; got loss_threshold=nan.",
        ),
        (
            {"loss_threshold": True},
            "SparkTrials: loss_threshold must be None or a number; got loss_threshold=True.",
        ),
        (
            {"timeout": math.nan},
            "SparkTrials: timeout must be None or a positive number of seconds; got timeout=nan.",
        ),
        (
            {"timeout": 0},
            "SparkTrials: timeout must be None or a positive number of seconds; got timeout=0.",
        ),
        (
            {"parallelism": 0},
            "SparkTrials: parallelism must be None or an int >= 1; got parallelism=0. "
            "None uses every task slot of the cluster.",
        ),
        (
            {"parallelism": 2.0},
            "SparkTrials: parallelism must be None or an int >= 1; got parallelism=2.0. "
            "None uses every task slot of the cluster.",
        ),
    ],
    ids=lambda v: repr(v) if isinstance(v, dict) else "",
)
def test_spark_trials_follows_fmins_rules_before_touching_spark(monkeypatch, kwargs, message):
    monkeypatch.setattr(spark_trials, "active_session", _untouched)
    with pytest.raises(InvalidArgumentError, match=f"^{re.escape(message)}$"):
        SparkTrials(**kwargs)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (
            {"connect_timeout": math.nan},
            "MongoTrials: connect_timeout must be finite; got connect_timeout=nan.",
        ),
        (
            {"connect_timeout": 0},
            "MongoTrials: connect_timeout must be a positive finite number of seconds; "
            "got connect_timeout=0.",
        ),
        (
            {"reconnect_timeout": math.inf},
            "MongoTrials: reconnect_timeout must be finite; got reconnect_timeout=inf.",
        ),
        (
            {"reconnect_timeout": "300"},
            "MongoTrials: reconnect_timeout must be a positive finite number of seconds; "
            "got reconnect_timeout='300'.",
        ),
        (
            {"max_attempts": 0},
            "MongoTrials: max_attempts must be an int >= 1; got max_attempts=0.",
        ),
        (
            {"max_attempts": True},
            "MongoTrials: max_attempts must be an int >= 1; got max_attempts=True.",
        ),
    ],
    ids=lambda v: repr(v) if isinstance(v, dict) else "",
)
def test_mongo_trials_checks_its_arguments_before_connecting(monkeypatch, kwargs, message):
    monkeypatch.setattr(connection, "require_pymongo", _untouched)
    with pytest.raises(InvalidArgumentError, match=f"^{re.escape(message)}$"):
        MongoTrials("mongo://127.0.0.1:1/hopt_test/jobs", **kwargs)
