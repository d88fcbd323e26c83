"""Stop hopeless trials early: an SGD classifier trained epoch by epoch on the digits data.

Each trial trains for up to 30 epochs with ``partial_fit`` and reports its
validation error after every epoch with ``hopt.report``.  The median pruner
stops a trial whose error is worse than the median of the completed trials at
the same epoch, so most bad configurations cost a few epochs instead of 30.

    python examples/pruning.py --max-evals 40
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits
from sklearn.linear_model import SGDClassifier
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

import hopt
from hopt import Trials, fmin, hp, plotting, space_eval, tpe
from hopt.pruners import MedianPruner

EPOCHS = 30
SPACE = {
    "alpha": hp.loguniform("alpha", math.log(1e-6), math.log(1e-1)),
    "eta0": hp.loguniform("eta0", math.log(1e-4), math.log(1.0)),
    "learning_rate": hp.choice("learning_rate", ["constant", "invscaling", "adaptive"]),
    "loss": hp.choice("loss", ["hinge", "log_loss", "modified_huber"]),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--max-evals", type=int, default=40, help="number of trials (default 40)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--plots", default="examples/output/pruning",
                        help="directory for the plots (default %(default)s)")  # fmt: skip
    args = parser.parse_args()

    X, y = load_digits(return_X_y=True)
    X_train, X_valid, y_train, y_valid = train_test_split(
        StandardScaler().fit_transform(X), y, test_size=0.3, random_state=args.seed
    )
    classes = np.unique(y)

    def objective(params: dict) -> float:
        model = SGDClassifier(random_state=args.seed, **params)
        error = 1.0
        for epoch in range(EPOCHS):
            model.partial_fit(X_train, y_train, classes=classes)
            error = 1.0 - model.score(X_valid, y_valid)
            hopt.report(error, step=epoch)  # the validation error after this epoch
            if hopt.should_prune():
                raise hopt.TrialPruned()  # recorded as pruned, its last error as its loss
        return error

    trials = Trials()
    best = fmin(
        objective,
        SPACE,
        algo=tpe.suggest,
        max_evals=args.max_evals,
        trials=trials,
        rstate=args.seed,
        pruner=MedianPruner(n_startup_trials=5, n_warmup_steps=3),
    )
    epochs = sum(len(t.get("reports", [])) for t in trials.trials)
    pruned = sum(t["result"]["status"] == hopt.STATUS_PRUNED for t in trials.trials)
    print(f"{pruned} of {len(trials)} trials pruned; {epochs} epochs trained of "
          f"{EPOCHS * len(trials)} without pruning")  # fmt: skip
    print("best validation error:", trials.best_trial["result"]["loss"])
    print("best parameters:", space_eval(SPACE, best))
    out = Path(args.plots)
    out.mkdir(parents=True, exist_ok=True)
    plotting.plot_intermediate_values(trials).savefig(out / "intermediate_values.png")
    plotting.plot_history(trials).savefig(out / "history.png")
    print(f"plots saved in {out}/")


if __name__ == "__main__":
    main()
