"""Pruning: hopt's pruners next to Optuna's, on learning curves, same trials and seeds.

Every task (``pruning_tasks.py``) is searched by hopt's TPE and Optuna's
TPESampler, each without a pruner and with the median, successive-halving and
Hyperband pruners at their default settings (and the Wilcoxon pruner on the
cross-validation task), for the same number of trials and the same seeds.  The
work is counted in steps (epochs, boosting steps, folds) actually run.

Per task and system: total steps, pruned trials, best final loss (over
completed trials), the best completed loss once the run has used 25/50/75/100%
of the no-pruning step budget (medians over seeds), and how many steps it took
the median run to reach the no-pruning final quality.  The targets from the
issue are checked and the best hopt default is picked by rank.

Runs are cached in ``benchmarks/results/pruning/`` (keyed by hopt's source, the
Optuna version and the task), so an interrupted run resumes and a change to
hopt reruns only hopt's systems.

    python benchmarks/pruning.py           # ~30 min on 2 cores; writes JSON and docs
    python benchmarks/pruning.py --quick   # 2 seeds, 12 trials: a smoke run, writes nothing
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing
import os
import sys
import time
import traceback
import warnings
from pathlib import Path

import _single_thread  # noqa: F401  (before numpy: one BLAS thread)
import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
if str(REPO) not in sys.path:
    sys.path.insert(1, str(REPO))

from problems import flatten, hopt_space, optuna_suggest  # noqa: E402
from pruning_tasks import TASKS, Task, early_ranking, quiet_sklearn, task_fingerprint  # noqa: E402
from quality import (  # noqa: E402
    git_describe,
    hopt_source_hash,
    load_average,
    machine_info,
    rel,
    write_section,
)

# key: (library, pruner, label); pruners at their defaults, which the two libraries share
SYSTEMS = {
    "hopt_none": ("hopt", "none", "hopt TPE, no pruner"),
    "hopt_median": ("hopt", "median", "hopt TPE + Median"),
    "hopt_sha": ("hopt", "sha", "hopt TPE + SuccessiveHalving"),
    "hopt_hyperband": ("hopt", "hyperband", "hopt TPE + Hyperband"),
    "hopt_wilcoxon": ("hopt", "wilcoxon", "hopt TPE + Wilcoxon"),
    "optuna_none": ("optuna", "none", "Optuna TPE, no pruner"),
    "optuna_median": ("optuna", "median", "Optuna TPE + Median"),
    "optuna_sha": ("optuna", "sha", "Optuna TPE + SuccessiveHalving"),
    "optuna_hyperband": ("optuna", "hyperband", "Optuna TPE + Hyperband"),
    "optuna_wilcoxon": ("optuna", "wilcoxon", "Optuna TPE + Wilcoxon"),
}
PRUNER_CLASSES = {
    "median": "MedianPruner",
    "sha": "SuccessiveHalvingPruner",
    "hyperband": "HyperbandPruner",
    "wilcoxon": "WilcoxonPruner",
}
GENERAL = ["median", "sha", "hyperband"]  # candidates for hopt's default pruner
FRACTIONS = (0.25, 0.5, 0.75, 1.0)
HEADLINE_FRACTION = 0.5  # "equal total steps" for the second target: half the budget
SAVING_TARGET = 0.40
RESULTS_DIR = HERE / "results" / "pruning"
JSON_PATH = HERE / "results" / "pruning.json"
DOCS = REPO / "docs" / "benchmarks.md"


def quiet() -> None:
    warnings.filterwarnings("ignore")
    logging.getLogger("hopt").setLevel(logging.WARNING)
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    quiet_sklearn()


def systems_for(task: Task) -> list[str]:
    return [k for k, (_, pruner, _) in SYSTEMS.items() if pruner != "wilcoxon" or task.folds]


def make_pruner(library: str, name: str):
    if library == "hopt":
        import hopt.pruners as module
    else:
        import optuna.pruners as module
    if name == "none":
        return None if library == "hopt" else module.NopPruner()
    return getattr(module, PRUNER_CLASSES[name])()


# -- one run ----------------------------------------------------------------------------
_CURVES: dict[str, object] = {}


def curve_of(task: Task):
    if task.name not in _CURVES:
        _CURVES[task.name] = task.build(task.n_steps)  # the data, once per process
    return _CURVES[task.name]


def run_hopt(task: Task, pruner_name: str, seed: int, log: list) -> dict:
    import hopt

    curve = curve_of(task)

    def objective(point: dict) -> float:
        values = []
        for step, value in enumerate(curve(flatten(point))):
            values.append(value)
            hopt.report(value, step)
            if hopt.should_prune():
                log.append((len(values), "pruned", value))
                raise hopt.TrialPruned()
        loss = task.final_loss(values)
        log.append((len(values), "ok", loss))
        return loss

    trials = hopt.Trials()
    hopt.fmin(
        objective,
        hopt_space(task.params),
        algo=hopt.tpe.suggest,
        max_evals=task.n_trials,
        trials=trials,
        rstate=np.random.default_rng(seed),
        show_progressbar=False,
        verbose=False,
        pruner=make_pruner("hopt", pruner_name),
    )
    statuses = [t["result"]["status"] for t in trials.trials]
    return {"n": len(statuses), "pruned": statuses.count(hopt.STATUS_PRUNED)}


def run_optuna(task: Task, pruner_name: str, seed: int, log: list) -> dict:
    import optuna

    curve = curve_of(task)
    suggest = optuna_suggest(task.params)

    def objective(trial) -> float:
        values = []
        for step, value in enumerate(curve(suggest(trial))):
            values.append(value)
            trial.report(value, step)
            if trial.should_prune():
                log.append((len(values), "pruned", value))
                raise optuna.TrialPruned()
        loss = task.final_loss(values)
        log.append((len(values), "ok", loss))
        return loss

    study = optuna.create_study(
        direction="minimize",
        sampler=optuna.samplers.TPESampler(seed=seed),
        pruner=make_pruner("optuna", pruner_name),
    )
    study.optimize(objective, n_trials=task.n_trials)
    states = [t.state for t in study.trials]
    return {"n": len(states), "pruned": states.count(optuna.trial.TrialState.PRUNED)}


def run_one(job: dict) -> dict:
    """One (task, system, seed) run; never raises, an error is returned in the record."""
    task = job["task_def"]
    library, pruner_name, _ = SYSTEMS[job["system"]]
    record = {k: v for k, v in job.items() if k != "task_def"}
    log: list = []
    wall0, cpu0 = time.perf_counter(), time.process_time()
    try:
        run = run_hopt if library == "hopt" else run_optuna
        counts = run(task, pruner_name, job["seed"], log)
        pruned = sum(status == "pruned" for _, status, _ in log)
        if counts["n"] != task.n_trials or len(log) != task.n_trials:
            raise RuntimeError(f"expected {task.n_trials} trials, got {counts} / {len(log)}")
        if counts["pruned"] != pruned:
            raise RuntimeError(f"{counts['pruned']} trials stored as pruned, {pruned} raised")
        record["steps"] = [int(s) for s, _, _ in log]
        record["status"] = "".join("p" if status == "pruned" else "o" for _, status, _ in log)
        record["loss"] = [float(v) for _, _, v in log]
    except Exception:
        record["error"] = traceback.format_exc()
    record["wall_s"] = time.perf_counter() - wall0
    record["cpu_s"] = time.process_time() - cpu0
    record["load1"] = os.getloadavg()[0]
    return record


# -- jobs and the cache -----------------------------------------------------------------
def fingerprints() -> dict[str, str]:
    import optuna

    import hopt

    return {
        "hopt": f"{hopt.__version__}+src.{hopt_source_hash()}",
        "optuna": optuna.__version__,
    }


def make_jobs(args, prints: dict) -> list[dict]:
    jobs = []
    for name in args.tasks:
        task = args.task_defs[name]
        tf = task_fingerprint(task)
        for seed in range(task.n_seeds):
            for system in systems_for(task):
                if system not in args.systems:
                    continue
                jobs.append(
                    {
                        "task": name,
                        "system": system,
                        "seed": seed,
                        "fingerprint": prints[SYSTEMS[system][0]],
                        "task_fingerprint": tf,
                        "task_def": task,
                    }
                )
    return jobs


def cache_path(results_dir: Path, job: dict) -> Path:
    return results_dir / f"{job['task']}__{job['system']}__seed{job['seed']}.json"


def load_cached(results_dir: Path, job: dict) -> dict | None:
    path = cache_path(results_dir, job)
    try:
        record = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return None
    keys = ("fingerprint", "task_fingerprint")
    return record if all(record.get(k) == job[k] for k in keys) else None


def save_json(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data))
    os.replace(tmp, path)


def estimated_cost(job: dict) -> float:
    """Rough CPU seconds of a run: a pruned search runs about 40% of the steps."""
    task = job["task_def"]
    share = 1.0 if SYSTEMS[job["system"]][1] == "none" else 0.4
    return task.cost * task.n_trials * share


def run_all(jobs: list[dict], args) -> tuple[list[dict], list[dict]]:
    records, todo = [], []
    for job in jobs:
        cached = None if args.fresh or args.no_cache else load_cached(args.results_dir, job)
        (records if cached is not None else todo).append(cached or job)
    print(f"{len(jobs)} runs: {len(records)} cached, {len(todo)} to run", flush=True)
    todo.sort(key=estimated_cost, reverse=True)  # slow runs first: an even finish
    errors = []
    context = multiprocessing.get_context("fork")
    with context.Pool(args.workers, initializer=quiet) as pool:
        for i, record in enumerate(pool.imap_unordered(run_one, todo), 1):
            where = f"{record['task']} {record['system']} seed {record['seed']}"
            if "error" in record:
                errors.append(record)
                print(f"[{i}/{len(todo)}] ERROR {where}\n{record['error']}", flush=True)
                continue
            if not args.no_cache:
                save_json(cache_path(args.results_dir, record), record)
            records.append(record)
            print(
                f"[{i}/{len(todo)}] {where}: {sum(record['steps'])} steps, "
                f"{record['status'].count('p')} pruned, cpu {record['cpu_s']:.1f} s, "
                f"wall {record['wall_s']:.1f} s, load {record['load1']:.1f}",
                flush=True,
            )
    return records, errors


def diagnose(job: tuple[Task, int]) -> tuple[str, dict]:
    task, n_points = job
    return task.name, early_ranking(task, n_points)


def run_diagnostics(args) -> dict:
    """``early_ranking`` of every task, cached per task fingerprint and number of points."""
    found, todo = {}, []
    for name in args.tasks:
        task = args.task_defs[name]
        key = {"task_fingerprint": task_fingerprint(task), "n_points": args.points}
        path = args.results_dir / f"early_ranking__{name}.json"
        try:
            cached = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError):
            cached = {}
        if not args.no_cache and all(cached.get(k) == v for k, v in key.items()):
            found[name] = cached["steps"]
        else:
            todo.append((task, args.points))
    if todo:
        print(f"early ranking: {len(todo)} tasks, {args.points} random points each", flush=True)
        context = multiprocessing.get_context("fork")
        with context.Pool(args.workers, initializer=quiet) as pool:
            for name, steps in pool.imap_unordered(diagnose, todo):
                found[name] = steps
                if not args.no_cache:
                    key = {"task_fingerprint": task_fingerprint(args.task_defs[name])}
                    save_json(
                        args.results_dir / f"early_ranking__{name}.json",
                        {**key, "n_points": args.points, "steps": steps},
                    )
    return {name: found[name] for name in args.tasks}


# -- metrics ----------------------------------------------------------------------------
def best_by_steps(record: dict, budget: int) -> np.ndarray:
    """Best completed loss after each number of steps 0..budget (inf before the first)."""
    curve = np.full(budget + 1, np.inf)
    used = 0
    for steps, status, loss in zip(record["steps"], record["status"], record["loss"]):
        used += steps
        if status == "o" and used <= budget:
            curve[used:] = np.minimum(curve[used:], loss)
    return curve


def finite_or_none(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


def inf_if_none(x: float | None) -> float:
    return np.inf if x is None else x


def steps_of_pruned(runs: list[dict]) -> float | None:
    """Median over runs of the mean number of steps a pruned trial ran."""
    means = []
    for r in runs:
        steps = [s for s, status in zip(r["steps"], r["status"]) if status == "p"]
        if steps:
            means.append(np.mean(steps))
    return float(np.median(means)) if means else None


def summarize(task: Task, records: dict) -> dict:
    """Per system: medians over seeds, the median best-loss curve and steps to reach."""
    budget = task.n_trials * task.n_steps
    out: dict = {}
    for system in systems_for(task):
        runs = [r for r in records.get(system, []) if "steps" in r]
        if not runs:
            continue
        curves = np.array([best_by_steps(r, budget) for r in runs])
        median_curve = np.median(curves, axis=0)
        finals = curves[:, -1]
        q25, q50, q75 = np.percentile(finals, [25, 50, 75])
        out[system] = {
            "seeds": len(runs),
            "total_steps": float(np.median([sum(r["steps"]) for r in runs])),
            "pruned": float(np.median([r["status"].count("p") for r in runs])),
            "pruned_steps": steps_of_pruned(runs),
            "final": [finite_or_none(q) for q in (q50, q25, q75)],
            "at": {str(f): finite_or_none(median_curve[round(f * budget)]) for f in FRACTIONS},
            "cpu_s": float(np.median([r["cpu_s"] for r in runs])),
            "wall_s": float(np.median([r["wall_s"] for r in runs])),
            "_median_curve": median_curve,
        }
    for system, row in out.items():
        reference = out.get(f"{SYSTEMS[system][0]}_none")
        row["reach"] = None
        if reference is not None:
            hit = np.flatnonzero(row["_median_curve"] <= inf_if_none(reference["final"][0]))
            row["reach"] = float(hit[0] / budget) if hit.size else None
    for row in out.values():
        del row["_median_curve"]
    return out


def choose_default(tables: dict) -> tuple[str, dict]:
    """hopt's general pruner with the lowest mean rank of median best loss (tasks x budgets)."""
    from scipy.stats import rankdata

    ranks: dict[str, list[float]] = {p: [] for p in GENERAL}
    for table in tables.values():
        for f in FRACTIONS:
            rows = [table.get(f"hopt_{p}") for p in GENERAL]
            if any(row is None for row in rows):
                continue
            values = [inf_if_none(row["at"][str(f)]) for row in rows]

            for p, r in zip(GENERAL, rankdata(values, method="average")):
                ranks[p].append(float(r))
    mean = {p: float(np.mean(r)) if r else float("nan") for p, r in ranks.items()}
    saving = {p: sum(meets_saving(t.get(f"hopt_{p}")) for t in tables.values()) for p in GENERAL}
    best = min(GENERAL, key=lambda p: (mean[p], -saving[p]))
    return best, {"mean_rank": mean, "tasks_with_40pct_saving": saving}


def meets_saving(row: dict | None) -> bool:
    return bool(row and row["reach"] is not None and row["reach"] <= 1 - SAVING_TARGET)


def optuna_best(table: dict, fraction: float) -> tuple[str | None, float]:
    best, value = None, np.inf
    for system, row in table.items():
        if system.startswith("optuna_") and system != "optuna_none":
            if inf_if_none(row["at"][str(fraction)]) < value:
                best, value = system, inf_if_none(row["at"][str(fraction)])
    return best, value


def check_targets(tables: dict, default: str) -> dict:
    """The issue's two targets with hopt's chosen default pruner."""
    system = f"hopt_{default}"
    real = [name for name in tables if name != "mf_hartmann6"]
    saving = {name: meets_saving(t.get(system)) for name, t in tables.items()}
    at_steps: dict = {}
    for f in FRACTIONS:
        at_steps[str(f)] = {}
        for name, table in tables.items():
            rival, value = optuna_best(table, f)
            mine = inf_if_none(table.get(system, {}).get("at", {}).get(str(f)))
            at_steps[str(f)][name] = {
                "hopt": finite_or_none(mine),
                "optuna": finite_or_none(value),
                "optuna_system": rival,
                "met": bool(mine <= value),
            }
    headline = at_steps[str(HEADLINE_FRACTION)]
    best_per_task = 0  # hopt's best pruner on each task, as Optuna's is
    for name in real:
        table, f = tables[name], str(HEADLINE_FRACTION)
        mine = min(
            [
                inf_if_none(row["at"][f])
                for k, row in table.items()
                if k.startswith("hopt_") and k != "hopt_none"
            ]
            or [np.inf]
        )
        best_per_task += bool(mine <= optuna_best(table, HEADLINE_FRACTION)[1])
    return {
        "real_tasks": real,
        "at_steps_met_real_best_per_task": best_per_task,
        "default": system,
        "saving_by_task": saving,
        "saving_met": sum(saving.values()) >= 3,
        "at_steps": at_steps,
        "at_steps_met_real": sum(headline[n]["met"] for n in real),
        "at_steps_met": sum(headline[n]["met"] for n in real) >= 3,
    }


# -- report -----------------------------------------------------------------------------
def fmt(x: float | None) -> str:
    if x is None or not np.isfinite(x):
        return "—"
    if x != 0 and (abs(x) >= 1e4 or abs(x) < 1e-3):
        return f"{x:.2e}"
    return f"{x:.4g}"


def one_decimal(x: float | None) -> str:
    return "—" if x is None else f"{x:.1f}"


def pct(x: float | None) -> str:
    return "never" if x is None else f"{100 * x:.0f}%"


def task_lines(name: str, task: Task, table: dict) -> list[str]:
    budget = task.n_trials * task.n_steps
    out = [
        "",
        f"### {name}",
        "",
        f"{task.description}. {task.n_trials} trials × {task.n_steps} steps "
        f"(no-pruning budget {budget} steps), {task.n_seeds} seeds.",
        "",
        "| system | pruned trials | steps a pruned trial ran | total steps | steps to reach no-pruning quality | "
        "best final loss [IQR] | "
        + " | ".join(f"best at {int(100 * f)}%" for f in FRACTIONS)
        + " | CPU s | wall s |",
        "|---|---:|---:|---:|---:|---:|" + "---:|" * len(FRACTIONS) + "---:|---:|",
    ]
    for system, row in table.items():
        q50, q25, q75 = row["final"]
        out.append(
            f"| {SYSTEMS[system][2]} | {row['pruned']:.0f} | {one_decimal(row['pruned_steps'])} | "
            f"{row['total_steps']:.0f} "
            f"({100 * row['total_steps'] / budget:.0f}%) | {pct(row['reach'])} | "
            f"{fmt(q50)} [{fmt(q25)}, {fmt(q75)}] | "
            + " | ".join(fmt(row["at"][str(f)]) for f in FRACTIONS)
            + f" | {row['cpu_s']:.1f} | {row['wall_s']:.1f} |"
        )
    return out


def shown_steps(n_steps: int) -> list[int]:
    return sorted({0, 1, min(3, n_steps - 1), n_steps // 4, n_steps // 2, n_steps - 1})


def ranking_lines(args, ranking: dict) -> list[str]:
    out = [
        "",
        "### How early a curve tells its end",
        "",
        f"Why pruning can cost quality: {args.points} random points per task (hopt's "
        "prior), whole curves run. *ρ all*: Spearman correlation of the value at the "
        "step with the final loss; *ρ best quarter*: the same among the quarter of the "
        "points with the best final loss (late in a search the completed trials are "
        "good ones, and those are what a pruner must tell apart); *best tenth cut*: "
        "share of the best tenth whose best value so far is above the best quarter's "
        "median at the step, i.e. what a median rule whose completed trials were that "
        "quarter would stop there. Successive halving's first rung (min_resource "
        '"auto") and Hyperband\'s (min_resource 1) are at step 1; the median rule judges '
        "from step 0.",
        "",
        "| task | step | ρ all | ρ best quarter | best tenth cut |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, steps in ranking.items():
        for k in shown_steps(args.task_defs[name].n_steps):
            row = steps[str(k)]
            out.append(
                f"| {name} | {k} | {row['spearman']:.2f} | "
                f"{row['spearman_best_quarter']:.2f} | {100 * row['best_tenth_cut']:.0f}% |"
            )
    return out


def target_lines(targets: dict, choice: dict, default: str, tables: dict) -> list[str]:
    system = targets["default"]
    label = SYSTEMS[system][2]
    out = [
        "",
        "### Which hopt pruner to use by default",
        "",
        "Rank of each of hopt's general pruners by median best loss, per task and "
        f"budget ({', '.join(f'{int(100 * f)}%' for f in FRACTIONS)} of the no-pruning "
        "steps), averaged over tasks and budgets (1 = best of three), and the number of "
        f"tasks where the median run reaches the no-pruning quality with at least "
        f"{int(100 * SAVING_TARGET)}% fewer steps:",
        "",
        "| pruner | mean rank | tasks with ≥ 40% fewer steps |",
        "|---|---:|---:|",
    ]
    for p in GENERAL:
        out.append(
            f"| {PRUNER_CLASSES[p]}() | {choice['mean_rank'][p]:.2f} | "
            f"{choice['tasks_with_40pct_saving'][p]} of {len(tables)} |"
        )
    out += [
        "",
        f"Best by this rule: **{PRUNER_CLASSES[default]}()**; it is the one the targets "
        "below are checked with.",
        "",
        "### Targets",
        "",
        f"1. *With its best default, hopt reaches the no-pruning final quality with at "
        f"least 40% fewer total steps on at least 3 tasks.* {label}: "
        + ", ".join(
            f"{n} {pct(tables[n].get(system, {}).get('reach'))}" for n in targets["saving_by_task"]
        )
        + " of the no-pruning steps → "
        f"{sum(targets['saving_by_task'].values())} tasks "
        f"({'met' if targets['saving_met'] else 'not met'}).",
        f"2. *At equal total steps, its median best loss is at or below Optuna's best "
        f"pruner on at least 3 of 4 tasks* (the scikit-learn tasks, at "
        f"{int(100 * HEADLINE_FRACTION)}% of the no-pruning steps): "
        f"{targets['at_steps_met_real']} of {len(targets['real_tasks'])} "
        f"({'met' if targets['at_steps_met'] else 'not met'}); with hopt's best pruner "
        "picked per task, as Optuna's is: "
        f"{targets['at_steps_met_real_best_per_task']} of {len(targets['real_tasks'])}. "
        "Every budget (✓: hopt at or below):",
        "",
        "| task | "
        + " | ".join(f"{int(100 * f)}%: hopt vs Optuna's best" for f in FRACTIONS)
        + " |",
        "|---|" + "---:|" * len(FRACTIONS),
    ]
    for name in targets["saving_by_task"]:
        cells = []
        for f in FRACTIONS:
            c = targets["at_steps"][str(f)][name]
            rival = SYSTEMS[c["optuna_system"]][1] if c["optuna_system"] else "—"
            mark = "✓" if c["met"] else "✗"
            cells.append(f"{fmt(c['hopt'])} vs {fmt(c['optuna'])} ({rival}) {mark}")
        out.append(f"| {name} | " + " | ".join(cells) + " |")
    return out


def section(
    args, tables: dict, targets: dict, choice: dict, default: str, meta: dict, ranking: dict
) -> str:
    info = meta["machine"]
    cmd = "bash scripts/bench.sh pruning" + (" " + " ".join(args.argv) if args.argv else "")
    out = [
        "## Pruning",
        "",
        "hopt's pruners next to Optuna's on objectives with a learning curve. Each task is "
        "searched for the same number of trials from the same seeds by hopt "
        "(`fmin(objective, space, algo=tpe.suggest, max_evals=N, rstate=np.random."
        "default_rng(seed), pruner=...)`; the objective calls `hopt.report(loss, step)` and "
        "raises `hopt.TrialPruned()` when `hopt.should_prune()`) and by Optuna "
        "(`create_study(sampler=TPESampler(seed=seed), pruner=...)`, `study.optimize` with "
        "`trial.report` / `trial.should_prune`; `NopPruner()` for no pruning). Pruners "
        "have their default settings, which are the same in both libraries: "
        "`MedianPruner()` (5 startup trials, no warm-up), `SuccessiveHalvingPruner()` "
        '(min_resource "auto", reduction factor 4), `HyperbandPruner()` (min_resource 1, '
        'max_resource "auto", reduction factor 3), `WilcoxonPruner()` (p < 0.1) on the '
        "cross-validation task only. Steps are numbered from 0; a trial's work is the "
        "number of steps it ran. The code is `benchmarks/pruning.py` and "
        "`benchmarks/pruning_tasks.py`.",
        "",
        "Columns (medians over seeds): *pruned trials*; *steps a pruned trial ran* (its "
        "mean over a run's pruned trials: low means early decisions); *total steps* run in the whole "
        "search (and as a share of the no-pruning budget, trials × steps); *steps to reach "
        "no-pruning quality*: the fewest steps after which the median over seeds of the "
        "best completed loss is at or below the median final best loss of the same "
        'library\'s run without a pruner ("never" if the run ends above it); *best final '
        "loss*: best completed (not pruned) trial, with the interquartile range; *best at "
        "x%*: best completed loss once the search has run x% of the no-pruning budget "
        "in steps (a run that ended earlier keeps its final best; — : no trial completed "
        "yet); CPU and wall seconds of one whole search (objective included).",
        "",
        "Command:",
        "",
        f"    {cmd}",
        "",
        f"Measured {meta['when']} on {info['nproc']} CPUs (`nproc`; {info['cpu']}), "
        "shared with other work (wall times are inflated by that; steps and CPU seconds "
        f"are not): load average {meta['load_before']} at the start of this invocation "
        f"and {meta['load_after']} at its end; "
        f"{args.workers} worker processes at niceness {meta['niceness']}, "
        f"`OMP_NUM_THREADS=1`. Python "
        f"{info['python']}, numpy {info['numpy']}, hopt {info['hopt']}, optuna "
        f"{info['optuna']}, scikit-learn {info['scikit-learn']}. The {meta['n_runs']} runs "
        f"took {meta['run_cpu_s'] / 60:.0f} CPU minutes and {meta['run_wall_s'] / 60:.0f} "
        f"minutes of worker wall time (about {meta['run_wall_s'] / 60 / args.workers:.0f} "
        f"min on {args.workers} workers); the 1-minute load average at the end of a run "
        f"was {meta['run_load'][1]:.1f} (median; {meta['run_load'][0]:.1f} to "
        f"{meta['run_load'][2]:.1f}). This invocation took {meta['wall_s'] / 60:.1f} min, "
        "reusing cached runs.",
    ]
    for name, table in tables.items():
        out += task_lines(name, args.task_defs[name], table)
    out += target_lines(targets, choice, default, tables)
    out += ranking_lines(args, ranking)
    out += ["", f"Raw runs (steps, status and loss of every trial): `{rel(args.json)}`."]
    return "\n".join(out)


def json_text(payload: dict, runs: list[dict]) -> str:
    """The payload indented, then ``"runs"``: one run a line, losses to 6 decimals."""
    head = json.dumps(payload, indent=1, default=str)
    lines = []
    for run in runs:
        run = dict(run, loss=[round(v, 6) for v in run["loss"]])
        lines.append("  " + json.dumps(run))
    return head[:-2] + ',\n "runs": [\n' + ",\n".join(lines) + "\n ]\n}\n"


# -- main -------------------------------------------------------------------------------
def parse_args(argv: list[str]):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", nargs="+", default=list(TASKS), choices=list(TASKS))
    parser.add_argument("--systems", nargs="+", default=list(SYSTEMS), choices=list(SYSTEMS))
    parser.add_argument("--seeds", type=int, help="seeds per task (default: the task's)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument(
        "--points", type=int, default=200, help="random points per task for the early ranking"
    )
    parser.add_argument(
        "--quick", action="store_true", help="2 seeds, 12 trials; no cache, writes nothing"
    )
    parser.add_argument("--fresh", action="store_true", help="ignore cached runs")
    parser.add_argument("--no-write", action="store_true", help="touch neither JSON nor docs")
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR)
    parser.add_argument("--json", type=Path, default=JSON_PATH)
    parser.add_argument("--docs", type=Path, default=DOCS)
    args = parser.parse_args(argv)
    args.argv = argv
    args.no_cache = False
    changes: dict = {}
    if args.seeds is not None:
        if args.seeds < 1:
            parser.error("--seeds must be positive")
        changes["n_seeds"] = args.seeds
    if args.quick:
        changes = {"n_seeds": 2, "n_trials": 12}
        args.points = 40
        args.no_cache, args.no_write = True, True
    from dataclasses import replace

    args.task_defs = {name: replace(task, **changes) for name, task in TASKS.items()}
    return args


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    quiet()
    prints = fingerprints()  # imports both libraries before the workers fork
    info = machine_info()
    load_before = load_average()
    start = time.perf_counter()
    records, errors = run_all(make_jobs(args, prints), args)
    ranking = run_diagnostics(args)
    wall = time.perf_counter() - start
    load_after = load_average()
    if fingerprints() != prints:
        print("WARNING: hopt's source changed during this run; results mix versions.")
    by_task: dict = {}
    for r in records:
        by_task.setdefault(r["task"], {}).setdefault(r["system"], []).append(r)
    tables = {n: summarize(args.task_defs[n], by_task.get(n, {})) for n in args.tasks}
    default, choice = choose_default(tables)
    targets = check_targets(tables, default)
    for name, table in tables.items():
        print("\n".join(task_lines(name, args.task_defs[name], table)))
    print("\n".join(target_lines(targets, choice, default, tables)))
    print("\n".join(ranking_lines(args, ranking)))
    print(f"\nwall time {wall / 60:.1f} min; load {load_before} -> {load_after}; "
          f"{len(errors)} failed runs")  # fmt: skip
    if errors or args.no_write:
        return 1 if errors else 0
    meta = {
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": info,
        "hopt_commit": git_describe(),
        "load_before": load_before,
        "load_after": load_after,
        "niceness": os.nice(0),
        "wall_s": wall,
        "n_runs": len(records),
        "run_cpu_s": sum(r["cpu_s"] for r in records),
        "run_wall_s": sum(r["wall_s"] for r in records),
        "run_load": [float(np.percentile([r["load1"] for r in records], q)) for q in (0, 50, 100)],
    }
    tasks_meta = {
        n: {k: v for k, v in vars(args.task_defs[n]).items() if k != "build"} for n in args.tasks
    }
    payload = {
        **meta,
        "command": ["benchmarks/pruning.py", *argv],
        "tasks": tasks_meta,
        "summary": tables,
        "default_choice": {"pruner": default, **choice},
        "targets": targets,
        "early_ranking": ranking,
    }
    runs = sorted(records, key=lambda r: (r["task"], r["system"], r["seed"]))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json_text(payload, runs))
    body = section(args, tables, targets, choice, default, meta, ranking)
    write_section(args.docs, "pruning", body)
    print(f"wrote {rel(args.json)} and the Pruning section of {rel(args.docs)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
