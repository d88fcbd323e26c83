"""MedianPruner and PercentilePruner: decisions computed by hand."""

from __future__ import annotations

import pytest

from hopt.exceptions import InvalidArgumentError
from hopt.pruners import MedianPruner, PercentilePruner
from hopt.testing.pruners import PrunerConformance, completed, pruned, running

# Five completed trials; at step 1 they reported 4, 5, 6, 7, 8:
#   median 6; 25th percentile 4 + 0.25 * (8 - 4) = 5 (numpy's linear interpolation).
COMPLETED = [completed(t, [5 + t, 4 + t, 3 + t, 2 + t]) for t in range(5)]


def decide(pruner, values, others=COMPLETED):
    trial = running(99, values)
    return pruner.prune(trial, [*others, trial])


@pytest.mark.parametrize(
    "values, prune, why",
    [
        ([10, 6], False, "best 6 is not above the median 6"),
        ([10, 6.5], True, "best 6.5 > median 6"),
        ([5.5, 7], False, "best so far 5.5 (step 0) <= 6, although 7 at step 1 is worse"),
        ([3], False, "step 0: values 5..9, median 7; 3 <= 7"),
        ([7.5], True, "step 0: 7.5 > median 7"),
        ([9, 9, 4.5], False, "step 2: values 3..7, median 5; 4.5 <= 5"),
        ([9, 9, 5.1], True, "step 2: 5.1 > 5"),
    ],
)
def test_median_table(values, prune, why):
    assert decide(MedianPruner(), values) is prune, why


@pytest.mark.parametrize(
    "values, prune, why",
    [
        ([10, 5.5], True, "25th percentile at step 1 is 5; 5.5 > 5"),
        ([10, 5], False, "5 is not above 5"),
    ],
)
def test_percentile_table(values, prune, why):
    assert decide(PercentilePruner(25), values) is prune, why


def test_percentile_0_and_100_are_the_best_and_worst_completed_values():
    # step 1 values 4..8
    assert decide(PercentilePruner(0), [10, 4.01]) is True
    assert decide(PercentilePruner(0), [10, 4]) is False
    assert decide(PercentilePruner(100), [10, 8]) is False
    assert decide(PercentilePruner(100), [10, 8.01]) is True


def test_pruned_and_running_trials_are_not_the_reference():
    # low values in pruned and running trials do not move the median (6) at step 1
    others = [*COMPLETED, *(pruned(10 + t, [0, 0]) for t in range(5)), running(20, [0, 0])]
    assert decide(MedianPruner(), [10, 6], others) is False


def test_no_pruning_before_n_startup_trials_complete():
    assert decide(MedianPruner(n_startup_trials=6), [10, 100]) is False
    assert decide(MedianPruner(n_startup_trials=5), [10, 100]) is True


def test_no_pruning_without_a_completed_trial_even_with_zero_startup_trials():
    assert decide(MedianPruner(n_startup_trials=0), [100], others=[pruned(0, [1])]) is False


def test_warm_up_steps():
    # n_warmup_steps=2: steps 0 and 1 are never pruned, step 2 is
    pruner = MedianPruner(n_warmup_steps=2)
    assert decide(pruner, [100, 100]) is False
    assert decide(pruner, [100, 100, 100]) is True


def test_interval_steps_check_at_due_steps_or_the_first_report_past_one():
    pruner = MedianPruner(interval_steps=2)  # due at steps 0, 2, 4, ...
    assert decide(pruner, [100]) is True  # step 0
    assert decide(pruner, [100, 100]) is False  # step 1: not due
    assert decide(pruner, [100, 100, 100]) is True  # step 2
    # reported at 0 and 3 (skipped 2): checked at 3, where the median is 4; best 4.5 > 4
    assert decide(pruner, [(0, 100), (3, 4.5)]) is True
    # reported at step 3 again: the steps are still 0 and 3, so still due (best 4.6)
    assert decide(pruner, [(0, 100), (3, 4.5), (3, 4.6)]) is True
    # reported at 2 then 3: due point 2 was checked at 2, so 3 is no check (9 > 4 kept)
    assert decide(pruner, [(0, 100), (2, 9), (3, 9)]) is False


def test_n_min_trials_counts_completed_trials_that_reported_the_step():
    # only two completed trials reported step 5 (values 1 and 3: median 2)
    others = [*COMPLETED, completed(7, [(5, 1)]), completed(8, [(5, 3)])]
    assert decide(MedianPruner(n_min_trials=2), [(5, 2.5)], others) is True
    assert decide(MedianPruner(n_min_trials=3), [(5, 2.5)], others) is False
    # no completed trial reported step 9: nothing to compare with
    assert decide(MedianPruner(), [(9, 100)], others) is False


def test_a_completed_trials_last_report_at_a_step_counts():
    # trial 0 reported 5 then 100 at step 1: step 1 values become 5, 6, 7, 8, 100 -> median 7
    first = completed(0, [(0, 5), (1, 5), (1, 100)])
    others = [first, *COMPLETED[1:]]
    assert decide(MedianPruner(), [10, 6.5], others) is False


def test_the_cache_follows_new_completions_and_deletions():
    pruner = MedianPruner()
    assert decide(pruner, [10, 6.5]) is True  # median 6
    # two more completed trials with 1 at step 1: values 1, 1, 4, 5, 6, 7, 8 -> median 5
    more = [*COMPLETED, completed(5, [1, 1]), completed(6, [1, 1])]
    assert decide(pruner, [10, 5.5], more) is True
    assert decide(pruner, [10, 5.5], COMPLETED) is False  # they were deleted: median 6


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"percentile": 101}, "percentile must be a number in [0, 100]; got percentile=101"),
        ({"percentile": -1}, "percentile must be a number in [0, 100]"),
        ({"percentile": float("nan")}, "percentile must be a number in [0, 100]"),
        ({"percentile": "50"}, "percentile must be a number in [0, 100]; got percentile='50'"),
        ({"n_startup_trials": -1}, "n_startup_trials must be an int >= 0; got n_startup_trials=-1"),
        ({"n_startup_trials": 2.5}, "n_startup_trials must be an int >= 0"),
        ({"n_warmup_steps": -1}, "n_warmup_steps must be an int >= 0"),
        ({"interval_steps": 0}, "interval_steps must be an int >= 1; got interval_steps=0"),
        ({"n_min_trials": 0}, "n_min_trials must be an int >= 1; got n_min_trials=0"),
        ({"n_min_trials": True}, "n_min_trials must be an int >= 1; got n_min_trials=True"),
    ],
)
def test_bad_settings_name_the_parameter(kwargs, message):
    kwargs = {"percentile": 50, **kwargs}
    with pytest.raises(InvalidArgumentError, match="^PercentilePruner: ") as info:
        PercentilePruner(**kwargs)
    assert message in str(info.value)


def test_median_errors_name_the_median_pruner():
    with pytest.raises(InvalidArgumentError, match="^MedianPruner: interval_steps must be"):
        MedianPruner(interval_steps=0)


def test_repr():
    assert repr(MedianPruner(3)) == (
        "MedianPruner(n_startup_trials=3, n_warmup_steps=0, interval_steps=1, n_min_trials=1)"
    )


class TestMedianConformance(PrunerConformance):
    def make_pruner(self):
        return MedianPruner(n_startup_trials=3, n_warmup_steps=2)


class TestPercentileConformance(PrunerConformance):
    def make_pruner(self):
        return PercentilePruner(30, n_startup_trials=2, interval_steps=3, n_min_trials=2)
