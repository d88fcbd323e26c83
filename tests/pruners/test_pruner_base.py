"""Reading trial documents: the helpers every pruner shares (hopt.pruners.base)."""

from __future__ import annotations

import pytest

from hopt._types import JOB_STATE_DONE, JOB_STATE_ERROR
from hopt.pruners import (
    NopPruner,
    Pruner,
    best_value,
    completed_trials,
    first_completed_trial,
    is_check_step,
    is_completed,
    is_pruned,
    last_step,
    value_at_step,
    values_by_step,
)
from hopt.testing.pruners import completed, pruned, running

# reported at steps 0, 2, 2, 1: the second report at step 2 replaces the first
OUT_OF_ORDER = running(0, [(0, 5.0), (2, 3.0), (2, 4.0), (1, 6.0)])


def test_values_by_step_keeps_the_last_report_at_a_step():
    assert values_by_step(OUT_OF_ORDER) == {0: 5.0, 2: 4.0, 1: 6.0}


def test_value_at_step():
    assert value_at_step(OUT_OF_ORDER, 2) == 4.0
    assert value_at_step(OUT_OF_ORDER, 7) is None


def test_last_step_is_the_largest_step_not_the_latest_report():
    assert last_step(OUT_OF_ORDER) == 2
    assert last_step(running(1)) is None


def test_best_value_is_the_lowest_value_by_step():
    # 3.0 was replaced by 4.0 at step 2, so the best is 4.0
    assert best_value(OUT_OF_ORDER) == 4.0
    assert best_value(running(1)) is None


def test_documents_without_a_reports_key_have_no_reports():
    doc = {"tid": 3, "state": 1, "result": {"status": "new"}}
    assert values_by_step(doc) == {} and last_step(doc) is None


def test_completed_means_done_with_status_ok():
    failed = completed(2, [1.0])
    failed["result"] = {"status": "fail"}
    error = completed(3, [1.0])
    error["state"] = JOB_STATE_ERROR
    docs = [running(0, [1.0]), completed(1, [1.0]), failed, error, pruned(4, [1.0])]
    assert [is_completed(d) for d in docs] == [False, True, False, False, False]
    assert [d["tid"] for d in completed_trials(docs)] == [1]
    assert [is_pruned(d) for d in docs] == [False, False, False, False, True]
    assert docs[4]["state"] == JOB_STATE_DONE


def test_first_completed_trial_is_the_earliest_to_finish_with_reports():
    late = completed(0, [1.0], end=50)
    early = completed(5, [2.0], end=10)
    silent = completed(6, [], end=1)  # reported nothing: cannot set a resource
    assert first_completed_trial([late, early, silent, running(7, [1.0])]) is early
    assert first_completed_trial([running(0, [1.0])]) is None


def test_first_completed_trial_breaks_ties_by_tid():
    a, b = completed(4, [1.0], end=10), completed(2, [1.0], end=10)
    assert first_completed_trial([a, b]) is b


@pytest.mark.parametrize(
    "steps, step, warmup, interval, due",
    [
        ([0], 0, 0, 1, True),  # first report: due point 0, nothing earlier
        ([0, 1], 1, 0, 2, False),  # due points 0, 2, ...: step 1 is between them
        ([0, 1, 2], 2, 0, 2, True),
        ([0, 3], 3, 0, 2, True),  # step 2 was skipped: checked at the first report past it
        ([0, 3, 4], 4, 0, 2, True),  # due point 4, the latest earlier report was 3
        ([0, 2, 3], 3, 0, 2, False),  # due point 2 was checked at step 2 already
        ([5, 6], 6, 5, 3, False),  # warm-up 5, interval 3: due points 5, 8, ...
        ([5, 6, 7, 8], 8, 5, 3, True),
        ([9], 9, 5, 3, True),  # (9 - 5) // 3 * 3 + 5 = 8 > -1
    ],
)
def test_is_check_step(steps, step, warmup, interval, due):
    assert is_check_step(steps, step, warmup, interval) is due


def test_nop_pruner_never_prunes():
    assert isinstance(NopPruner(), Pruner)
    assert NopPruner().prune(running(0, [1e9]), [completed(1, [0.0])]) is False


def test_pruner_is_abstract():
    with pytest.raises(TypeError):
        Pruner()  # type: ignore[abstract]
