"""Reading Spark's failures: what to tell the user when a job fails."""

from __future__ import annotations

import re


def missing_module(failure: BaseException) -> str | None:
    """The module a Spark job could not import, if that is why it failed.

    The objective's own exceptions are caught inside the task and come back as
    results; a ModuleNotFoundError that fails the job was raised loading the task
    itself (hopt, numpy, a package the objective uses), in the executors' Python.
    """
    found = re.search(r"ModuleNotFoundError: No module named '([^']+)'", str(failure))
    return found.group(1) if found else None


def executors_lack(module: str) -> str:
    """What to do when the executors' Python cannot import ``module``."""
    return (
        f"the Python that Spark runs trials in cannot import {module!r} "
        "(ModuleNotFoundError). Set $PYSPARK_PYTHON (or spark.pyspark.python with "
        "spark-submit) to a Python that has hopt and the objective's packages: on a local "
        "master, sys.executable, before the session starts; on a cluster, install them "
        "on every executor."
    )


def first_line(exc: BaseException) -> str:
    """The line of a (Py4J) exception that says what went wrong."""
    text = str(exc).strip()
    lines = [line for line in text.splitlines() if line.strip()]
    for line in lines:  # Py4J puts the Spark reason after a line about the Java call
        if "Exception" in line or "Error" in line:
            return line.strip()[:500]
    return (lines[0] if lines else type(exc).__name__)[:500]
