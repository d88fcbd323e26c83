"""fmin with a pruner, in process: what hopt.should_prune / TrialPruned do to a trial."""

from __future__ import annotations

import logging

import pytest

import hopt
from hopt import STATUS_OK, STATUS_PRUNED, Trials, fmin, hp, rand
from hopt.exceptions import InvalidArgumentError

SPACE = {"x": hp.uniform("x", 0, 10)}


class AboveFive:
    """Prunes a trial whose latest report is above 5 (a rule simple enough to check)."""

    def prune(self, trial, trials):
        reports = trial.get("reports") or []
        return bool(reports) and reports[-1]["value"] > 5


def epochs(params):
    """Loss x - epoch over 3 epochs; stops when the pruner says so."""
    for epoch in range(3):
        hopt.report(params["x"] - epoch, step=epoch)
        if hopt.should_prune():
            raise hopt.TrialPruned()
    return params["x"] - 2


def run(fn, pruner, points, **kwargs):
    trials = Trials()
    best = fmin(fn, SPACE, algo=rand.suggest, max_evals=len(points), trials=trials,
                points_to_evaluate=points, rstate=0, show_progressbar=False, pruner=pruner,
                **kwargs)  # fmt: skip
    return trials, best


def test_a_pruned_trial_keeps_its_reports_and_its_last_value_as_loss():
    trials, best = run(epochs, AboveFive(), [{"x": 9.0}, {"x": 6.5}, {"x": 3.0}])
    by_x = {t["misc"]["vals"]["x"][0]: t for t in trials.trials}
    # x=9: 9 > 5 at epoch 0 -> pruned at step 0 with loss 9
    assert by_x[9.0]["result"] == {"loss": 9.0, "status": STATUS_PRUNED, "pruned_step": 0}
    assert [r["value"] for r in by_x[9.0]["reports"]] == [9.0]
    # x=6.5: 6.5 > 5 at epoch 0 too; x=3 never above 5 -> completes with 3 - 2 = 1
    assert by_x[6.5]["result"]["status"] == STATUS_PRUNED
    assert by_x[3.0]["result"] == {"loss": 1.0, "status": STATUS_OK}
    assert len(by_x[3.0]["reports"]) == 3
    # pruned trials are not failures; the best is over completed trials only
    assert best == {"x": 3.0}
    assert trials.best_trial["tid"] == by_x[3.0]["tid"]
    assert "error" not in by_x[9.0]["misc"]


def test_without_a_pruner_should_prune_is_false_and_nothing_is_pruned():
    trials, _ = run(epochs, None, [{"x": 9.0}, {"x": 3.0}])
    assert trials.statuses() == [STATUS_OK, STATUS_OK]


def test_report_with_prune_true_raises_trial_pruned_itself():
    def short(params):
        for epoch in range(3):
            hopt.report(params["x"] + epoch, step=epoch, prune=True)
        return params["x"]

    trials, _ = run(short, AboveFive(), [{"x": 4.5}, {"x": 1.0}])
    by_x = {t["misc"]["vals"]["x"][0]: t for t in trials.trials}
    # 4.5 at step 0 is kept, 5.5 at step 1 is above 5: pruned there, loss 5.5
    assert by_x[4.5]["result"] == {"loss": 5.5, "status": STATUS_PRUNED, "pruned_step": 1}
    assert by_x[1.0]["result"]["status"] == STATUS_OK


def test_every_trial_pruned_returns_the_one_that_got_furthest_with_a_warning(caplog):
    def reports_then_pruned(params):
        steps = 1 if params["x"] > 5 else 2
        for step in range(steps):
            hopt.report(params["x"], step=step)
        raise hopt.TrialPruned()

    with caplog.at_level(logging.WARNING, logger="hopt"):
        trials, best = run(reports_then_pruned, AboveFive(), [{"x": 9.0}, {"x": 4.0}, {"x": 2.0}])
    # x=4 and x=2 reached step 1, x=9 only step 0; of those two, 2 is lower
    assert best == {"x": 2.0}
    assert "no trial completed (3 were pruned)" in caplog.text


def test_an_objective_may_return_status_pruned_itself():
    trials, _ = run(lambda p: {"status": "pruned", "loss": p["x"]}, None, [{"x": 4.0}])
    assert trials.trials[0]["result"] == {"status": STATUS_PRUNED, "loss": 4.0}


def test_a_pruner_without_a_prune_method_is_refused_naming_the_argument():
    with pytest.raises(InvalidArgumentError, match="pruner must be a pruner from hopt.pruners"):
        fmin(epochs, SPACE, algo=rand.suggest, max_evals=1, pruner="median")
