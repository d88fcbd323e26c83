"""Tests of hopt.trials.spark.connect against a real Spark Connect server.

The server is the one scripts/test.sh starts (scripts/spark_connect.sh: local[2] on
127.0.0.1) and names in SPARK_CONNECT_URL; ``bash scripts/test.sh tests/spark_connect``
runs this directory alone. Without SPARK_CONNECT_URL, every test that needs the
server is skipped, saying so. The tests expect the server on this machine: its Python
workers write files the tests read and connect to sockets the tests open.
Every test here is marked ``spark_connect``.
"""

from __future__ import annotations

import os

import pytest

CONNECT_URL = os.environ.get("SPARK_CONNECT_URL")


def pytest_collection_modifyitems(items):
    here = os.path.dirname(__file__)
    for item in items:
        if str(item.fspath).startswith(here):
            item.add_marker(pytest.mark.spark_connect)


@pytest.fixture(scope="session")
def connect_session():
    """A Spark Connect session on SPARK_CONNECT_URL, shared by the tests."""
    if not CONNECT_URL:
        pytest.skip(
            "SPARK_CONNECT_URL is unset: run `bash scripts/test.sh tests/spark_connect`, "
            "which starts a Spark Connect server for these tests."
        )
    from pyspark.sql import SparkSession

    session = SparkSession.builder.remote(CONNECT_URL).getOrCreate()
    yield session
    session.stop()
