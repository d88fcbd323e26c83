"""HoptSearchCV with and without pruning: work done and best score (digits, SGDClassifier).

The same search runs twice per seed, with the same random-search candidates (random
search does not look at results, so both runs try the same settings): once plain,
once with a pruner.  Two comparisons:

- folds: ``cv=5`` plain vs ``pruning="folds"`` (running mean of the fold losses);
  the work is the number of folds fitted.
- rounds: ``pruning="rounds", n_rounds=20`` (20 partial_fit epochs per fold) with a
  pruner that never prunes vs the median rule; the work is the number of epochs.

The pruner is a median rule written here (hopt.pruners may not be installed): after
``startup`` completed trials, stop a trial at a step (from ``warmup`` on) when its value
there is worse than the median of the completed trials' values at that step.

Run: ``python benchmarks/sklearn_pruning.py [--evals 40] [--seeds 0 1 2] [--quick]``.
It prints a Markdown table; nothing is written.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from pathlib import Path

import _single_thread  # noqa: F401  (before numpy: one BLAS thread)

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the hopt of this work tree

import numpy as np  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.linear_model import SGDClassifier  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

from hopt import hp, rand  # noqa: E402
from hopt.sklearn import HoptSearchCV  # noqa: E402

SPACE = {
    "alpha": hp.loguniform("alpha", np.log(1e-7), np.log(1.0)),
    "loss": hp.choice("loss", ["hinge", "log_loss", "modified_huber"]),
    "penalty": hp.choice("penalty", ["l2", "l1", "elasticnet"]),
}


class MedianRule:
    """Median pruning over trial documents (a stand-in for hopt.pruners.MedianPruner)."""

    def __init__(self, startup: int = 5, warmup: int = 0):
        self.startup = startup
        self.warmup = warmup

    def prune(self, trial, trials):
        reports = trial.get("reports") or []
        if not reports or reports[-1]["step"] < self.warmup:
            return False
        step, value = reports[-1]["step"], reports[-1]["value"]
        completed = [
            t for t in trials if t["tid"] != trial["tid"] and t["result"].get("status") == "ok"
        ]
        if len(completed) < self.startup:
            return False
        there = [r["value"] for t in completed for r in t.get("reports") or () if r["step"] == step]
        return bool(there) and value > statistics.median(there)


class NeverPrune:
    """Never prunes: the baseline of the rounds comparison (same training, no stopping)."""

    def prune(self, trial, trials):
        return False


def run(X, y, X_test, y_test, seed, evals, **pruning):
    search = HoptSearchCV(
        SGDClassifier(random_state=0), SPACE, max_evals=evals, algo=rand.suggest, cv=5,
        random_state=seed, **pruning,
    )  # fmt: skip
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search.fit(X, y)
    seconds = time.perf_counter() - start
    results = search.cv_results_
    steps = results.get("n_steps", np.full(len(results["params"]), 5))
    return {
        "steps": int(np.sum(steps)),
        "pruned": int(np.sum(results.get("pruned", 0))),
        "best_cv": float(search.best_score_),
        "test": float(search.score(X_test, y_test)),
        "seconds": seconds,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--evals", type=int, default=40)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--quick", action="store_true", help="10 trials, one seed")
    args = parser.parse_args()
    if args.quick:
        args.evals, args.seeds, args.rounds = 10, [0], 5
    X, y = load_digits(return_X_y=True)
    X = X / 16.0  # pixel values 0..16 to 0..1 (a constant scaling: no leak across folds)
    X, X_test, y, y_test = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
    rows = []
    setups = [
        ("folds", "plain", "folds fitted", {}),
        ("folds", "MedianRule", "folds fitted", {"pruner": MedianRule()}),
        ("rounds", "NeverPrune", "epochs x folds", {"pruner": NeverPrune(), "pruning": "rounds"}),
        ("rounds", "MedianRule", "epochs x folds", {"pruner": MedianRule(), "pruning": "rounds"}),
    ]
    for seed in args.seeds:
        for mode, name, unit, pruning in setups:
            if mode == "rounds":
                pruning = {**pruning, "n_rounds": args.rounds}
            figures = run(X, y, X_test, y_test, seed, args.evals, **pruning)
            if mode == "rounds":
                figures["steps"] *= 5  # every round trains each of the 5 folds one epoch
            rows.append((mode, name, unit, seed, figures))
            print(f"# {mode:6} {name:10} seed {seed}: {figures}", file=sys.stderr)
    print(
        f"digits (train {len(y)}, test {len(y_test)}), SGDClassifier, {args.evals} trials of "
        f"rand.suggest, cv=5; rounds: n_rounds={args.rounds}\n"
    )
    print("| mode | pruner | seed | work | pruned trials | best CV score | test score | seconds |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for mode, name, unit, seed, f in rows:
        print(
            f"| {mode} | {name} | {seed} | {f['steps']} {unit} | {f['pruned']} | "
            f"{f['best_cv']:.4f} | {f['test']:.4f} | {f['seconds']:.1f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
