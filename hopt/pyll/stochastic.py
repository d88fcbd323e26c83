"""``hyperopt.pyll.stochastic``: draw a random point from a space."""

from ..space.stochastic import sample

__all__ = ["sample"]
