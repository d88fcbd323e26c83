"""PatientPruner: patience over reported steps, then the wrapped pruner decides."""

from __future__ import annotations

import pytest

from hopt.exceptions import InvalidArgumentError
from hopt.pruners import PatientPruner, ThresholdPruner
from hopt.testing.pruners import PrunerConformance, running


def decide(pruner, values):
    trial = running(0, values)
    return pruner.prune(trial, [trial])


@pytest.mark.parametrize(
    "values, min_delta, prune, why",
    [
        # patience 2: recent = the last 3 values, earlier = the rest
        ([5, 9, 9], 0.0, False, "3 steps <= patience + 1: too early"),
        ([5, 4, 3, 3.5, 3.2], 0.0, False, "recent best 3 < earlier best 4: improving"),
        ([5, 3, 4, 4, 4], 0.0, True, "recent best 4 > earlier best 3"),
        ([5, 3, 3, 4, 4], 0.0, False, "recent best 3 equals the earlier best: not worse"),
        ([5, 3, 4, 4, 4], 1.0, False, "4 > 3 + 1 is false: within the tolerance"),
        ([5, 3, 4, 4, 4], 0.5, True, "4 > 3 + 0.5"),
        # last report at a step counts: by step 5, 9, 4, 4, 4 -> earlier best 5, recent 4
        ([(0, 5), (1, 3), (1, 9), (2, 4), (3, 4), (4, 4)], 0.0, False, "4 < 5"),
        # step order, not report order: by step 3 1 4 4 4 (steps 0..4 reported 4 3 2 1 0)
        ([(4, 4), (3, 4), (2, 4), (1, 1), (0, 3)], 0.0, True, "recent 4 4 4 > earlier 1"),
    ],
)
def test_patience_table(values, min_delta, prune, why):
    assert decide(PatientPruner(None, patience=2, min_delta=min_delta), values) is prune, why


def test_patience_zero_compares_the_latest_step_with_all_before():
    assert decide(PatientPruner(None, patience=0), [3, 3.1]) is True
    assert decide(PatientPruner(None, patience=0), [3, 2.9]) is False


def test_the_wrapped_pruner_decides_once_the_trial_stalled():
    stalled = [5, 3, 4, 4, 4]  # by patience 2
    assert decide(PatientPruner(ThresholdPruner(upper=3.5), 2), stalled) is True
    assert decide(PatientPruner(ThresholdPruner(upper=10), 2), stalled) is False
    # not stalled: kept, although the wrapped pruner would prune (20 > 10)
    assert decide(PatientPruner(ThresholdPruner(upper=10), 2), [5, 4, 3, 3.5, 20]) is False


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"patience": -1}, "patience must be an int >= 0; got patience=-1"),
        ({"patience": 1.5}, "patience must be an int >= 0; got patience=1.5"),
        ({"patience": 1, "min_delta": -1}, "min_delta must be a finite number >= 0"),
        ({"patience": 1, "min_delta": float("inf")}, "min_delta must be finite"),
        (
            {"patience": 1, "wrapped_pruner": "median"},
            "wrapped_pruner must be a hopt pruner or None; got wrapped_pruner='median'",
        ),
    ],
)
def test_bad_settings_name_the_parameter(kwargs, message):
    kwargs = {"wrapped_pruner": None, **kwargs}
    with pytest.raises(InvalidArgumentError, match="^PatientPruner: ") as info:
        PatientPruner(**kwargs)
    assert message in str(info.value)


class TestPatientConformance(PrunerConformance):
    def make_pruner(self):
        from hopt.pruners import MedianPruner

        return PatientPruner(MedianPruner(n_startup_trials=2), patience=2)
