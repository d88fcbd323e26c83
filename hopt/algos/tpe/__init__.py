"""TPE: Tree-structured Parzen Estimator."""

from .suggest import DEFAULTS, suggest

__all__ = ["DEFAULTS", "suggest"]
