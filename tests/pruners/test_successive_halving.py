"""SuccessiveHalvingPruner: rung values read from reports, decisions computed by hand."""

from __future__ import annotations

import pytest

from hopt.exceptions import InvalidArgumentError
from hopt.pruners import SuccessiveHalvingPruner
from hopt.testing.pruners import PrunerConformance, completed, pruned, running

# min_resource=1, reduction_factor=2: rungs at steps 1, 2, 4, 8.
# Other trials' values at the rungs (the value of the first report at a step >= the rung's):
#   A (completed) reports 9 5 4 3 2 at steps 0..4 -> rung 0: 5, rung 1: 4, rung 2: 2
#   B (pruned)    reports 9 7                     -> rung 0: 7
#   C (running)   reports 9 3 6                   -> rung 0: 3, rung 1: 6
OTHERS = [completed(0, [9, 5, 4, 3, 2]), pruned(1, [9, 7]), running(2, [9, 3, 6])]


def sha(**kwargs):
    return SuccessiveHalvingPruner(**{"min_resource": 1, "reduction_factor": 2, **kwargs})


def decide(pruner, values, others=OTHERS):
    trial = running(99, values)
    return pruner.prune(trial, [*others, trial])


@pytest.mark.parametrize(
    "values, prune, why",
    [
        ([9], False, "step 0: below the first rung (step 1)"),
        # rung 0: 5, 7, 3 and v; n = 4, keep the max(4 // 2, 1) = 2 lowest
        ([9, 5], False, "sorted 3 5 5 7: 5 <= the 2nd lowest (5); ties go on"),
        ([9, 5.5], True, "sorted 3 5 5.5 7: 5.5 > the 2nd lowest (5)"),
        ([9, 1], False, "lowest"),
        # rung 1 (step 2): 4, 6 and v; n = 3, keep max(3 // 2, 1) = 1
        ([9, 1, 4], False, "4 <= lowest 4"),
        ([9, 1, 4.1], True, "4.1 > 4"),
        ([9, 1, 3, 100], False, "step 3 reaches no rung (rung 2 is at step 4)"),
        # one report at step 4 reaches rungs 0, 1 and 2 with the same value v
        ([(0, 9), (4, 2)], False, "rung 0: 2 lowest; rung 1: 2 <= 4; rung 2: 2 <= 2"),
        ([(0, 9), (4, 3)], True, "rung 0: 3 3 5 7 keep; rung 1: 3 4 6 keep; rung 2: 2 3 -> 3 > 2"),
        ([(0, 9), (2, 1), (1, 100)], False, "the latest report (step 1) reached no new step"),
    ],
)
def test_rung_table(values, prune, why):
    assert decide(sha(), values) is prune, why


def test_a_trials_rung_value_is_its_first_report_that_reached_the_rung():
    # D reported 2 at step 1, then 100 at step 1 again: its rung 0 value stays 2.
    # Rung 0 then holds 5, 7, 3, 2 and v = 3.5: sorted 2 3 3.5 5 7, keep 2: 3.5 > 3.
    # (Had 100 counted: 3 3.5 5 7 100, and 3.5 would be kept.)
    others = [*OTHERS, running(3, [(0, 9), (1, 2), (1, 100)])]
    assert decide(sha(), [9, 3.5], others) is True


def test_a_jump_past_a_rung_records_the_report_that_jumped():
    # E reported at step 3 first (value 1: rungs 0 and 1), then step 1 (ignored).
    # Rung 1 then holds 4, 6, 1 and v = 3: sorted 1 3 4 6, keep 2: 3 <= 3.
    # Without E: 4 6 3 keeps only the lowest, 3: also kept. Take v = 4:
    # with E, sorted 1 4 4 6, 4 <= 4 kept; E's step-1 value 50 would not change rung 0.
    others = [*OTHERS, running(4, [(3, 1), (1, 50)])]
    # rung 0 with E (value 1): 5 7 3 1 and v = 4 -> sorted 1 3 4 5 7, keep 2: 4 > 3, pruned
    assert decide(sha(), [9, 4], others) is True
    # rung 1: 4, 6, 1 and v = 4 -> sorted 1 4 4 6, keep 2: kept
    assert decide(sha(), [9, 1, 4], others) is False


def test_the_trial_itself_in_the_documents_is_not_its_own_competitor():
    # the same trial under the same tid with a stale copy: rung 0 is still 5, 7, 3 and v
    stale = running(99, [9, 0])
    trial = running(99, [9, 5])
    assert sha().prune(trial, [*OTHERS, stale]) is False  # sorted 3 5 5 7
    assert sha().prune(trial, [*OTHERS, stale, trial]) is False


def test_min_early_stopping_rate_moves_the_first_rung():
    # rate 1: rungs at 2, 4, 8; step 1 is never judged
    assert decide(sha(min_early_stopping_rate=1), [9, 100]) is False
    # rung 0 (step 2): A 4, C 6, v = 4.1; n = 3, keep 1 -> pruned
    assert decide(sha(min_early_stopping_rate=1), [9, 1, 4.1]) is True


def test_bootstrap_count_prunes_while_too_few_reached_the_rung():
    # Optuna's rule: with n <= bootstrap_count (the trial included) the trial is pruned
    # rung 0 holds A 5 only: n = 2
    assert decide(sha(bootstrap_count=2), [9, 0], others=OTHERS[:1]) is True
    # n = 4 > 2 (A, B, C and the trial): judged as usual, 0 is the lowest
    assert decide(sha(bootstrap_count=2), [9, 0]) is False


def test_auto_min_resource_waits_for_a_completed_trial():
    pruner = SuccessiveHalvingPruner()  # auto, reduction_factor 4
    assert decide(pruner, [9, 100], others=[running(0, [0, 0])]) is False
    assert pruner.min_resource is None


def test_auto_min_resource_is_the_first_completed_trials_last_step_over_100():
    # the first to finish reported up to step 299: min_resource 299 // 100 = 2, rungs 2, 8, 32
    first = completed(0, [(299, 1.0)], end=1)
    later = completed(1, [(1000, 1.0)], end=2)
    pruner = SuccessiveHalvingPruner()
    assert decide(pruner, [9, 100], others=[later, first]) is False  # step 1: no rung yet
    assert pruner.min_resource == 2
    # rung 0 (step 2): first has nothing before step 299... its report at 299 reached it: 1.0;
    # later's report at 1000: 1.0; v = 100; n = 3, keep max(3 // 4, 1) = 1 -> pruned
    assert decide(pruner, [9, 9, 100], others=[later, first]) is True
    # kept for good: a shorter run completing "earlier" later does not change it
    assert decide(pruner, [9], others=[completed(2, [1.0], end=0), first]) is False
    assert pruner.min_resource == 2


def test_auto_min_resource_is_at_least_1():
    pruner = SuccessiveHalvingPruner()
    decide(pruner, [9], others=[completed(0, [1, 1, 1])])
    assert pruner.min_resource == 1


def test_rung_step():
    assert [sha().rung_step(r) for r in range(4)] == [1, 2, 4, 8]
    pruner = SuccessiveHalvingPruner(min_resource=3, reduction_factor=3, min_early_stopping_rate=1)
    assert [pruner.rung_step(r) for r in range(3)] == [9, 27, 81]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"min_resource": 0}, 'min_resource must be an int >= 1 or "auto"; got min_resource=0'),
        ({"min_resource": "Auto"}, "got min_resource='Auto'"),
        ({"min_resource": 1.5}, 'min_resource must be an int >= 1 or "auto"'),
        ({"reduction_factor": 1}, "reduction_factor must be an int >= 2; got reduction_factor=1"),
        ({"reduction_factor": 2.0}, "reduction_factor must be an int >= 2"),
        ({"min_early_stopping_rate": -1}, "min_early_stopping_rate must be an int >= 0"),
        ({"bootstrap_count": -1}, "bootstrap_count must be an int >= 0"),
        (
            {"bootstrap_count": 2},
            'bootstrap_count > 0 needs an explicit min_resource, not "auto"; got bootstrap_count=2',
        ),
    ],
)
def test_bad_settings_name_the_parameter(kwargs, message):
    with pytest.raises(InvalidArgumentError, match="^SuccessiveHalvingPruner: ") as info:
        SuccessiveHalvingPruner(**kwargs)
    assert message in str(info.value)


class TestSuccessiveHalvingConformance(PrunerConformance):
    def make_pruner(self):
        return SuccessiveHalvingPruner(min_resource=1, reduction_factor=3)


class TestAutoSuccessiveHalvingConformance(PrunerConformance):
    def make_pruner(self):
        return SuccessiveHalvingPruner(reduction_factor=2)
