"""HoptSearchCV with MongoTrials: hopt-worker processes cross-validate the trials."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("sklearn")

from sklearn.datasets import load_diabetes  # noqa: E402
from sklearn.linear_model import Ridge  # noqa: E402
from sklearn.model_selection import cross_val_score  # noqa: E402

from hopt import JOB_STATE_DONE, hp, rand  # noqa: E402
from hopt.sklearn import HoptSearchCV  # noqa: E402
from hopt.trials.mongo import MongoTrials  # noqa: E402

X, Y = load_diabetes(return_X_y=True)
X, Y = X[:120], Y[:120]
SPACE = {"alpha": hp.loguniform("alpha", np.log(1e-3), np.log(10))}


def test_workers_cross_validate_and_a_second_fit_continues_the_experiment(mongo_url, start_workers):
    workers = start_workers(2, "--exp-key", "ridge-search")
    search = HoptSearchCV(
        Ridge(), SPACE, max_evals=4, algo=rand.suggest, cv=3,
        trials=MongoTrials(mongo_url, exp_key="ridge-search"), random_state=0,
    )  # fmt: skip
    search.fit(X, Y)
    trials = search.trials_
    assert all(t["state"] == JOB_STATE_DONE for t in trials.trials)
    pids = [f":{worker.pid}:" for worker in workers]  # an owner is host:pid:suffix
    assert all(any(pid in t["owner"] for pid in pids) for t in trials.trials)
    results = search.cv_results_
    assert len(results["params"]) == 4
    assert sorted(results["tid"]) == sorted(trials.tids)
    best = Ridge(**search.best_params_)
    assert search.best_score_ == pytest.approx(cross_val_score(best, X, Y, cv=3).mean())
    assert search.predict(X).shape == (120,)

    # a new driver on the same experiment (same data and folds) resumes it
    again = HoptSearchCV(
        Ridge(), SPACE, max_evals=6, algo=rand.suggest, cv=3,
        trials=MongoTrials(mongo_url, exp_key="ridge-search"), random_state=0,
    )  # fmt: skip
    again.fit(X, Y)
    assert len(again.cv_results_["params"]) == 6
    assert set(results["tid"]) <= set(again.cv_results_["tid"])


def test_an_estimator_class_from_a_local_module_runs_on_the_workers(
    mongo_url, start_workers, shrunk_mean_class
):
    # the workers cannot import the module: the class must travel with the objective
    start_workers(1, "--exp-key", "local-estimator")
    search = HoptSearchCV(
        shrunk_mean_class(), {"alpha": hp.uniform("alpha", 0, 1)}, max_evals=3,
        algo=rand.suggest, cv=2, trials=MongoTrials(mongo_url, exp_key="local-estimator"),
        random_state=0,
    )  # fmt: skip
    search.fit(X, Y)
    assert [t["result"]["status"] for t in search.trials_.trials] == ["ok"] * 3
    best = shrunk_mean_class(**search.best_params_)
    assert search.best_score_ == pytest.approx(cross_val_score(best, X, Y, cv=2).mean())


def test_several_objectives_come_back_from_the_workers_as_lists(mongo_url, start_workers):
    start_workers(2, "--exp-key", "ridge-mo")
    search = HoptSearchCV(
        Ridge(), SPACE, max_evals=5, cv=3, random_state=0, refit="r2",
        scoring={"r2": "r2", "mae": "neg_mean_absolute_error"}, objectives=["r2", "mae"],
        trials=MongoTrials(mongo_url, exp_key="ridge-mo"),
    )  # fmt: skip
    search.fit(X, Y)
    results = search.cv_results_
    for row, tid in enumerate(results["tid"]):
        (trial,) = [t for t in search.trials_.trials if t["tid"] == tid]
        assert trial["result"]["loss"] == pytest.approx(
            [-results["mean_test_r2"][row], -results["mean_test_mae"][row]]
        )
    front = [entry["index"] for entry in search.pareto_front_]
    assert front and search.best_index_ in front
    assert search.best_score_ == max(results["mean_test_r2"][row] for row in front)
