"""Parallel, resumable trials on one machine: FileTrials, no server needed.

Four worker processes evaluate an SVM by 3-fold cross-validation on scikit-learn's
digits data; every trial is kept in a file. Stop the script
(Ctrl-C, or kill it) and run it again: it resumes where it stopped and never runs
a finished trial twice.

    python examples/file_trials.py --store digits.db --parallelism 4 --max-evals 40
"""

from __future__ import annotations

import argparse
import math

from sklearn.datasets import load_digits
from sklearn.model_selection import cross_val_score
from sklearn.svm import SVC

from hopt import STATUS_OK, FileTrials, fmin, hp, space_eval, tpe

SPACE = {
    "C": hp.loguniform("C", math.log(1e-2), math.log(1e3)),
    "gamma": hp.loguniform("gamma", math.log(1e-5), math.log(1e-1)),
}


def objective(params: dict) -> dict:
    """Runs in a worker process: the data are loaded there, not pickled with the objective."""
    X, y = load_digits(return_X_y=True)
    model = SVC(**params)
    accuracy = cross_val_score(model, X, y, cv=3).mean()
    return {"loss": 1.0 - accuracy, "status": STATUS_OK, "accuracy": accuracy}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--store", default="file_trials.db", help="the trials file")
    parser.add_argument("--parallelism", type=int, default=4, help="worker processes")
    parser.add_argument("--max-evals", type=int, default=40, help="number of trials (default 40)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    args = parser.parse_args()

    trials = FileTrials(args.store, parallelism=args.parallelism)
    if len(trials):
        print(f"resuming: {len(trials)} trials already in {trials.path}")
    best = fmin(objective, SPACE, algo=tpe.suggest, max_evals=args.max_evals, trials=trials,
                rstate=args.seed)  # fmt: skip
    print("best parameters:", space_eval(SPACE, best))
    print(f"best cross-validated accuracy: {trials.best_trial['result']['accuracy']:.4f}")
    print("trials per worker process:", _count_by_owner(trials))


def _count_by_owner(trials: FileTrials) -> dict:
    counts: dict = {}
    for trial in trials.trials:
        counts[trial["owner"]] = counts.get(trial["owner"], 0) + 1
    return counts


if __name__ == "__main__":
    main()
