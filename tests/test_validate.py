"""hopt._validate: the shared number, int and range checks, each message checked."""

from __future__ import annotations

import fractions
import importlib
import math

import numpy as np
import pytest

from hopt import _validate
from hopt._validate import (
    check_int,
    check_loss_threshold,
    check_number,
    check_positive_number,
    check_timeout,
    is_int,
    is_real,
)
from hopt.exceptions import HoptError, InvalidArgumentError, InvalidSpaceError


@pytest.mark.parametrize(
    "value, expected",
    [(3, True), (np.int64(3), True), (True, False), (np.bool_(True), False), (3.0, False),
     ("3", False), (None, False)],
)  # fmt: skip
def test_is_int(value, expected):
    assert is_int(value) is expected


@pytest.mark.parametrize(
    "value, expected",
    [(3, True), (2.5, True), (np.float32(2.5), True), (math.nan, True), (math.inf, True),
     (fractions.Fraction(1, 3), True), (False, False), (1j, False), ("1", False), (None, False)],
)  # fmt: skip
def test_is_real(value, expected):
    assert is_real(value) is expected


# -- values that pass come back normalised -----------------------------------------------------
@pytest.mark.parametrize(
    "call, expected",
    [
        (lambda: check_number(np.float32(0.5), "x", "f"), 0.5),
        (lambda: check_number(3, "x", "f"), 3.0),
        (lambda: check_number(-math.inf, "x", "f"), -math.inf),
        (lambda: check_number(None, "x", "f", allow_none=True), None),
        (lambda: check_number(1, "x", "f", low=0, high=1, low_open=True), 1.0),
        (lambda: check_number(2, "x", "f", low=1, allow_inf=False), 2.0),
        (lambda: check_positive_number(math.inf, "x", "f"), math.inf),
        (lambda: check_int(np.int8(4), "n", "f", minimum=4), 4),
        (lambda: check_int(5.0, "n", "f", minimum=1, whole_float=True), 5),
        (lambda: check_int(np.float64(1e3), "n", "f", whole_float=True), 1000),
        (lambda: check_int(None, "n", "f", allow_none=True), None),
        (lambda: check_timeout(2), 2.0),
        (lambda: check_timeout(None), None),
        (lambda: check_loss_threshold(-math.inf), -math.inf),
    ],
)
def test_good_values_are_returned_as_python_numbers(call, expected):
    value = call()
    assert value == expected and type(value) is type(expected)


def test_nan_passes_only_when_allowed():
    assert math.isnan(check_number(math.nan, "x", "f", allow_nan=True))


# -- every rule's message ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: check_number("1", "x", "f"), "f: x must be a number; got x='1'."),
        (lambda: check_number(True, "x", "f"), "f: x must be a number; got x=True."),
        (lambda: check_number(None, "x", "f"), "f: x must be a number; got x=None."),
        (lambda: check_number(math.nan, "x", "f"), "f: x must be a number; got x=nan."),
        (
            lambda: check_number([1], "x", "f", allow_none=True),
            "f: x must be None or a number; got x=[1].",
        ),
        (
            lambda: check_number(math.nan, "x", "f", allow_inf=False),
            "f: x must be finite; got x=nan.",
        ),
        (
            lambda: check_number(-math.inf, "x", "f", allow_inf=False),
            "f: x must be finite; got x=-inf.",
        ),
        (
            lambda: check_number("a", "x", "f", allow_inf=False),
            "f: x must be a finite number; got x='a'.",
        ),
        (lambda: check_number(-1, "x", "f", low=0), "f: x must be a number >= 0; got x=-1."),
        (
            lambda: check_number(1, "x", "f", low=1, low_open=True),
            "f: x must be a number > 1; got x=1.",
        ),
        (
            lambda: check_number(0, "x", "f", low=1, allow_inf=False),
            "f: x must be a finite number >= 1; got x=0.",
        ),
        (lambda: check_number(3, "x", "f", high=2.5), "f: x must be a number <= 2.5; got x=3."),
        (
            lambda: check_number(2.5, "x", "f", high=2.5, high_open=True),
            "f: x must be a number < 2.5; got x=2.5.",
        ),
        (
            lambda: check_number(1, "x", "f", low=0, high=1, low_open=True, high_open=True),
            "f: x must be a number in (0, 1); got x=1.",
        ),
        (
            lambda: check_number(-0.5, "x", "f", low=-0.5, high=1, low_open=True),
            "f: x must be a number in (-0.5, 1]; got x=-0.5.",
        ),
        (
            lambda: check_number(math.nan, "x", "f", low=0, high=1),
            "f: x must be a number in [0, 1]; got x=nan.",
        ),
        (
            lambda: check_number(-1, "x", "f", low=0, unit="seconds", fix="Give a duration."),
            "f: x must be a number of seconds >= 0; got x=-1. Give a duration.",
        ),
        (lambda: check_positive_number(0, "x", "f"), "f: x must be a positive number; got x=0."),
        (
            lambda: check_positive_number(math.nan, "x", "f"),
            "f: x must be a positive number; got x=nan.",
        ),
        (
            lambda: check_positive_number(-2, "x", "f", allow_inf=False),
            "f: x must be a positive finite number; got x=-2.",
        ),
        (
            lambda: check_positive_number(math.inf, "x", "f", allow_inf=False),
            "f: x must be finite; got x=inf.",
        ),
        (
            lambda: check_positive_number("5", "x", "f", allow_none=True, unit="seconds"),
            "f: x must be None or a positive number of seconds; got x='5'.",
        ),
        (lambda: check_int(2.5, "n", "f"), "f: n must be an int; got n=2.5."),
        (lambda: check_int(True, "n", "f"), "f: n must be an int; got n=True."),
        (lambda: check_int(None, "n", "f"), "f: n must be an int; got n=None."),
        (lambda: check_int(0, "n", "f", minimum=1), "f: n must be an int >= 1; got n=0."),
        (
            lambda: check_int("2", "n", "f", minimum=0, allow_none=True),
            "f: n must be None or an int >= 0; got n='2'.",
        ),
        (
            lambda: check_int(2.5, "n", "f", minimum=1, whole_float=True),
            "f: n must be an int >= 1; got n=2.5.",
        ),
        (
            lambda: check_int(0.0, "n", "f", minimum=1, whole_float=True),
            "f: n must be an int >= 1; got n=0.0.",
        ),
        (
            lambda: check_int(math.inf, "n", "f", whole_float=True),
            "f: n must be an int; got n=inf.",
        ),
        (
            lambda: check_int(-1, "n", "f", minimum=0, fix="Count from 0."),
            "f: n must be an int >= 0; got n=-1. Count from 0.",
        ),
        (
            lambda: check_timeout(0),
            "fmin: timeout must be None or a positive number of seconds; got timeout=0.",
        ),
        (
            lambda: check_timeout(math.nan, "SparkTrials"),
            "SparkTrials: timeout must be None or a positive number of seconds; got timeout=nan.",
        ),
        (
            lambda: check_loss_threshold(math.nan),
            "fmin: loss_threshold must be None or a number; got loss_threshold=nan.",
        ),
        (
            lambda: check_loss_threshold("0.1", "SparkTrials"),
            "SparkTrials: loss_threshold must be None or a number; got loss_threshold='0.1'.",
        ),
    ],
)
def test_each_rule_has_its_message(call, message):
    with pytest.raises(InvalidArgumentError) as raised:
        call()
    assert str(raised.value) == message


def test_the_error_class_can_be_chosen():
    with pytest.raises(InvalidSpaceError, match=r"^hp: low must be finite; got low=inf\.$"):
        check_number(math.inf, "low", "hp", allow_inf=False, error=InvalidSpaceError)


def test_errors_are_hopt_errors_and_value_errors():
    with pytest.raises(HoptError) as raised:
        check_int("x", "n", "f")
    assert isinstance(raised.value, ValueError)


def test_fmin_and_base_keep_the_names_other_modules_import():
    base = importlib.import_module("hopt.base")
    fmin = importlib.import_module("hopt.fmin")
    assert fmin.check_timeout is _validate.check_timeout
    assert fmin.check_loss_threshold is _validate.check_loss_threshold
    with pytest.raises(InvalidArgumentError, match="^validate_timeout: timeout must be"):
        base.validate_timeout(-1)
    with pytest.raises(InvalidArgumentError, match="^validate_loss_threshold: loss_threshold"):
        base.validate_loss_threshold(math.nan)
