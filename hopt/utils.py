"""Hyperopt's ``hyperopt.utils`` helpers that code built on Hyperopt calls.

Ray Tune's ``HyperOptSearch``, for one, stamps trials with ``coarse_utcnow()`` and
puts its ``Ctrl`` into the evaluation memo with ``use_obj_for_literal_in_memo``.
"""

from __future__ import annotations

from typing import Any

from ._utils import utcnow
from .space import Literal, dfs

__all__ = ["coarse_utcnow", "use_obj_for_literal_in_memo"]


def coarse_utcnow():
    """The naive UTC time to the millisecond, as MongoDB stores it."""
    return utcnow()


def use_obj_for_literal_in_memo(expr: Any, obj: Any, lit: Any, memo: dict) -> dict:
    """``memo[node] = obj`` for every constant ``node`` of ``expr`` whose value is ``lit``.

    A space can hold a placeholder constant (Hyperopt's spaces use the ``Ctrl``
    class) that is replaced at evaluation time by an object built outside the
    space; returns ``memo``.
    """
    for node in dfs(expr):
        if isinstance(node, Literal) and _same(node.obj, lit):
            memo[node] = obj
    return memo


def _same(value: Any, lit: Any) -> bool:
    if value is lit:
        return True
    try:
        return bool(value == lit)
    except Exception:  # e.g. an array, whose == is not a bool: not the placeholder
        return False
