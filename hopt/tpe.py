"""``hopt.tpe``: Tree-structured Parzen Estimator (``tpe.suggest``)."""

from .algos.tpe import DEFAULTS, suggest

__all__ = ["DEFAULTS", "suggest"]
