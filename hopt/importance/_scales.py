"""How each label's values are compared: as options, or as numbers on a linear or log scale.

Stored trial values cannot tell an ``hp.choice`` index from a whole number, nor a
log prior from a linear one, so the search space, when given, decides:

* ``hp.choice`` / ``hp.pchoice``: options (the stored index);
* ``hp.randint`` with at most ``MAX_OPTIONS`` values: options; with more, whole
  numbers on a linear scale (a density over thousands of options seen a few times
  each would be noise);
* the other priors: numbers in the prior's model space (log space for the log
  priors), inside the prior's bounds when it has them.

Without a space every label is a number on a linear scale inside the range its
values cover, so a choice index is read as an ordinal number and a log-uniform
value on a linear axis.  Both still show an effect, but pass ``space=`` for the
faithful reading.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..distributions import Categorical, Distribution, Normal, RandInt, Uniform
from ..space.compile import CompiledSpace

#: ``hp.randint`` labels with more values than this are read as numbers
MAX_OPTIONS = 64


@dataclass(frozen=True)
class Scale:
    """One label's scale.  Categorical when ``options`` is set, numeric otherwise."""

    #: stored values that are options (sorted); empty for a numeric label
    options: tuple[float, ...] = ()
    log: bool = False
    #: the prior's bounds in model space (may be infinite); the data's range widens them
    low: float = -math.inf
    high: float = math.inf
    #: spacing of the values in model space for a linearly quantized prior, else None
    step: float | None = None

    @property
    def categorical(self) -> bool:
        return len(self.options) > 0

    def model_values(self, values: np.ndarray) -> np.ndarray:
        """Stored values in model space: an option index, a log, or the value itself.

        NaN (inactive) stays NaN.  A stored value that is no option of the space (the
        trials ran with another space) becomes an extra option after the known ones.
        """
        if self.categorical:
            known = np.asarray(self.options, dtype=float)
            extra = np.setdiff1d(values[np.isfinite(values)], known)
            categories = np.concatenate([known, extra])
            order = np.argsort(categories, kind="stable")
            position = np.searchsorted(categories[order], values)
            position = np.clip(position, 0, len(categories) - 1)
            out = order[position].astype(float)
            out[~np.isfinite(values)] = np.nan
            return out
        if self.log:
            with np.errstate(divide="ignore", invalid="ignore"):
                out = np.log(values)
            out[~(values > 0)] = np.nan  # no log: treat as inactive
            return out
        return np.asarray(values, dtype=float)

    def n_categories(self, model_values: np.ndarray) -> int:
        """Options of a categorical label, extra stored values included."""
        seen = model_values[np.isfinite(model_values)]
        return max(len(self.options), int(seen.max()) + 1 if seen.size else 0)

    def domain(self, model_values: np.ndarray) -> tuple[float, float]:
        """The numeric range to measure on: the prior's bounds widened to every value seen."""
        seen = model_values[np.isfinite(model_values)]
        low, high = self.low, self.high
        if seen.size:
            low = float(seen.min()) if math.isinf(low) else min(low, float(seen.min()))
            high = float(seen.max()) if math.isinf(high) else max(high, float(seen.max()))
        if not math.isfinite(low) or not math.isfinite(high):
            return (0.0, 0.0)  # nothing seen and no bounds: a constant
        return low, high


def _linear_step(distribution: Uniform | Normal) -> float | None:
    """The spacing of a quantized prior's values in model space (None: continuous, or log)."""
    return float(distribution.q) if distribution.q is not None and not distribution.log else None


def _scale_of(distribution: Distribution) -> Scale:
    if isinstance(distribution, Categorical):
        return Scale(options=tuple(float(i) for i in range(distribution.n_options)))
    if isinstance(distribution, RandInt):
        low, high = distribution.low, distribution.high
        if distribution.n_options <= MAX_OPTIONS:
            return Scale(options=tuple(float(v) for v in range(low, high)))
        return Scale(low=low - 0.5, high=high - 0.5, step=1.0)
    if isinstance(distribution, Uniform):
        step = _linear_step(distribution)
        # values sit on multiples of q: half a step either side gives the ends a full cell
        half = 0.0 if step is None else step / 2
        return Scale(
            log=distribution.log,
            low=distribution.low - half,
            high=distribution.high + half,
            step=step,
        )
    if isinstance(distribution, Normal):
        return Scale(log=distribution.log, step=_linear_step(distribution))
    return Scale()


def compile_space(space: Any) -> CompiledSpace:
    if isinstance(space, CompiledSpace):
        return space
    compiled = getattr(space, "compiled", None)  # a hopt Domain
    return compiled if isinstance(compiled, CompiledSpace) else CompiledSpace(space)


def label_scales(space: Any, labels: list[str]) -> tuple[list[str], dict[str, Scale]]:
    """Labels in a stable order (the space's first, then the rest sorted) and their scales."""
    scales: dict[str, Scale] = {}
    order: list[str] = []
    if space is not None:
        for label, param in compile_space(space).params.items():
            if label in labels:
                scales[label] = _scale_of(param.distribution)
                order.append(label)
    for label in sorted(labels):
        if label not in scales:
            scales[label] = Scale()
            order.append(label)
    return order, scales
