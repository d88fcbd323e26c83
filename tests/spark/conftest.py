"""One SparkSession for the whole Spark suite, on the master in SPARK_TEST_MASTER.

scripts/test.sh runs this suite three times: in ``local[2]`` (the default here),
in ``local-cluster[1,2,1024]`` (a separate executor JVM) and against a
standalone master + worker it starts on 127.0.0.1.  Every test here is marked
``spark``.
"""

from __future__ import annotations

import os
import sys

import pytest

# Must be set before the JVM starts: executors run this interpreter (with hopt
# installed), and Spark binds to loopback only.
os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)

MASTER = os.environ.get("SPARK_TEST_MASTER", "local[2]")


def pytest_collection_modifyitems(items):
    here = os.path.dirname(__file__)
    for item in items:
        if str(item.fspath).startswith(here):
            item.add_marker(pytest.mark.spark)


@pytest.fixture(scope="session")
def spark():
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master(MASTER)
        .appName("hopt-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.pyspark.python", sys.executable)
        .config("spark.driver.extraJavaOptions", "-XX:TieredStopAtLevel=1")
        .config("spark.executor.extraJavaOptions", "-XX:TieredStopAtLevel=1")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="session")
def is_cluster(spark):
    """True when executors are separate JVMs that a test may kill (not local[N])."""
    return not MASTER.startswith("local[")


@pytest.fixture(scope="session")
def spark_master():
    return MASTER
