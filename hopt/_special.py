"""The normal cdf and its inverse from scipy.special, imported on first use.

Importing scipy.special takes about 0.2 s, two thirds of ``import hopt``; every
fresh process pays it (a hopt-worker, each Spark executor's Python worker), even
one that only evaluates trials and never runs TPE or annealing.
"""

from __future__ import annotations

from typing import Any

_loaded: dict[str, Any] = {}


def _scipy(name: str) -> Any:
    import scipy.special

    function = _loaded[name] = getattr(scipy.special, name)
    return function


def ndtr(x: Any, *args: Any, **kwargs: Any) -> Any:
    """``scipy.special.ndtr``: the standard normal cdf."""
    return (_loaded.get("ndtr") or _scipy("ndtr"))(x, *args, **kwargs)


def ndtri(p: Any, *args: Any, **kwargs: Any) -> Any:
    """``scipy.special.ndtri``: the inverse of the standard normal cdf."""
    return (_loaded.get("ndtri") or _scipy("ndtri"))(p, *args, **kwargs)
