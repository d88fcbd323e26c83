"""``RunsOnWorkers``: the part of the storage contract a worker-run backend refuses.

FileTrials and MongoTrials store trials that worker processes reserve, run and
record (through ``QueueCtrl``); fmin never runs one in its own process there.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..._types import TrialDoc
from ...exceptions import InvalidArgumentError


class RunsOnWorkers:
    """Mixin placed before ``Trials``: in-process running methods say where trials run."""

    def _runs_on_workers(self, method: str) -> InvalidArgumentError:
        return InvalidArgumentError(
            f"{type(self).__name__}.{method}: trials run in worker processes, which reserve "
            "and record them (an objective reports through its ctrl); this method is for "
            "in-process backends such as Trials."
        )

    def start_trial(self, trial: TrialDoc, owner: str | None = None) -> None:
        """Refused: a worker process starts the trial (raises ``InvalidArgumentError``)."""
        raise self._runs_on_workers("start_trial")

    def finish_trial(self, trial: TrialDoc, result: Mapping[str, Any]) -> None:
        """Refused: the worker that ran the trial records its result."""
        raise self._runs_on_workers("finish_trial")

    def interrupt_trial(self, trial: TrialDoc, reason: str) -> int:
        """Refused: a worker that stops gives its trial back to the queue itself."""
        raise self._runs_on_workers("interrupt_trial")

    def add_report(self, trial: TrialDoc, value: Any, step: int) -> None:
        """Refused: the objective reports through its ``ctrl`` in the worker."""
        raise self._runs_on_workers("add_report")
