"""A conditional search space: pick a model family, then that family's parameters.

The SVM branch nests a second choice (the kernel), and each kernel has its own
parameters, so the space is two levels deep. A trial only samples the labels on
the branches it took; the others are stored as empty lists in its record.
Data: the wine data set that ships with scikit-learn.

    python examples/nested_space.py --max-evals 50
"""

from __future__ import annotations

import argparse
import math

from sklearn.datasets import load_wine
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from hopt import STATUS_OK, Trials, fmin, hp, space_eval, tpe

FAMILIES = ["logistic_regression", "svm", "knn"]

SPACE = hp.choice(
    "family",
    [
        {
            "family": "logistic_regression",
            "C": hp.loguniform("lr_C", math.log(1e-3), math.log(1e2)),
        },
        {
            "family": "svm",
            "C": hp.loguniform("svm_C", math.log(1e-2), math.log(1e3)),
            # second level: the kernel, each with its own parameters
            "kernel": hp.choice(
                "svm_kernel",
                [
                    {"kernel": "linear"},
                    {
                        "kernel": "rbf",
                        "gamma": hp.loguniform("svm_rbf_gamma", math.log(1e-4), math.log(1.0)),
                    },
                    {
                        "kernel": "poly",
                        "degree": hp.uniformint("svm_poly_degree", 2, 4),
                        "coef0": hp.uniform("svm_poly_coef0", 0.0, 1.0),
                    },
                ],
            ),
        },
        {
            "family": "knn",
            "n_neighbors": hp.uniformint("knn_n_neighbors", 1, 30),
            "weights": hp.choice("knn_weights", ["uniform", "distance"]),
        },
    ],
)


def build_model(params: dict):
    """The estimator for one point of SPACE, e.g. {'family': 'svm', 'C': 3.2, 'kernel': {...}}."""
    if params["family"] == "logistic_regression":
        model = LogisticRegression(C=params["C"], max_iter=2000)
    elif params["family"] == "svm":
        model = SVC(C=params["C"], **params["kernel"])
    else:
        model = KNeighborsClassifier(n_neighbors=params["n_neighbors"], weights=params["weights"])
    return make_pipeline(StandardScaler(), model)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--max-evals", type=int, default=50, help="number of trials (default 50)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    args = parser.parse_args()

    X, y = load_wine(return_X_y=True)
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=args.seed)

    def objective(params: dict) -> dict:
        accuracy = cross_val_score(build_model(params), X, y, cv=folds).mean()
        return {"loss": 1.0 - accuracy, "status": STATUS_OK, "family": params["family"]}

    trials = Trials()
    best = fmin(
        objective,
        SPACE,
        algo=tpe.suggest,
        max_evals=args.max_evals,
        trials=trials,
        rstate=args.seed,
    )

    # What a trial stores: the choice as an option index, inactive labels as [].
    print("values stored by the first trial:", trials[0]["misc"]["vals"])
    print("trials and best accuracy per family:")
    for family in FAMILIES:
        losses = [t["result"]["loss"] for t in trials if t["result"]["family"] == family]
        best_accuracy = f"{1.0 - min(losses):.4f}" if losses else "-"
        print(f"  {family:<20} {len(losses):>3} trials, best {best_accuracy}")
    print("best raw values:", best)
    print("best parameters:", space_eval(SPACE, best))


if __name__ == "__main__":
    main()
