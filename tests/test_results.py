"""The error types hopt records in failed trials follow one documented scheme."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import hopt
from hopt import exceptions, results

HOPT = Path(hopt.__file__).parent
DOCS = Path(__file__).resolve().parents[1] / "docs"

#: every ``error["type"]`` hopt itself records (results.py's ``*_ERROR`` names)
RECORDED = {name: value for name, value in vars(results).items() if name.endswith("_ERROR")}


def test_the_recorded_types_are_the_documented_ones():
    assert set(RECORDED.values()) == {
        "InvalidLossError",
        "InvalidResultStatusError",
        "InvalidConstraintsError",
        "ResultNotStorableError",
        "TrialCancelledError",
        "WorkerLostError",
        "SparkJobError",
        "TrialTimeoutError",
    }


@pytest.mark.parametrize("error_type", sorted(RECORDED.values()))
def test_each_recorded_type_ends_in_error_and_is_documented(error_type):
    assert error_type.endswith("Error")
    assert f"``{error_type}``" in results.__doc__
    assert f"| `{error_type}` |" in (DOCS / "fmin.md").read_text()


def test_recorded_types_named_like_a_hopt_exception_are_that_exception():
    assert results.INVALID_LOSS_ERROR == exceptions.InvalidLossError.__name__
    assert results.INVALID_RESULT_STATUS_ERROR == exceptions.InvalidResultStatusError.__name__


def _failed_result_types(path: Path) -> list[str]:
    """The first argument of every ``failed_result(...)`` call in a module, as source."""
    tree = ast.parse(path.read_text(), filename=str(path))
    return [
        ast.unparse(node.args[0])
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and getattr(node.func, "id", getattr(node.func, "attr", None)) == "failed_result"
        and node.args
    ]


def test_hopt_records_failures_only_under_the_named_types():
    used = {
        (str(path.relative_to(HOPT)), argument)
        for path in HOPT.rglob("*.py")
        for argument in _failed_result_types(path)
    }
    assert used, "no failed_result calls found"
    # exception_result: the class name of the exception the objective raised
    allowed = set(RECORDED) | {"type(exc).__name__"}
    stray = {(where, argument) for where, argument in used if argument not in allowed}
    assert stray == set()
