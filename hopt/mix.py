"""``hopt.mix``: a weighted mixture of suggest algorithms (``mix.suggest``)."""

from .algos.mix import suggest

__all__ = ["suggest"]
