"""``hyperopt.pyll.base`` names, backed by :mod:`hopt.space`."""

from ..space.evaluate import rec_eval
from ..space.graph import clone, dfs, toposort
from ..space.nodes import Apply, Literal, as_apply
from ..space.symbols import SymbolTable, SymbolTableEntry, scope

__all__ = [
    "Apply",
    "Literal",
    "SymbolTable",
    "SymbolTableEntry",
    "as_apply",
    "clone",
    "dfs",
    "rec_eval",
    "scope",
    "toposort",
]
