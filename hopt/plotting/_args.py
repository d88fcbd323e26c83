"""Argument checks shared by the plots: counts may be any integer type (numpy's too)."""

from __future__ import annotations

import numbers
from typing import Any

from ..exceptions import InvalidArgumentError


def count_argument(where: str, name: str, value: Any, minimum: int, meaning: str = "") -> int:
    """``value`` as a Python int >= ``minimum``, or an error naming ``where`` and ``name``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise InvalidArgumentError(
            f"{where}: {name} must be an int >= {minimum}{meaning}; got {name}={value!r}."
        )
    return int(value)
