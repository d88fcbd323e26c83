"""Parallel trials on a Spark cluster with SparkTrials: an SVM search on breast-cancer data.

Each trial is one Spark task; the driver keeps suggesting while up to
--parallelism trials run.  By default Spark runs in this process (local[2]); give
--master spark://host:7077 (or run under spark-submit) for a real cluster.

    python examples/spark_trials.py --max-evals 40 --parallelism 2
"""

from __future__ import annotations

import argparse
import math
import os
import sys

from _plots import save_plots  # examples/_plots.py
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from hopt import STATUS_OK, fmin, hp, space_eval, tpe

SPACE = {
    "C": hp.loguniform("C", math.log(1e-2), math.log(1e3)),
    "kernel": hp.choice(
        "kernel",
        [
            {"name": "linear"},
            {"name": "rbf", "gamma": hp.loguniform("gamma", math.log(1e-4), math.log(1.0))},
        ],
    ),
}


def objective(params: dict) -> dict:
    """Runs on a Spark executor: 5-fold CV accuracy of a scaled SVM."""
    X, y = load_breast_cancer(return_X_y=True)
    kernel = params["kernel"]
    svm = SVC(C=params["C"], kernel=kernel["name"], gamma=kernel.get("gamma", "scale"))
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    scores = cross_val_score(make_pipeline(StandardScaler(), svm), X, y, cv=folds)
    return {"loss": 1.0 - scores.mean(), "status": STATUS_OK, "accuracy": scores.mean()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--max-evals", type=int, default=40, help="number of trials (default 40)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument(
        "--parallelism",
        type=int,
        default=None,
        help="trials at once (default: the cluster's task slots)",
    )
    parser.add_argument(
        "--master",
        default=os.environ.get("SPARK_MASTER", "local[2]"),
        help="Spark master (default $SPARK_MASTER or local[2])",
    )
    parser.add_argument("--plots", default="examples/output/spark_trials",
                        help="directory for the plots (default %(default)s)")  # fmt: skip
    args = parser.parse_args()

    from pyspark.sql import SparkSession

    from hopt import SparkTrials

    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    # Spark's workers run this Python (with hopt), not `python3` from PATH
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    spark = (
        SparkSession.builder.master(args.master)
        .appName("hopt example: SparkTrials")
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    try:
        trials = SparkTrials(parallelism=args.parallelism, spark_session=spark)
        best = fmin(objective, SPACE, algo=tpe.suggest, max_evals=args.max_evals,
                    trials=trials, rstate=args.seed)  # fmt: skip
    finally:
        spark.stop()
    print(f"{trials.count_successful_trials()} trials ok, {trials.count_failed_trials()} failed")
    print("best parameters:", space_eval(SPACE, best))
    print(f"best 5-fold CV accuracy: {trials.best_trial['result']['accuracy']:.4f}")
    save_plots(trials, SPACE, args.plots)


if __name__ == "__main__":
    main()
