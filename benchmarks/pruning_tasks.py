"""Tasks for benchmarks/pruning.py: objectives with a learning curve, each written once.

A task is a search space (the spec format of ``problems.py``, so the same spec
becomes a hopt space and Optuna ``suggest_*`` calls), a number of steps, and a
``curve(point)`` generator that trains one step at a time and yields the
validation loss after each step.  Running a step is the unit of work the
benchmark counts: a pruned trial stops pulling from its generator, so the
steps it skipped are never computed.

Every curve is a deterministic function of the point (fixed data, fixed model
seeds), so two systems that try the same point see the same curve.  Losses are
lower-is-better and finite: a diverged model (NaN, huge) reports ``cap``.
"""

from __future__ import annotations

import hashlib
import inspect
import math
import warnings
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
from problems import _H6_A, _H6_ALPHA, _H6_P  # benchmarks/ is on sys.path

Curve = Callable[[dict], Iterator[float]]


@dataclass(frozen=True)
class Task:
    name: str
    params: list[tuple]
    n_steps: int
    n_trials: int
    n_seeds: int
    final: str  # "last": a completed trial's loss is its last value; "mean": the mean of all
    build: Callable[[int], Curve]  # n_steps -> curve; builds the data once per process
    description: str
    folds: bool = False  # steps are cross-validation folds: WilcoxonPruner runs too
    cost: float = 1.0  # rough CPU seconds of one full trial, to start slow runs first

    def final_loss(self, values: list[float]) -> float:
        return float(values[-1] if self.final == "last" else np.mean(values))


def finite(value: float, cap: float) -> float:
    """``value``, or ``cap`` when it is NaN or above it (a diverged model)."""
    value = float(value)
    return value if value <= cap else cap  # NaN fails the comparison


def quiet_sklearn() -> None:
    from sklearn.exceptions import ConvergenceWarning

    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    warnings.filterwarnings("ignore", category=RuntimeWarning)


def _split(X: np.ndarray, y: np.ndarray, seed: int = 0):
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    X_train, X_valid, y_train, y_valid = train_test_split(
        X, y, test_size=0.3, random_state=seed, stratify=y
    )
    scaler = StandardScaler().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_valid), y_train, y_valid


# -- (1) SGDClassifier, epoch by epoch on the digits ------------------------------------
def build_sgd_digits(n_steps: int) -> Curve:
    from sklearn.datasets import load_digits
    from sklearn.linear_model import SGDClassifier
    from sklearn.metrics import log_loss

    X, y = load_digits(return_X_y=True)
    X_train, X_valid, y_train, y_valid = _split(X, y)
    classes = np.unique(y)

    def curve(p: dict) -> Iterator[float]:
        model = SGDClassifier(
            loss=p["loss"],
            penalty=p["penalty"],
            alpha=p["alpha"],
            learning_rate=p["learning_rate"],
            eta0=p["eta0"],
            random_state=0,
        )
        for _ in range(n_steps):
            model.partial_fit(X_train, y_train, classes=classes)
            proba = model.predict_proba(X_valid)
            yield finite(log_loss(y_valid, proba, labels=classes), 10.0)

    return curve


# -- (2) MLPClassifier, epoch by epoch on a make_classification set ---------------------
def build_mlp_synthetic(n_steps: int) -> Curve:
    from sklearn.datasets import make_classification
    from sklearn.metrics import log_loss
    from sklearn.neural_network import MLPClassifier

    X, y = make_classification(
        n_samples=2000,
        n_features=20,
        n_informative=10,
        n_redundant=5,
        n_classes=3,
        n_clusters_per_class=2,
        flip_y=0.05,
        random_state=0,
    )
    X_train, X_valid, y_train, y_valid = _split(X, y)
    classes = np.unique(y)

    def curve(p: dict) -> Iterator[float]:
        model = MLPClassifier(
            hidden_layer_sizes=(int(p["units"]),),
            alpha=p["alpha"],
            learning_rate_init=p["learning_rate_init"],
            batch_size=int(p["batch_size"]),
            random_state=0,
        )
        for _ in range(n_steps):
            model.partial_fit(X_train, y_train, classes=classes)
            proba = model.predict_proba(X_valid)
            yield finite(log_loss(y_valid, proba, labels=classes), 10.0)

    return curve


# -- (3) gradient boosting, a few trees per step (warm start) ---------------------------
TREES_PER_STEP = 2


def build_gb_synthetic(n_steps: int) -> Curve:
    from sklearn.datasets import make_classification
    from sklearn.ensemble import GradientBoostingClassifier
    from sklearn.metrics import log_loss

    X, y = make_classification(
        n_samples=1500,
        n_features=20,
        n_informative=8,
        n_redundant=4,
        flip_y=0.05,
        class_sep=0.8,
        random_state=1,
    )
    X_train, X_valid, y_train, y_valid = _split(X, y)

    def curve(p: dict) -> Iterator[float]:
        model = GradientBoostingClassifier(
            learning_rate=p["learning_rate"],
            max_depth=int(p["max_depth"]),
            subsample=p["subsample"],
            min_samples_leaf=int(p["min_samples_leaf"]),
            max_features=p["max_features"],
            n_estimators=TREES_PER_STEP,
            warm_start=True,  # each fit adds the new trees to the ones already grown
            random_state=0,
        )
        for step in range(n_steps):
            model.set_params(n_estimators=TREES_PER_STEP * (step + 1))
            model.fit(X_train, y_train)
            yield finite(log_loss(y_valid, model.predict_proba(X_valid)), 10.0)

    return curve


# -- (4) 5-fold cross-validation of an SVC, one fold per step ---------------------------
def build_svc_digits_cv(n_steps: int) -> Curve:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import StratifiedKFold
    from sklearn.svm import SVC

    X, y = load_digits(return_X_y=True)
    rows = np.random.default_rng(0).permutation(len(y))[:900]
    X, y = X[rows] / 16.0, y[rows]
    folds = list(StratifiedKFold(n_steps, shuffle=True, random_state=0).split(X, y))

    def curve(p: dict) -> Iterator[float]:
        for train, valid in folds:
            model = SVC(C=p["C"], gamma=p["gamma"], kernel=p["kernel"])
            model.fit(X[train], y[train])
            yield finite(1.0 - model.score(X[valid], y[valid]), 1.0)

    return curve


# -- (5) multi-fidelity Hartmann-6 ------------------------------------------------------
# Hartmann-6's constants are the quality benchmark's (benchmarks/problems.py)
# At low fidelity the basins' weights are shifted (as in Kandasamy et al.'s multi-fidelity
# Hartmann, but by more): the third basin looks deeper than the fourth, the global one, early
# on, and the ranking of points turns over as the fidelity grows.
_H6_SHIFT = np.array([0.0, 0.0, -0.4, 0.4])


def mf_hartmann6(x: np.ndarray, fidelity: float) -> float:
    """Hartmann-6 at ``fidelity`` in (0, 1]: basin weights shifted, plus a decaying bias.

    At fidelity 1 it is Hartmann-6 (minimum -3.32237).  Below, the basins'
    weights move by ``_H6_SHIFT * (1 - fidelity)`` and a bias ``(1 - fidelity)**2
    * (0.5 + slow(x))`` is added, where ``slow`` in [0, 1] marks points that start
    badly; so curves cross.
    """
    alpha = _H6_ALPHA - _H6_SHIFT * (1.0 - fidelity)
    inner = np.sum(_H6_A * (x - _H6_P) ** 2, axis=1)
    value = -float(np.sum(alpha * np.exp(-inner)))
    slow = float(np.mean(np.sin(3.0 * x) ** 2))
    return value + (1.0 - fidelity) ** 2 * (0.5 + slow)


def build_mf_hartmann6(n_steps: int) -> Curve:
    def curve(p: dict) -> Iterator[float]:
        x = np.array([float(p[f"x{i}"]) for i in range(6)])
        # noise that is a function of the point and the step: same point, same curve
        rng = np.random.default_rng(zlib.crc32(x.tobytes()))
        for step in range(n_steps):
            fidelity = (step + 1) / n_steps
            noise = rng.normal() * (0.01 + 0.05 * (1.0 - fidelity))
            yield mf_hartmann6(x, fidelity) + noise

    return curve


TASKS: dict[str, Task] = {
    t.name: t
    for t in [
        Task(
            "sgd_digits",
            [
                ("loss", "choice", ["log_loss", "modified_huber"]),  # the two with probabilities
                ("penalty", "choice", ["l2", "l1", "elasticnet"]),
                ("alpha", "loguniform", math.log(1e-6), math.log(1e-1)),
                ("learning_rate", "choice", ["optimal", "constant", "invscaling", "adaptive"]),
                ("eta0", "loguniform", math.log(1e-4), math.log(1.0)),
            ],
            n_steps=30,
            n_trials=60,
            n_seeds=10,
            final="last",
            build=build_sgd_digits,
            description="`SGDClassifier.partial_fit` on `load_digits` (1257 train / 540 "
            "validation, standardized), one epoch per step; validation log-loss (the error "
            "rate has too many ties at its floor to tell systems apart)",
            cost=0.13,
        ),
        Task(
            "mlp_synthetic",
            [
                ("units", "quniform", 8, 128, 8),
                ("alpha", "loguniform", math.log(1e-6), math.log(1.0)),
                ("learning_rate_init", "loguniform", math.log(1e-4), math.log(0.3)),
                ("batch_size", "choice", [32, 64, 128, 256]),
            ],
            n_steps=30,
            n_trials=50,
            n_seeds=10,
            final="last",
            build=build_mlp_synthetic,
            description="`MLPClassifier.partial_fit` (one hidden layer, adam) on "
            "`make_classification` (2000 samples, 20 features, 3 classes; 70/30 split), "
            "one epoch per step; validation log-loss",
            cost=0.17,
        ),
        Task(
            "gb_synthetic",
            [
                ("learning_rate", "loguniform", math.log(0.01), math.log(1.0)),
                ("max_depth", "quniform", 1, 6, 1),
                ("subsample", "uniform", 0.5, 1.0),
                ("min_samples_leaf", "quniform", 1, 50, 1),
                ("max_features", "uniform", 0.2, 1.0),
            ],
            n_steps=25,
            n_trials=50,
            n_seeds=10,
            final="last",
            build=build_gb_synthetic,
            description=f"`GradientBoostingClassifier(warm_start=True)` on "
            "`make_classification` (1500 samples, 20 features, 2 classes; 70/30 split), "
            f"{TREES_PER_STEP} more trees per step (refit adds only the new trees); "
            "validation log-loss",
            cost=0.24,
        ),
        Task(
            "svc_digits_cv",
            [
                ("C", "loguniform", math.log(1e-2), math.log(1e3)),
                ("gamma", "loguniform", math.log(1e-5), math.log(1.0)),
                ("kernel", "choice", ["rbf", "poly", "sigmoid"]),
            ],
            n_steps=5,
            n_trials=60,
            n_seeds=10,
            final="mean",
            build=build_svc_digits_cv,
            description="5-fold stratified CV of `SVC` on 900 samples of `load_digits`, one "
            "fold per step (the fold's error is reported); a completed trial's loss is the "
            "mean over folds",
            folds=True,
            cost=0.07,
        ),
        Task(
            "mf_hartmann6",
            [(f"x{i}", "uniform", 0, 1) for i in range(6)],
            n_steps=27,
            n_trials=80,
            n_seeds=30,
            final="last",
            build=build_mf_hartmann6,
            description="multi-fidelity Hartmann-6 (written here): fidelity (step + 1) / 27, "
            "basin weights shifted and a point-dependent bias that vanish at full fidelity, "
            "noise 0.01-0.06; final minimum -3.32 (plus noise)",
            cost=0.002,
        ),
    ]
}


def task_fingerprint(task: Task) -> str:
    """A short hash of what defines a task: its settings and its curve's source."""
    text = repr((task.name, task.params, task.n_steps, task.n_trials, task.final))
    text += inspect.getsource(task.build) + inspect.getsource(finite)
    if task.name == "mf_hartmann6":
        text += inspect.getsource(mf_hartmann6)
    if task.name == "gb_synthetic":
        text += str(TREES_PER_STEP)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def early_ranking(task: Task, n_points: int = 200, seed: int = 12345) -> dict:
    """How well the start of a curve tells its end, on random points of the space.

    Draws ``n_points`` from the space (hopt's prior) and runs their whole curves.
    For each step k: the Spearman correlation between the value at k (what
    successive halving and Hyperband compare at a rung) and the final loss, over
    all points and over the best quarter by final loss (late in a search the
    completed trials are good ones, and those are what a pruner must tell apart);
    and the share of the best tenth whose best value up to k is above the median
    of the best quarter's values at k: the share a median rule whose completed
    trials were that quarter would stop at step k.
    """
    from problems import flatten, hopt_space
    from scipy.stats import spearmanr

    from hopt.pyll.stochastic import sample

    space = hopt_space(task.params)
    rng = np.random.default_rng(seed)
    curve = task.build(task.n_steps)
    values = np.array([list(curve(flatten(sample(space, rng=rng)))) for _ in range(n_points)])
    finals = np.array([task.final_loss(list(row)) for row in values])
    best_so_far = np.minimum.accumulate(values, axis=1)
    quarter = finals <= np.quantile(finals, 0.25)
    tenth = finals <= np.quantile(finals, 0.1)
    out = {}
    for k in range(task.n_steps):
        cut = best_so_far[:, k] > np.median(values[quarter, k])
        out[str(k)] = {
            "spearman": float(spearmanr(values[:, k], finals).statistic),
            "spearman_best_quarter": float(
                spearmanr(values[quarter, k], finals[quarter]).statistic
            ),
            "best_tenth_cut": float(cut[tenth].mean()),
        }
    return out
