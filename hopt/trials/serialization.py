"""Shipping a ``Domain`` (objective and space) to other processes.

Distributed backends pickle the domain with cloudpickle once per fmin.  An
objective whose module another machine cannot import (a script, a notebook
cell, a test file) travels by value instead of by reference; installed
packages and hopt itself travel by reference, as usual.
"""

from __future__ import annotations

import sys
import sysconfig
from pathlib import Path
from types import ModuleType
from typing import Any

from ..exceptions import InvalidArgumentError


def _installed_roots() -> list[Path]:
    roots = set()
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        path = sysconfig.get_paths().get(key)
        if path:
            roots.add(Path(path).resolve())
    return sorted(roots)


def _travels_by_value(module: ModuleType | None) -> bool:
    """True for a module another process may not import: not installed, not hopt's own."""
    if module is None or module.__name__ == "__main__":
        return False  # cloudpickle already pickles __main__ by value
    if module.__name__.split(".")[0] == "hopt":
        return False
    file = getattr(module, "__file__", None)
    if not file:
        return False  # built-in or namespace module: importable everywhere
    path = Path(file).resolve()
    return not any(path.is_relative_to(root) for root in _installed_roots())


def dumps_domain(domain: Any, where: str, runs_on: str) -> bytes:
    """cloudpickle bytes of ``domain``; a clear error when the objective cannot travel.

    ``where`` names the caller in messages; ``runs_on`` says where the objective
    will run (e.g. "Spark executors").
    """
    import cloudpickle

    module = sys.modules.get(getattr(domain.fn, "__module__", None) or "")
    by_value = module if _travels_by_value(module) else None
    if by_value is not None:
        cloudpickle.register_pickle_by_value(by_value)
    try:
        return cloudpickle.dumps(domain)
    except Exception as exc:
        raise InvalidArgumentError(
            f"{where}: the objective {domain.fn!r} (or something it refers to) cannot be "
            f"pickled, so it cannot run on {runs_on}: {type(exc).__name__}: {exc}. "
            "Create unpicklable objects (locks, connections, Spark contexts) inside the "
            "objective instead of capturing them."
        ) from exc
    finally:
        if by_value is not None:
            cloudpickle.unregister_pickle_by_value(by_value)
