"""HoptSearchCV(pruner=...): trials report after each fold or training round and stop early."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pytest

pytest.importorskip("sklearn")

from sklearn.base import BaseEstimator, ClassifierMixin  # noqa: E402
from sklearn.datasets import load_iris  # noqa: E402
from sklearn.ensemble import GradientBoostingClassifier  # noqa: E402
from sklearn.linear_model import LogisticRegression, Ridge, SGDClassifier  # noqa: E402
from sklearn.metrics import check_scoring  # noqa: E402
from sklearn.model_selection import StratifiedKFold  # noqa: E402
from sklearn.neural_network import MLPClassifier  # noqa: E402

from hopt import STATUS_OK, STATUS_PRUNED, FileTrials, Trials, hp, rand  # noqa: E402
from hopt.exceptions import InvalidArgumentError  # noqa: E402
from hopt.sklearn import HoptSearchCV  # noqa: E402
from hopt.sklearn._objective import CrossValidationObjective  # noqa: E402
from hopt.sklearn._pruning import PruningCrossValidationObjective, round_plan  # noqa: E402

X, Y = load_iris(return_X_y=True)
# C=1e-4 scores about 1/3, the others above 0.9: which trials a threshold prunes is known
C_SPACE = {"C": hp.choice("C", [1e-4, 1.0, 10.0])}
FOLDS = StratifiedKFold(4, shuffle=True, random_state=0)


class AboveAfter:
    """Prunes a trial whose latest report, at ``step`` or later, is above ``limit``."""

    def __init__(self, limit, step=0):
        self.limit = limit
        self.step = step

    def prune(self, trial, trials):
        reports = trial.get("reports") or []
        last = reports[-1] if reports else None
        return last is not None and last["step"] >= self.step and last["value"] > self.limit


class Always:
    """Prunes every trial at its first check."""

    def prune(self, trial, trials):
        return True


def logistic():
    return LogisticRegression(max_iter=300)


def search(estimator=None, space=C_SPACE, **kwargs):
    settings = dict(max_evals=8, algo=rand.suggest, cv=FOLDS, random_state=0)
    settings.update(kwargs)
    return HoptSearchCV(logistic() if estimator is None else estimator, space, **settings)


def by_tid(fitted):
    return {t["tid"]: t for t in fitted.trials_.trials}


# -- pruning="folds" -------------------------------------------------------------------------
def test_fold_pruning_stops_bad_settings_after_the_folds_the_pruner_saw():
    fitted = search(pruner=AboveAfter(-0.9, step=1)).fit(X, Y)
    results = fitted.cv_results_
    pruned = results["pruned"]
    assert pruned.any() and not pruned.all()
    assert all(p["C"] == 1e-4 for p, stopped in zip(results["params"], pruned) if stopped)
    # a pruned row: the two folds it ran, NaN for the others; its mean is over those two
    for i in np.flatnonzero(pruned):
        ran = [results[f"split{k}_test_score"][i] for k in range(4)]
        assert np.isfinite(ran[:2]).all() and np.isnan(ran[2:]).all()
        assert results["mean_test_score"][i] == pytest.approx(np.mean(ran[:2]))
        assert results["n_steps"][i] == 2
        assert np.isfinite(results["mean_fit_time"][i])
    assert (results["n_steps"][~pruned] == 4).all()
    # completed rows rank first; the best comes from them, and refit works
    assert results["rank_test_score"][pruned].min() > results["rank_test_score"][~pruned].max()
    assert not pruned[fitted.best_index_]
    assert fitted.best_params_["C"] != 1e-4
    assert fitted.best_score_ == results["mean_test_score"][fitted.best_index_]
    assert fitted.best_estimator_.C == fitted.best_params_["C"]
    assert fitted.predict(X[:3]).shape == (3,)


def test_a_pruned_trial_is_recorded_as_pruned_with_minus_the_mean_of_its_folds_as_loss():
    fitted = search(pruner=AboveAfter(-0.9, step=1)).fit(X, Y)
    results = fitted.cv_results_
    trials = by_tid(fitted)
    for i, tid in enumerate(results["tid"]):
        result = trials[tid]["result"]
        assert result["loss"] == pytest.approx(-results["mean_test_score"][i])
        if results["pruned"][i]:
            assert result["status"] == STATUS_PRUNED
            assert result["pruned_step"] == 1
            assert "error" not in result
        else:
            assert result["status"] == STATUS_OK
    assert fitted.trials_.losses() == pytest.approx(list(-results["mean_test_score"]))


def test_each_fold_reports_the_running_mean_of_the_fold_losses():
    fitted = search(pruner=AboveAfter(10.0)).fit(X, Y)  # never prunes
    results = fitted.cv_results_
    trials = by_tid(fitted)
    for i, tid in enumerate(results["tid"]):
        scores = [results[f"split{k}_test_score"][i] for k in range(4)]
        reports = trials[tid]["reports"]
        assert [r["step"] for r in reports] == [0, 1, 2, 3]
        expected = [-np.mean(scores[: k + 1]) for k in range(4)]
        assert [r["value"] for r in reports] == pytest.approx(expected)
    assert not results["pruned"].any()


def test_fold_losses_reports_each_fold_s_own_loss_and_the_loss_is_still_the_mean():
    fitted = search(pruner=AboveAfter(-0.9, step=1), pruning="fold_losses").fit(X, Y)
    results = fitted.cv_results_
    trials = by_tid(fitted)
    for i, tid in enumerate(results["tid"]):
        n = results["n_steps"][i]
        scores = [results[f"split{k}_test_score"][i] for k in range(n)]
        assert [r["value"] for r in trials[tid]["reports"]] == pytest.approx([-s for s in scores])
        assert trials[tid]["result"]["loss"] == pytest.approx(-np.mean(scores))
    assert results["pruned"].any()


def test_fold_pruning_gives_the_scores_a_search_without_pruner_gives():
    plain = search().fit(X, Y).cv_results_
    pruning = search(pruner=AboveAfter(10.0)).fit(X, Y).cv_results_
    for k in range(4):
        assert pruning[f"split{k}_test_score"] == pytest.approx(plain[f"split{k}_test_score"])
    assert list(pruning["rank_test_score"]) == list(plain["rank_test_score"])


def test_without_a_pruner_nothing_is_reported_and_cv_results_has_no_pruning_columns():
    fitted = search(max_evals=3).fit(X, Y)
    assert "pruned" not in fitted.cv_results_ and "n_steps" not in fitted.cv_results_
    assert all(not t.get("reports") for t in fitted.trials_.trials)


def test_every_column_of_cv_results_has_one_entry_per_trial():
    fitted = search(pruner=AboveAfter(-0.9), return_train_score=True).fit(X, Y)
    results = fitted.cv_results_
    assert {len(v) for v in results.values()} == {8}
    pruned = results["pruned"]
    assert pruned.dtype == bool and pruned.any()
    assert results["n_steps"].dtype.kind == "i"
    assert np.isnan(results["split3_train_score"][pruned]).all()
    assert np.isfinite(results["mean_train_score"][pruned]).all()  # over the folds run


def test_when_every_trial_is_pruned_the_furthest_best_one_is_chosen_with_a_warning():
    with pytest.warns(UserWarning, match="no candidate completed"):
        fitted = search(pruner=Always(), max_evals=5).fit(X, Y)
    results = fitted.cv_results_
    assert results["pruned"].all()
    assert (results["n_steps"] == 1).all()  # stopped after fold 0
    assert fitted.best_index_ == int(np.argmax(results["mean_test_score"]))
    assert fitted.best_estimator_.C == fitted.best_params_["C"]


class FailsWhenAsked(ClassifierMixin, BaseEstimator):
    """LogisticRegression that fails to fit when fail=True."""

    def __init__(self, fail=False):
        self.fail = fail

    def fit(self, X, y):
        if self.fail:
            raise ValueError("asked to fail")
        self.model_ = LogisticRegression(max_iter=300).fit(X, y)
        self.classes_ = self.model_.classes_
        return self

    def predict(self, X):
        return self.model_.predict(X)


def test_a_failed_fold_fails_the_trial_at_once_without_fitting_the_other_folds():
    space = {"fail": hp.choice("fail", [False, True])}
    with pytest.warns(Warning, match="asked to fail"):
        fitted = search(FailsWhenAsked(), space, pruner=AboveAfter(10.0)).fit(X, Y)
    results = fitted.cv_results_
    failed = np.array([p["fail"] for p in results["params"]])
    assert failed.any() and not failed.all()
    assert np.isnan(results["mean_test_score"][failed]).all()
    assert (results["n_steps"][failed] == 1).all()
    assert results["rank_test_score"][failed].min() > results["rank_test_score"][~failed].max()
    for tid in results["tid"][failed]:
        result = by_tid(fitted)[tid]["result"]
        assert result["status"] == "fail"
        assert len(result["fold_errors"]) == 1  # folds 1-3 were not fitted


def test_with_several_metrics_the_optimised_one_is_reported_and_every_one_is_kept():
    fitted = search(
        pruner=AboveAfter(-0.9, step=1), scoring=["accuracy", "f1_macro"], refit="f1_macro"
    ).fit(X, Y)
    results = fitted.cv_results_
    pruned = results["pruned"]
    assert pruned.any()
    for metric in ("accuracy", "f1_macro"):
        assert np.isnan(results[f"split3_test_{metric}"][pruned]).all()
        ranks = results[f"rank_test_{metric}"]
        assert ranks[pruned].min() > ranks[~pruned].max()
    tid = results["tid"][~pruned][0]
    i = list(results["tid"]).index(tid)
    assert by_tid(fitted)[tid]["reports"][0]["value"] == pytest.approx(
        -results["split0_test_f1_macro"][i]
    )


def test_the_objective_of_a_pruning_search_pickles_for_other_processes():
    objective = PruningCrossValidationObjective(
        estimator=logistic(), X=X, y=Y, splits=list(FOLDS.split(X, Y)),
        scorers={"score": check_scoring(logistic())}, metric="score", fit_params={},
        error_score=np.nan, return_train_score=False, n_jobs=None, pre_dispatch="2*n_jobs",
        search_key="k", pruning="rounds", n_rounds=3,
    )  # fmt: skip
    again = pickle.loads(pickle.dumps(objective))
    assert isinstance(again, CrossValidationObjective)
    assert (again.pruning, again.n_rounds, again.metric) == ("rounds", 3, "score")


def test_file_trials_workers_run_the_folds_and_ask_the_pruner(tmp_path):
    trials = FileTrials(tmp_path / "trials.db", "cv-prune", parallelism=1)
    fitted = search(pruner=AboveAfter(-0.9, step=1), trials=trials, max_evals=6).fit(X, Y)
    results = fitted.cv_results_
    assert results["pruned"].any() and not results["pruned"].all()
    assert (results["n_steps"][results["pruned"]] == 2).all()
    assert fitted.best_params_["C"] != 1e-4


# -- pruning="rounds" ----------------------------------------------------------------------
SGD_SPACE = {"alpha": hp.choice("alpha", [1e-4, 1e-2, 3.0])}


def sgd():
    return SGDClassifier(random_state=0)


def test_partial_fit_reports_one_value_per_epoch_the_mean_validation_loss_over_the_folds():
    fitted = search(
        sgd(), SGD_SPACE, max_evals=6, pruner=AboveAfter(-0.6, step=2), pruning="rounds",
        n_rounds=5,
    ).fit(X, Y)  # fmt: skip
    results = fitted.cv_results_
    trials = by_tid(fitted)
    pruned = results["pruned"]
    assert pruned.any() and not pruned.all()
    for i, tid in enumerate(results["tid"]):
        reports = trials[tid]["reports"]
        steps = results["n_steps"][i]
        assert [r["step"] for r in reports] == list(range(steps))
        # the last report is minus the mean of the fold scores shown (the state reached)
        assert reports[-1]["value"] == pytest.approx(-results["mean_test_score"][i])
        # every fold ran every round: all fold scores are there
        assert np.isfinite([results[f"split{k}_test_score"][i] for k in range(4)]).all()
        if pruned[i]:
            assert steps == 3 and trials[tid]["result"]["pruned_step"] == 2
        else:
            assert steps == 5
    assert results["rank_test_score"][pruned].min() > results["rank_test_score"][~pruned].max()


def test_partial_fit_refit_trains_n_rounds_epochs_on_all_the_data():
    fitted = search(
        sgd(), SGD_SPACE, max_evals=3, pruner=AboveAfter(10.0), pruning="rounds", n_rounds=4,
    ).fit(X, Y)  # fmt: skip
    best = fitted.best_estimator_
    assert best.t_ == 4 * len(X) + 1  # four epochs over the 150 samples
    assert best.alpha == fitted.best_params_["alpha"]
    assert list(best.classes_) == [0, 1, 2]
    assert fitted.score(X, Y) > 0.5


def test_warm_start_ensembles_grow_in_n_rounds_steps_to_their_own_n_estimators():
    gbm = GradientBoostingClassifier(n_estimators=6, max_depth=1, random_state=0)
    fitted = search(
        gbm, {"learning_rate": hp.choice("lr", [0.1, 0.5])}, max_evals=2,
        pruner=AboveAfter(10.0), pruning="rounds", n_rounds=3,
    ).fit(X, Y)  # fmt: skip
    for trial in fitted.trials_.trials:
        assert [r["step"] for r in trial["reports"]] == [0, 1, 2]
    best = fitted.best_estimator_
    assert best.n_estimators_ == 6
    assert best.warm_start is False  # as given: growing it was the search's business


def test_round_plan_reaches_the_estimator_s_own_size_in_at_most_n_rounds():
    assert round_plan(sgd(), "partial_fit", 3) == [None, None, None]
    gbm = GradientBoostingClassifier(n_estimators=100)
    assert round_plan(gbm, "n_estimators", 4) == [25, 50, 75, 100]
    assert round_plan(gbm.set_params(n_estimators=2), "n_estimators", 4) == [1, 2]


def test_scores_of_rounds_are_another_search_so_their_trials_are_not_reused_by_fit_s():
    trials = Trials()
    search(sgd(), SGD_SPACE, max_evals=2, trials=trials, pruner=AboveAfter(10.0),
           pruning="rounds", n_rounds=2).fit(X, Y)  # fmt: skip
    with pytest.raises(InvalidArgumentError, match="finished trials of another search"):
        search(sgd(), SGD_SPACE, max_evals=3, trials=trials).fit(X, Y)


def test_a_space_that_swaps_in_an_estimator_without_partial_fit_is_refused_by_the_trial():
    mlp = MLPClassifier(hidden_layer_sizes=(3,), max_iter=5)
    space = {"solver": hp.choice("solver", ["lbfgs"])}  # lbfgs has no partial_fit
    with pytest.raises(InvalidArgumentError, match="pruning='rounds' needs an estimator"):
        search(mlp, space, max_evals=1, pruner=Always(), pruning="rounds", n_rounds=2).fit(X, Y)


# -- bad arguments ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "estimator, params, message",
    [
        (
            logistic(),
            {"pruner": "median"},
            r"pruner must be a pruner from hopt.pruners \(such as MedianPruner\(\)\) or None; "
            "got pruner='median'",
        ),
        (
            logistic(),
            {"pruner": Always(), "pruning": "epochs"},
            r"pruning must be one of \['folds', 'fold_losses', 'rounds'\]; got "
            r"pruning='epochs'\. Did you mean 'rounds'\?",
        ),
        (
            logistic(),
            {"pruner": Always(), "pruning": "fold"},
            r"got pruning='fold'\. Did you mean 'folds'\?",
        ),
        (
            sgd(),
            {"pruner": Always(), "pruning": "rounds"},
            r"pruning='rounds' needs n_rounds, the number of training rounds per fold.*"
            r"got n_rounds=None\. Pass e\.g\. n_rounds=20",
        ),
        (
            sgd(),
            {"pruner": Always(), "pruning": "rounds", "n_rounds": 0},
            r"n_rounds must be None or an int >= 1; got n_rounds=0\. It is the number of "
            "training rounds",
        ),
        (
            sgd(),
            {"pruner": Always(), "n_rounds": 10},
            r"n_rounds counts training rounds only with pruning='rounds'; got "
            r"n_rounds=10 with pruning='folds'\. Pass pruning='rounds', or drop n_rounds",
        ),
        (
            sgd(),
            {"pruning": "rounds", "n_rounds": 10},
            r"pruning takes effect only with a pruner; got pruner=None, "
            r"pruning='rounds'\. Pass a pruner such as pruner=MedianPruner\(\)",
        ),
        (
            sgd(),
            {"n_rounds": 10},
            r"n_rounds takes effect only with a pruner; got pruner=None, n_rounds=10\.",
        ),
        (
            Ridge(),
            {"pruner": Always(), "pruning": "rounds", "n_rounds": 5},
            r"pruning='rounds' needs an estimator that trains in rounds: one with "
            r"partial_fit .* or with warm_start and n_estimators .*got estimator=Ridge\(\)\. "
            r"Use pruning='folds', which works with any estimator",
        ),
        (
            logistic(),  # warm_start, but nothing that grows
            {"pruner": Always(), "pruning": "rounds", "n_rounds": 5},
            r"got estimator=LogisticRegression\(max_iter=300\)\. Use pruning='folds'",
        ),
    ],
)
def test_bad_pruning_arguments_are_named_with_their_fix(estimator, params, message):
    bad = HoptSearchCV(estimator, C_SPACE, max_evals=2, cv=2, **params)
    with pytest.raises(InvalidArgumentError, match=message):
        bad.fit(X, Y)


def test_n_jobs_with_a_pruner_warns_that_folds_run_one_after_another():
    with pytest.warns(UserWarning, match=r"n_jobs=2 is not used with a pruner"):
        search(pruner=AboveAfter(10.0), n_jobs=2, max_evals=1).fit(X, Y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        search(pruner=AboveAfter(10.0), n_jobs=1, max_evals=1).fit(X, Y)
