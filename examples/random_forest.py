"""Random-forest hyperparameter search on the wine data set (ships with scikit-learn).

Four hyperparameters: the split criterion, the number of trees, the depth limit
(either none or a whole number, so the number is only sampled when a limit is
chosen) and how many features each split considers.

    python examples/random_forest.py --max-evals 30
"""

from __future__ import annotations

import argparse

from _plots import save_plots  # examples/_plots.py
from sklearn.datasets import load_wine
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import StratifiedKFold, cross_val_score

from hopt import Trials, fmin, hp, space_eval, tpe

SPACE = {
    "criterion": hp.choice("criterion", ["gini", "entropy", "log_loss"]),
    # a whole step q gives Python ints (10, 20, ..., 200), ready for scikit-learn
    "n_estimators": hp.quniform("n_estimators", 10, 200, 10),
    # no limit, or a limit between 2 and 20; "max_depth_limit" only exists in
    # trials that took the second option
    "max_depth": hp.choice("max_depth", [None, hp.uniformint("max_depth_limit", 2, 20)]),
    # a fraction of the features, or one of scikit-learn's named rules
    "max_features": hp.choice(
        "max_features", ["sqrt", "log2", hp.uniform("max_features_fraction", 0.1, 1.0)]
    ),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--max-evals", type=int, default=30, help="number of trials (default 30)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--plots", default="examples/output/random_forest",
                        help="directory for the plots (default %(default)s)")  # fmt: skip
    args = parser.parse_args()

    X, y = load_wine(return_X_y=True)
    folds = StratifiedKFold(n_splits=3, shuffle=True, random_state=args.seed)

    def objective(params: dict) -> float:
        model = RandomForestClassifier(random_state=args.seed, **params)
        return 1.0 - cross_val_score(model, X, y, cv=folds).mean()  # a plain number is the loss

    trials = Trials()
    best = fmin(
        objective,
        SPACE,
        algo=tpe.suggest,
        max_evals=args.max_evals,
        trials=trials,
        rstate=args.seed,
    )
    print("best raw values:", best)
    print("best parameters:", space_eval(SPACE, best))
    print(f"best 3-fold CV accuracy: {1.0 - trials.best_trial['result']['loss']:.4f}")
    save_plots(trials, SPACE, args.plots)


if __name__ == "__main__":
    main()
