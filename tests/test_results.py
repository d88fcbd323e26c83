"""The error types hopt records in failed trials follow one documented scheme."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
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


# -- script bugs (fmin stops) and bad configurations (the search goes on) ------------------

SCRIPT_BUGS = [
    pytest.param(None, "InvalidLossError", id="None"),
    pytest.param("0.5", "InvalidLossError", id="a-string"),
    pytest.param(object(), "InvalidLossError", id="an-object"),
    pytest.param({}, "InvalidResultStatusError", id="no-loss-no-status"),
    pytest.param({"accuracy": 0.9}, "InvalidResultStatusError", id="a-dict-of-its-own"),
    pytest.param(
        {"loss": 1.0, "status": "success"}, "InvalidResultStatusError", id="unknown-status"
    ),
    pytest.param({"status": "ok"}, "InvalidLossError", id="ok-without-loss"),
    pytest.param({"loss": None, "status": "ok"}, "InvalidLossError", id="loss-None"),
    pytest.param({"loss": "0.5"}, "InvalidLossError", id="loss-a-string"),
    pytest.param({"loss": {"val": 0.5}}, "InvalidLossError", id="loss-a-dict"),
]

BAD_CONFIGURATIONS = [
    pytest.param(float("nan"), id="nan"),
    pytest.param(float("-inf"), id="minus-inf"),
    pytest.param({"loss": float("nan"), "status": "ok"}, id="nan-in-dict"),
    pytest.param([], id="no-losses"),
    pytest.param([1.0, float("nan")], id="a-nan-among-losses"),
    pytest.param([[0.5, 1.0]], id="nested-losses"),
    pytest.param({"loss": [1.0, "a"]}, id="a-string-among-losses"),
    pytest.param(np.ones((2, 2)), id="a-2d-array"),
    pytest.param({"loss": 1.0, "constraints": [float("nan")]}, id="nan-constraint"),
    pytest.param({"loss": 1.0, "constraints": "low"}, id="constraints-a-string"),
]


@pytest.mark.parametrize(("returned", "error_type"), SCRIPT_BUGS)
def test_a_result_that_can_never_be_a_loss_is_a_script_bug(returned, error_type):
    result = results.normalize_result(returned)
    assert result["status"] == "fail"
    assert result["error"]["type"] == error_type
    assert result["error"]["fatal"] is True
    assert results.is_fatal(result)


@pytest.mark.parametrize("returned", BAD_CONFIGURATIONS)
def test_a_bad_loss_of_the_right_kind_is_this_configurations_failure(returned):
    result = results.normalize_result(returned)
    assert result["status"] == "fail"
    assert result["error"]["type"] in ("InvalidLossError", "InvalidConstraintsError")
    assert "fatal" not in result["error"]
    assert not results.is_fatal(result)


def test_another_number_of_losses_than_the_search_has_is_not_a_script_bug():
    result = results.checked_shape({"loss": [1.0, 2.0], "status": "ok"}, 3, 0)
    assert result["error"]["type"] == "InvalidLossError" and not results.is_fatal(result)


def test_an_objectives_own_error_field_is_never_fatal():
    own = {"status": "fail", "error": {"type": "x", "message": "y", "fatal": "yes"}}
    assert not results.is_fatal(own)
    assert not results.is_fatal({"loss": 1.0, "status": "ok", "error": {"fatal": True}})


@pytest.mark.parametrize(("returned", "error_type"), SCRIPT_BUGS)
def test_the_error_fmin_raises_names_what_was_returned_and_what_to_return(returned, error_type):
    result = results.normalize_result(returned)
    error = results.fatal_error(result, 7)
    assert type(error).__name__ == error_type
    assert str(error).startswith(f"fmin stopped at trial 7: the {result['error']['message']}")
    assert "bug in the objective, not a bad configuration" in str(error)


def test_the_rule_is_documented_where_the_recorded_errors_are():
    text = (DOCS / "fmin.md").read_text()
    assert "### A bug in the script stops the search" in text
    assert "Script bugs and bad configurations" in results.__doc__
