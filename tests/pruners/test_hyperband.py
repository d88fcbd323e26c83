"""HyperbandPruner: bracket count, budgets, stable weighted assignment, per-bracket competition."""

from __future__ import annotations

import collections
import os
import subprocess
import sys

import pytest

from hopt.exceptions import InvalidArgumentError
from hopt.pruners import HyperbandPruner
from hopt.pruners.hyperband import bracket_budgets, count_brackets
from hopt.testing.pruners import PrunerConformance, completed, running


@pytest.mark.parametrize(
    "low, high, eta, n",
    [
        (1, 81, 3, 5),  # rungs 1 3 9 27 81
        (1, 80, 3, 4),  # 81 > 80
        (1, 243, 3, 6),  # floor(log3 243) + 1; Optuna's float log gives 4.999... -> 5
        (1, 1, 3, 1),
        (3, 10, 3, 2),  # 3 9
        (1, 100, 4, 4),  # 1 4 16 64
    ],
)
def test_count_brackets(low, high, eta, n):
    assert count_brackets(low, high, eta) == n


def test_bracket_budgets():
    # n = 5, eta = 3: ceil(5 * 3**s / (s + 1)) for s = 4, 3, 2, 1, 0
    #   405 / 5 = 81; 135 / 4 = 33.75 -> 34; 45 / 3 = 15; 15 / 2 = 7.5 -> 8; 5 / 1 = 5
    assert bracket_budgets(5, 3) == [81, 34, 15, 8, 5]
    # n = 3, eta = 3: 27 / 3 = 9; 9 / 2 = 4.5 -> 5; 3 / 1 = 3
    assert bracket_budgets(3, 3) == [9, 5, 3]


def test_bracket_of_is_the_crc32_of_the_tid_walked_through_the_budgets():
    # max_resource 9: budgets 9, 5, 3 (total 17). crc32(b"0") = 4108050209, % 17 = 5 -> bracket 0
    # crc32(b"4") = 4088798008, % 17 = 15 -> past 9 + 5 -> bracket 2
    # crc32(b"9") = 2366072709, % 17 = 10 -> past 9 -> bracket 1
    pruner = HyperbandPruner(max_resource=9)
    assert [pruner.bracket_of(t) for t in (0, 4, 9)] == [0, 2, 1]


def test_bracket_of_is_the_same_in_every_process():
    code = (
        "from hopt.pruners import HyperbandPruner;"
        "p = HyperbandPruner(max_resource=81);"
        "print([p.bracket_of(t) for t in range(30)])"
    )
    outputs = set()
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
        outputs.add(out.stdout)
    here = HyperbandPruner(max_resource=81)
    assert outputs == {f"{[here.bracket_of(t) for t in range(30)]}\n"}


def test_brackets_are_drawn_in_proportion_to_their_budgets():
    pruner = HyperbandPruner(max_resource=81)  # budgets 81 34 15 8 5, total 143
    counts = collections.Counter(pruner.bracket_of(t) for t in range(50_000))
    for bracket, budget in enumerate(pruner.budgets):
        assert counts[bracket] / 50_000 == pytest.approx(budget / 143, abs=0.01)


# min_resource 1, max_resource 9, reduction_factor 3: three brackets
#   bracket 0 (tids 0 1 2 3 7 ...): rungs at 1, 3, 9     bracket 2 (tids 4 5 6 8 ...): rung at 9
SAME_BRACKET = [running(0, [9, 5]), running(1, [9, 6]), running(2, [9, 7])]
OTHER_BRACKET = [running(4, [9, 0]), running(5, [9, 0]), running(6, [9, 0])]


def decide(pruner, tid, values, others):
    trial = running(tid, values)
    return pruner.prune(trial, [*others, trial])


def test_a_trial_competes_only_within_its_bracket():
    pruner = HyperbandPruner(max_resource=9)
    others = SAME_BRACKET + OTHER_BRACKET
    # trial 3 (bracket 0) at rung 0 (step 1): 5 6 7 and v; n = 4, keep max(4 // 3, 1) = 1
    assert decide(pruner, 3, [9, 4.9], others) is False  # lowest of its bracket
    assert decide(pruner, 3, [9, 5.5], others) is True  # 5.5 > 5
    # had bracket 2's zeros counted: n = 7, keep 2, and 4.9 would be pruned


def test_later_brackets_judge_later():
    pruner = HyperbandPruner(max_resource=9)
    # trial 8 is in bracket 2: its first rung is at step 9, so step 1 is never judged
    assert decide(pruner, 8, [9, 100], SAME_BRACKET + OTHER_BRACKET) is False
    # at step 9, bracket 2's 4, 5, 6 have not reached the rung: alone, it is kept
    assert decide(pruner, 8, [(0, 9), (9, 100)], OTHER_BRACKET) is False


def test_auto_max_resource_waits_for_a_completed_trial():
    pruner = HyperbandPruner()
    assert pruner.bracket_of(0) is None and pruner.n_brackets is None
    assert decide(pruner, 3, [9, 100], SAME_BRACKET) is False
    assert pruner.n_brackets is None
    # the first trial to finish reported up to step 8: max_resource 9, three brackets
    finished = [completed(10, [(8, 1.0)], end=1), completed(11, [(80, 1.0)], end=2)]
    assert decide(pruner, 3, [9, 5.5], SAME_BRACKET + finished) is True
    assert (pruner.max_resource, pruner.n_brackets) == (9, 3)


def test_bracket_of_can_look_for_the_first_completed_trial():
    pruner = HyperbandPruner()
    assert pruner.bracket_of(4, [completed(0, [(8, 1.0)])]) == 2
    assert pruner.max_resource == 9


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"min_resource": 0}, "min_resource must be an int >= 1; got min_resource=0"),
        ({"min_resource": "auto"}, "min_resource must be an int >= 1; got min_resource='auto'"),
        (
            {"min_resource": 5, "max_resource": 4},
            'max_resource must be "auto" or an int >= min_resource (5); got max_resource=4',
        ),
        ({"max_resource": "max"}, "got max_resource='max'"),
        ({"max_resource": 9.0}, "got max_resource=9.0"),
        ({"reduction_factor": 1}, "reduction_factor must be an int >= 2; got reduction_factor=1"),
        ({"bootstrap_count": -1}, "bootstrap_count must be an int >= 0"),
        ({"bootstrap_count": 1}, 'bootstrap_count > 0 needs an explicit max_resource, not "auto"'),
    ],
)
def test_bad_settings_name_the_parameter(kwargs, message):
    with pytest.raises(InvalidArgumentError, match="^HyperbandPruner: ") as info:
        HyperbandPruner(**kwargs)
    assert message in str(info.value)


class TestHyperbandConformance(PrunerConformance):
    n_trials = 40

    def make_pruner(self):
        return HyperbandPruner(min_resource=1, max_resource=20, reduction_factor=2)


class TestAutoHyperbandConformance(PrunerConformance):
    n_trials = 40

    def make_pruner(self):
        return HyperbandPruner(reduction_factor=2)
