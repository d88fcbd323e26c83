"""HoptSearchCV(objectives=[...]): several scorers (and fit or score time) optimised jointly."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("sklearn")

from sklearn.datasets import load_iris  # noqa: E402
from sklearn.svm import SVC  # noqa: E402

from hopt import Trials, hp  # noqa: E402
from hopt.exceptions import InvalidArgumentError  # noqa: E402
from hopt.pruners import MedianPruner  # noqa: E402
from hopt.sklearn import HoptSearchCV  # noqa: E402

X, Y = load_iris(return_X_y=True)
SPACE = {
    "C": hp.loguniform("C", np.log(1e-2), np.log(1e2)),
    "gamma": hp.loguniform("gamma", np.log(1e-4), 0),
}
TWO_SCORERS = {"acc": "accuracy", "f1": "f1_macro"}


def search(**params):
    params = {"max_evals": 12, "cv": 3, "random_state": 0, **params}
    return HoptSearchCV(SVC(), SPACE, **params)


@pytest.fixture(scope="module")
def acc_and_f1():
    """A search over accuracy and macro F1, refit on F1."""
    return search(scoring=TWO_SCORERS, objectives=["acc", "f1"], refit="f1").fit(X, Y)


def test_each_trial_stores_a_list_of_losses_one_per_objective(acc_and_f1):
    results = acc_and_f1.cv_results_
    by_tid = {t["tid"]: t["result"] for t in acc_and_f1.trials_.trials}
    assert len(by_tid) == 12
    for row, tid in enumerate(results["tid"]):
        loss = by_tid[tid]["loss"]
        assert isinstance(loss, list) and len(loss) == 2, loss
        assert loss == pytest.approx(
            [-results["mean_test_acc"][row], -results["mean_test_f1"][row]]
        )


def test_the_front_holds_the_rows_no_other_beats_on_both_scorers(acc_and_f1):
    results, front = acc_and_f1.cv_results_, acc_and_f1.pareto_front_
    assert front, "a search with finished trials has a front"
    scores = np.column_stack([results["mean_test_acc"], results["mean_test_f1"]])

    def beats(a, b):  # higher is better
        return bool(np.all(scores[a] >= scores[b]) and np.any(scores[a] > scores[b]))

    on_front = [entry["index"] for entry in front]
    assert on_front == sorted(on_front)
    for entry in front:
        row = entry["index"]
        assert entry["tid"] == results["tid"][row] and entry["params"] == results["params"][row]
        assert entry["mean_test_acc"] == results["mean_test_acc"][row]
        assert entry["mean_test_f1"] == results["mean_test_f1"][row]
        assert not any(beats(other, row) for other in range(len(scores))), row
    for row in set(range(len(scores))) - set(on_front):
        assert any(beats(best, row) for best in on_front), f"row {row} is missing from the front"
    assert {t["tid"] for t in acc_and_f1.trials_.best_trials} == {e["tid"] for e in front}


def test_refit_takes_the_front_row_best_on_the_refit_metric(acc_and_f1):
    results, front = acc_and_f1.cv_results_, acc_and_f1.pareto_front_
    best = max(front, key=lambda entry: entry["mean_test_f1"])
    assert acc_and_f1.best_index_ == best["index"]
    assert acc_and_f1.best_params_ == best["params"]
    assert acc_and_f1.best_score_ == best["mean_test_f1"]
    assert acc_and_f1.best_estimator_.get_params()["C"] == best["params"]["C"]
    assert acc_and_f1.predict(X[:5]).shape == (5,)
    assert acc_and_f1.score(X, Y) == pytest.approx(
        acc_and_f1.scorer_["f1"](acc_and_f1.best_estimator_, X, Y)
    )
    assert results["rank_test_f1"][acc_and_f1.best_index_] == 1


def test_refit_true_refits_on_the_first_scorer_named_in_objectives():
    fitted = search(scoring=TWO_SCORERS, objectives=["f1", "acc"], max_evals=6).fit(X, Y)
    best = max(fitted.pareto_front_, key=lambda entry: entry["mean_test_f1"])
    assert fitted.best_index_ == best["index"]
    assert fitted.best_score_ == best["mean_test_f1"]


def test_error_against_fit_time_with_a_single_scoring():
    fitted = search(scoring="accuracy", objectives=["score", "fit_time"], max_evals=6).fit(X, Y)
    results = fitted.cv_results_
    for row, trial in enumerate(fitted.trials_.trials):
        loss = trial["result"]["loss"]
        assert loss == pytest.approx(
            [-results["mean_test_score"][row], results["mean_fit_time"][row]]
        )
        assert loss[1] > 0, "a fit takes some time"
    assert {"mean_test_score", "mean_fit_time"} <= set(fitted.pareto_front_[0])
    assert fitted.best_index_ in [entry["index"] for entry in fitted.pareto_front_]
    assert fitted.best_estimator_.predict(X[:3]).shape == (3,)


def test_refit_false_with_several_scorers_keeps_the_front_and_no_best():
    fitted = search(scoring=TWO_SCORERS, objectives=["acc", "score_time"], refit=False,
                    max_evals=4).fit(X, Y)  # fmt: skip
    assert fitted.pareto_front_ and "mean_score_time" in fitted.pareto_front_[0]
    assert not hasattr(fitted, "best_index_") and not hasattr(fitted, "best_estimator_")


def test_trials_of_a_search_with_one_objective_are_not_mixed_in():
    trials = Trials()
    search(scoring=TWO_SCORERS, refit="acc", max_evals=3, trials=trials).fit(X, Y)
    with pytest.raises(InvalidArgumentError, match="finished trials of another search"):
        search(scoring=TWO_SCORERS, objectives=["acc", "f1"], refit="acc", max_evals=6,
               trials=trials).fit(X, Y)  # fmt: skip


@pytest.mark.parametrize(
    "params, message",
    [
        (
            {"objectives": ["acc", "fit_tim"]},
            r"objectives names 'fit_tim', which is neither a scorer of scoring nor a time; the "
            r"valid names are \['acc', 'f1', 'fit_time', 'score_time'\]\. Did you mean 'fit_time'",
        ),
        ({"objectives": "acc"}, r"objectives must be a list of at least two names, each one of"),
        ({"objectives": ["acc"]}, r"at least two names.*got objectives=\['acc'\]"),
        ({"objectives": ["acc", 1]}, "objectives must be a list of at least two names"),
        ({"objectives": ["acc", "acc"]}, "objectives must name each objective once"),
        (
            {"objectives": ["fit_time", "score_time"]},
            r"objectives must include a scorer, one of \['acc', 'f1'\]",
        ),
        (
            {"scoring": "accuracy", "objectives": ["accuracy", "fit_time"], "refit": True},
            r"objectives names 'accuracy'.*\['score', 'fit_time', 'score_time'\]; a single "
            "scoring is named 'score'",
        ),
        (
            {"objectives": ["acc", "f1"], "pruner": MedianPruner()},
            r"pruner works on one loss, but objectives=\['acc', 'f1'\] makes several",
        ),
        (
            {"objectives": ["acc", "f1"], "loss_threshold": -0.9},
            "loss_threshold works on one loss",
        ),
    ],
)
def test_bad_objectives_are_named_with_the_valid_names(params, message):
    params = {"scoring": TWO_SCORERS, "refit": "acc", **params}
    with pytest.raises(InvalidArgumentError, match=message):
        search(max_evals=2, **params).fit(X, Y)
