"""ThresholdPruner: the value at the trial's largest step against fixed bounds."""

from __future__ import annotations

import pytest

from hopt.exceptions import InvalidArgumentError
from hopt.pruners import ThresholdPruner
from hopt.testing.pruners import PrunerConformance, running


def decide(pruner, values):
    trial = running(0, values)
    return pruner.prune(trial, [trial])


@pytest.mark.parametrize(
    "values, prune, why",
    [
        ([0.5], False, "inside [0, 1]"),
        ([1.5], True, "above upper"),
        ([-0.1], True, "below lower"),
        ([1.0], False, "a bound itself is inside"),
        ([0.0], False, "a bound itself is inside"),
        ([5, 0.5], False, "only the value at the largest step counts"),
        ([(2, 0.5), (1, 5)], False, "largest step 2 holds 0.5"),
        ([(0, 0.5), (0, 5)], True, "the last report at step 0 holds 5"),
    ],
)
def test_threshold_table(values, prune, why):
    assert decide(ThresholdPruner(lower=0, upper=1), values) is prune, why


def test_one_sided_bounds():
    assert decide(ThresholdPruner(upper=1), [-1e9]) is False
    assert decide(ThresholdPruner(upper=1), [2]) is True
    assert decide(ThresholdPruner(lower=1), [1e9]) is False
    assert decide(ThresholdPruner(lower=1), [0]) is True


def test_warm_up_and_interval():
    assert decide(ThresholdPruner(upper=1, n_warmup_steps=2), [5, 5]) is False
    assert decide(ThresholdPruner(upper=1, n_warmup_steps=2), [5, 5, 5]) is True
    # due at 0, 2, 4: step 1 is not checked, step 3 after step 2 is not either
    assert decide(ThresholdPruner(upper=1, interval_steps=2), [5, 5]) is False
    assert decide(ThresholdPruner(upper=1, interval_steps=2), [5, 5, 5, 5]) is False
    assert decide(ThresholdPruner(upper=1, interval_steps=2), [(0, 0), (3, 5)]) is True


def test_nan_is_pruned():
    # hopt.report refuses NaN; a document written by hand may still hold one
    assert decide(ThresholdPruner(upper=1), [float("nan")]) is True


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({}, "lower or upper must be a number; got lower, upper=(None, None)"),
        ({"lower": 2, "upper": 1}, "lower must be <= upper; got lower, upper=(2, 1). Swap them"),
        ({"lower": float("nan")}, "lower must be None or a number; got lower=nan"),
        ({"upper": "1"}, "upper must be None or a number; got upper='1'"),
        ({"upper": 1, "n_warmup_steps": -1}, "n_warmup_steps must be an int >= 0"),
        ({"upper": 1, "interval_steps": 0}, "interval_steps must be an int >= 1"),
    ],
)
def test_bad_settings_name_the_parameter(kwargs, message):
    with pytest.raises(InvalidArgumentError, match="^ThresholdPruner: ") as info:
        ThresholdPruner(**kwargs)
    assert message in str(info.value)


class TestThresholdConformance(PrunerConformance):
    def make_pruner(self):
        return ThresholdPruner(upper=1.5, n_warmup_steps=3)
