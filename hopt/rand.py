"""``hopt.rand``: random search (``rand.suggest``)."""

from .algos.rand import suggest, suggest_batch

__all__ = ["suggest", "suggest_batch"]
