"""A worker fleet on MongoDB: fmin queues trials, hopt-worker processes evaluate them.

This script starts --workers hopt-worker processes on this machine (as you would
on every machine of a fleet: `hopt-worker --mongo HOST:PORT/DB --exp-key KEY`),
runs the search, and stops them.  With --workers 0 it only queues trials and waits
for workers you started yourself.  See docs/mongodb.md.

    python examples/mongo_trials.py --mongo mongo://localhost:27017/hopt_example/jobs
"""

from __future__ import annotations

import argparse
import math
import signal
import subprocess
import sys

from _plots import save_plots  # examples/_plots.py
from sklearn.datasets import load_wine
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from hopt import STATUS_OK, fmin, hp, space_eval, tpe
from hopt.trials.mongo import MongoTrials

SPACE = {
    "C": hp.loguniform("C", math.log(1e-3), math.log(1e2)),
    "penalty": hp.choice(
        "penalty",
        [{"name": "l2"}, {"name": "elasticnet", "l1_ratio": hp.uniform("l1_ratio", 0.0, 1.0)}],
    ),
}


def objective(params: dict) -> dict:
    """Runs in a worker process: 5-fold CV accuracy of a logistic regression."""
    X, y = load_wine(return_X_y=True)
    penalty = params["penalty"]
    model = LogisticRegression(C=params["C"], solver="saga", max_iter=2000,
                               l1_ratio=penalty.get("l1_ratio", 0.0))  # fmt: skip
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    scores = cross_val_score(make_pipeline(StandardScaler(), model), X, y, cv=folds)
    return {"loss": 1.0 - scores.mean(), "status": STATUS_OK, "accuracy": scores.mean()}


def start_workers(count: int, url: str, exp_key: str) -> list[subprocess.Popen]:
    command = [sys.executable, "-m", "hopt.worker", "--mongo", url, "--exp-key", exp_key,
               "--reserve-timeout", "60", "--log-level", "warning"]  # fmt: skip
    return [subprocess.Popen(command) for _ in range(count)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--mongo",
        required=True,
        help="where to queue trials, e.g. mongo://localhost:27017/hopt_example/jobs",
    )
    parser.add_argument("--exp-key", default="example", help="experiment name (default example)")
    parser.add_argument("--workers", type=int, default=2, help="workers to start here (default 2)")
    parser.add_argument("--max-evals", type=int, default=40, help="number of trials (default 40)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--plots", default="examples/output/mongo_trials",
                        help="directory for the plots (default %(default)s)")  # fmt: skip
    args = parser.parse_args()

    trials = MongoTrials(args.mongo, exp_key=args.exp_key)
    workers = start_workers(args.workers, args.mongo, args.exp_key)
    try:
        best = fmin(objective, SPACE, algo=tpe.suggest, max_evals=args.max_evals,
                    trials=trials, rstate=args.seed)  # fmt: skip
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        for worker in workers:
            worker.wait(30)
    owners = {t["owner"] for t in trials.trials}
    print(f"{len(trials)} trials evaluated by {len(owners)} worker(s)")
    print("best parameters:", space_eval(SPACE, best))
    print(f"best 5-fold CV accuracy: {trials.best_trial['result']['accuracy']:.4f}")
    save_plots(trials, SPACE, args.plots)


if __name__ == "__main__":
    main()
