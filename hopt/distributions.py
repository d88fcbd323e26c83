"""Prior distributions of hyperparameters as small immutable value objects.

A distribution knows how to validate its arguments, draw many samples at once
and whether its values are whole numbers.  The expression graph, the
evaluator and every suggest algorithm share these objects, so the meaning of
``hp.quniform`` lives in exactly one place.

Deliberate differences from Hyperopt 0.3.0 (see docs/migrating-from-hyperopt.md):
quantized values never leave their bounds (Hyperopt's ``quniform(1.01, 10, 1)``
could return ``1.0``), and a range check never skips a bound that is ``0``.
"""

from __future__ import annotations

import decimal
import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from . import _validate
from .exceptions import InvalidSpaceError

_WHOLE_TOLERANCE = 1e-9
_MAX_LOG = math.log(np.finfo(float).max)
_INT64 = np.iinfo(np.int64)


def _is_whole(x: float) -> bool:
    return abs(x - round(x)) <= _WHOLE_TOLERANCE * max(1.0, abs(x))


def _is_whole_step(q: float) -> bool:
    """A grid step that makes whole numbers: 1, 2, ... (a tiny q such as 1e-9 is not 0)."""
    return q >= 0.5 and _is_whole(q)


#: how far from 1 pchoice's probabilities may sum: rounded ones such as 0.33 three
#: times are meant as thirds, and are normalised
PROBABILITY_SUM_TOLERANCE = 0.01


def check_number(where: str, name: str, value: Any) -> float:
    """Return ``value`` as a float, or say clearly why it is not a usable constant."""
    if hasattr(value, "pos_args") and hasattr(value, "named_args"):
        raise InvalidSpaceError(
            f"{where}: {name} must be a constant number, not another hyperparameter or "
            f"expression; got {name}={value!r}. Put the dependent parameter inside an "
            "hp.choice branch, or compute it in the objective."
        )
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()  # a 0-d array, e.g. from np.float64 arithmetic on arrays
    if isinstance(value, decimal.Decimal):
        value = float(value)  # nan and inf are caught below
    return _validate.check_number(value, name, where, allow_inf=False, error=InvalidSpaceError)


def _check_q(where: str, q: Any) -> float | None:
    if q is None:
        return None
    number = check_number(where, "q", q)
    if not number > 0:
        raise InvalidSpaceError(
            f"{where}: q must be > 0; got q={q!r}. q is the step of the grid values snap to."
        )
    return number


def _quantize(values: np.ndarray, q: float, low: float | None, high: float | None) -> np.ndarray:
    """round(x / q) * q, kept on the grid points that lie inside [low, high]."""
    snapped = np.round(values / q) * q
    if low is not None and high is not None:
        first = math.ceil(low / q - _WHOLE_TOLERANCE) * q
        last = math.floor(high / q + _WHOLE_TOLERANCE) * q
        snapped = np.clip(snapped, first, last)
    return snapped


def _grid_is_empty(q: float, low: float, high: float) -> bool:
    return math.ceil(low / q - _WHOLE_TOLERANCE) > math.floor(high / q + _WHOLE_TOLERANCE)


class Distribution:
    """Interface shared by all priors."""

    #: Name of the graph node that draws from this prior (Hyperopt's name).
    kind: ClassVar[str] = ""
    #: True when every value is a whole number, so trials store Python ints.
    is_integer: bool = False
    #: True for index-valued priors (choice, pchoice, randint).
    is_categorical: ClassVar[bool] = False

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        raise NotImplementedError

    def snap(self, values: np.ndarray) -> np.ndarray:
        """Values moved onto this prior's grid inside its bounds (identity if continuous).

        Samplers built on the prior (TPE, anneal) use it so that they keep exactly
        the support ``sample`` has.
        """
        return values

    def node_args(self) -> list[Any]:
        """The constant arguments of the graph node, in Hyperopt's order."""
        raise NotImplementedError

    def to_python(self, value: Any) -> int | float:
        """One stored value as the Python type trials hold."""
        return int(round(float(value))) if self.is_integer else float(value)


@dataclass(frozen=True)
class Uniform(Distribution):
    """uniform / quniform / loguniform / qloguniform; log bounds are in log space."""

    low: float
    high: float
    q: float | None = None
    log: bool = False

    @property
    def kind(self) -> str:  # type: ignore[override]
        return ("q" if self.q is not None else "") + ("log" if self.log else "") + "uniform"

    @property
    def is_integer(self) -> bool:  # type: ignore[override]
        return self.q is not None and _is_whole_step(self.q)

    @classmethod
    def build(cls, where: str, low: Any, high: Any, q: Any = None, log: bool = False) -> Uniform:
        low_f = check_number(where, "low", low)
        high_f = check_number(where, "high", high)
        if not low_f < high_f:
            hint = " Bounds of loguniform are in log space: use low=np.log(a)." if log else ""
            raise InvalidSpaceError(
                f"{where}: low must be < high; got low={low!r}, high={high!r}.{hint}"
            )
        if log and high_f > _MAX_LOG:
            raise InvalidSpaceError(
                f"{where}: exp(high) overflows; got low={low!r}, high={high!r}. Bounds of "
                "loguniform are in log space: use low=np.log(a), high=np.log(b)."
            )
        if not math.isfinite(high_f - low_f):
            raise InvalidSpaceError(
                f"{where}: high - low overflows a float; got low={low!r}, high={high!r}. "
                "Use a narrower range, or loguniform for values spanning many magnitudes."
            )
        q_f = _check_q(where, q)
        if q_f is not None:
            lo, hi = (math.exp(low_f), math.exp(high_f)) if log else (low_f, high_f)
            if _grid_is_empty(q_f, lo, hi):
                raise InvalidSpaceError(
                    f"{where}: no multiple of q lies between the bounds; got low={low!r}, "
                    f"high={high!r}, q={q!r}. Use a smaller q or wider bounds."
                )
        return cls(low_f, high_f, q_f, log)

    def value_bounds(self) -> tuple[float, float]:
        """The range of drawn values (after exp for log priors)."""
        if self.log:
            return math.exp(self.low), math.exp(self.high)
        return self.low, self.high

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        draws = rng.uniform(self.low, self.high, size)
        if self.log:
            draws = np.exp(draws)
        return self.snap(draws)

    def snap(self, values: np.ndarray) -> np.ndarray:
        if self.q is None:
            return values
        lo, hi = self.value_bounds()
        return _quantize(values, self.q, lo, hi)

    def node_args(self) -> list[Any]:
        return [self.low, self.high] + ([self.q] if self.q is not None else [])


@dataclass(frozen=True)
class Normal(Distribution):
    """normal / qnormal / lognormal / qlognormal (mu and sigma in log space for log)."""

    mu: float
    sigma: float
    q: float | None = None
    log: bool = False

    @property
    def kind(self) -> str:  # type: ignore[override]
        return ("q" if self.q is not None else "") + ("log" if self.log else "") + "normal"

    @property
    def is_integer(self) -> bool:  # type: ignore[override]
        return self.q is not None and _is_whole_step(self.q)

    @classmethod
    def build(cls, where: str, mu: Any, sigma: Any, q: Any = None, log: bool = False) -> Normal:
        mu_f = check_number(where, "mu", mu)
        sigma_f = check_number(where, "sigma", sigma)
        if not sigma_f > 0:
            raise InvalidSpaceError(
                f"{where}: sigma must be > 0; got sigma={sigma!r}. sigma is a standard deviation."
            )
        return cls(mu_f, sigma_f, _check_q(where, q), log)

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        draws = rng.normal(self.mu, self.sigma, size)
        if self.log:
            draws = np.exp(draws)
        return self.snap(draws)

    def snap(self, values: np.ndarray) -> np.ndarray:
        return values if self.q is None else _quantize(values, self.q, None, None)

    def node_args(self) -> list[Any]:
        return [self.mu, self.sigma] + ([self.q] if self.q is not None else [])


@dataclass(frozen=True)
class RandInt(Distribution):
    """Whole numbers drawn uniformly from [low, high)."""

    low: int
    high: int
    kind: ClassVar[str] = "randint"
    is_integer: ClassVar[bool] = True  # type: ignore[misc]
    is_categorical: ClassVar[bool] = True

    @classmethod
    def build(cls, where: str, low: Any, high: Any) -> RandInt:
        for name, value in (("low", low), ("high", high)):
            number = check_number(where, name, value)
            if not _is_whole(number):
                raise InvalidSpaceError(
                    f"{where}: {name} must be a whole number; got {name}={value!r}."
                )
        low_i, high_i = int(round(float(low))), int(round(float(high)))
        if low_i < _INT64.min or high_i > _INT64.max:
            raise InvalidSpaceError(
                f"{where}: bounds must fit in a 64-bit integer; got low={low!r}, high={high!r}."
            )
        if not low_i < high_i:
            raise InvalidSpaceError(
                f"{where}: low must be < high (high is excluded); got low={low!r}, high={high!r}."
            )
        return cls(low_i, high_i)

    @property
    def n_options(self) -> int:
        return self.high - self.low

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.integers(self.low, self.high, size)

    def snap(self, values: np.ndarray) -> np.ndarray:
        return np.clip(np.round(values), self.low, self.high - 1)

    def node_args(self) -> list[Any]:
        return [self.low, self.high]


@dataclass(frozen=True)
class Categorical(Distribution):
    """An index in [0, len(p)) drawn with probabilities p (choice and pchoice)."""

    probabilities: tuple[float, ...]
    kind: ClassVar[str] = "categorical"
    is_integer: ClassVar[bool] = True  # type: ignore[misc]
    is_categorical: ClassVar[bool] = True

    @classmethod
    def build(cls, where: str, probabilities: Any) -> Categorical:
        probs = []
        for i, p in enumerate(probabilities):
            number = check_number(where, f"probability[{i}]", p)
            if not 0.0 <= number <= 1.0:
                raise InvalidSpaceError(
                    f"{where}: each probability must be in [0, 1]; got probability[{i}]={p!r}."
                )
            probs.append(number)
        if not probs:
            raise InvalidSpaceError(f"{where}: needs at least one option; got none.")
        total = math.fsum(probs)
        if round(abs(total - 1.0), 12) > PROBABILITY_SUM_TOLERANCE:  # 0.99 is within 0.01
            raise InvalidSpaceError(
                f"{where}: probabilities must sum to 1 (within {PROBABILITY_SUM_TOLERANCE}); "
                f"got sum={total!r}. Normalise them, e.g. p / sum(p)."
            )
        return cls(tuple(p / total for p in probs))

    @classmethod
    def uniform(cls, n_options: int) -> Categorical:
        return cls(tuple([1.0 / n_options] * n_options))

    @property
    def n_options(self) -> int:
        return len(self.probabilities)

    @property
    def low(self) -> int:
        return 0

    @property
    def high(self) -> int:
        return len(self.probabilities)

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        p = np.asarray(self.probabilities)
        if np.all(p == p[0]):
            return rng.integers(0, len(p), size)
        cumulative = np.cumsum(p)
        cumulative[-1] = 1.0
        return np.searchsorted(cumulative, rng.random(size), side="right")

    def node_args(self) -> list[Any]:
        return [list(self.probabilities)]
