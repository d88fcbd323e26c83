"""HoptSearchCV with SparkTrials: every trial cross-validates on a Spark executor."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("sklearn")

from sklearn.datasets import load_iris  # noqa: E402
from sklearn.linear_model import LogisticRegression, Ridge  # noqa: E402
from sklearn.model_selection import cross_val_score  # noqa: E402

from hopt import hp, rand  # noqa: E402
from hopt.sklearn import HoptSearchCV, TrialFailedError  # noqa: E402
from hopt.trials.spark import SparkTrials  # noqa: E402

X, Y = load_iris(return_X_y=True)
SPACE = {"C": hp.loguniform("C", np.log(0.01), np.log(10))}


def test_search_runs_its_trials_on_spark_and_builds_cv_results(spark):
    search = HoptSearchCV(
        LogisticRegression(max_iter=500), SPACE, max_evals=4, algo=rand.suggest, cv=3,
        trials=lambda: SparkTrials(parallelism=2, spark_session=spark), random_state=0,
        return_train_score=True,
    )  # fmt: skip
    search.fit(X, Y)
    assert isinstance(search.trials_, SparkTrials)
    assert search.trials_.count_successful_trials() == 4
    results = search.cv_results_
    assert len(results["params"]) == 4
    assert np.isfinite(results["split2_train_score"]).all()
    assert (results["mean_fit_time"] > 0).all()
    # the scores computed on the executors are those of an in-process cross-validation
    best = LogisticRegression(max_iter=500, **search.best_params_)
    assert search.best_score_ == pytest.approx(cross_val_score(best, X, Y, cv=3).mean())
    assert search.best_estimator_.C == search.best_params_["C"]
    assert search.predict(X).shape == (150,)


def test_an_objective_error_on_an_executor_is_raised_by_fit(spark):
    search = HoptSearchCV(
        Ridge(), {"alpah": hp.uniform("a", 0, 1)}, max_evals=10, cv=2,
        trials=SparkTrials(parallelism=1, spark_session=spark),
    )  # fmt: skip
    with pytest.raises(TrialFailedError, match="InvalidSpaceError.*'alpah'"):
        search.fit(X, Y)
    assert len(search.trials_) < 10  # the search stopped at the first such failure


def test_an_estimator_class_from_a_local_module_runs_on_the_executors(spark, shrunk_mean_class):
    # the executors cannot import the module: the class must travel with the objective
    estimator = shrunk_mean_class()
    search = HoptSearchCV(
        estimator, {"alpha": hp.uniform("alpha", 0, 1)}, max_evals=3, algo=rand.suggest,
        cv=2, trials=SparkTrials(parallelism=2, spark_session=spark), random_state=0,
    )  # fmt: skip
    search.fit(X, Y)
    assert search.trials_.count_successful_trials() == 3
    best = type(estimator)(**search.best_params_)
    assert search.best_score_ == pytest.approx(cross_val_score(best, X, Y, cv=2).mean())


def test_several_objectives_come_back_from_the_executors_as_lists(spark):
    search = HoptSearchCV(
        LogisticRegression(max_iter=500), SPACE, max_evals=6, cv=3, random_state=0,
        scoring={"acc": "accuracy", "f1": "f1_macro"}, objectives=["acc", "fit_time"],
        refit="acc", trials=lambda: SparkTrials(parallelism=2, spark_session=spark),
    )  # fmt: skip
    search.fit(X, Y)
    results = search.cv_results_
    for row, tid in enumerate(results["tid"]):
        (trial,) = [t for t in search.trials_.trials if t["tid"] == tid]
        assert trial["result"]["loss"] == pytest.approx(
            [-results["mean_test_acc"][row], results["mean_fit_time"][row]]
        )
    front = [entry["index"] for entry in search.pareto_front_]
    assert front and search.best_index_ in front
    assert search.predict(X).shape == (150,)
