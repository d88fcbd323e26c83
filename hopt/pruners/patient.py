"""PatientPruner: prune only after a trial stopped improving for a while."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .._validate import check_int, check_number, fail
from .base import Pruner, values_by_step

__all__ = ["PatientPruner"]


class PatientPruner(Pruner):
    """Wait ``patience`` steps without improvement, then ask ``wrapped_pruner`` (or prune).

    Take the trial's values by step in step order (at a step reported twice, the
    last report); *recent* are the last ``patience + 1`` of them, *earlier* the
    rest.  The trial has stalled when ``min(recent) > min(earlier) + min_delta``:
    its best recent value is worse than its best earlier one by more than
    ``min_delta``.  This is Optuna's rule, where ``min_delta`` is a tolerance (a
    recent value up to ``min_delta`` worse than the earlier best still counts as
    keeping up), not Keras's ``min_delta``, the least gain that counts as an
    improvement.  Patience counts reported steps, not step numbers.  While the
    trial has ``patience + 1`` steps or fewer it is never pruned.

    When the trial has stalled, the decision is ``wrapped_pruner``'s, or True when
    ``wrapped_pruner`` is None; when it has not, False, whatever the wrapped
    pruner would say.
    """

    def __init__(
        self, wrapped_pruner: Pruner | None, patience: int, min_delta: float = 0.0
    ) -> None:
        where = "PatientPruner"
        if wrapped_pruner is not None and not isinstance(wrapped_pruner, Pruner):
            fail(
                where,
                "wrapped_pruner must be a hopt pruner or None",
                "wrapped_pruner",
                wrapped_pruner,
                "Pass e.g. hopt.pruners.MedianPruner(), or None to prune on patience alone.",
            )
        self._wrapped_pruner = wrapped_pruner
        self._patience = check_int(
            patience,
            "patience",
            where,
            minimum=0,
            fix="It is how many steps a trial may go without improving.",
        )
        self._min_delta = check_number(
            min_delta,
            "min_delta",
            where,
            low=0,
            allow_inf=False,
            fix="It is how much worse than its earlier best a trial may get and still count as "
            "keeping up (0: no tolerance).",
        )

    def __repr__(self) -> str:
        return (
            f"PatientPruner({self._wrapped_pruner!r}, patience={self._patience}, "
            f"min_delta={self._min_delta!r})"
        )

    def prune(self, trial: Mapping[str, Any], trials: Sequence[Mapping[str, Any]]) -> bool:
        """Whether the trial stalled for ``patience`` steps and the wrapped pruner agrees."""
        values = values_by_step(trial)
        if len(values) <= self._patience + 1:
            return False
        ordered = [values[step] for step in sorted(values)]
        split = len(ordered) - self._patience - 1
        stalled = min(ordered[split:]) > min(ordered[:split]) + self._min_delta
        if not stalled:
            return False
        if self._wrapped_pruner is None:
            return True
        return self._wrapped_pruner.prune(trial, trials)
