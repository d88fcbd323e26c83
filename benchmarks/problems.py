"""Benchmark problems for the quality benchmarks, each written once.

A problem is a name, its known optimum (or None), a list of parameter specs
and a plain-Python objective that takes a flat dict ``{name: value}``.  The
builders below turn the same specs into a hopt space, a Hyperopt space and an
Optuna define-by-run suggest function, so all three libraries search exactly
the same space.

Parameter specs (tuples):

* ``(name, "uniform", low, high)``
* ``(name, "loguniform", log_low, log_high)``   bounds in log space, as ``hp.loguniform``
* ``(name, "quniform", low, high, q)``           ``round(uniform(low, high) / q) * q``
* ``(name, "randint", low, high)``               an int in ``[low, high)``
* ``(name, "choice", [option, ...])``            options are str, int, float or None
* ``(name, "cond", {branch: [spec, ...], ...})`` pick a branch; only its params are active

Objectives receive the flat dict: a ``cond`` parameter holds the branch name
and the chosen branch's parameters sit beside it at the top level.
Quantized values arrive as floats from hopt and Hyperopt and as ints from
Optuna; objectives do not care.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

BRANCH_KEY = "__branch__"


@dataclass(frozen=True)
class Problem:
    name: str
    optimum: float | None
    params: list[tuple]
    objective: Callable[[dict], float]
    description: str
    tags: Sequence[str] = field(default_factory=tuple)
    #: standard deviation of Gaussian noise added to what the optimizer sees (0: exact);
    #: the benchmark records the noise-free loss of every evaluated point
    noise: float = 0.0

    @property
    def dimension(self) -> int:
        return len(labels(self.params))


# -- spec helpers ----------------------------------------------------------------------
KINDS = ("uniform", "loguniform", "quniform", "randint", "choice", "pchoice", "cond")


def labels(params: Sequence[tuple]) -> list[str]:
    """Every parameter name in a spec list, branches included."""
    out = []
    for spec in params:
        name, kind = spec[0], spec[1]
        if kind not in KINDS:
            raise ValueError(f"problems: unknown parameter kind {kind!r} for {name!r}")
        out.append(name)
        if kind == "cond":
            for sub in spec[2].values():
                out.extend(labels(sub))
    return out


def flatten(point: dict) -> dict:
    """A point evaluated from a hopt/Hyperopt space, as the flat dict objectives take."""
    flat: dict[str, Any] = {}
    for key, value in point.items():
        if isinstance(value, dict) and BRANCH_KEY in value:
            inner = dict(value)
            flat[key] = inner.pop(BRANCH_KEY)
            flat.update(flatten(inner))
        else:
            flat[key] = value
    return flat


def _hp_space(hp: Any, params: Sequence[tuple]) -> dict:
    space: dict[str, Any] = {}
    for spec in params:
        name, kind, *args = spec
        if kind == "uniform":
            space[name] = hp.uniform(name, args[0], args[1])
        elif kind == "loguniform":
            space[name] = hp.loguniform(name, args[0], args[1])
        elif kind == "quniform":
            space[name] = hp.quniform(name, args[0], args[1], args[2])
        elif kind == "randint":
            space[name] = hp.randint(name, args[0], args[1])
        elif kind == "choice":
            space[name] = hp.choice(name, list(args[0]))
        elif kind == "pchoice":  # args: options, their prior probabilities
            space[name] = hp.pchoice(name, list(zip(args[1], args[0])))
        elif kind == "cond":
            branches = []
            for branch, sub in args[0].items():
                branches.append({BRANCH_KEY: branch, **_hp_space(hp, sub)})
            space[name] = hp.choice(name, branches)
        else:
            raise ValueError(f"problems: unknown parameter kind {kind!r} for {name!r}")
    return space


def hopt_space(params: Sequence[tuple]) -> dict:
    """The spec as a hopt search space (a dict of ``hopt.hp`` nodes)."""
    from hopt import hp

    return _hp_space(hp, params)


def hyperopt_space(params: Sequence[tuple]) -> dict:
    """The spec as a Hyperopt 0.3.0 search space."""
    from hyperopt import hp

    return _hp_space(hp, params)


def optuna_suggest(params: Sequence[tuple]) -> Callable[[Any], dict]:
    """A function ``trial -> flat dict`` drawing the spec with ``trial.suggest_*``."""

    def suggest(trial: Any, specs: Sequence[tuple] = params) -> dict:
        point: dict[str, Any] = {}
        for spec in specs:
            name, kind, *args = spec
            if kind == "uniform":
                point[name] = trial.suggest_float(name, args[0], args[1])
            elif kind == "loguniform":
                low, high = math.exp(args[0]), math.exp(args[1])
                point[name] = trial.suggest_float(name, low, high, log=True)
            elif kind == "quniform":
                low, high, q = args
                if all(float(v).is_integer() for v in args):
                    point[name] = trial.suggest_int(name, int(low), int(high), step=int(q))
                else:
                    point[name] = trial.suggest_float(name, low, high, step=q)
            elif kind == "randint":
                point[name] = trial.suggest_int(name, args[0], args[1] - 1)
            elif kind in ("choice", "pchoice"):  # Optuna has no prior over options
                point[name] = trial.suggest_categorical(name, list(args[0]))
            elif kind == "cond":
                branch = trial.suggest_categorical(name, list(args[0]))
                point[name] = branch
                point.update(suggest(trial, args[0][branch]))
            else:
                raise ValueError(f"problems: unknown parameter kind {kind!r} for {name!r}")
        return point

    return suggest


# -- objectives ------------------------------------------------------------------------
def branin(p: dict) -> float:
    x1, x2 = p["x1"], p["x2"]
    b, c, t = 5.1 / (4 * math.pi**2), 5 / math.pi, 1 / (8 * math.pi)
    return (x2 - b * x1**2 + c * x1 - 6) ** 2 + 10 * (1 - t) * math.cos(x1) + 10


_H6_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])
_H6_A = np.array(
    [
        [10, 3, 17, 3.5, 1.7, 8],
        [0.05, 10, 17, 0.1, 8, 14],
        [3, 3.5, 1.7, 10, 17, 8],
        [17, 8, 0.05, 10, 0.1, 14],
    ]
)
_H6_P = 1e-4 * np.array(
    [
        [1312, 1696, 5569, 124, 8283, 5886],
        [2329, 4135, 8307, 3736, 1004, 9991],
        [2348, 1451, 3522, 2883, 3047, 6650],
        [4047, 8828, 8732, 5743, 1091, 381],
    ]
)


def hartmann6(p: dict) -> float:
    x = np.array([p[f"x{i}"] for i in range(6)])
    inner = np.sum(_H6_A * (x - _H6_P) ** 2, axis=1)
    return float(-np.sum(_H6_ALPHA * np.exp(-inner)))


def rosenbrock5(p: dict) -> float:
    x = [p[f"x{i}"] for i in range(5)]
    return float(
        sum(100 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2 for i in range(len(x) - 1))
    )


def levy20(p: dict) -> float:
    x = np.array([p[f"x{i:02d}"] for i in range(20)])
    w = 1 + (x - 1) / 4
    head = math.sin(math.pi * w[0]) ** 2
    middle = np.sum((w[:-1] - 1) ** 2 * (1 + 10 * np.sin(math.pi * w[:-1] + 1) ** 2))
    tail = (w[-1] - 1) ** 2 * (1 + math.sin(2 * math.pi * w[-1]) ** 2)
    return float(head + middle + tail)


def log_scale(p: dict) -> float:
    # optimum 0 at lr = 10**-3.5, weight_decay = 1e-5; a tilted bowl in log10 space
    u = math.log10(p["lr"]) + 3.5
    v = math.log10(p["weight_decay"]) + 5.0
    return u * u + 0.6 * u * v + 0.5 * v * v


_OPTIMIZER_PENALTY = {"sgd": 0.6, "adam": 0.0, "rmsprop": 0.3}
# activation penalties depend on the optimizer: the best activation is not the same for all
_ACTIVATION_PENALTY = {
    "sgd": {"relu": 0.0, "tanh": 0.4, "elu": 0.2, "selu": 0.5, "gelu": 0.3},
    "adam": {"relu": 0.3, "tanh": 0.6, "elu": 0.0, "selu": 0.4, "gelu": 0.2},
    "rmsprop": {"relu": 0.2, "tanh": 0.5, "elu": 0.3, "selu": 0.0, "gelu": 0.4},
}


def int_categorical(p: dict) -> float:
    # optimum 0 at layers=3, units=128, patience=11, optimizer=adam, activation=elu
    layers, units, patience = int(p["layers"]), int(round(p["units"])), int(round(p["patience"]))
    loss = 0.3 * abs(layers - 3) + ((units - 128) / 64) ** 2 + 0.1 * abs(patience - 11)
    optimizer = p["optimizer"]
    return loss + _OPTIMIZER_PENALTY[optimizer] + _ACTIVATION_PENALTY[optimizer][p["activation"]]


def tree(p: dict) -> float:
    """Three branches; the best one is the hardest to find.

    * ``simple``: one parameter, a wide bowl with minimum 0.5 (easy, decent);
    * ``medium``: an int and a choice, minimum 0.7;
    * ``best``: three parameters (two uniform, one log-scale) with minimum 0 in a
      narrow bowl: only about 2.4% of the branch's volume beats the ``simple`` branch.
    """
    branch = p["model"]
    if branch == "simple":
        return 0.5 + 0.2 * (p["s_width"] - 0.3) ** 2
    if branch == "medium":
        penalty = {"a": 0.0, "b": 0.1, "c": 0.2}[p["m_kind"]]
        return 0.7 + 0.05 * abs(int(round(p["m_depth"])) - 4) + penalty
    a, b, lr = p["b_a"], p["b_b"], p["b_lr"]
    return 0.25 * ((a - 1.5) ** 2 + (b + 2.0) ** 2 + (math.log10(lr) + 2.5) ** 2)


# A real cross-validation objective: RBF/poly/sigmoid SVC on 450 digits, 3-fold CV
# error.  Kernels are computed from Gram/distance matrices prepared once per process,
# which gives the same predictions as SVC(kernel=...) at about a third of the cost.
_SVC_DATA: dict[str, Any] = {}


def _svc_data() -> dict[str, Any]:
    if not _SVC_DATA:
        from sklearn.datasets import load_digits
        from sklearn.model_selection import StratifiedKFold

        X, y = load_digits(return_X_y=True)
        rows = np.random.default_rng(0).permutation(len(y))[:450]
        X, y = X[rows] / 16.0, y[rows]
        gram = X @ X.T
        sq = np.diag(gram)
        folds = list(StratifiedKFold(3, shuffle=True, random_state=0).split(X, y))
        _SVC_DATA.update(
            y=y,
            gram=gram,
            sqdist=np.maximum(sq[:, None] + sq[None, :] - 2 * gram, 0.0),
            folds=[(tr, te, np.ix_(tr, tr), np.ix_(te, tr)) for tr, te in folds],
        )
    return _SVC_DATA


def svc_digits_cv(p: dict) -> float:
    from sklearn.svm import SVC

    d = _svc_data()
    gamma, kernel = float(p["gamma"]), p["kernel"]
    if kernel == "rbf":
        K = np.exp(-gamma * d["sqdist"])
    elif kernel == "poly":  # sklearn's defaults: degree 3, coef0 0
        K = (gamma * d["gram"]) ** 3
    else:  # sigmoid, coef0 0
        K = np.tanh(gamma * d["gram"])
    y = d["y"]
    errors = []
    for train, test, train_block, test_block in d["folds"]:
        model = SVC(C=float(p["C"]), kernel="precomputed").fit(K[train_block], y[train])
        errors.append(float(np.mean(model.predict(K[test_block]) != y[test])))
    return float(np.mean(errors))


# -- the problem set -------------------------------------------------------------------
PROBLEMS: dict[str, Problem] = {
    p.name: p
    for p in [
        Problem(
            "branin",
            0.397887,
            [("x1", "uniform", -5, 10), ("x2", "uniform", 0, 15)],
            branin,
            "Branin, 2-D, x1 in [-5, 10], x2 in [0, 15]; three global minima",
        ),
        Problem(
            "hartmann6",
            -3.32237,
            [(f"x{i}", "uniform", 0, 1) for i in range(6)],
            hartmann6,
            "Hartmann-6 on [0, 1]^6",
        ),
        Problem(
            "rosenbrock5",
            0.0,
            [(f"x{i}", "uniform", -5, 10) for i in range(5)],
            rosenbrock5,
            "Rosenbrock, 5-D on [-5, 10]^5; a long curved valley",
        ),
        Problem(
            "levy20",
            0.0,
            [(f"x{i:02d}", "uniform", -10, 10) for i in range(20)],
            levy20,
            "Levy, 20-D on [-10, 10]^20; many local minima",
        ),
        Problem(
            "log_scale",
            0.0,
            [
                ("lr", "loguniform", math.log(1e-6), math.log(1.0)),
                ("weight_decay", "loguniform", math.log(1e-8), math.log(1e-1)),
            ],
            log_scale,
            "tilted quadratic in (log10 lr, log10 weight_decay); lr in [1e-6, 1], "
            "weight_decay in [1e-8, 0.1], both loguniform",
        ),
        Problem(
            "int_categorical",
            0.0,
            [
                ("layers", "randint", 1, 9),
                ("units", "quniform", 16, 256, 16),
                ("patience", "quniform", 1, 30, 1),
                ("optimizer", "choice", ["sgd", "adam", "rmsprop"]),
                ("activation", "choice", ["relu", "tanh", "elu", "selu", "gelu"]),
            ],
            int_categorical,
            "randint layers, quniform units (q=16) and patience (q=1), two choices "
            "whose best pairing interacts; 8*16*30*3*5 = 172,800 points",
        ),
        Problem(
            "tree",
            0.0,
            [
                (
                    "model",
                    "cond",
                    {
                        "simple": [("s_width", "uniform", 0, 1)],
                        "medium": [
                            ("m_depth", "quniform", 1, 10, 1),
                            ("m_kind", "choice", ["a", "b", "c"]),
                        ],
                        "best": [
                            ("b_a", "uniform", -5, 5),
                            ("b_b", "uniform", -5, 5),
                            ("b_lr", "loguniform", math.log(1e-5), math.log(1.0)),
                        ],
                    },
                )
            ],
            tree,
            "3-branch conditional space: 'simple' (1 param, min 0.5), 'medium' "
            "(2 params, min 0.7), 'best' (3 params, narrow bowl, min 0)",
        ),
        Problem(
            "svc_digits_cv",
            None,
            [
                ("C", "loguniform", math.log(1e-2), math.log(1e3)),
                ("gamma", "loguniform", math.log(1e-5), math.log(10.0)),
                ("kernel", "choice", ["rbf", "poly", "sigmoid"]),
            ],
            svc_digits_cv,
            "3-fold CV error of sklearn SVC on 450 samples of load_digits "
            "(C, gamma loguniform, kernel choice); optimum unknown",
            tags=("real",),
        ),
    ]
}


def one_good_option(p: dict) -> float:
    """Option 3 scores 0, the three others 1."""
    return 0.0 if p["a"] == 3 else 1.0


def integer_bowl(p: dict) -> float:
    """A bowl over three small integer ranges, minimum 0 at (2, 1, 4)."""
    return float((p["i"] - 2) ** 2 + (p["j"] - 1) ** 2 + (p["k"] - 4) ** 2)


_CHOICE4 = [("a", "choice", [0, 1, 2, 3])]
_INTS456 = [("i", "randint", 0, 4), ("j", "randint", 0, 5), ("k", "randint", 0, 6)]
# the good option is the one the prior favours least
_PCHOICE4 = [("a", "pchoice", [0, 1, 2, 3], [0.4, 0.3, 0.2, 0.1])]
#: small all-discrete problems (issue 21): once covered, only following the model helps
DISCRETE = [
    Problem("choice4", 0.0, _CHOICE4, one_good_option,
            "one 4-way choice, one good option", tags=("discrete",)),
    Problem("choice4_noisy", 0.0, _CHOICE4, one_good_option,
            "choice4 seen through Gaussian noise, sd 0.5", tags=("discrete",), noise=0.5),
    Problem("ints456", 0.0, _INTS456, integer_bowl,
            "randint 4 x 5 x 6 = 120 points, a bowl", tags=("discrete",)),
    Problem("ints456_noisy", 0.0, _INTS456, integer_bowl,
            "ints456 seen through Gaussian noise, sd 1", tags=("discrete",), noise=1.0),
    Problem("pchoice4", 0.0, _PCHOICE4, one_good_option,
            "a 4-way pchoice (priors 0.4, 0.3, 0.2, 0.1), the rarest option good",
            tags=("discrete",)),
    Problem("pchoice4_noisy", 0.0, _PCHOICE4, one_good_option,
            "pchoice4 seen through Gaussian noise, sd 0.5", tags=("discrete",), noise=0.5),
]  # fmt: skip
PROBLEMS.update({p.name: p for p in DISCRETE})


def noisy_objective(problem: Problem, seed: int, true_losses: list) -> Callable[[dict], float]:
    """The objective the optimizer sees: the problem's, plus noise when it has some.

    Every call appends the noise-free loss to ``true_losses``, so regret is measured
    on what was evaluated, not on the luck of the noise.  The noise stream depends
    on the seed alone, so every library sees the same draws in the same order.
    """
    rng = np.random.default_rng([seed, 2026])

    def objective(point: dict) -> float:
        loss = float(problem.objective(point))
        true_losses.append(loss)
        return loss + float(rng.normal(0.0, problem.noise)) if problem.noise else loss

    return objective


def problem_fingerprint(problem: Problem) -> str:
    """A short hash of what defines a problem (specs and objective source)."""
    import hashlib
    import inspect

    text = repr((problem.name, problem.optimum, problem.params, problem.noise))
    text += inspect.getsource(problem.objective)
    return hashlib.sha256(text.encode()).hexdigest()[:12]
