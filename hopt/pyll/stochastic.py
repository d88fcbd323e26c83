"""``hyperopt.pyll.stochastic``: draw a random point from a space."""

from ..space.stochastic import recursive_set_rng_kwarg, sample

__all__ = ["recursive_set_rng_kwarg", "sample"]
