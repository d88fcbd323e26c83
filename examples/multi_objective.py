"""Trade accuracy against model size: a random forest on the digits data.

Each trial returns two losses, the cross-validated error and the number of tree
nodes (in thousands), and one constraint: a fit must take at most 0.12 seconds.
TPE searches for the Pareto front: the configurations no other one beats on
both size and error while staying within the time limit.

    python examples/multi_objective.py --max-evals 60
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

from sklearn.datasets import load_digits
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import cross_val_score

from hopt import Trials, fmin, hp, plotting, tpe

SPACE = {
    "n_estimators": hp.uniformint("n_estimators", 2, 60),
    "max_depth": hp.uniformint("max_depth", 2, 16),
    "max_features": hp.loguniform("max_features", math.log(0.02), math.log(0.5)),
}
SECONDS_ALLOWED = 0.12


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--max-evals", type=int, default=60, help="number of trials (default 60)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--plots", default="examples/output/multi_objective",
                        help="directory for the plots (default %(default)s)")  # fmt: skip
    args = parser.parse_args()
    X, y = load_digits(return_X_y=True)

    def objective(params: dict) -> dict:
        model = RandomForestClassifier(random_state=args.seed, n_jobs=1, **params)
        start = time.perf_counter()
        error = 1.0 - cross_val_score(model, X, y, cv=3).mean()
        seconds = (time.perf_counter() - start) / 3  # one fit's time
        model.fit(X, y)
        nodes = sum(tree.tree_.node_count for tree in model.estimators_)
        return {
            "loss": [error, nodes / 1000],  # both minimised
            "constraints": [seconds - SECONDS_ALLOWED],  # feasible when <= 0
            "status": "ok",
        }

    trials = Trials()
    fmin(objective, SPACE, algo=tpe.suggest, max_evals=args.max_evals, trials=trials,
         rstate=args.seed, n_objectives=2)  # fmt: skip

    front = sorted(trials.best_trials, key=lambda t: t["result"]["loss"])
    print(f"{len(front)} Pareto-optimal trials of {len(trials)}:")
    for trial in front:
        error, size = trial["result"]["loss"]
        print(f"  error {error:.4f}  size {size * 1000:6.0f} nodes  {trial['misc']['vals']}")
    best = trials.best_trial  # the front's end with the lowest error
    print(f"best error: {best['result']['loss'][0]:.4f} (tid {best['tid']})")

    out = Path(args.plots)
    out.mkdir(parents=True, exist_ok=True)
    names = ["CV error", "size (thousand nodes)"]
    plotting.plot_pareto_front(trials, names=names).savefig(out / "pareto_front.png")
    plotting.plot_hypervolume(trials, reference=[1.0, 30.0]).savefig(out / "hypervolume.png")
    print(f"plots saved in {out}/")


if __name__ == "__main__":
    main()
