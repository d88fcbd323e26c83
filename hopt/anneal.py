"""``hopt.anneal``: annealing-style search (``anneal.suggest``)."""

from .algos.anneal import suggest

__all__ = ["suggest"]
