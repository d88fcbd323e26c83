"""Run code written for Hyperopt on hopt: ``import hyperopt`` gives hopt (opt-in).

    import hopt.compat
    hopt.compat.install()      # before anything imports hyperopt
    import hpsklearn           # a library built on Hyperopt now runs on hopt

or, for a whole script: ``python -m hopt.compat script.py [args...]``.

``install()`` puts an import hook first on ``sys.meta_path``, so the aliases win
even when Hyperopt itself is installed.  Only the modules users and libraries
touch are mapped (``ALIASES``); importing any other ``hyperopt.*`` module fails
with a message naming the ones that exist, rather than loading half of Hyperopt.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import runpy
import sys
from collections.abc import Sequence
from types import ModuleType

from .exceptions import HoptError

#: hyperopt module name -> the hopt module that stands in for it
ALIASES = {
    "hyperopt": "hopt",
    "hyperopt.anneal": "hopt.anneal",
    "hyperopt.base": "hopt.base",
    "hyperopt.early_stop": "hopt.early_stop",
    "hyperopt.exceptions": "hopt.exceptions",
    "hyperopt.fmin": "hopt.fmin",
    "hyperopt.hp": "hopt.hp",
    "hyperopt.mix": "hopt.mix",
    "hyperopt.mongoexp": "hopt.mongoexp",
    "hyperopt.plotting": "hopt.plotting",
    "hyperopt.progress": "hopt.progress",
    "hyperopt.pyll": "hopt.pyll",
    "hyperopt.pyll.base": "hopt.pyll.base",
    "hyperopt.pyll.stochastic": "hopt.pyll.stochastic",
    "hyperopt.rand": "hopt.rand",
    "hyperopt.sklearn": "hopt.sklearn",
    "hyperopt.spark": "hopt.trials.spark",
    "hyperopt.tpe": "hopt.tpe",
    "hyperopt.utils": "hopt.utils",
}


class _HyperoptAliases(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds ``hyperopt[.x]`` and loads the hopt module that stands in for it."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname != "hyperopt" and not fullname.startswith("hyperopt."):
            return None
        if fullname not in ALIASES:
            raise ModuleNotFoundError(
                f"hopt.compat: {fullname} has no hopt counterpart; the aliased modules are "
                f"{', '.join(sorted(ALIASES))}. Import the hopt module you need instead.",
                name=fullname,
            )
        return importlib.machinery.ModuleSpec(fullname, self)

    def create_module(self, spec):
        # The hopt module object itself: one module, so classes and state are shared.
        return importlib.import_module(ALIASES[spec.name])

    def exec_module(self, module: ModuleType) -> None:
        """Nothing to run: create_module returned an already imported module."""


_FINDER = _HyperoptAliases()


def install() -> None:
    """Make ``import hyperopt`` and its mapped submodules give the hopt modules."""
    existing = sys.modules.get("hyperopt")
    if existing is not None and getattr(existing, "__name__", None) != "hopt":
        raise HoptError(
            "hopt.compat.install(): Hyperopt itself is already imported in this process "
            f"(from {getattr(existing, '__file__', '?')}); call install() before anything "
            "imports hyperopt, e.g. first thing in your script, or run "
            "`python -m hopt.compat script.py`."
        )
    if _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)
    # Modules hopt has already imported are registered directly.  Going through the
    # import system would make it set the parent's attribute (hopt.fmin, the function)
    # to the submodule.
    for alias, target in ALIASES.items():
        if target in sys.modules:
            sys.modules[alias] = sys.modules[target]
    importlib.import_module("hyperopt")


def uninstall() -> None:
    """Undo :func:`install` (the aliases leave ``sys.modules``)."""
    while _FINDER in sys.meta_path:
        sys.meta_path.remove(_FINDER)
    for alias, target in ALIASES.items():
        module = sys.modules.get(alias)
        if module is not None and module is sys.modules.get(target):
            del sys.modules[alias]


def installed() -> bool:
    return _FINDER in sys.meta_path


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m hopt.compat script.py [args...]``: run a Hyperopt script on hopt."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help"):
        print("usage: python -m hopt.compat script.py [args...]\n"
              "Runs a script written for Hyperopt with `import hyperopt` giving hopt.")  # fmt: skip
        return 0 if args else 2
    install()
    sys.argv = args
    runpy.run_path(args[0], run_name="__main__")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
