"""Several objectives and constraints: hopt next to Optuna on the same problems and seeds.

Every (problem, seed, algorithm) is ONE run of the largest budget; the hypervolume
at a smaller budget is read from the first trials of that run.  The metric is the
hypervolume of the feasible trials' losses against the problem's fixed reference
point (``mo_problems.py``), computed for every library with
``hopt.pareto.hypervolume``.  Reports, per problem and budget, the median
hypervolume with its interquartile range (and its share of the true front's
hypervolume where that is known), each algorithm's mean rank over problems and
seeds, the share of feasible trials on the constrained problem, and the CPU cost
of one hopt ``tpe.suggest`` with 2 objectives at 1,000 finished trials.

Per-run results are cached in ``benchmarks/results/multiobjective/`` and reused
while the library (for hopt: its source files) and the problem are unchanged, so
an interrupted run resumes and a change to hopt reruns only hopt's runs.

    python benchmarks/multiobjective.py           # 10 seeds, 200 trials; updates docs/benchmarks.md
    python benchmarks/multiobjective.py --quick   # smoke run: 2 seeds, budget 30, writes nothing
"""

from __future__ import annotations

import argparse  # noqa: E402
import json  # noqa: E402
import multiprocessing  # noqa: E402
import os
import sys  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402
from pathlib import Path  # noqa: E402

import _single_thread  # noqa: F401, E402  (before numpy: one BLAS thread)
import numpy as np  # noqa: E402

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
if str(REPO) not in sys.path:
    sys.path.insert(1, str(REPO))

import problems as P  # noqa: E402  (space builders)
import quality as Q  # noqa: E402  (environment, machine info and docs helpers)
from mo_problems import PROBLEMS, problem_fingerprint  # noqa: E402

ALGORITHMS = {
    # key: (library, algorithm, label in tables)
    "hopt_tpe": ("hopt", "tpe", "hopt TPE"),
    "hopt_rand": ("hopt", "rand", "hopt random"),
    "optuna_tpe": ("optuna", "tpe", "Optuna TPE"),
    "optuna_nsga2": ("optuna", "nsga2", "Optuna NSGA-II"),
    "optuna_nsga3": ("optuna", "nsga3", "Optuna NSGA-III"),
}
RESULTS_DIR = HERE / "results" / "multiobjective"
DOCS = REPO / "docs" / "benchmarks.md"
MARKER = "multiobjective"
#: suggestion cost: finished trials before the timed calls, timed calls, seeds
COST_TRIALS, COST_CALLS, COST_SEEDS = 1000, 20, (0, 1, 2)
COST_TARGET_MS = 2.0


def applies(algorithm: str, problem) -> bool:
    """NSGA-III is for 3 or more objectives; it runs on DTLZ2 only."""
    return algorithm != "optuna_nsga3" or problem.n_objectives >= 3


# -- one run ----------------------------------------------------------------------------
def _evaluate(problem, point: dict) -> tuple[list[float], list[float] | None]:
    losses, constraints = problem.objective(point)
    return [float(v) for v in losses], (
        None if constraints is None else [float(c) for c in constraints]
    )


def _is_feasible(constraints: list[float] | None) -> bool:
    return constraints is None or all(c <= 0.0 for c in constraints)


def run_hopt(algo_name: str, problem, seed: int, n: int) -> dict:
    """``hopt.fmin`` with a list-valued loss (and ``constraints``); checks what it stored."""
    import hopt

    space = P.hopt_space(problem.params)
    losses, constraints = [], []

    def objective(point: dict) -> dict:
        values, limits = _evaluate(problem, P.flatten(point))
        losses.append(values)
        constraints.append(limits)
        result = {"loss": values, "status": hopt.STATUS_OK}
        if limits is not None:
            result["constraints"] = limits
        return result

    trials = hopt.Trials()
    hopt.fmin(
        objective,
        space,
        algo=getattr(hopt, algo_name).suggest,
        max_evals=n,
        trials=trials,
        rstate=np.random.default_rng(seed),
        show_progressbar=False,
        n_objectives=problem.n_objectives,
    )
    return {
        "losses": losses,
        "constraints": constraints if problem.n_constraints else None,
        "api_notes": check_hopt_trials(trials, losses, constraints),
    }


def check_hopt_trials(trials, losses: list, constraints: list) -> list[str]:
    """What hopt stored against what the objective returned: the losses in
    ``trials.results``, the ``feasible`` flag, and ``best_trials`` as the feasible
    Pareto front.  Returns one line per disagreement (none expected)."""
    from hopt.pareto import pareto_front

    notes = []
    results = trials.results
    if len(results) != len(losses):
        return [f"trials.results has {len(results)} results for {len(losses)} evaluations"]
    for i, (result, values, limits) in enumerate(zip(results, losses, constraints)):
        if list(result.get("loss", [])) != values:
            notes.append(f"trial {i}: trials.results loss {result.get('loss')!r} != {values!r}")
        if limits is not None and result.get("feasible") is not _is_feasible(limits):
            notes.append(f"trial {i}: feasible={result.get('feasible')!r} for {limits!r}")
    feasible = [i for i, c in enumerate(constraints) if _is_feasible(c)]
    expected = set()
    if feasible:
        mask = pareto_front(np.array([losses[i] for i in feasible]))
        expected = {feasible[j] for j in np.flatnonzero(mask)}
    got = {t["tid"] for t in trials.best_trials}
    if got != expected:
        notes.append(
            f"best_trials: {len(got)} trials, the feasible Pareto front has {len(expected)}; "
            f"tids only in best_trials {sorted(got - expected)[:5]}, only in the front "
            f"{sorted(expected - got)[:5]}"
        )
    return notes[:10]


def _optuna_sampler(algo_name: str, seed: int):
    import optuna

    if algo_name == "tpe":
        return optuna.samplers.TPESampler(seed=seed)
    if algo_name == "nsga2":
        return optuna.samplers.NSGAIISampler(seed=seed)
    return optuna.samplers.NSGAIIISampler(seed=seed)


def run_optuna(algo_name: str, problem, seed: int, n: int) -> dict:
    """``create_study(directions=[minimize] * m)``; constraints through
    ``trial.set_constraint`` (Optuna 5's way; ``constraints_func`` is deprecated)."""
    import optuna

    study = optuna.create_study(
        directions=["minimize"] * problem.n_objectives, sampler=_optuna_sampler(algo_name, seed)
    )
    suggest = P.optuna_suggest(problem.params)
    losses, constraints = [], []

    def objective(trial) -> tuple[float, ...]:
        values, limits = _evaluate(problem, suggest(trial))
        losses.append(values)
        constraints.append(limits)
        for j, c in enumerate(limits or ()):
            trial.set_constraint(f"c{j}", c)
        return tuple(values)

    study.optimize(objective, n_trials=n)
    return {"losses": losses, "constraints": constraints if problem.n_constraints else None}


def run_task(task: dict) -> dict:
    """Run one (problem, seed, algorithm); never raises, errors are returned."""
    problem = PROBLEMS[task["problem"]]
    library, algo_name, _ = ALGORITHMS[task["algorithm"]]
    wall0, cpu0 = time.perf_counter(), time.process_time()
    record = dict(task)
    try:
        if library == "hopt":
            out = run_hopt(algo_name, problem, task["seed"], task["n"])
        else:
            out = run_optuna(algo_name, problem, task["seed"], task["n"])
        if len(out["losses"]) != task["n"]:
            raise RuntimeError(
                f"{task['algorithm']}: expected {task['n']} evaluations, got {len(out['losses'])}"
            )
        record.update(out)
    except Exception:
        record["error"] = traceback.format_exc()
    record["wall_s"] = time.perf_counter() - wall0
    record["cpu_s"] = time.process_time() - cpu0
    return record


# -- tasks and the cache ----------------------------------------------------------------
def cache_path(results_dir: Path, task: dict) -> Path:
    return results_dir / f"{task['problem']}__{task['algorithm']}__seed{task['seed']}.json"


def load_cached(results_dir: Path, task: dict) -> dict | None:
    path = cache_path(results_dir, task)
    if not path.exists():
        return None
    try:
        record = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return None
    same = (
        record.get("fingerprint") == task["fingerprint"]
        and record.get("problem_fingerprint") == task["problem_fingerprint"]
        and len(record.get("losses", [])) >= task["n"]
    )
    return record if same else None


def save(results_dir: Path, record: dict) -> None:
    path = cache_path(results_dir, record)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(record))
    os.replace(tmp, path)


def estimated_cost(task: dict) -> float:
    """Rough seconds per run, to start the slow runs first (better load balance)."""
    problem = PROBLEMS[task["problem"]]
    per_eval = 0.025 if "real" in problem.tags else 0.0002
    per_suggest = {
        "hopt_tpe": 0.002,
        "hopt_rand": 0.0003,
        "optuna_tpe": 0.02 * problem.n_objectives,
        "optuna_nsga2": 0.002,
        "optuna_nsga3": 0.003,
    }[task["algorithm"]]
    return task["n"] * (per_eval + per_suggest * (1 + problem.dimension / 10))


def make_tasks(args, fingerprints: dict) -> list[dict]:
    tasks = []
    for name in args.problems:
        problem = PROBLEMS[name]
        pf = problem_fingerprint(problem)
        for seed in range(args.seeds):
            for algorithm in args.algorithms:
                if applies(algorithm, problem):
                    tasks.append(
                        {
                            "problem": name,
                            "algorithm": algorithm,
                            "seed": seed,
                            "n": max(args.budgets),
                            "fingerprint": fingerprints[ALGORITHMS[algorithm][0]],
                            "problem_fingerprint": pf,
                        }
                    )
    return tasks


def run_all(tasks: list[dict], args) -> tuple[list[dict], list[dict]]:
    """Cached records plus fresh runs (``args.workers`` processes); returns (records, errors)."""
    records, todo = [], []
    for task in tasks:
        cached = None if (args.fresh or args.no_cache) else load_cached(args.results_dir, task)
        if cached is not None:
            records.append(cached)
        else:
            todo.append(task)
    print(f"{len(tasks)} runs: {len(records)} cached, {len(todo)} to run", flush=True)
    todo.sort(key=estimated_cost, reverse=True)
    errors = []
    start = time.perf_counter()
    context = multiprocessing.get_context("fork")
    with context.Pool(args.workers, initializer=Q.quiet) as pool:
        for i, record in enumerate(pool.imap_unordered(run_task, todo), 1):
            where = f"{record['problem']} {record['algorithm']} seed {record['seed']}"
            if "error" in record:
                errors.append(record)
                print(f"[{i}/{len(todo)}] ERROR {where}\n{record['error']}", flush=True)
                continue
            if not args.no_cache:
                save(args.results_dir, record)
            records.append(record)
            hv = hypervolume_at(record, max(args.budgets))
            notes = record.get("api_notes") or []
            print(
                f"[{i}/{len(todo)}] {where}: HV {hv:.6g} ({record['wall_s']:.1f} s; "
                f"{time.perf_counter() - start:.0f} s elapsed)"
                + (f"; hopt API: {notes[0]}" if notes else ""),
                flush=True,
            )
    return records, errors


# -- statistics -------------------------------------------------------------------------
def feasible_mask(record: dict, budget: int) -> np.ndarray:
    constraints = record.get("constraints")
    if constraints is None:
        return np.ones(min(budget, len(record["losses"])), dtype=bool)
    return np.array([_is_feasible(c) for c in constraints[:budget]], dtype=bool)


def hypervolume_at(record: dict, budget: int) -> float:
    """Hypervolume of the feasible losses among the first ``budget`` trials.

    ``hopt.pareto.hypervolume`` raises when a point lies beyond the reference in
    some loss (the reference must bound the front), so such points, which add
    nothing to the volume, are dropped first; a point on the reference's boundary
    is kept (it adds nothing either).
    """
    from hopt.pareto import hypervolume

    reference = np.asarray(PROBLEMS[record["problem"]].reference, dtype=float)
    losses = np.asarray(record["losses"][:budget], dtype=float)
    keep = feasible_mask(record, budget) & np.all(losses <= reference, axis=1)
    if not keep.any():
        return 0.0
    return hypervolume(losses[keep], reference)


def index_records(records: list[dict]) -> dict:
    return {(r["problem"], r["algorithm"], r["seed"]): r for r in records}


def hv_table(index: dict, problems, algorithms, seeds, budgets) -> dict:
    """(problem, algorithm, seed, budget) -> hypervolume, for every run present."""
    table = {}
    for problem in problems:
        for algorithm in algorithms:
            for seed in seeds:
                record = index.get((problem, algorithm, seed))
                if record is not None:
                    for budget in budgets:
                        table[problem, algorithm, seed, budget] = hypervolume_at(record, budget)
    return table


def summary(hv: dict, problem: str, algorithm: str, seeds, budget: int):
    values = [hv[k] for s in seeds if (k := (problem, algorithm, s, budget)) in hv]
    if not values:
        return None
    q25, q50, q75 = np.percentile(values, [25, 50, 75])
    return float(q50), float(q25), float(q75), len(values)


def mean_ranks(hv: dict, algorithms, problems, seeds, budget: int) -> dict:
    """Mean rank (1 = largest hypervolume) over the (problem, seed) pairs where every
    algorithm in ``algorithms`` ran; ties share their average rank."""
    rows = []
    for problem in problems:
        for seed in seeds:
            keys = [(problem, a, seed, budget) for a in algorithms]
            if all(k in hv for k in keys):
                rows.append([-hv[k] for k in keys])
    if not rows:
        return {}
    ranks = Q.rank_rows(np.asarray(rows))
    return {a: float(ranks[:, j].mean()) for j, a in enumerate(algorithms)}


def feasible_share(index: dict, problem: str, algorithm: str, seeds, budget: int):
    """Median over seeds of the share of feasible trials among the first ``budget``."""
    shares = [
        float(feasible_mask(r, budget).mean())
        for s in seeds
        if (r := index.get((problem, algorithm, s))) is not None
    ]
    return float(np.median(shares)) if shares else None


def algorithms_for(problem: str, algorithms) -> list[str]:
    return [a for a in algorithms if applies(a, PROBLEMS[problem])]


def tpe_vs_optuna(hv: dict, problems, algorithms, seeds, budget: int) -> list[tuple]:
    """Per problem: (problem, hopt TPE median, best Optuna median, its label, hopt >= it)."""
    out = []
    for problem in problems:
        mine = summary(hv, problem, "hopt_tpe", seeds, budget)
        theirs = [
            (s[0], a)
            for a in algorithms_for(problem, algorithms)
            if ALGORITHMS[a][0] == "optuna" and (s := summary(hv, problem, a, seeds, budget))
        ]
        if mine is None or not theirs:
            continue
        best, best_algo = max(theirs)
        out.append((problem, mine[0], best, ALGORITHMS[best_algo][2], mine[0] >= best))
    return out


# -- suggestion cost --------------------------------------------------------------------
def suggestion_cost(seed: int) -> dict:
    """CPU ms of each hopt ``tpe.suggest`` call of a 2-objective ZDT1 search, timed once
    the trials hold ``COST_TRIALS`` finished trials (fmin as usual, TPE from the start)."""
    import hopt

    problem = PROBLEMS["zdt1"]
    space = P.hopt_space(problem.params)
    times: list[tuple[int, float]] = []

    def timed(new_ids, domain, trials, seed):
        t0 = time.process_time()
        docs = hopt.tpe.suggest(new_ids, domain, trials, seed)
        times.append((len(trials.trials), time.process_time() - t0))
        return docs

    # fmin refuses a suggest function with several objectives unless it says it
    # handles them (hopt/algos/protocol.py); this wrapper is tpe.suggest
    timed.several_objectives = True  # type: ignore[attr-defined]

    cpu0 = time.process_time()
    trials = hopt.Trials()
    hopt.fmin(
        lambda point: {"loss": _evaluate(problem, P.flatten(point))[0], "status": "ok"},
        space,
        algo=timed,
        max_evals=COST_TRIALS + COST_CALLS,
        trials=trials,
        rstate=np.random.default_rng(seed),
        show_progressbar=False,
        n_objectives=2,
    )
    late = [1000 * t for n, t in times if n >= COST_TRIALS]
    return {
        "seed": seed,
        "calls_ms": late,
        "median_ms": float(np.median(late)),
        "run_cpu_s": time.process_time() - cpu0,
    }


def optuna_suggestion_cost(seed: int, calls: int = 5) -> dict:
    """For scale: Optuna's TPESampler on the same 2-objective ZDT1 after
    ``COST_TRIALS`` finished trials (added with ``study.add_trials``, random points):
    CPU ms of ``study.ask()`` plus the ``suggest_*`` calls (its independent TPE samples
    inside them)."""
    import optuna

    problem = PROBLEMS["zdt1"]
    suggest = P.optuna_suggest(problem.params)
    rng = np.random.default_rng(seed)
    distributions = {
        name: optuna.distributions.FloatDistribution(low, high)
        for name, _, low, high in problem.params
    }
    finished = []
    for _ in range(COST_TRIALS):
        params = {name: float(rng.uniform(d.low, d.high)) for name, d in distributions.items()}
        finished.append(
            optuna.trial.create_trial(
                params=params,
                distributions=distributions,
                values=_evaluate(problem, params)[0],
            )
        )
    study = optuna.create_study(
        directions=["minimize", "minimize"], sampler=optuna.samplers.TPESampler(seed=seed)
    )
    study.add_trials(finished)
    times = []
    for _ in range(calls):
        t0 = time.process_time()
        trial = study.ask()
        point = suggest(trial)
        times.append(1000 * (time.process_time() - t0))
        study.tell(trial, _evaluate(problem, point)[0])
    return {"seed": seed, "calls_ms": times, "median_ms": float(np.median(times))}


def measure_costs(args) -> dict:
    """Both costs, in one worker process each at a time (nothing else running)."""
    context = multiprocessing.get_context("fork")
    with context.Pool(1, initializer=Q.quiet) as pool:
        hopt_runs = pool.map(suggestion_cost, args.cost_seeds)
        optuna_runs = pool.map(optuna_suggestion_cost, args.cost_seeds[:1])
    pooled = [t for r in hopt_runs for t in r["calls_ms"]]
    return {
        "hopt": hopt_runs,
        "hopt_median_ms": float(np.median(pooled)),
        "optuna": optuna_runs,
        "optuna_median_ms": float(np.median([t for r in optuna_runs for t in r["calls_ms"]])),
    }


# -- report -----------------------------------------------------------------------------
def fmt(x: float) -> str:
    """A hypervolume: 4 significant digits, thousands separated above 1,000."""
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.4g}"


def problem_lines(names) -> list[str]:
    lines = [
        "| problem | objectives | constraints | variables | reference point | true front's HV | what |",
        "|---|---:|---:|---:|---|---:|---|",
    ]
    for name in names:
        p = PROBLEMS[name]
        ref = "(" + ", ".join(f"{v:g}" for v in p.reference) + ")"
        front = "unknown" if p.front_hypervolume is None else f"{p.front_hypervolume:.6g}"
        lines.append(
            f"| {name} | {p.n_objectives} | {p.n_constraints} | {p.dimension} | {ref} | "
            f"{front} | {p.description} |"
        )
    return lines


def cell(hv: dict, problem: str, algorithm: str, seeds, budget: int) -> str:
    s = summary(hv, problem, algorithm, seeds, budget)
    if s is None:
        return "—" if not applies(algorithm, PROBLEMS[problem]) else "n/a"
    text = f"{fmt(s[0])} [{fmt(s[1])}, {fmt(s[2])}]"
    front = PROBLEMS[problem].front_hypervolume
    if front:
        text += f" ({100 * s[0] / front:.1f}%)"
    return text


def section(args, index: dict, hv: dict, costs: dict, info: dict, loads, wall, errors) -> str:
    seeds = range(args.seeds)
    budgets = sorted(args.budgets)
    last = budgets[-1]
    algos = args.algorithms
    common = [a for a in algos if all(applies(a, PROBLEMS[p]) for p in args.problems)]
    cmd = ".venv/bin/python benchmarks/multiobjective.py" + (
        " " + " ".join(args.argv) if args.argv else ""
    )
    labels = {a: ALGORITHMS[a][2] for a in algos}
    out = [
        "## Several objectives and constraints",
        "",
        "Every algorithm minimizes the same problems from the same seeds: one run of "
        f"{last} trials per (problem, seed, algorithm), {args.seeds} seeds "
        f"(0–{args.seeds - 1}); the hypervolume after "
        f"{', '.join(map(str, budgets))} trials is read from that run's first trials. "
        "hopt runs `fmin(objective, space, algo=tpe.suggest (or rand.suggest), "
        "max_evals=N, trials=Trials(), rstate=np.random.default_rng(seed), "
        "show_progressbar=False, n_objectives=m)` with an objective returning "
        '`{"loss": [f1, ..., fm], "status": "ok"}` (plus `"constraints": [c1, c2]` on '
        "SRN); Optuna runs `create_study(directions=['minimize'] * m, sampler=...)` "
        "and `study.optimize(objective, n_trials=N)` with `TPESampler(seed=seed)`, "
        "`NSGAIISampler(seed=seed)` and, on the 3-objective DTLZ2 only, "
        "`NSGAIIISampler(seed=seed)`, all at their defaults (Optuna's TPE is "
        "independent, not multivariate, with several objectives; NSGA-II/III have "
        "populations of 50, so 200 trials are 4 generations). Constraints reach Optuna "
        "through `trial.set_constraint(...)` inside the objective, which every Optuna "
        "sampler reads (`constraints_func` is deprecated since Optuna 5.0). The "
        "problems are written in `benchmarks/mo_problems.py` (sources cited there) and "
        "searched in the same space by both libraries.",
        "",
        "Metric: the hypervolume (HV) of the feasible trials' losses against the "
        "problem's fixed reference point, for every library computed by "
        "`hopt.pareto.hypervolume` (exact) after dropping the points beyond the "
        "reference, which add nothing. Larger is better. The reference points bound "
        "most of what random search finds and the whole front (the rule is in "
        "`mo_problems.py`); where the true front is known its HV is given, and each "
        "median as a share of it.",
        "",
        *problem_lines(args.problems),
        "",
        "Command:",
        "",
        f"    {cmd}",
        "",
        *Q.header_lines(args, info, loads[0], loads[1], wall),
        "",
        "### Mean rank (1 = best)",
        "",
        f"Rank of each algorithm's HV among the {len(common)} algorithms run on every "
        "problem, within each (problem, seed), averaged over all "
        f"{len(args.problems)} problems × {args.seeds} seeds; ties share their average "
        "rank. NSGA-III, run on DTLZ2 only, is ranked in the per-problem table.",
        "",
        "| algorithm | " + " | ".join(f"after {b}" for b in budgets) + " |",
        "|---|" + "---:|" * len(budgets),
    ]
    ranks = {b: mean_ranks(hv, common, args.problems, seeds, b) for b in budgets}
    for a in common:
        cells = [f"{ranks[b].get(a, float('nan')):.2f}" for b in budgets]
        out.append(f"| {labels[a]} | " + " | ".join(cells) + " |")
    out += [
        "",
        f"Mean rank per problem after {last} trials (over seeds; on DTLZ2 among all "
        "algorithms run there):",
        "",
        "| problem | " + " | ".join(labels[a] for a in algos) + " |",
        "|---|" + "---:|" * len(algos),
    ]
    for problem in args.problems:
        here = algorithms_for(problem, algos)
        r = mean_ranks(hv, here, [problem], seeds, last)
        out.append(
            f"| {problem} | " + " | ".join(f"{r[a]:.2f}" if a in r else "—" for a in algos) + " |"
        )
    checks = tpe_vs_optuna(hv, args.problems, algos, seeds, last)
    wins = sum(c[4] for c in checks)
    out += [
        "",
        f"### hopt TPE against the best Optuna sampler, after {last} trials",
        "",
        f"hopt TPE's median HV is at or above the best Optuna median on **{wins} of "
        f"{len(checks)}** problems.",
        "",
        "| problem | hopt TPE median HV | best Optuna median HV | Optuna sampler | hopt TPE ≥ |",
        "|---|---:|---:|---|---|",
    ]
    for problem, mine, best, label, ok in checks:
        out.append(f"| {problem} | {fmt(mine)} | {fmt(best)} | {label} | {'yes' if ok else 'no'} |")
    for budget in budgets:
        out += [
            "",
            f"### Hypervolume after {budget} trials",
            "",
            "Median over seeds with the interquartile range (25th–75th percentile) in "
            "brackets and, where the true front is known, the median as a share of the "
            "front's HV. Larger is better.",
            "",
            "| problem | " + " | ".join(labels[a] for a in algos) + " |",
            "|---|" + "---:|" * len(algos),
        ]
        for problem in args.problems:
            out.append(
                f"| {problem} | "
                + " | ".join(cell(hv, problem, a, seeds, budget) for a in algos)
                + " |"
            )
    constrained = [p for p in args.problems if PROBLEMS[p].n_constraints]
    if constrained:
        out += [
            "",
            "### Feasible trials (constrained problem)",
            "",
            "Median over seeds of the share of trials that satisfy every constraint; "
            "about 16% of SRN's box is feasible, so random search finds that share.",
            "",
            "| problem | algorithm | " + " | ".join(f"after {b}" for b in budgets) + " |",
            "|---|---|" + "---:|" * len(budgets),
        ]
        for problem in constrained:
            for a in algorithms_for(problem, algos):
                cells = []
                for b in budgets:
                    share = feasible_share(index, problem, a, seeds, b)
                    cells.append("n/a" if share is None else f"{100 * share:.0f}%")
                out.append(f"| {problem} | {labels[a]} | " + " | ".join(cells) + " |")
    if costs:
        hopt_runs = costs["hopt"]
        per_seed = ", ".join(f"{r['median_ms']:.2f}" for r in hopt_runs)
        target = "meets" if costs["hopt_median_ms"] <= COST_TARGET_MS else "misses"
        out += [
            "",
            "### Cost of one suggestion with 2 objectives",
            "",
            f"hopt `tpe.suggest` on ZDT1 (10 uniform labels, 2 objectives) once the "
            f"trials hold {COST_TRIALS} finished trials: `fmin(..., algo=timed, "
            f"max_evals={COST_TRIALS + COST_CALLS}, n_objectives=2)` with TPE from the "
            "start, where `timed` brackets each `tpe.suggest` call with "
            f"`time.process_time()`; the median of the {COST_CALLS} calls made at "
            f"{COST_TRIALS}–{COST_TRIALS + COST_CALLS - 1} finished trials, pooled over "
            f"seeds {', '.join(str(r['seed']) for r in hopt_runs)} (per seed, the median "
            f"of its calls: {per_seed} ms). For scale, Optuna's TPESampler on the same problem after "
            f"{COST_TRIALS} random trials added with `study.add_trials`: `study.ask()` "
            "plus the `suggest_float` calls (where its independent TPE samples), median "
            f"of {len(costs['optuna'][0]['calls_ms'])} calls.",
            "",
            "| | CPU ms per suggestion |",
            "|---|---:|",
            f"| hopt tpe.suggest | {costs['hopt_median_ms']:.2f} |",
            f"| Optuna TPESampler | {costs['optuna_median_ms']:.1f} |",
            "",
            f"The issue's target is at most {COST_TARGET_MS:g} ms: hopt {target} it.",
        ]
    out += [
        "",
        "### Time per run",
        "",
        f"Median wall seconds of one {last}-trial run (objective included; two runs "
        f"shared the machine's {info['nproc']} CPUs), over seeds:",
        "",
        "| problem | " + " | ".join(labels[a] for a in algos) + " |",
        "|---|" + "---:|" * len(algos),
    ]
    for problem in args.problems:
        cells = []
        for a in algos:
            walls = [index[k]["wall_s"] for s in seeds if (k := (problem, a, s)) in index]
            cells.append(f"{np.median(walls):.2f}" if walls else "—")
        out.append(f"| {problem} | " + " | ".join(cells) + " |")
    notes = [
        (r, n)
        for r in index.values()
        if r["problem"] in args.problems and r["seed"] < args.seeds
        for n in r.get("api_notes") or []
    ]
    if notes:
        out += ["", "### hopt's stored results disagreed with the objective's", ""]
        out += [f"- {r['problem']} {r['algorithm']} seed {r['seed']}: {n}" for r, n in notes[:20]]
    if errors:
        out += ["", "### Errors", "", "These runs raised and are missing from the tables:", ""]
        for record in errors:
            out += [
                f"- {record['problem']} {record['algorithm']} seed {record['seed']}:",
                "",
                "```",
                record["error"].rstrip(),
                "```",
            ]
    out += ["", f"Raw per-run losses: `{Q.rel(args.results_dir)}/*.json`."]
    return "\n".join(out)


def print_console(index: dict, hv: dict, costs: dict, args) -> None:
    seeds = range(args.seeds)
    algos = args.algorithms
    common = [a for a in algos if all(applies(a, PROBLEMS[p]) for p in args.problems)]
    for budget in sorted(args.budgets):
        print(f"\nmedian hypervolume after {budget} trials (share of the true front's)")
        print("problem".ljust(13) + "".join(ALGORITHMS[a][2].rjust(18) for a in algos))
        for problem in args.problems:
            row = problem.ljust(13)
            front = PROBLEMS[problem].front_hypervolume
            for a in algos:
                s = summary(hv, problem, a, seeds, budget)
                text = "—" if s is None else fmt(s[0])
                if s is not None and front:
                    text += f" ({100 * s[0] / front:.0f}%)"
                row += text.rjust(18)
            print(row)
        r = mean_ranks(hv, common, args.problems, seeds, budget)
        print(
            "mean rank".ljust(13)
            + "".join(f"{r.get(a, float('nan')):.2f}".rjust(18) for a in common)
        )
    for problem in args.problems:
        if PROBLEMS[problem].n_constraints:
            for a in algorithms_for(problem, algos):
                shares = [feasible_share(index, problem, a, seeds, b) for b in sorted(args.budgets)]
                print(
                    f"{problem} {ALGORITHMS[a][2]}: feasible share "
                    + ", ".join("n/a" if s is None else f"{100 * s:.0f}%" for s in shares)
                )
    checks = tpe_vs_optuna(hv, args.problems, algos, seeds, max(args.budgets))
    print(
        f"\nhopt TPE median HV >= best Optuna median on {sum(c[4] for c in checks)} of "
        f"{len(checks)}: " + ", ".join(f"{c[0]} {'yes' if c[4] else 'no'}" for c in checks)
    )
    if costs:
        print(
            f"hopt tpe.suggest, 2 objectives, {COST_TRIALS} trials: "
            f"{costs['hopt_median_ms']:.2f} CPU ms (target {COST_TARGET_MS:g}); "
            f"Optuna TPESampler {costs['optuna_median_ms']:.1f} ms"
        )
    for r in index.values():
        for n in r.get("api_notes") or []:
            print(f"hopt API note: {r['problem']} {r['algorithm']} seed {r['seed']}: {n}")


# -- main -------------------------------------------------------------------------------
def parse_args(argv: list[str]):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=10, help="number of seeds (0..N-1)")
    parser.add_argument("--budgets", type=int, nargs="+", default=[100, 200])
    parser.add_argument("--problems", nargs="+", default=list(PROBLEMS), choices=list(PROBLEMS))
    parser.add_argument(
        "--algorithms", nargs="+", default=list(ALGORITHMS), choices=list(ALGORITHMS)
    )
    parser.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--no-cost", action="store_true", help="skip the suggestion cost")
    parser.add_argument(
        "--quick", action="store_true", help="2 seeds, budget 30; no cache, writes nothing"
    )
    parser.add_argument("--fresh", action="store_true", help="ignore cached runs")
    parser.add_argument("--no-write", action="store_true", help="do not touch the docs")
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR)
    parser.add_argument("--docs", type=Path, default=DOCS)
    args = parser.parse_args(argv)
    args.argv = argv
    args.no_cache = False
    args.cost_seeds = list(COST_SEEDS)
    if args.quick:
        args.seeds, args.budgets = 2, [15, 30]
        args.no_cache, args.no_write = True, True
        args.cost_seeds = [0]
    if args.seeds < 1 or min(args.budgets) < 1:
        parser.error("--seeds and --budgets must be positive")
    return args


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    Q.quiet()
    fingerprints = Q.library_fingerprints()  # every library imported before the fork
    info = Q.machine_info()
    load_before = Q.load_average()
    start = time.perf_counter()
    costs = {} if args.no_cost else measure_costs(args)
    if costs:
        print(
            f"hopt tpe.suggest (2 objectives, {COST_TRIALS} trials): "
            f"{costs['hopt_median_ms']:.2f} CPU ms",
            flush=True,
        )
    tasks = make_tasks(args, fingerprints)
    records, errors = run_all(tasks, args)
    wall = time.perf_counter() - start
    load_after = Q.load_average()
    if Q.library_fingerprints() != fingerprints:
        print("WARNING: hopt's source changed during this run; results mix versions.")
    index = index_records(records)
    hv = hv_table(index, args.problems, args.algorithms, range(args.seeds), sorted(args.budgets))
    args.n_runs = len(records)
    args.run_seconds = sum(r["wall_s"] for r in records)
    print_console(index, hv, costs, args)
    print(f"\nwall time {wall / 60:.1f} min; {len(errors)} failed runs")
    if not args.no_write:
        body = section(args, index, hv, costs, info, (load_before, load_after), wall, errors)
        Q.write_section(args.docs, MARKER, body)
        print(f"updated {Q.rel(args.docs)}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
