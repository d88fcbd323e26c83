"""TPE: Tree-structured Parzen Estimator."""

from .suggestion import DEFAULTS, suggest

__all__ = ["DEFAULTS", "suggest"]
