"""Every public definition has a docstring, so the API reference (docs/api) shows it.

The walk covers ``hopt.__all__``, the public modules below (their ``__all__``, or
the functions and classes they define), and every public method and property of
those classes, inherited ones included.  A method inherits its docstring from
the class it overrides (as ``help()`` shows it), so a backend's ``refresh`` is
documented by the contract's.  Conformance-kit tests (``test_*``) are exempt:
their names are the sentence pytest reports.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Iterator
from typing import Any

import pytest

import hopt

PUBLIC_MODULES = [
    "hopt.hp",
    "hopt.fmin",
    "hopt.domain",
    "hopt.early_stop",
    "hopt.importance",
    "hopt.exceptions",
    "hopt.plotting",
    "hopt.rand",
    "hopt.tpe",
    "hopt.anneal",
    "hopt.mix",
    "hopt.algos.protocol",
    "hopt.pruners",
    "hopt.pareto",
    "hopt.objectives",
    "hopt.running",
    "hopt.trials",
    "hopt.trials.contract",
    "hopt.trials.ctrl",
    "hopt.trials.queue.protocol",
    "hopt.trials.file",
    "hopt.trials.mongo",
    "hopt.trials.spark",
    "hopt.trials.spark.connect",
    "hopt.sklearn",
    "hopt.testing.algorithms",
    "hopt.testing.backends",
    "hopt.testing.reporting",
    "hopt.testing.several_objectives",
    "hopt.testing.storage",
    "hopt.testing.pruners",
    "hopt.testing.waits",
    "hopt.plotting.curves",
    "hopt.plotting.fronts",
    "hopt.plotting.importances",
    "hopt.plotting.slices",
    "hopt.plotting.contours",
    "hopt.plotting.edf",
    "hopt.plotting.timeline",
    "hopt.dashboard",
    "hopt.cli",
]


def public_names(module: Any) -> list[str]:
    names = getattr(module, "__all__", None)
    if names is not None:
        return list(names)
    return [
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and (inspect.isfunction(value) or inspect.isclass(value))
        and value.__module__ == module.__name__
    ]


def is_hopts(value: Any) -> bool:
    return getattr(value, "__module__", "").split(".")[0] == "hopt"


def class_members(cls: type, where: str) -> Iterator[tuple[str, Any]]:
    """``(qualified name, member)`` of each public method and property, inherited too."""
    seen: set[str] = set()
    for owner in cls.__mro__:
        if not is_hopts(owner):
            continue
        for name, raw in vars(owner).items():
            if name.startswith("_") or name.startswith("test_") or name in seen:
                continue
            function = raw.__func__ if isinstance(raw, (staticmethod, classmethod)) else raw
            if isinstance(raw, property) or (
                inspect.isfunction(function) and function.__name__ != "<lambda>"
            ):
                seen.add(name)
                yield (
                    f"{where}.{name}",
                    getattr(cls, name) if not isinstance(raw, property) else raw,
                )


def public_definitions() -> Iterator[tuple[str, Any]]:
    """``(qualified name, object)`` of everything the walk covers."""
    yield "hopt", hopt
    modules = [("hopt", hopt)]
    for name in PUBLIC_MODULES:
        if name == "hopt.sklearn":
            pytest.importorskip("sklearn")
        modules.append((name, importlib.import_module(name)))
    for module_name, module in modules:
        yield module_name, module
        for name in public_names(module):
            value = getattr(module, name)
            where = f"{module_name}.{name}"
            if inspect.ismodule(value):
                yield where, value
                continue
            if not is_hopts(value) or not (inspect.isclass(value) or inspect.isfunction(value)):
                continue  # constants, aliases of builtins, functools.partial
            yield where, value
            if inspect.isclass(value):
                yield from class_members(value, where)


def has_docstring(value: Any) -> bool:
    doc = value.__doc__ if isinstance(value, property) else inspect.getdoc(value)
    return bool(doc and doc.strip())


def test_every_public_definition_has_a_docstring():
    missing = sorted({name for name, value in public_definitions() if not has_docstring(value)})
    assert not missing, "public definitions without a docstring:\n  " + "\n  ".join(missing)


def test_the_walk_reaches_the_contracts_and_the_kits():
    names = {name for name, _ in public_definitions()}
    expected = {
        "hopt.fmin",
        "hopt.Trials.best_trial",
        "hopt.FileTrials.path",
        "hopt.MongoTrials.attach_fmin",
        "hopt.SparkTrials.count_total_trials",
        "hopt.trials.contract.TrialStore.add_report",
        "hopt.trials.queue.protocol.JobQueue.reserve",
        "hopt.algos.protocol.SuggestAlgorithm",
        "hopt.pruners.HyperbandPruner.bracket_of",
        "hopt.testing.storage.QueueConformance",
        "hopt.hp.uniform",
        "hopt.plotting.main_plot_history",
        "hopt.sklearn.HoptSearchCV.fit",
    }
    assert expected <= names, expected - names
