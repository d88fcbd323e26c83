"""Shipping the domain (objective and space) to Spark executors.

The driver pickles the ``Domain`` once per fmin (see hopt.trials.serialization:
an objective whose module executors cannot import travels by value) and
broadcasts the bytes; each executor's Python worker unpickles it once and keeps
it for the trials it runs.
"""

from __future__ import annotations

from typing import Any

from ..serialization import dumps_domain as _dumps_domain


def dumps_domain(domain: Any) -> bytes:
    """cloudpickle bytes of ``domain``; a clear error when the objective cannot travel."""
    return _dumps_domain(domain, "SparkTrials", "Spark executors")
