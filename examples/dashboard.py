"""Watch a search in the browser: `hopt dashboard` on a trials file while fmin writes it.

An SGD classifier is trained epoch by epoch on scikit-learn's digits data; each
trial reports its validation error after every epoch (``hopt.report``) and the
median pruner stops the hopeless ones.  fmin saves the trials to a file
(``trials_save_file``) about once a second; the dashboard, started first in this
process, reads that file only when it changed and shows the run as it goes:
open the URL it prints.  When the search is done the page stays up until Ctrl-C.

    python examples/dashboard.py --max-evals 60           # then open http://127.0.0.1:8080/
    python examples/dashboard.py --max-evals 3 --no-serve  # just write dashboard_report.html

The same from a shell, for any search that saves its trials:

    hopt dashboard dashboard_trials.pkl
    hopt report dashboard_trials.pkl -o report.html
"""

from __future__ import annotations

import argparse
import math
import os
import threading
import time

import numpy as np
from sklearn.datasets import load_digits
from sklearn.linear_model import SGDClassifier
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

import hopt
from hopt import Trials, fmin, hp, space_eval, tpe
from hopt.dashboard import Dashboard, DashboardServer, open_store, write_report
from hopt.pruners import MedianPruner
from hopt.trials.persistence import save_atomically

EPOCHS = 15
SPACE = {
    "alpha": hp.loguniform("alpha", math.log(1e-6), math.log(1e-1)),
    "eta0": hp.loguniform("eta0", math.log(1e-4), math.log(1.0)),
    "learning_rate": hp.choice("learning_rate", ["constant", "invscaling", "adaptive"]),
    # the label differs from the key: a column named "loss" would read as the trial's loss
    "loss": hp.choice("loss_function", ["hinge", "log_loss", "modified_huber"]),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--max-evals", type=int, default=60, help="number of trials (default 60)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--store", default="dashboard_trials.pkl",
                        help="the trials file (default %(default)s; started afresh)")  # fmt: skip
    parser.add_argument("--port", type=int, default=8080, help="port (default 8080; 0: any)")
    parser.add_argument("--delay", type=float, default=None,
                        help="seconds to wait per epoch, so the page has something to follow "
                        "(default 0.02 when serving, 0 with --no-serve)")  # fmt: skip
    parser.add_argument("--no-serve", action="store_true",
                        help="write the report (--report) instead of serving the page")  # fmt: skip
    parser.add_argument("--report", default="dashboard_report.html",
                        help="the report --no-serve writes (default %(default)s)")  # fmt: skip
    args = parser.parse_args()
    delay = args.delay if args.delay is not None else (0.0 if args.no_serve else 0.02)

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
            hopt.report(error, step=epoch)
            if hopt.should_prune():
                raise hopt.TrialPruned()
            time.sleep(delay)
        return error

    # the dashboard opens the file before fmin first saves it: start it empty
    save_atomically(Trials(), args.store)
    dashboard = Dashboard(open_store(args.store), os.path.basename(args.store))
    server = None
    if not args.no_serve:
        server = DashboardServer(dashboard, port=args.port)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        print(f"dashboard: open {server.url} (Ctrl-C stops it)", flush=True)

    trials = Trials()
    best = fmin(objective, SPACE, algo=tpe.suggest, max_evals=args.max_evals, trials=trials,
                rstate=args.seed, pruner=MedianPruner(n_startup_trials=5),
                trials_save_file=args.store, show_progressbar=server is None)  # fmt: skip
    print("best parameters:", space_eval(SPACE, best))
    print(f"best validation error: {trials.best_trial['result']['loss']:.4f}")

    if server is None:
        print("report:", write_report(dashboard, args.report))
        return
    try:
        print("search done; the page stays up until Ctrl-C", flush=True)
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.shutdown()
        server.server_close()


if __name__ == "__main__":
    main()
