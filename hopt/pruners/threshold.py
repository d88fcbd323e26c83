"""ThresholdPruner: stop a trial whose latest value leaves a fixed range."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from .._validate import check_int, check_number, fail
from .base import Pruner, due_check

__all__ = ["ThresholdPruner"]


class ThresholdPruner(Pruner):
    """Stop a trial when its value at its largest step is below ``lower`` or above ``upper``.

    At a check (the same warm-up and interval rule as :class:`PercentilePruner`:
    due at steps ``n_warmup_steps + k * interval_steps``, or at the first report
    past one the trial skipped), the trial's value at the largest step it
    reported is compared with the bounds; a value equal to a bound is kept.  A NaN
    value is pruned (hopt refuses non-finite reports already, so this is a guard).
    Either bound may be None (no bound on that side), not both.
    """

    def __init__(
        self,
        lower: float | None = None,
        upper: float | None = None,
        n_warmup_steps: int = 0,
        interval_steps: int = 1,
    ) -> None:
        where = "ThresholdPruner"
        if lower is None and upper is None:
            fail(
                where,
                "lower or upper must be a number",
                "lower, upper",
                (None, None),
                "Give upper=... to stop trials whose loss climbs above it, lower=... for below.",
            )
        self._lower = check_number(lower, "lower", where, allow_none=True)
        self._upper = check_number(upper, "upper", where, allow_none=True)
        if self._lower is not None and self._upper is not None and self._lower > self._upper:
            fail(
                where,
                "lower must be <= upper",
                "lower, upper",
                (lower, upper),
                "Swap them: lower is the smallest value a trial may report.",
            )
        self._n_warmup_steps = check_int(
            n_warmup_steps,
            "n_warmup_steps",
            where,
            minimum=0,
            fix="It is the first step at which a trial may be pruned (0: from the start).",
        )
        self._interval_steps = check_int(
            interval_steps, "interval_steps", where, minimum=1, fix="Use 1 to check at every step."
        )

    def __repr__(self) -> str:
        return (
            f"ThresholdPruner(lower={self._lower!r}, upper={self._upper!r}, "
            f"n_warmup_steps={self._n_warmup_steps}, interval_steps={self._interval_steps})"
        )

    def prune(self, trial: Mapping[str, Any], trials: Sequence[Mapping[str, Any]]) -> bool:
        """Whether the trial's value at its largest step is outside ``[lower, upper]``."""
        due = due_check(trial, self._n_warmup_steps, self._interval_steps)
        if due is None:
            return False
        values, step = due
        value = values[step]
        if math.isnan(value):
            return True
        if self._lower is not None and value < self._lower:
            return True
        return self._upper is not None and value > self._upper
