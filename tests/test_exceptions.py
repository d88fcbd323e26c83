"""Every exception class hopt defines derives from HoptError and a fitting builtin."""

from __future__ import annotations

import builtins
import importlib
import inspect
import pkgutil

import hopt
from hopt.exceptions import HoptError

#: exception classes that are not HoptErrors on purpose, and why
NOT_HOPT_ERRORS = {
    "hopt.running.TrialPruned": (
        "a control-flow signal an objective raises to end its trial as pruned, named as "
        "Optuna's; not an error, so `except HoptError` around fmin never catches it"
    ),
    "hopt.trials.queue.worker.WorkerShutdown": (
        "a stop signal (SIGTERM/SIGINT/SIGHUP), a BaseException like KeyboardInterrupt so "
        "that an objective's `except Exception` cannot swallow it"
    ),
}

#: builtin exceptions too general to be "the builtin a caller would catch"
TOO_GENERAL = (BaseException, Exception)


def _exception_classes() -> dict[str, type[BaseException]]:
    found = {}
    for info in pkgutil.walk_packages(hopt.__path__, "hopt."):
        try:
            module = importlib.import_module(info.name)
        except ModuleNotFoundError as exc:  # an optional dependency that is not installed
            if exc.name and exc.name.split(".")[0] == "hopt":
                raise
            continue
        for obj in vars(module).values():
            if (
                inspect.isclass(obj)
                and issubclass(obj, BaseException)
                and obj.__module__ == module.__name__
            ):
                found[f"{obj.__module__}.{obj.__qualname__}"] = obj
    return found


def _builtin_bases(cls: type) -> list[type]:
    return [
        base
        for base in cls.__mro__
        if getattr(builtins, base.__name__, None) is base and base not in TOO_GENERAL
    ]


def test_every_exception_class_is_a_hopt_error_and_a_fitting_builtin():
    classes = _exception_classes()
    # the walk sees classes outside hopt/exceptions.py too, so it is not vacuous
    assert "hopt.trials.queue.worker.DomainUnavailableError" in classes
    assert "hopt.sklearn._objective.ScorerReturnedDictError" in classes
    wrong = {}
    for name, cls in classes.items():
        if name in NOT_HOPT_ERRORS or cls is HoptError:
            continue
        if not issubclass(cls, HoptError):
            wrong[name] = "does not derive from HoptError"
        elif not _builtin_bases(cls):
            wrong[name] = "derives from no builtin a caller would catch (ValueError, ...)"
        elif not cls.__name__.endswith("Error"):
            wrong[name] = "has a name that does not end in Error"
    assert wrong == {}


def test_the_exceptions_listed_as_not_hopt_errors_still_exist_and_are_not():
    classes = _exception_classes()
    for name in NOT_HOPT_ERRORS:
        assert name in classes and not issubclass(classes[name], HoptError)
