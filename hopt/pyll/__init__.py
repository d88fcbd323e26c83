"""Hyperopt's ``pyll`` names, backed by :mod:`hopt.space`."""

from ..space import Apply, Literal, as_apply, clone, dfs, rec_eval, scope, toposort
from . import base, stochastic

__all__ = [
    "Apply",
    "Literal",
    "as_apply",
    "base",
    "clone",
    "dfs",
    "rec_eval",
    "scope",
    "stochastic",
    "toposort",
]
