"""hopt.sklearn.HoptSearchCV: a scikit-learn search estimator over an hp space (in process)."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings

import numpy as np
import pytest

pytest.importorskip("sklearn")

from scipy.stats import rankdata  # noqa: E402
from sklearn.base import BaseEstimator, RegressorMixin, is_regressor  # noqa: E402
from sklearn.datasets import load_diabetes, load_iris  # noqa: E402
from sklearn.decomposition import PCA  # noqa: E402
from sklearn.exceptions import FitFailedWarning, NotFittedError  # noqa: E402
from sklearn.linear_model import LogisticRegression, Ridge  # noqa: E402
from sklearn.metrics import get_scorer  # noqa: E402
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score  # noqa: E402
from sklearn.neighbors import KNeighborsClassifier  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils.estimator_checks import estimator_checks_generator  # noqa: E402

from hopt import Trials, fmin, hp, rand, tpe  # noqa: E402
from hopt.exceptions import InvalidArgumentError, InvalidSpaceError  # noqa: E402
from hopt.sklearn import AllFitsFailedError, HoptSearchCV, HyperoptSearchCV  # noqa: E402

IRIS_X, IRIS_Y = load_iris(return_X_y=True)
DIAB_X, DIAB_Y = load_diabetes(return_X_y=True)
DIAB_X, DIAB_Y = DIAB_X[:150], DIAB_Y[:150]

C_SPACE = {"C": hp.loguniform("C", np.log(0.01), np.log(100))}
ALPHA_SPACE = {"alpha": hp.loguniform("alpha", np.log(1e-3), np.log(10))}


def logistic():
    return LogisticRegression(max_iter=500)


class FlakyRegressor(RegressorMixin, BaseEstimator):
    """Ridge that fails to fit when asked to (fail=True); refuses a sample_weight of the wrong length."""

    def __init__(self, alpha=1.0, fail=False):
        self.alpha = alpha
        self.fail = fail

    def fit(self, X, y, sample_weight=None):
        if self.fail:
            raise ValueError("asked to fail")
        if sample_weight is not None and len(sample_weight) != len(X):
            raise ValueError(f"sample_weight has {len(sample_weight)} rows, X has {len(X)}")
        self.model_ = Ridge(alpha=self.alpha).fit(X, y, sample_weight=sample_weight)
        self.n_features_in_ = X.shape[1]
        return self

    def predict(self, X):
        return self.model_.predict(X)


# -- fit, predict, score -----------------------------------------------------------------
def test_classifier_fit_predict_score():
    search = HoptSearchCV(logistic(), C_SPACE, max_evals=6, cv=3, random_state=0)
    assert search.fit(IRIS_X, IRIS_Y) is search
    assert 0.01 <= search.best_params_["C"] <= 100
    assert set(search.best_params_) == {"C"}
    assert search.predict(IRIS_X).shape == IRIS_Y.shape
    assert search.predict_proba(IRIS_X).shape == (150, 3)
    assert list(search.classes_) == [0, 1, 2]
    assert search.n_features_in_ == 4
    assert search.score(IRIS_X, IRIS_Y) == search.best_estimator_.score(IRIS_X, IRIS_Y)
    assert search.best_estimator_.C == search.best_params_["C"]
    assert search.best_score_ == max(search.cv_results_["mean_test_score"])
    assert search.n_splits_ == 3
    assert search.refit_time_ > 0
    assert search.multimetric_ is False
    assert len(search.trials_) == 6


def test_regressor_with_a_named_scoring():
    search = HoptSearchCV(
        Ridge(), ALPHA_SPACE, max_evals=5, cv=3, scoring="neg_mean_squared_error",
        random_state=1,
    )  # fmt: skip
    search.fit(DIAB_X, DIAB_Y)
    assert 1e-3 <= search.best_params_["alpha"] <= 10
    assert search.best_score_ < 0
    scorer = get_scorer("neg_mean_squared_error")
    assert search.scorer_(search.best_estimator_, DIAB_X, DIAB_Y) == pytest.approx(
        scorer(search.best_estimator_, DIAB_X, DIAB_Y)
    )
    assert search.score(DIAB_X, DIAB_Y) == pytest.approx(
        scorer(search.best_estimator_, DIAB_X, DIAB_Y)
    )
    # the best trial's mean score is what cross-validating its parameters gives
    again = cross_val_score(
        Ridge(**search.best_params_), DIAB_X, DIAB_Y, cv=3, scoring="neg_mean_squared_error"
    )
    assert search.best_score_ == pytest.approx(again.mean())


def test_the_loss_of_each_trial_is_minus_its_mean_test_score():
    search = HoptSearchCV(Ridge(), ALPHA_SPACE, max_evals=4, cv=3, random_state=2)
    search.fit(DIAB_X, DIAB_Y)
    losses = search.trials_.losses()
    assert losses == pytest.approx(list(-search.cv_results_["mean_test_score"]))
    assert list(search.cv_results_["tid"]) == search.trials_.tids


# -- cv_results_ ---------------------------------------------------------------------------
def test_cv_results_match_grid_search_cv_for_the_same_settings():
    grid = GridSearchCV(logistic(), {"C": [0.1, 10.0]}, cv=3, return_train_score=True)
    grid.fit(IRIS_X, IRIS_Y)
    search = HoptSearchCV(
        logistic(), {"C": hp.choice("C", [0.1, 10.0])}, max_evals=5, algo=rand.suggest, cv=3,
        return_train_score=True, random_state=0,
    )  # fmt: skip
    search.fit(IRIS_X, IRIS_Y)
    ours, theirs = search.cv_results_, grid.cv_results_
    assert [k for k in ours if k != "tid"] == list(theirs)
    for key, value in ours.items():
        assert len(value) == 5, key
    assert ours["param_C"].dtype == theirs["param_C"].dtype
    assert {p["C"] for p in ours["params"]} == {0.1, 10.0}
    for row, params in enumerate(ours["params"]):
        g = theirs["params"].index(params)
        for key in theirs:
            if key.startswith(("split", "mean_t", "std_t")) and "time" not in key:
                assert ours[key][row] == pytest.approx(theirs[key][g]), key
    assert ours["mean_fit_time"].dtype == np.float64
    assert ours["rank_test_score"].dtype == theirs["rank_test_score"].dtype


def test_ranks_follow_mean_test_scores_and_the_best_has_rank_one():
    search = HoptSearchCV(Ridge(), ALPHA_SPACE, max_evals=6, cv=3, random_state=3)
    search.fit(DIAB_X, DIAB_Y)
    results = search.cv_results_
    expected = rankdata(-results["mean_test_score"], method="min")
    assert list(results["rank_test_score"]) == list(expected)
    assert results["rank_test_score"][search.best_index_] == 1
    assert search.best_params_ == results["params"][search.best_index_]
    splits = np.stack([results[f"split{k}_test_score"] for k in range(3)], axis=1)
    assert results["mean_test_score"] == pytest.approx(splits.mean(axis=1))
    assert results["std_test_score"] == pytest.approx(splits.std(axis=1))


def test_nested_choice_in_a_pipeline_gives_masked_param_columns():
    pipe = Pipeline([("scale", StandardScaler()), ("clf", logistic())])
    space = hp.choice(
        "model",
        [
            {"clf": logistic(), "clf__C": hp.loguniform("C", -3, 3)},
            {"clf": KNeighborsClassifier(), "clf__n_neighbors": hp.uniformint("k", 1, 15)},
        ],
    )
    search = HoptSearchCV(pipe, space, max_evals=8, algo=rand.suggest, cv=3, random_state=4)
    search.fit(IRIS_X, IRIS_Y)
    results = search.cv_results_
    kinds = [type(p["clf"]).__name__ for p in results["params"]]
    assert set(kinds) == {"LogisticRegression", "KNeighborsClassifier"}
    for row, kind in enumerate(kinds):
        assert results["param_clf__C"].mask[row] == (kind != "LogisticRegression")
        assert results["param_clf__n_neighbors"].mask[row] == (kind == "LogisticRegression")
    best = search.best_estimator_.named_steps["clf"]
    assert type(best).__name__ == type(search.best_params_["clf"]).__name__
    assert best is not search.best_params_["clf"]  # refit clones the parameters
    assert search.predict(IRIS_X).shape == (150,)


def test_pipeline_step_params():
    pipe = Pipeline([("pca", PCA()), ("ridge", Ridge())])
    space = {
        "pca__n_components": hp.uniformint("n", 2, 8),
        "ridge__alpha": hp.loguniform("alpha", -3, 2),
    }
    search = HoptSearchCV(pipe, space, max_evals=5, cv=3, random_state=5).fit(DIAB_X, DIAB_Y)
    assert set(search.best_params_) == {"pca__n_components", "ridge__alpha"}
    assert 2 <= search.best_estimator_.named_steps["pca"].n_components <= 8
    assert search.cv_results_["param_pca__n_components"].dtype.kind == "i"


def test_multimetric_scoring_optimises_the_refit_metric():
    search = HoptSearchCV(
        logistic(), C_SPACE, max_evals=4, cv=3, scoring=["accuracy", "f1_macro"],
        refit="f1_macro", random_state=6,
    )  # fmt: skip
    search.fit(IRIS_X, IRIS_Y)
    results = search.cv_results_
    for key in ("mean_test_accuracy", "rank_test_accuracy", "split2_test_f1_macro"):
        assert key in results
    assert search.multimetric_ is True
    assert search.best_score_ == results["mean_test_f1_macro"][search.best_index_]
    assert search.trials_.losses() == pytest.approx(list(-results["mean_test_f1_macro"]))
    assert set(search.scorer_) == {"accuracy", "f1_macro"}
    f1 = get_scorer("f1_macro")(search.best_estimator_, IRIS_X, IRIS_Y)
    assert search.score(IRIS_X, IRIS_Y) == pytest.approx(f1)


def test_callable_refit_picks_the_index():
    def fastest(results):
        return int(np.argmin(results["mean_fit_time"]))

    search = HoptSearchCV(Ridge(), ALPHA_SPACE, max_evals=4, cv=2, refit=fastest, random_state=7)
    search.fit(DIAB_X, DIAB_Y)
    assert search.best_index_ == fastest(search.cv_results_)
    assert not hasattr(search, "best_score_")
    assert hasattr(search, "best_estimator_")


# -- refit=False ---------------------------------------------------------------------------
def test_refit_false_keeps_the_results_but_no_estimator():
    search = HoptSearchCV(logistic(), C_SPACE, max_evals=3, cv=3, refit=False, random_state=0)
    search.fit(IRIS_X, IRIS_Y)
    assert not hasattr(search, "best_estimator_")
    assert not hasattr(search, "refit_time_")
    assert "C" in search.best_params_
    assert search.best_score_ == max(search.cv_results_["mean_test_score"])
    with pytest.raises(AttributeError, match="no attribute 'predict'") as raised:
        search.predict(IRIS_X)
    assert "refit=False" in str(raised.value.__cause__)
    with pytest.raises(AttributeError, match="refit=False"):
        search.score(IRIS_X, IRIS_Y)


def test_predict_before_fit_raises_not_fitted():
    search = HoptSearchCV(logistic(), C_SPACE)
    with pytest.raises(NotFittedError):
        search.predict(IRIS_X)


# -- failures and error_score --------------------------------------------------------------
FLAKY_SPACE = {"alpha": hp.uniform("alpha", 0.1, 2), "fail": hp.choice("fail", [False, True])}


def test_error_score_nan_records_failed_trials_and_warns():
    search = HoptSearchCV(
        FlakyRegressor(), FLAKY_SPACE, max_evals=8, algo=rand.suggest, cv=3, random_state=0
    )
    with pytest.warns(FitFailedWarning, match="asked to fail"):
        search.fit(DIAB_X, DIAB_Y)
    results = search.cv_results_
    failed = [row for row, p in enumerate(results["params"]) if p["fail"]]
    assert 0 < len(failed) < 8
    for row in failed:
        assert np.isnan(results["mean_test_score"][row])
        assert results["rank_test_score"][row] == results["rank_test_score"].max()
        trial = search.trials_.trials[row]
        assert trial["result"]["status"] == "fail"
        assert trial["result"]["error"]["type"] == "ValueError"
        assert "asked to fail" in trial["result"]["error"]["message"]
    assert search.best_params_["fail"] is False
    assert np.isfinite(search.best_score_)


def test_error_score_number_scores_failed_fits_with_it():
    search = HoptSearchCV(
        FlakyRegressor(), FLAKY_SPACE, max_evals=8, algo=rand.suggest, cv=3, random_state=0,
        error_score=-1e6,
    )  # fmt: skip
    with pytest.warns(FitFailedWarning):
        search.fit(DIAB_X, DIAB_Y)
    results = search.cv_results_
    for row, params in enumerate(results["params"]):
        if params["fail"]:
            assert results["mean_test_score"][row] == -1e6
    assert search.trials_.statuses() == ["ok"] * 8


def test_error_score_raise_raises_the_fit_error():
    search = HoptSearchCV(
        FlakyRegressor(fail=True), {"alpha": hp.uniform("alpha", 0.1, 2)}, max_evals=3, cv=3,
        error_score="raise",
    )  # fmt: skip
    with pytest.raises(ValueError, match="asked to fail"):
        search.fit(DIAB_X, DIAB_Y)


def test_every_trial_failing_raises_with_the_first_error():
    search = HoptSearchCV(
        FlakyRegressor(fail=True), {"alpha": hp.uniform("alpha", 0.1, 2)}, max_evals=3, cv=3
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FitFailedWarning)
        with pytest.raises(AllFitsFailedError, match="all 3 trials failed.*asked to fail"):
            search.fit(DIAB_X, DIAB_Y)


def test_a_space_naming_no_estimator_parameter_says_which_exist():
    search = HoptSearchCV(Ridge(), {"alpah": hp.uniform("a", 0, 1)}, max_evals=2, cv=2)
    with pytest.raises(InvalidSpaceError, match=r"\['alpah'\].*'alpha'"):
        search.fit(DIAB_X, DIAB_Y)


def test_a_space_that_is_not_a_dict_of_parameters_is_refused():
    search = HoptSearchCV(Ridge(), hp.uniform("a", 0, 1), max_evals=2, cv=2)
    with pytest.raises(InvalidSpaceError, match="space must give a dict.*got float"):
        search.fit(DIAB_X, DIAB_Y)
    search = HoptSearchCV(Ridge(), [hp.uniform("a", 0, 1)], max_evals=2, cv=2)
    with pytest.raises(InvalidArgumentError, match="space must be a dict"):
        search.fit(DIAB_X, DIAB_Y)


@pytest.mark.parametrize(
    "params, message",
    [
        (
            {"max_evals": 0},
            r"max_evals must be None or an int >= 1; got max_evals=0\. It is the number of trials",
        ),
        ({"max_evals": None}, "max_evals=None needs another stopping rule"),
        ({"scoring": "acuracy"}, "'acuracy' is not a scikit-learn scorer name.*'accuracy'"),
        ({"scoring": 3}, "scoring must be None, a scorer name"),
        ({"scoring": ["accuracy", "f1_macro"]}, "refit=True cannot tell which to refit on"),
        (
            {"scoring": ["accuracy", "f1_macro"], "refit": "roc_auc"},
            "refit must name the one the search optimises",
        ),
        ({"refit": "accuracy"}, "refit may name a metric only when scoring has several"),
        ({"error_score": "ignore"}, "error_score must be 'raise' or a number"),
        ({"trials": "mongo"}, "trials must be None, a Trials object"),
        ({"trials": lambda: 3}, r"trials\(\) must return a Trials object"),
        ({"algo": "tpe"}, "algo must be a suggest function"),
        ({"n_jobs": 1.5}, "n_jobs must be None or an int; got n_jobs=1.5"),
    ],
)
def test_bad_arguments_are_named_in_fit(params, message):
    search = HoptSearchCV(logistic(), C_SPACE, cv=2, **params)
    with pytest.raises(InvalidArgumentError, match=message):
        search.fit(IRIS_X, IRIS_Y)


# -- trials, seeds, stopping ---------------------------------------------------------------
def test_a_given_trials_object_is_used_and_a_second_fit_continues_it():
    trials = Trials()
    search = HoptSearchCV(logistic(), C_SPACE, max_evals=3, cv=3, trials=trials, random_state=0)
    search.fit(IRIS_X, IRIS_Y)
    assert search.trials_ is trials
    assert len(trials) == 3
    search.set_params(max_evals=5).fit(IRIS_X, IRIS_Y)
    assert len(trials) == 5
    assert len(search.cv_results_["params"]) == 5
    assert list(search.cv_results_["tid"]) == [0, 1, 2, 3, 4]


def test_a_trials_object_of_another_search_is_refused():
    trials = Trials()
    HoptSearchCV(logistic(), C_SPACE, max_evals=2, cv=3, trials=trials).fit(IRIS_X, IRIS_Y)
    search = HoptSearchCV(logistic(), C_SPACE, max_evals=4, cv=3, trials=trials)
    with pytest.raises(InvalidArgumentError, match="trials already holds 2 finished trials"):
        search.fit(IRIS_X[:100], IRIS_Y[:100])
    plain = Trials()
    fmin(lambda p: p["C"], C_SPACE, algo=rand.suggest, max_evals=2, trials=plain,
         show_progressbar=False)  # fmt: skip
    with pytest.raises(InvalidArgumentError, match="another search"):
        HoptSearchCV(logistic(), C_SPACE, max_evals=4, cv=3, trials=plain).fit(IRIS_X, IRIS_Y)


def test_a_search_continued_with_another_single_metric_is_refused():
    # one metric is always named "score": what it computes must count too
    search = HoptSearchCV(logistic(), C_SPACE, max_evals=2, cv=3, scoring="accuracy",
                          warm_start=True, random_state=0).fit(IRIS_X, IRIS_Y)  # fmt: skip
    search.set_params(scoring="neg_log_loss", max_evals=4)
    with pytest.raises(InvalidArgumentError, match="trials already holds 2 finished trials"):
        search.fit(IRIS_X, IRIS_Y)
    search.set_params(scoring="accuracy").fit(IRIS_X, IRIS_Y)  # the same metric continues
    assert len(search.cv_results_["params"]) == 4


def test_trials_none_gives_a_fresh_trials_each_fit():
    search = HoptSearchCV(logistic(), C_SPACE, max_evals=2, cv=3, random_state=0)
    first = search.fit(IRIS_X, IRIS_Y).trials_
    second = search.fit(IRIS_X, IRIS_Y).trials_
    assert first is not second and len(second) == 2


def test_a_trials_factory_is_called_once_per_fit():
    made = []

    def factory():
        made.append(Trials())
        return made[-1]

    search = HoptSearchCV(logistic(), C_SPACE, max_evals=2, cv=3, trials=factory)
    search.fit(IRIS_X, IRIS_Y)
    search.fit(IRIS_X, IRIS_Y)
    assert len(made) == 2 and search.trials_ is made[1]


def test_warm_start_continues_the_previous_fit():
    search = HoptSearchCV(logistic(), C_SPACE, max_evals=2, cv=3, warm_start=True, random_state=0)
    first = search.fit(IRIS_X, IRIS_Y).trials_
    search.set_params(max_evals=4).fit(IRIS_X, IRIS_Y)
    assert search.trials_ is first and len(first) == 4


def test_random_state_makes_the_search_reproducible():
    def params(seed):
        search = HoptSearchCV(Ridge(), ALPHA_SPACE, max_evals=4, cv=2, random_state=seed)
        return [p["alpha"] for p in search.fit(DIAB_X, DIAB_Y).cv_results_["params"]]

    assert params(11) == params(11)
    assert params(11) != params(12)
    generator_run = HoptSearchCV(
        Ridge(), ALPHA_SPACE, max_evals=4, cv=2, random_state=np.random.default_rng(11)
    )
    assert len(generator_run.fit(DIAB_X, DIAB_Y).cv_results_["params"]) == 4


def test_loss_threshold_stops_the_search():
    search = HoptSearchCV(
        logistic(), C_SPACE, max_evals=10, cv=3, loss_threshold=0.0, random_state=0
    )
    search.fit(IRIS_X, IRIS_Y)  # any accuracy > 0 means a loss < 0
    assert len(search.cv_results_["params"]) == 1


def test_user_early_stop_fn_is_called():
    calls = []

    def stop_after_two(trials, *args):
        calls.append(len(trials))
        return len(trials) >= 2, args

    search = HoptSearchCV(logistic(), C_SPACE, max_evals=10, cv=3, early_stop_fn=stop_after_two)
    search.fit(IRIS_X, IRIS_Y)
    assert len(search.trials_) == 2 and calls


def test_tpe_and_rand_are_both_accepted():
    for algo in (tpe.suggest, rand.suggest):
        search = HoptSearchCV(Ridge(), ALPHA_SPACE, max_evals=3, cv=2, algo=algo, random_state=0)
        assert len(search.fit(DIAB_X, DIAB_Y).trials_) == 3


# -- folds, n_jobs, fit params -------------------------------------------------------------
def test_n_jobs_runs_folds_in_parallel_with_the_same_scores():
    kwargs = dict(max_evals=2, cv=KFold(3), random_state=0)
    serial = HoptSearchCV(Ridge(), ALPHA_SPACE, **kwargs).fit(DIAB_X, DIAB_Y)
    parallel = HoptSearchCV(Ridge(), ALPHA_SPACE, n_jobs=2, **kwargs).fit(DIAB_X, DIAB_Y)
    assert parallel.cv_results_["split2_test_score"] == pytest.approx(
        serial.cv_results_["split2_test_score"]
    )


def test_sample_weight_is_split_by_fold_and_groups_go_to_the_splitter():
    from sklearn.model_selection import GroupKFold

    weights = np.linspace(0.5, 1.5, len(DIAB_Y))
    groups = np.arange(len(DIAB_Y)) % 3
    search = HoptSearchCV(
        FlakyRegressor(), {"alpha": hp.uniform("alpha", 0.1, 2)}, max_evals=2,
        cv=GroupKFold(3), error_score="raise",
    )  # fmt: skip
    search.fit(DIAB_X, DIAB_Y, groups=groups, sample_weight=weights)
    assert search.n_splits_ == 3
    # each fold's score is that of a fit on the fold's training rows with their weights,
    # scored with the test rows' weights, as scikit-learn's searches score it
    results = search.cv_results_
    alpha = results["params"][0]["alpha"]
    for k, (train, test) in enumerate(GroupKFold(3).split(DIAB_X, DIAB_Y, groups)):
        weighted = Ridge(alpha=alpha).fit(
            DIAB_X[train], DIAB_Y[train], sample_weight=weights[train]
        )
        unweighted = Ridge(alpha=alpha).fit(DIAB_X[train], DIAB_Y[train])
        score = results[f"split{k}_test_score"][0]
        expected = weighted.score(DIAB_X[test], DIAB_Y[test], sample_weight=weights[test])
        assert score == pytest.approx(expected)
        assert score != pytest.approx(weighted.score(DIAB_X[test], DIAB_Y[test]))
        assert score != pytest.approx(unweighted.score(DIAB_X[test], DIAB_Y[test]))
    grid = GridSearchCV(Ridge(), {"alpha": [alpha]}, cv=GroupKFold(3))
    grid.fit(DIAB_X, DIAB_Y, groups=groups, sample_weight=weights)
    assert results["mean_test_score"][0] == pytest.approx(grid.cv_results_["mean_test_score"][0])


def test_verbose_prints_what_it_fits(capsys):
    HoptSearchCV(Ridge(), ALPHA_SPACE, max_evals=2, cv=2, verbose=1).fit(DIAB_X, DIAB_Y)
    assert "fitting 2 folds for each of 2 trials" in capsys.readouterr().out


# -- names and imports ---------------------------------------------------------------------
def test_hyperopt_name_and_positional_order_work():
    search = HyperoptSearchCV(Ridge(), ALPHA_SPACE, 3, None, rand.suggest, random_state=0)
    assert search.max_evals == 3 and search.algo is rand.suggest
    assert len(search.fit(DIAB_X, DIAB_Y).trials_) == 3
    assert search.get_params()["space"] is ALPHA_SPACE


def test_import_hopt_does_not_import_sklearn():
    probe = "import hopt, json, sys; print(json.dumps('sklearn' in sys.modules))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) is False


# -- scikit-learn's own estimator checks ---------------------------------------------------
def _checked_instances():
    """As scikit-learn checks GridSearchCV: cv=2, error_score='raise', small spaces."""
    common = dict(max_evals=2, cv=2, error_score="raise", algo=rand.suggest, random_state=0)
    return {
        "ridge": HoptSearchCV(Ridge(), {"alpha": hp.choice("alpha", [0.1, 1.0])}, **common),
        "logistic": HoptSearchCV(LogisticRegression(), {"C": hp.choice("C", [0.1, 1.0])}, **common),
        "pca-ridge": HoptSearchCV(
            Pipeline([("pca", PCA()), ("ridge", Ridge())]),
            {"ridge__alpha": hp.uniform("a", 0.1, 1.0)},
            **common,
        ),
    }


def _expected_failed_checks(estimator):
    """The one check scikit-learn itself expects GridSearchCV to fail here, for the same
    reason: a regressor accepts a 2-d y (multi-output), so no DataConversionWarning."""
    if is_regressor(estimator):
        return {
            "check_supervised_y_2d": "DataConversionWarning not caught, as for GridSearchCV "
            "(the wrapped regressor takes a column y as multi-output without a warning)"
        }
    return {}


def _estimator_checks():
    """scikit-learn's checks with stable test ids (the reprs hold memory addresses)."""
    for label, search in _checked_instances().items():
        for item in estimator_checks_generator(
            search, expected_failed_checks=_expected_failed_checks(search), mark="xfail"
        ):
            values, marks = (item.values, item.marks) if hasattr(item, "marks") else (item, ())
            check = values[1]
            name = getattr(check, "func", check).__name__
            extra = ",".join(f"{k}={v}" for k, v in getattr(check, "keywords", {}).items())
            suffix = f"({extra})" if extra else ""
            yield pytest.param(*values, marks=marks, id=f"{label}-{name}{suffix}")


@pytest.mark.parametrize("estimator, check", list(_estimator_checks()))
def test_sklearn_estimator_checks(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FitFailedWarning)
        check(estimator)


@pytest.mark.parametrize("refit", [True, False])
def test_every_fit_failing_raises_even_with_a_numeric_error_score(refit):
    # scikit-learn's searches raise too: a "best" setting among error scores means nothing
    search = HoptSearchCV(FlakyRegressor(fail=True), {"alpha": hp.uniform("alpha", 0.1, 2)},
                          max_evals=2, cv=3, error_score=0.0, refit=refit)  # fmt: skip
    with pytest.raises(AllFitsFailedError, match=r"all 6 fits failed \(error_score=0\.0"):
        search.fit(DIAB_X, DIAB_Y)
    some_fail = HoptSearchCV(FlakyRegressor(), {"fail": hp.choice("fail", [True, False])},
                             max_evals=6, cv=3, error_score=0.0, random_state=1)  # fmt: skip
    with pytest.warns(FitFailedWarning, match=r"\d+ fits failed"):
        some_fail.fit(DIAB_X, DIAB_Y)
    assert some_fail.best_params_ == {"fail": False}


def failing_scorer(estimator, X, y):
    raise ZeroDivisionError("this metric cannot be computed here")


@pytest.mark.parametrize("error_score", [np.nan, 0.0])
def test_a_failing_secondary_scorer_does_not_fail_the_search(error_score):
    # scikit-learn's searches warn and go on: every fit worked, and so did the metric
    # the search optimises
    search = HoptSearchCV(
        LogisticRegression(max_iter=500), C_SPACE, max_evals=3, cv=3, random_state=0,
        scoring={"acc": "accuracy", "bad": failing_scorer}, refit="acc",
        error_score=error_score,
    )  # fmt: skip
    with pytest.warns(FitFailedWarning, match=r"9 scorings failed.*ZeroDivisionError"):
        search.fit(IRIS_X, IRIS_Y)
    assert search.best_score_ > 0.8
    bad = search.cv_results_["mean_test_bad"]
    assert np.all(np.isnan(bad)) if np.isnan(error_score) else np.all(bad == 0.0)


def scores_of_two_metrics(estimator, X, y):
    return {"acc": float(np.mean(estimator.predict(X) == y)), "one": 1.0}


def test_a_scoring_callable_returning_a_dict_fails_at_the_first_trial_saying_what_to_do():
    search = HoptSearchCV(LogisticRegression(max_iter=500), C_SPACE, max_evals=20, cv=2,
                          scoring=scores_of_two_metrics)  # fmt: skip
    with pytest.raises(TypeError, match=r"returned a dict of metrics.*pass scoring as a dict"):
        search.fit(IRIS_X, IRIS_Y)
    assert len(search.trials_) == 1, "the search stopped at once"
    with pytest.raises(InvalidArgumentError, match="pass scoring as a dict of scorers"):
        HoptSearchCV(LogisticRegression(), C_SPACE, scoring=scores_of_two_metrics,
                     refit="acc").fit(IRIS_X, IRIS_Y)  # fmt: skip


def test_several_metrics_with_refit_false_or_a_callable_optimise_the_first():
    scoring = ["accuracy", "f1_macro"]
    plain = HoptSearchCV(LogisticRegression(max_iter=500), C_SPACE, max_evals=4, cv=3,
                         scoring=scoring, refit=False, random_state=0).fit(IRIS_X, IRIS_Y)  # fmt: skip
    assert set(plain.cv_results_) >= {"mean_test_accuracy", "mean_test_f1_macro"}
    assert not hasattr(plain, "best_index_") and not hasattr(plain, "best_params_")
    losses = plain.trials_.losses()
    assert losses == [-a for a in plain.cv_results_["mean_test_accuracy"]], "accuracy optimised"

    def pick(results):
        return int(np.argmax(results["mean_test_f1_macro"]))

    chosen = HoptSearchCV(LogisticRegression(max_iter=500), C_SPACE, max_evals=4, cv=3,
                          scoring=scoring, refit=pick, random_state=0).fit(IRIS_X, IRIS_Y)  # fmt: skip
    assert chosen.best_index_ == pick(chosen.cv_results_)
    assert chosen.predict(IRIS_X[:3]).shape == (3,)


def test_groups_may_be_given_positionally_as_hyperopt_took_them():
    from sklearn.model_selection import GroupKFold

    groups = np.arange(len(DIAB_Y)) % 3
    search = HoptSearchCV(Ridge(), ALPHA_SPACE, max_evals=2, cv=GroupKFold(3))
    search.fit(DIAB_X, DIAB_Y, groups)
    assert search.n_splits_ == 3


def test_a_scorer_without_sample_weight_is_named_in_a_warning():
    def unweighted_r2(estimator, X, y):
        return get_scorer("r2")(estimator, X, y)

    search = HoptSearchCV(Ridge(), ALPHA_SPACE, max_evals=2, cv=3, scoring=unweighted_r2)
    with pytest.warns(UserWarning, match="does not take sample_weight"):
        search.fit(DIAB_X, DIAB_Y, sample_weight=np.ones(len(DIAB_Y)))
