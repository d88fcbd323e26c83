"""The expression graph of search spaces: nodes, symbols, evaluation, compilation."""

from .compile import CompiledSpace, Param
from .evaluate import rec_eval
from .graph import clone, dfs, toposort
from .nodes import Apply, Literal, as_apply
from .stochastic import sample
from .symbols import SymbolTable, scope

__all__ = [
    "Apply",
    "CompiledSpace",
    "Literal",
    "Param",
    "SymbolTable",
    "as_apply",
    "clone",
    "dfs",
    "rec_eval",
    "sample",
    "scope",
    "toposort",
]
