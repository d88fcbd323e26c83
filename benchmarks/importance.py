"""Hyperparameter importance: hopt's PED-ANOVA and fANOVA next to Optuna's, on the same trials.

For each problem and trial count, random search (hopt ``rand.suggest``) makes one set
of trials per seed.  The same trials go to

* hopt: ``hopt.importance.param_importances(trials, evaluator=..., space=space)``;
* Optuna: ``optuna.create_study()`` + ``study.add_trials(create_trial(params=...,
  distributions=..., value=...))``, then ``get_param_importances(study,
  evaluator=PedAnovaImportanceEvaluator() or FanovaImportanceEvaluator(seed=seed))``.

Reported: top-1 and top-3 agreement of each ranking with the known truth (synthetic
problems: the labels ranked by the variance of their main effect under the prior,
computed by Monte Carlo from the function itself) and with each other, and the wall
time of each evaluator.  Optuna's fANOVA runs at 1,000 trials only (``--optuna-fanova-max``):
it takes about 20 s per call there, and one call at 10,000 trials took 36 minutes.

    python benchmarks/importance.py           # updates docs/benchmarks.md (about 5 minutes)
    python benchmarks/importance.py --quick   # one seed, 1,000 trials, no model; writes nothing
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import _single_thread  # noqa: F401  (before numpy: one BLAS thread)
import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
if str(REPO) not in sys.path:
    sys.path.insert(1, str(REPO))

import quality as Q  # noqa: E402  (machine info and docs helpers)

DOCS = REPO / "docs" / "benchmarks.md"
RESULTS = HERE / "results" / "importance.json"
MARKER = "importance"
METHODS = {
    # key: (library, evaluator, label in tables)
    "hopt_ped": ("hopt", "ped-anova", "hopt PED-ANOVA"),
    "optuna_ped": ("optuna", "ped-anova", "Optuna PED-ANOVA"),
    "hopt_fanova": ("hopt", "fanova", "hopt fANOVA"),
    # the same, with log priors read on a linear scale: Optuna's fANOVA measures them so
    "hopt_fanova_lin": ("hopt", "fanova", "hopt fANOVA, log labels linear"),
    "optuna_fanova": ("optuna", "fanova", "Optuna fANOVA"),
}
PAIRS = [
    ("hopt_ped", "optuna_ped"),
    ("hopt_fanova", "optuna_fanova"),
    ("hopt_fanova_lin", "optuna_fanova"),
    ("hopt_ped", "hopt_fanova"),
    ("optuna_ped", "optuna_fanova"),
]


# -- problems ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Problem:
    name: str
    #: (label, kind, *args): ("uniform", low, high), ("loguniform", low, high) with the
    #: bounds of the value (not its log), ("uniformint", low, high), ("choice", n)
    params: list[tuple]
    #: the loss of points given as a dict label -> array of values (choice: the index)
    loss: Callable[[dict], np.ndarray]
    description: str
    #: labels known to do nothing (the only truth for a real model)
    irrelevant: tuple[str, ...] = ()
    synthetic: bool = True

    @property
    def labels(self) -> list[str]:
        return [spec[0] for spec in self.params]


def _additive(p: dict) -> np.ndarray:
    t = (np.log10(p["lr"]) + 2.5) / 2.5
    offsets = np.array([0.0, 0.3, 0.1, 0.1])
    return (
        3.0 * p["x"] ** 2
        + 1.5 * t**2
        + 0.1 * p["depth"]
        + offsets[np.asarray(p["kind"], dtype=int)]
        + 0.0 * (p["noise1"] + p["noise2"])
    )


def _interaction(p: dict) -> np.ndarray:
    return (
        2.0 * p["w"] ** 2
        + 2.0 * p["u"] * p["v"]
        + 0.5 * p["v"]
        + 0.3 * p["y"]
        + 0.0 * (p["z1"] + p["z2"])
    )


#: the ladder: one shape per label, each scaled to unit variance under its prior, then
#: weighted 0.7**i, so each label's true share is about half the one before it
LADDER = [
    (("a0", "uniform", -1.0, 1.0), lambda x: x**2),
    (("a1", "loguniform", 1e-4, 1.0), lambda x: (np.log10(x) + 2.0) ** 2),
    (("a2", "uniformint", 1, 10), lambda x: x),
    (("a3", "choice", 5), lambda x: np.array([0.0, 1.0, 0.2, 0.6, 0.3])[np.asarray(x, int)]),
    (("a4", "uniform", 0.0, 1.0), lambda x: np.sin(2 * np.pi * x)),
    (("a5", "uniform", 0.0, 1.0), lambda x: np.abs(x - 0.3)),
    (("a6", "loguniform", 1e-3, 10.0), lambda x: np.log10(x)),
    (("a7", "uniform", -1.0, 1.0), lambda x: x**3),
    (("a8", "uniformint", 0, 20), lambda x: (x - 10.0) ** 2),
]
LADDER_NOISE = [("n0", "uniform", 0.0, 1.0), ("n1", "uniform", -1.0, 1.0), ("n2", "choice", 3)]
_LADDER_SCALE: list[float] = []


def _ladder(p: dict) -> np.ndarray:
    if not _LADDER_SCALE:
        probe = Problem("probe", [spec for spec, _ in LADDER], lambda p: p, "")
        draws = prior_draws(probe, np.random.default_rng(99), 1_000_000)
        _LADDER_SCALE.extend(float(np.std(g(draws[spec[0]]))) for spec, g in LADDER)
    total = 0.0 * p["n0"]
    for i, ((label, *_), g) in enumerate(LADDER):
        total = total + 0.7**i * g(p[label]) / _LADDER_SCALE[i]
    return total


PROBLEMS = {
    "additive": Problem(
        "additive",
        [
            ("x", "uniform", -1.0, 1.0),
            ("lr", "loguniform", 1e-5, 1.0),
            ("depth", "uniformint", 1, 8),
            ("kind", "choice", 4),
            ("noise1", "uniform", 0.0, 1.0),
            ("noise2", "uniform", 0.0, 1.0),
        ],
        _additive,
        "3·x² + 1.5·((log10 lr + 2.5)/2.5)² + 0.1·depth + offset[kind]; x in [-1, 1], lr "
        "loguniform in [1e-5, 1], depth uniformint 1-8, kind a choice of 4 with offsets "
        "(0, 0.3, 0.1, 0.1), two labels that do nothing",
        irrelevant=("noise1", "noise2"),
    ),
    "interaction": Problem(
        "interaction",
        [
            ("w", "uniform", -1.0, 1.0),
            ("u", "uniform", 0.0, 1.0),
            ("v", "uniform", 0.0, 1.0),
            ("y", "uniform", 0.0, 1.0),
            ("z1", "uniform", 0.0, 1.0),
            ("z2", "uniform", 0.0, 1.0),
        ],
        _interaction,
        "2·w² + 2·u·v + 0.5·v + 0.3·y; w in [-1, 1], the others in [0, 1]; u and v "
        "interact; z1, z2 do nothing",
        irrelevant=("z1", "z2"),
    ),
    "ladder": Problem(
        "ladder",
        [spec for spec, _ in LADDER] + LADDER_NOISE,
        _ladder,
        "12 labels of every kind: 9 shapes (x², a log-scale parabola, linear int, a "
        "choice of 5, sin, abs(x - 0.3), linear in log, x³, an int parabola), each scaled "
        "to unit variance and weighted 0.7^i, so each label's share is about half the "
        "one before; 3 labels (uniform, uniform, choice of 3) do nothing",
        irrelevant=("n0", "n1", "n2"),
    ),
    "tree_digits": Problem(
        "tree_digits",
        [
            ("max_depth", "uniformint", 1, 20),
            ("min_samples_leaf", "uniformint", 1, 30),
            ("max_features", "uniform", 0.1, 1.0),
            ("criterion", "choice", 2),
            ("ccp_alpha", "loguniform", 1e-5, 0.1),
            ("unused", "uniform", 0.0, 1.0),
        ],
        lambda p: np.array([_tree_error(p)]),
        "3-fold cross-validated error of a scikit-learn DecisionTreeClassifier on "
        "load_digits (criterion gini/entropy, max_depth 1-20, min_samples_leaf 1-30, "
        "max_features 0.1-1, ccp_alpha loguniform 1e-5-0.1) and `unused`, passed to nothing; "
        "true importances unknown",
        irrelevant=("unused",),
        synthetic=False,
    ),
}

_DIGITS: dict = {}


def _tree_error(p: dict) -> float:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import StratifiedKFold
    from sklearn.tree import DecisionTreeClassifier

    if not _DIGITS:
        X, y = load_digits(return_X_y=True)
        folds = list(StratifiedKFold(3, shuffle=True, random_state=0).split(X, y))
        _DIGITS.update(X=X, y=y, folds=folds)
    X, y = _DIGITS["X"], _DIGITS["y"]
    errors = []
    for train, test in _DIGITS["folds"]:
        model = DecisionTreeClassifier(
            criterion=("gini", "entropy")[int(p["criterion"])],
            max_depth=int(p["max_depth"]),
            min_samples_leaf=int(p["min_samples_leaf"]),
            max_features=float(p["max_features"]),
            ccp_alpha=float(p["ccp_alpha"]),
            random_state=0,
        ).fit(X[train], y[train])
        errors.append(float(np.mean(model.predict(X[test]) != y[test])))
    return float(np.mean(errors))


def hopt_space(problem: Problem, linear: bool = False) -> dict:
    """The problem's space; with ``linear``, log-uniform labels become uniform over the
    same values (only for reading trials: the trials always come from the log space)."""
    from hopt import hp

    space = {}
    for label, kind, *args in problem.params:
        if kind == "uniform" or (linear and kind == "loguniform"):
            space[label] = hp.uniform(label, *args)
        elif kind == "loguniform":
            space[label] = hp.loguniform(label, math.log(args[0]), math.log(args[1]))
        elif kind == "uniformint":
            space[label] = hp.uniformint(label, *args)
        else:
            space[label] = hp.choice(label, list(range(args[0])))
    return space


def optuna_distributions(problem: Problem) -> dict:
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

    out = {}
    for label, kind, *args in problem.params:
        if kind in ("uniform", "loguniform"):
            out[label] = FloatDistribution(args[0], args[1], log=kind == "loguniform")
        elif kind == "uniformint":
            out[label] = IntDistribution(args[0], args[1])
        else:
            out[label] = CategoricalDistribution(list(range(args[0])))
    return out


def prior_draws(problem: Problem, rng: np.random.Generator, size) -> dict:
    out = {}
    for label, kind, *args in problem.params:
        if kind == "uniform":
            out[label] = rng.uniform(args[0], args[1], size)
        elif kind == "loguniform":
            out[label] = np.exp(rng.uniform(math.log(args[0]), math.log(args[1]), size))
        elif kind == "uniformint":
            out[label] = rng.integers(args[0], args[1] + 1, size).astype(float)
        else:
            out[label] = rng.integers(0, args[0], size).astype(float)
    return out


def prior_grid(spec: tuple, size: int) -> np.ndarray:
    """Equally likely values of one label: ``size`` evenly spaced quantiles of a
    continuous prior, every value of a discrete one."""
    _, kind, *args = spec
    middle = (np.arange(size) + 0.5) / size
    if kind == "uniform":
        return args[0] + (args[1] - args[0]) * middle
    if kind == "loguniform":
        return np.exp(math.log(args[0]) + (math.log(args[1]) - math.log(args[0])) * middle)
    if kind == "uniformint":
        return np.arange(args[0], args[1] + 1, dtype=float)
    return np.arange(args[0], dtype=float)


def truth(problem: Problem, values: int = 512, others: int = 8192) -> dict[str, float]:
    """Each label's main-effect variance over the total variance: the loss averaged over
    ``others`` prior draws of the other labels (the same draws for every label), at
    equally likely values of the label (``prior_grid``)."""
    rng = np.random.default_rng(12345)
    base = prior_draws(problem, rng, (1, others))
    total = float(np.var(problem.loss(prior_draws(problem, rng, 400_000))))
    shares = {}
    for spec in problem.params:
        point = dict(base)
        point[spec[0]] = prior_grid(spec, values)[:, None]
        effect = problem.loss(point).mean(axis=1)
        shares[spec[0]] = float(np.var(effect)) / total
    return shares


# -- one set of trials, four evaluators ------------------------------------------------
def make_trials(problem: Problem, n: int, seed: int):
    from hopt import Trials, fmin, rand

    space = hopt_space(problem)
    trials = Trials()

    def objective(p):
        point = {k: np.asarray(v, dtype=float) for k, v in p.items()}
        return float(np.asarray(problem.loss(point)).reshape(-1)[0])

    fmin(
        objective,
        space,
        algo=rand.suggest,
        max_evals=n,
        trials=trials,
        rstate=seed,
        show_progressbar=False,
    )
    return space, trials


def optuna_study(problem: Problem, trials):
    import optuna

    distributions = optuna_distributions(problem)
    kinds = {label: kind for label, kind, *_ in problem.params}
    made = []
    for doc in trials.trials:
        params = {}
        for label, stored in doc["misc"]["vals"].items():
            value = stored[0]
            params[label] = int(value) if kinds[label] in ("uniformint", "choice") else float(value)
        made.append(
            optuna.trial.create_trial(
                params=params, distributions=distributions, value=float(doc["result"]["loss"])
            )
        )
    study = optuna.create_study()
    study.add_trials(made)
    return study


def evaluate(method: str, problem: Problem, space, trials, study, seed: int) -> dict:
    library, evaluator, _ = METHODS[method]
    if method == "hopt_fanova_lin":
        space = hopt_space(problem, linear=True)
    start = time.perf_counter()
    if library == "hopt":
        from hopt.importance import param_importances

        scores = param_importances(trials, evaluator=evaluator, space=space, seed=seed)
    else:
        from optuna.importance import (
            FanovaImportanceEvaluator,
            PedAnovaImportanceEvaluator,
            get_param_importances,
        )

        chosen = (
            PedAnovaImportanceEvaluator()
            if evaluator == "ped-anova"
            else FanovaImportanceEvaluator(seed=seed)
        )
        scores = get_param_importances(study, evaluator=chosen)
    seconds = time.perf_counter() - start
    return {"scores": {k: float(v) for k, v in scores.items()}, "seconds": seconds}


def ranking(scores: dict[str, float], labels: list[str]) -> list[str]:
    """Labels by score, largest first; ties in the problem's label order."""
    return sorted(labels, key=lambda label: -scores.get(label, 0.0))


def top_k(a: list[str], b: list[str], k: int) -> float:
    return len(set(a[:k]) & set(b[:k])) / k


def rank_correlation(scores: dict[str, float], true_shares: dict[str, float]) -> float:
    """Spearman's rho between scores and true shares over the labels that matter."""
    from scipy.stats import spearmanr

    relevant = [label for label, share in true_shares.items() if share > 1e-4]
    rho = spearmanr(
        [scores.get(label, 0.0) for label in relevant], [true_shares[label] for label in relevant]
    )[0]
    return float(rho)


# -- the run ----------------------------------------------------------------------------
def run(args) -> list[dict]:
    records = []
    for name in args.problems:
        problem = PROBLEMS[name]
        counts = args.trials if problem.synthetic else [args.model_trials]
        seeds = range(args.seeds) if problem.synthetic else range(args.model_seeds)
        for n in counts:
            for seed in seeds:
                start = time.perf_counter()
                space, trials = make_trials(problem, n, seed)
                made = time.perf_counter() - start
                study = optuna_study(problem, trials)
                record = {"problem": name, "n": n, "seed": seed, "trials_s": made, "methods": {}}
                for method in args.methods:
                    slow = method in ("optuna_fanova", "hopt_fanova_lin")  # the latter: to compare
                    if slow and n > args.optuna_fanova_max:
                        continue
                    record["methods"][method] = evaluate(
                        method, problem, space, trials, study, seed
                    )
                    if METHODS[method][1] == "ped-anova":  # fast: take the best of 3
                        again = [
                            evaluate(method, problem, space, trials, study, seed)["seconds"]
                            for _ in range(2)
                        ]
                        record["methods"][method]["seconds"] = min(
                            [record["methods"][method]["seconds"], *again]
                        )
                times = ", ".join(
                    f"{METHODS[m][2]} {r['seconds']:.3f} s" for m, r in record["methods"].items()
                )
                print(f"{name} n={n} seed={seed}: trials {made:.1f} s; {times}", flush=True)
                records.append(record)
    return records


def fmt_share(x: float | None) -> str:
    return "—" if x is None else f"{x:.2f}"


def fmt_seconds(x: float | None) -> str:
    if x is None:
        return "—"
    return f"{x * 1000:.0f} ms" if x < 1 else f"{x:.1f} s"


def summarize(records: list[dict], truths: dict) -> dict:
    """Per (problem, n): agreement with the truth and between methods, median times."""
    out: dict = {}
    for record in records:
        key = (record["problem"], record["n"])
        out.setdefault(key, []).append(record)
    table = {}
    for (name, n), group in out.items():
        problem = PROBLEMS[name]
        labels = problem.labels
        ranks = [
            {m: ranking(r["scores"], labels) for m, r in rec["methods"].items()} for rec in group
        ]
        row: dict = {"seeds": len(group), "truth": {}, "pairs": {}, "seconds": {}, "last": {}}
        true_rank = ranking(truths[name], labels) if problem.synthetic else None
        for method in METHODS:
            present = [r[method] for r in ranks if method in r]
            if not present:
                continue
            if true_rank is not None:
                row["truth"][method] = tuple(
                    float(np.mean([top_k(r, true_rank, k) for r in present])) for k in (1, 3)
                ) + (
                    float(
                        np.mean(
                            [
                                rank_correlation(rec["methods"][method]["scores"], truths[name])
                                for rec in group
                                if method in rec["methods"]
                            ]
                        )
                    ),
                )
            # where the labels known to do nothing land (1 = first)
            row["last"][method] = float(
                np.mean([max(r.index(label) + 1 for label in problem.irrelevant) for r in present])
            )
            row["seconds"][method] = float(
                np.median([rec["methods"][method]["seconds"] for rec in group])
            )
        for a, b in PAIRS:
            both = [r for r in ranks if a in r and b in r]
            if both:
                row["pairs"][(a, b)] = tuple(
                    float(np.mean([top_k(r[a], r[b], k) for r in both])) for k in (1, 3)
                )
        table[(name, n)] = row
    return table


def section(args, records, truths, table, info, loads, wall) -> str:
    cmd = ".venv/bin/python benchmarks/importance.py" + (
        " " + " ".join(args.argv) if args.argv else ""
    )
    labels = {m: METHODS[m][2] for m in args.methods}
    methods = list(args.methods)
    out = [
        "## Hyperparameter importance",
        "",
        "Random search (hopt `rand.suggest`, `rstate=seed`) makes one set of trials per "
        f"problem, trial count and seed ({args.seeds} seeds for the synthetic problems, "
        f"{args.model_seeds} for the model). The same trials go to hopt "
        "(`param_importances(trials, evaluator='ped-anova' or 'fanova', space=space, "
        "seed=seed)`) and to Optuna (`create_study()`, `study.add_trials(...)` with "
        "`create_trial(params=..., distributions=..., value=...)`, then "
        "`get_param_importances(study, evaluator=PedAnovaImportanceEvaluator() or "
        "FanovaImportanceEvaluator(seed=seed))`), every evaluator at its defaults "
        "(PED-ANOVA: top 10% against all trials; fANOVA: 64 trees of depth at most 64). "
        f"Optuna's fANOVA runs only up to {args.optuna_fanova_max:,} trials: about 20 s a "
        "call at 1,000 trials here, and one call at 10,000 trials (6 labels) "
        f'{args.optuna_fanova_10k_note}. The column "hopt fANOVA, log labels linear" '
        "reads the same trials with every log-uniform label measured on a linear scale "
        "(a space with `hp.uniform` over the same values), which is how Optuna's fANOVA "
        "measures them (`transform_log=False`); it runs where Optuna's does.",
        "",
        "Truth, for the synthetic problems: each label's share of the loss variance that "
        "its main effect explains under the prior (the loss averaged over 8,192 prior draws "
        "of the other labels, at 512 evenly spaced quantiles of the label or each of its "
        "values; computed from the function, not from trials). The labels ranked by it are the true ranking; top-k agreement is "
        "the share of the true top k that a ranking puts in its own top k, averaged over "
        "seeds (top-1: 1.00 = always the right first label). PED-ANOVA answers a slightly "
        "different question (what the best 10% of trials have in common), so it can order "
        "labels of similar weight differently from the variance.",
        "",
        "| problem | labels | what |",
        "|---|---:|---|",
    ]
    for name in args.problems:
        problem = PROBLEMS[name]
        out.append(f"| {name} | {len(problem.params)} | {problem.description} |")
    out += ["", "True shares of variance (main effects):", ""]
    for name in args.problems:
        if PROBLEMS[name].synthetic:
            ordered = ranking(truths[name], PROBLEMS[name].labels)
            shares = ", ".join(f"{label} {truths[name][label]:.3f}" for label in ordered)
            out.append(f"- {name}: {shares}")
    out += [
        "",
        "Command:",
        "",
        f"    {cmd}",
        "",
        f"Measured {info['when']} on {info['nproc']} CPUs (`nproc`; {info['cpu']}); load "
        f"average {loads[0]} at the start and {loads[1]} at the end; one process, "
        f"`OMP_NUM_THREADS=1`. Python {info['python']}, numpy {info['numpy']}, hopt "
        f"{info['hopt']}, optuna {info['optuna']}, scikit-learn {info['scikit-learn']}. "
        f"The run took {wall / 60:.1f} min.",
        "",
        "### Agreement with the true ranking (top-1 / top-3 / ρ)",
        "",
        "ρ: Spearman's rank correlation between the scores and the true shares over the "
        "labels that matter (the 4 of additive and interaction, the 9 of ladder), mean "
        "over seeds; 1.00 = every one of them in the right order.",
        "",
        "| problem | trials | " + " | ".join(labels[m] for m in methods) + " |",
        "|---|---:|" + "---:|" * len(methods),
    ]
    for (name, n), row in table.items():
        if not PROBLEMS[name].synthetic:
            continue
        cells = []
        for m in methods:
            value = row["truth"].get(m)
            cells.append(
                "—" if value is None else f"{value[0]:.2f} / {value[1]:.2f} / {value[2]:.2f}"
            )
        out.append(f"| {name} | {n:,} | " + " | ".join(cells) + " |")
    out += [
        "",
        "### Agreement between evaluators (top-1 / top-3)",
        "",
        "| problem | trials | "
        + " | ".join(f"{labels[a]} vs {labels[b]}" for a, b in PAIRS if a in labels and b in labels)
        + " |",
        "|---|---:|" + "---:|" * sum(1 for a, b in PAIRS if a in labels and b in labels),
    ]
    for (name, n), row in table.items():
        cells = []
        for a, b in PAIRS:
            if a in labels and b in labels:
                value = row["pairs"].get((a, b))
                cells.append("—" if value is None else f"{value[0]:.2f} / {value[1]:.2f}")
        out.append(f"| {name} | {n:,} | " + " | ".join(cells) + " |")
    out += [
        "",
        "### Where the labels that do nothing land",
        "",
        "Mean rank of the last-placed of the labels known to do nothing (1 = first; the "
        "right answer is the number of labels: 6, or 12 on ladder; on tree_digits only "
        "`unused` is known to do nothing).",
        "",
        "| problem | trials | " + " | ".join(labels[m] for m in methods) + " |",
        "|---|---:|" + "---:|" * len(methods),
    ]
    for (name, n), row in table.items():
        cells = ["—" if row["last"].get(m) is None else f"{row['last'][m]:.1f}" for m in methods]
        out.append(f"| {name} | {n:,} | " + " | ".join(cells) + " |")
    out += [
        "",
        "### Wall time of one call",
        "",
        "Median over seeds of one `param_importances` / `get_param_importances` call "
        "(reading the trials included; PED-ANOVA: the best of 3 calls); "
        "`time.perf_counter()`.",
        "",
        "| problem | trials | " + " | ".join(labels[m] for m in methods) + " |",
        "|---|---:|" + "---:|" * len(methods),
    ]
    for (name, n), row in table.items():
        cells = [fmt_seconds(row["seconds"].get(m)) for m in methods]
        out.append(f"| {name} | {n:,} | " + " | ".join(cells) + " |")
    first = {}
    for record in records:
        if record["seed"] == 0 and record["problem"] not in first:
            first[record["problem"]] = record
    out += [
        "",
        "### Scores of seed 0 at the smallest trial count",
        "",
    ]
    for name, record in first.items():
        problem = PROBLEMS[name]
        present = [m for m in methods if m in record["methods"]]
        header = "| label | " + ("truth | " if problem.synthetic else "")
        out += [
            f"{name}, {record['n']:,} trials:",
            "",
            header + " | ".join(labels[m] for m in present) + " |",
            "|---|" + ("---:|" if problem.synthetic else "") + "---:|" * len(present),
        ]
        for label in problem.labels:
            cells = [fmt_share(record["methods"][m]["scores"].get(label)) for m in present]
            lead = f"| {label} | " + (f"{truths[name][label]:.2f} | " if problem.synthetic else "")
            out.append(lead + " | ".join(cells) + " |")
        out.append("")
    return "\n".join(out)


def parse_args(argv: list[str]):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--problems", nargs="+", default=list(PROBLEMS), choices=list(PROBLEMS))
    parser.add_argument("--trials", nargs="+", type=int, default=[1000, 10000])
    parser.add_argument("--seeds", type=int, default=3, help="seeds of the synthetic problems")
    parser.add_argument("--model-trials", type=int, default=1000)
    parser.add_argument("--model-seeds", type=int, default=1)
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=list(METHODS))
    parser.add_argument(
        "--optuna-fanova-max",
        type=int,
        default=1000,
        help="largest trial count Optuna's fANOVA runs at (it is slow)",
    )
    parser.add_argument(
        "--optuna-fanova-10k-note",
        default="took 36 minutes (measured once, separately, at low priority on a busy machine)",
        help=argparse.SUPPRESS,
    )
    parser.add_argument("--quick", action="store_true", help="1 seed, 1,000 trials, no model")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--docs", type=Path, default=DOCS)
    parser.add_argument("--json", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    args.argv = [a for a in argv if a not in ("--no-write",)]
    if args.quick:
        args.seeds, args.trials, args.no_write = 1, [1000], True
        args.problems = [p for p in args.problems if PROBLEMS[p].synthetic]
    return args


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    Q.quiet()
    info = Q.machine_info()
    info["when"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    load_before = Q.load_average()
    start = time.perf_counter()
    truths = {name: truth(PROBLEMS[name]) for name in args.problems if PROBLEMS[name].synthetic}
    records = run(args)
    wall = time.perf_counter() - start
    load_after = Q.load_average()
    table = summarize(records, truths)
    body = section(args, records, truths, table, info, (load_before, load_after), wall)
    print()
    print(body)
    if not args.no_write:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps({"machine": info, "truth": truths, "runs": records}, indent=1) + "\n"
        )
        Q.write_section(args.docs, MARKER, body)
        print(f"updated {Q.rel(args.docs)} and {Q.rel(args.json)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
