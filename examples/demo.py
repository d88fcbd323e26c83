"""Tune a scikit-learn classifier with hopt: the demo run by `bash scripts/demo.sh`.

The search space is a choice between two model families, each with its own
hyperparameters. Every trial is scored by 5-fold cross-validated accuracy on the
breast-cancer data set that ships with scikit-learn, so nothing is downloaded.
Trials are kept in memory; the progress bar goes to stderr.

    python examples/demo.py                      # 40 trials of TPE, seed 0
    python examples/demo.py --max-evals 10 --seed 3
    python examples/demo.py --algo rand          # random search instead
"""

from __future__ import annotations

import argparse
import math
import time

from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from hopt import STATUS_OK, Trials, fmin, hp, rand, space_eval, tpe

ALGORITHMS = {"tpe": tpe.suggest, "rand": rand.suggest}

# What fmin searches. hp.choice picks one dict; only the chosen dict's
# hyperparameters are sampled (and stored) in a trial.
SPACE = hp.choice(
    "model",
    [
        {
            "kind": "svm",
            # loguniform bounds are natural logs: C between 1e-2 and 1e3
            "C": hp.loguniform("svm_C", math.log(1e-2), math.log(1e3)),
            "gamma": hp.loguniform("svm_gamma", math.log(1e-4), math.log(1.0)),
        },
        {
            "kind": "gradient_boosting",
            # quniform with a whole step gives Python ints: 20, 30, ..., 120
            "n_estimators": hp.quniform("gb_n_estimators", 20, 120, 10),
            "learning_rate": hp.loguniform("gb_learning_rate", math.log(0.01), math.log(0.5)),
            "max_depth": hp.uniformint("gb_max_depth", 1, 4),
            "subsample": hp.uniform("gb_subsample", 0.5, 1.0),
        },
    ],
)


def build_model(params: dict, seed: int):
    """A scikit-learn estimator for one point of SPACE."""
    if params["kind"] == "svm":
        return make_pipeline(StandardScaler(), SVC(C=params["C"], gamma=params["gamma"]))
    return GradientBoostingClassifier(
        n_estimators=params["n_estimators"],
        learning_rate=params["learning_rate"],
        max_depth=params["max_depth"],
        subsample=params["subsample"],
        random_state=seed,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--max-evals", type=int, default=40, help="number of trials (default 40)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument(
        "--algo", choices=sorted(ALGORITHMS), default="tpe", help="search algorithm (default tpe)"
    )
    args = parser.parse_args()

    X, y = load_breast_cancer(return_X_y=True)
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=args.seed)

    def objective(params: dict) -> dict:
        scores = cross_val_score(build_model(params, args.seed), X, y, cv=folds)
        # fmin minimizes, so the loss is the error rate; extra keys are kept in the trial
        return {"loss": 1.0 - scores.mean(), "status": STATUS_OK, "accuracy_std": scores.std()}

    trials = Trials()
    start = time.perf_counter()
    best = fmin(
        objective,
        SPACE,
        algo=ALGORITHMS[args.algo],
        max_evals=args.max_evals,
        trials=trials,
        rstate=args.seed,
        show_progressbar=True,
    )
    elapsed = time.perf_counter() - start

    # fmin returns raw values (the choice as an index); space_eval turns them
    # back into the dict the objective received.
    best_params = space_eval(SPACE, best)
    result = trials.best_trial["result"]
    families = [t["misc"]["vals"]["model"][0] for t in trials]
    print(f"{len(trials)} trials ({args.algo}) in {elapsed:.1f} s", end="; ")
    print(f"svm: {families.count(0)}, gradient boosting: {families.count(1)}")
    print("best raw values (as stored in trials):", best)
    print("best parameters:", best_params)
    accuracy = 1.0 - result["loss"]
    print(f"best 5-fold CV accuracy: {accuracy:.4f} (std {result['accuracy_std']:.4f})")


if __name__ == "__main__":
    main()
