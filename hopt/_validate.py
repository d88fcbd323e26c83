"""Checks of number, int and range arguments, shared by every layer (L0: stdlib only).

Each ``check_*`` function returns the value normalised (a Python ``int`` or
``float``, or ``None`` where allowed) and otherwise raises an error in the house
format, ``{where}: {rule}; got {name}={value!r}. {fix}``.  The rule states the
whole set of accepted values, so one message fits every way a value can be
wrong; the one exception is a real number that is NaN or infinite where only
finite numbers are accepted, which says just "must be finite".

``bool`` is never a number here, although Python counts ``True`` as ``1``:
``timeout=True`` is a mistake, not one second.  numpy scalars count, as numpy
registers them with :mod:`numbers`.
"""

from __future__ import annotations

import difflib
import math
import numbers
from collections.abc import Iterable
from typing import Any, Literal, NoReturn, overload

from .exceptions import HoptError, InvalidArgumentError

__all__ = [
    "check_int",
    "check_loss_threshold",
    "check_number",
    "check_positive_number",
    "check_timeout",
    "close_match",
    "did_you_mean",
    "did_you_mean_each",
    "fail",
    "is_int",
    "is_real",
]


def is_int(value: Any) -> bool:
    """True for an integer (numpy's too), False for ``bool`` and everything else."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def is_real(value: Any) -> bool:
    """True for a real number (int, float, numpy's, NaN and inf too), False for ``bool``."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def close_match(name: Any, valid: Iterable[str]) -> str | None:
    """The one of ``valid`` closest to ``name`` (a likely typo of it), or None."""
    if not isinstance(name, str):
        return None
    near = difflib.get_close_matches(name, list(valid), n=1)
    return near[0] if near else None


def did_you_mean(name: Any, valid: Iterable[str]) -> str:
    """`` Did you mean 'max_depth'?`` for the one of ``valid`` closest to ``name``, else ``""``.

    The hint ending every "unknown name" message, so a typo is pointed out the same way
    everywhere (labels, evaluator names, ...).
    """
    near = close_match(name, valid)
    return f" Did you mean {near!r}?" if near is not None else ""


def did_you_mean_each(names: list[Any], valid: Iterable[str]) -> str:
    """``did_you_mean`` for several unknown names: `` Did you mean 'lr' for 'lrr', ...?``."""
    valid = list(valid)
    if len(names) == 1:
        return did_you_mean(names[0], valid)
    pairs = [(close_match(name, valid), name) for name in names]
    spelled = [f"{near!r} for {name!r}" for near, name in pairs if near is not None]
    return f" Did you mean {', '.join(spelled)}?" if spelled else ""


def fail(
    where: str,
    rule: str,
    name: str,
    value: Any,
    fix: str = "",
    error: type[HoptError] = InvalidArgumentError,
) -> NoReturn:
    """Raise ``error`` with the house message; ``rule`` is e.g. ``"x must be > 0"``."""
    message = f"{where}: {rule}; got {name}={value!r}."
    raise error(f"{message} {fix}" if fix else message)


def _bound(low: float, high: float, low_open: bool, high_open: bool) -> str:
    return f"{'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"


def _number_rule(
    name: str,
    allow_none: bool,
    allow_inf: bool,
    low: float | None,
    high: float | None,
    low_open: bool,
    high_open: bool,
    unit: str,
) -> str:
    positive = low == 0 and low_open and high is None
    finite = "" if allow_inf or (low is not None and high is not None) else "finite "
    kind = f"a {'positive ' if positive else ''}{finite}number"
    if unit:
        kind += f" of {unit}"
    if positive:
        pass
    elif low is not None and high is not None:
        kind += f" in {_bound(low, high, low_open, high_open)}"
    elif low is not None:
        kind += f" {'>' if low_open else '>='} {low:g}"
    elif high is not None:
        kind += f" {'<' if high_open else '<='} {high:g}"
    return f"{name} must be {'None or ' if allow_none else ''}{kind}"


@overload
def check_number(
    value: Any,
    name: str,
    where: str,
    *,
    allow_none: Literal[False] = ...,
    allow_nan: bool = ...,
    allow_inf: bool = ...,
    low: float | None = ...,
    high: float | None = ...,
    low_open: bool = ...,
    high_open: bool = ...,
    unit: str = ...,
    fix: str = ...,
    error: type[HoptError] = ...,
) -> float: ...


@overload
def check_number(
    value: Any,
    name: str,
    where: str,
    *,
    allow_none: bool,
    allow_nan: bool = ...,
    allow_inf: bool = ...,
    low: float | None = ...,
    high: float | None = ...,
    low_open: bool = ...,
    high_open: bool = ...,
    unit: str = ...,
    fix: str = ...,
    error: type[HoptError] = ...,
) -> float | None: ...


def check_number(
    value: Any,
    name: str,
    where: str,
    *,
    allow_none: bool = False,
    allow_nan: bool = False,
    allow_inf: bool = True,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
    unit: str = "",
    fix: str = "",
    error: type[HoptError] = InvalidArgumentError,
) -> float | None:
    """``value`` as a float, or an error naming ``where`` and ``name``.

    NaN is refused unless ``allow_nan``, infinities unless ``allow_inf``; ``low`` and
    ``high`` bound the value, excluded when ``low_open`` / ``high_open``.  ``unit``
    goes into the rule ("a positive number of seconds"), ``fix`` after it.
    """
    if value is None and allow_none:
        return None
    rule = _number_rule(name, allow_none, allow_inf, low, high, low_open, high_open, unit)
    if not is_real(value):
        fail(where, rule, name, value, fix, error)
    number = float(value)
    if math.isnan(number):
        if allow_nan:
            return number
        fail(where, rule if allow_inf else f"{name} must be finite", name, value, fix, error)
    if math.isinf(number) and not allow_inf:
        fail(where, f"{name} must be finite", name, value, fix, error)
    if low is not None and not (number > low if low_open else number >= low):
        fail(where, rule, name, value, fix, error)
    if high is not None and not (number < high if high_open else number <= high):
        fail(where, rule, name, value, fix, error)
    return number


@overload
def check_positive_number(
    value: Any,
    name: str,
    where: str,
    *,
    allow_none: Literal[False] = ...,
    allow_inf: bool = ...,
    unit: str = ...,
    fix: str = ...,
    error: type[HoptError] = ...,
) -> float: ...


@overload
def check_positive_number(
    value: Any,
    name: str,
    where: str,
    *,
    allow_none: bool,
    allow_inf: bool = ...,
    unit: str = ...,
    fix: str = ...,
    error: type[HoptError] = ...,
) -> float | None: ...


def check_positive_number(
    value: Any,
    name: str,
    where: str,
    *,
    allow_none: bool = False,
    allow_inf: bool = True,
    unit: str = "",
    fix: str = "",
    error: type[HoptError] = InvalidArgumentError,
) -> float | None:
    """``value`` as a float > 0 (NaN refused), or an error naming ``where`` and ``name``."""
    return check_number(
        value,
        name,
        where,
        allow_none=allow_none,
        allow_inf=allow_inf,
        low=0,
        low_open=True,
        unit=unit,
        fix=fix,
        error=error,
    )


@overload
def check_int(
    value: Any,
    name: str,
    where: str,
    *,
    minimum: int | None = ...,
    allow_none: Literal[False] = ...,
    whole_float: bool = ...,
    fix: str = ...,
    error: type[HoptError] = ...,
) -> int: ...


@overload
def check_int(
    value: Any,
    name: str,
    where: str,
    *,
    minimum: int | None = ...,
    allow_none: bool,
    whole_float: bool = ...,
    fix: str = ...,
    error: type[HoptError] = ...,
) -> int | None: ...


def check_int(
    value: Any,
    name: str,
    where: str,
    *,
    minimum: int | None = None,
    allow_none: bool = False,
    whole_float: bool = False,
    fix: str = "",
    error: type[HoptError] = InvalidArgumentError,
) -> int | None:
    """``value`` as a Python int (>= ``minimum`` if given), or an error.

    With ``whole_float``, a float such as ``5.0`` or ``1e3`` is taken as that int
    (Hyperopt took them); ``2.5`` is still refused.
    """
    if value is None and allow_none:
        return None
    kind = "an int" if minimum is None else f"an int >= {minimum}"
    rule = f"{name} must be {'None or ' if allow_none else ''}{kind}"
    whole = value
    if whole_float and is_real(value) and not is_int(value) and float(value).is_integer():
        whole = int(value)
    if not is_int(whole) or (minimum is not None and whole < minimum):
        fail(where, rule, name, value, fix, error)
    return int(whole)


def check_timeout(timeout: Any, where: str = "fmin") -> float | None:
    """fmin's rule for ``timeout``: None or a positive number of seconds (inf is no limit)."""
    return check_positive_number(timeout, "timeout", where, allow_none=True, unit="seconds")


def check_loss_threshold(loss_threshold: Any, where: str = "fmin") -> float | None:
    """fmin's rule for ``loss_threshold``: None or a number, NaN refused."""
    return check_number(loss_threshold, "loss_threshold", where, allow_none=True)
