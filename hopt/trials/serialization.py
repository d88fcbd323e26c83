"""Shipping a ``Domain`` (objective and space) to other processes.

Distributed backends pickle the domain with cloudpickle once per fmin.  A
function or class whose module another machine cannot import (a script, a
notebook cell, a test file, a helper module next to them) travels by value
instead of by reference: the objective, and whatever the domain reaches, such
as the estimator class HoptSearchCV's objective carries.  Installed packages
and hopt itself travel by reference, as usual.
"""

from __future__ import annotations

import functools
import io
import site
import sys
import sysconfig
import types
from pathlib import Path
from types import ModuleType
from typing import Any

from ..exceptions import InvalidArgumentError

#: directories packages are installed into, wherever they are (a distribution's
#: ``/usr/lib/python3/dist-packages``, ``pip install --user``, a virtualenv, conda)
INSTALL_DIR_NAMES = frozenset({"site-packages", "dist-packages"})


def _installed_roots() -> list[Path]:
    roots = set()
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        path = sysconfig.get_paths().get(key)
        if path:
            roots.add(Path(path).resolve())
    try:
        user_site = site.getusersitepackages()
    except AttributeError:  # some embedded interpreters strip ``site`` down
        user_site = None
    if user_site:
        roots.add(Path(user_site).resolve())
    return sorted(roots)


def _travels_by_value(module: ModuleType, roots: list[Path]) -> bool:
    """True for a module another process may not import: Python source that is not
    installed (not under the interpreter's library paths), and not hopt's own."""
    if module.__name__ == "__main__":
        return False  # cloudpickle already pickles __main__ by value
    if module.__name__.split(".")[0] == "hopt":
        return False
    file = getattr(module, "__file__", None)
    if not file or not file.endswith(".py"):
        return False  # built-in, namespace or compiled: cloudpickle cannot copy those
    path = Path(file).resolve()
    if INSTALL_DIR_NAMES.intersection(path.parts):
        return False
    return not any(path.is_relative_to(root) for root in roots)


@functools.cache
def _pickler_class() -> type:
    """A cloudpickle pickler that sends local modules' functions and classes by value.

    Each function or class the pickle reaches is looked at before cloudpickle
    reduces it; if its module travels by value (``_travels_by_value``) and is
    not registered yet, it is registered with cloudpickle first, so that object
    and everything else of that module the pickle reaches is copied.  The
    registrations are undone afterwards (``registered``).
    """
    import cloudpickle

    class LocalCodeByValue(cloudpickle.Pickler):
        def __init__(self, file: io.BytesIO) -> None:
            super().__init__(file, protocol=cloudpickle.DEFAULT_PROTOCOL)
            self.registered: list[ModuleType] = []
            self._seen: set[str] = set(cloudpickle.list_registry_pickle_by_value())
            self._roots = _installed_roots()

        def reducer_override(self, obj: Any) -> Any:
            if isinstance(obj, (type, types.FunctionType)):
                name = getattr(obj, "__module__", None)
                if isinstance(name, str) and name not in self._seen:
                    self._seen.add(name)
                    module = sys.modules.get(name)
                    if module is not None and _travels_by_value(module, self._roots):
                        cloudpickle.register_pickle_by_value(module)
                        self.registered.append(module)
            return super().reducer_override(obj)

    return LocalCodeByValue


def dumps_domain(domain: Any, where: str, runs_on: str) -> bytes:
    """cloudpickle bytes of ``domain``; a clear error when the objective cannot travel.

    ``where`` names the caller in messages; ``runs_on`` says where the objective
    will run (e.g. "Spark executors").
    """
    import cloudpickle

    buffer = io.BytesIO()
    pickler = _pickler_class()(buffer)
    try:
        pickler.dump(domain)
    except Exception as exc:
        raise InvalidArgumentError(
            f"{where}: the objective {domain.fn!r} (or something it refers to) cannot be "
            f"pickled, so it cannot run on {runs_on}: {type(exc).__name__}: {exc}. "
            "Create unpicklable objects (locks, connections, Spark contexts) inside the "
            "objective instead of capturing them."
        ) from exc
    finally:
        for module in pickler.registered:
            cloudpickle.unregister_pickle_by_value(module)
    return buffer.getvalue()
