"""WilcoxonPruner: a signed-rank test against the best completed trial."""

from __future__ import annotations

import subprocess
import sys

import pytest

from hopt.exceptions import InvalidArgumentError
from hopt.pruners import WilcoxonPruner
from hopt.pruners.wilcoxon import best_completed_trial
from hopt.testing.pruners import PrunerConformance, completed, running

# The best completed trial (loss 1) reported 1 at steps 0..4; another completed trial
# with loss 2 reported zeros: the reference is the best by loss, not by reports.
BEST = completed(0, [1, 1, 1, 1, 1], loss=1.0)
OTHERS = [BEST, completed(1, [0, 0, 0, 0, 0], loss=2.0)]


def decide(pruner, values, others=OTHERS):
    trial = running(9, values)
    return pruner.prune(trial, [*others, trial])


# Exact one-sided p-values for n differences all positive with distinct sizes:
#   W+ = n(n+1)/2, the largest of 2**n equally likely sums, so p = 1 / 2**n.
@pytest.mark.parametrize(
    "values, threshold, prune, why",
    [
        ([2, 3], 0.1, False, "n = 2: p = 1/4"),
        ([2, 3], 0.3, True, "p = 0.25 < 0.3"),
        ([2, 3, 4], 0.1, False, "n = 3: p = 1/8 = 0.125"),
        ([2, 3, 4], 0.13, True, "0.125 < 0.13"),
        ([2, 3, 4, 5], 0.1, True, "n = 4: p = 1/16"),
        # differences -0.5, 2, 3, 4 have ranks 1, 2, 3, 4: W+ = 2 + 3 + 4 = 9;
        # of the 16 sums of subsets of {1, 2, 3, 4} only 10 and 9 reach 9: p = 2/16
        ([0.5, 3, 4, 5], 0.1, False, "p = 0.125"),
        ([0.5, 3, 4, 5], 0.13, True, "p = 0.125 < 0.13"),
        ([1, 1, 1, 1], 0.5, False, "equal: zsplit makes p = 1"),
        ([(3, 5), (0, 2), (2, 4), (1, 3)], 0.1, True, "steps pair by id, in any order"),
    ],
)
def test_wilcoxon_table(values, threshold, prune, why):
    assert decide(WilcoxonPruner(p_threshold=threshold), values) is prune, why


def test_a_trial_better_on_average_over_all_its_steps_is_kept():
    # steps 0..3 are worse (p = 1/16), but step 7, which the best did not report,
    # brings the mean of all five values to (14 - 100) / 5 < 1, the best's mean
    assert decide(WilcoxonPruner(), [2, 3, 4, 5, (7, -100)]) is False


def test_startup_steps_count_shared_steps_and_at_least_two():
    assert decide(WilcoxonPruner(n_startup_steps=5), [2, 3, 4, 5]) is False
    assert decide(WilcoxonPruner(n_startup_steps=5, p_threshold=0.05), [2, 3, 4, 5, 6]) is True
    assert decide(WilcoxonPruner(n_startup_steps=0, p_threshold=1), [100]) is False
    # steps 10, 11 are not shared with the best: one pair only
    assert decide(WilcoxonPruner(p_threshold=1), [(0, 100), (10, 100), (11, 100)]) is False


def test_the_best_trial_tie_goes_to_the_first_finished():
    first = completed(0, [10, 10, 10, 10], loss=1.0, end=3)
    second = completed(1, [1, 1, 1, 1], loss=1.0, end=5)
    # against `first` (10s) the trial (2 3 4 5) is better: kept
    assert decide(WilcoxonPruner(), [2, 3, 4, 5], [second, first]) is False


def test_no_reference_no_pruning():
    assert decide(WilcoxonPruner(p_threshold=1), [100, 100, 100], others=[]) is False
    assert decide(WilcoxonPruner(p_threshold=1), [100, 100], [running(0, [1, 1])]) is False
    silent_best = completed(0, [], loss=0.0)
    assert decide(WilcoxonPruner(p_threshold=1), [100, 100, 100], [silent_best]) is False


def test_importing_hopt_pruners_does_not_import_scipy():
    code = "import sys, hopt, hopt.pruners; print('scipy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "False", out.stderr


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"p_threshold": 1.5}, "p_threshold must be a number in [0, 1]; got p_threshold=1.5"),
        ({"p_threshold": -0.1}, "p_threshold must be a number in [0, 1]"),
        ({"n_startup_steps": -1}, "n_startup_steps must be an int >= 0; got n_startup_steps=-1"),
    ],
)
def test_bad_settings_name_the_parameter(kwargs, message):
    with pytest.raises(InvalidArgumentError, match="^WilcoxonPruner: ") as info:
        WilcoxonPruner(**kwargs)
    assert message in str(info.value)


class TestWilcoxonConformance(PrunerConformance):
    def make_pruner(self):
        return WilcoxonPruner(p_threshold=0.2)


def test_the_best_trial_has_a_single_finite_loss():
    # an infinite loss, a NaN loss and a list (several objectives) are not a best trial
    odd = [
        completed(1, [0, 0, 0, 0], loss=float("-inf")),
        completed(2, [0, 0, 0, 0], loss=float("nan")),
        completed(3, [0, 0, 0, 0], loss=[0.0, 0.0]),
    ]
    assert best_completed_trial([*odd, BEST]) is BEST
    assert best_completed_trial(odd) is None
