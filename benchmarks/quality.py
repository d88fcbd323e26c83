"""Optimization quality: hopt, Hyperopt 0.3.0 and Optuna on the same problems and seeds.

For every (problem, seed, algorithm) there is ONE run of the largest budget;
best-so-far at each smaller budget is read from that run's loss history.
Reports, per problem and budget, the median regret (best loss minus the known
optimum; the raw best loss where the optimum is unknown) with its
interquartile range, and each algorithm's mean rank over problems and seeds.

With ``--parallel P [P ...]`` the same runs are also simulated asynchronously with P
trials in flight (each suggestion sees P unfinished trials; each trial runs for
a random time drawn from the seed, the same for every library, and results come
back in the order the trials end; ``Completions``) and compared with the
sequential runs.

Per-run results are cached in ``benchmarks/results/quality/`` and reused while
the library (for hopt: its source files) and the problem are unchanged, so an
interrupted run resumes where it stopped.

    python benchmarks/quality.py                 # sequential; updates docs/benchmarks.md
    python benchmarks/quality.py --parallel 4 8 16   # asynchronous simulation vs sequential
    python benchmarks/quality.py --quick         # smoke run: 2 seeds, budget 30, writes nothing
"""

from __future__ import annotations

import argparse  # noqa: E402
import datetime as dt  # noqa: E402
import hashlib  # noqa: E402
import heapq  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import multiprocessing  # noqa: E402
import os
import platform  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import _single_thread  # noqa: F401, E402  (before numpy: one BLAS thread)
import numpy as np  # noqa: E402

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
if str(REPO) not in sys.path:
    sys.path.insert(1, str(REPO))

from problems import PROBLEMS, flatten, noisy_objective, problem_fingerprint  # noqa: E402

ALGORITHMS = {
    # key: (library, algorithm, label in tables)
    "hopt_tpe": ("hopt", "tpe", "hopt tpe"),
    "hopt_anneal": ("hopt", "anneal", "hopt anneal"),
    "hopt_rand": ("hopt", "rand", "hopt rand"),
    "hyperopt_tpe": ("hyperopt", "tpe", "Hyperopt tpe"),
    "hyperopt_anneal": ("hyperopt", "anneal", "Hyperopt anneal"),
    "hyperopt_rand": ("hyperopt", "rand", "Hyperopt rand"),
    "optuna_tpe": ("optuna", "tpe", "Optuna TPE"),
    "optuna_rand": ("optuna", "rand", "Optuna random"),
}
HEAD_TO_HEAD = [
    ("hopt_tpe", "hyperopt_tpe"),
    ("hopt_anneal", "hyperopt_anneal"),
    ("hopt_rand", "hyperopt_rand"),
    ("hopt_tpe", "optuna_tpe"),
]
RESULTS_DIR = HERE / "results" / "quality"
DOCS = REPO / "docs" / "benchmarks.md"
SEED_BOUND = 2**31 - 1


# -- environment ------------------------------------------------------------------------
def quiet() -> None:
    """Silence Optuna's per-trial logging, Hyperopt's INFO lines and library warnings."""
    warnings.filterwarnings("ignore")
    logging.getLogger("hyperopt").setLevel(logging.WARNING)
    logging.getLogger("hopt").setLevel(logging.WARNING)
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)


def hopt_source_hash() -> str:
    digest = hashlib.sha256()
    for path in sorted((REPO / "hopt").rglob("*.py")):
        digest.update(str(path.relative_to(REPO)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def git_describe() -> str:
    """hopt's commit, and whether hopt/ has uncommitted changes."""

    def git(*cmd: str) -> str:
        out = subprocess.run(["git", *cmd], cwd=REPO, capture_output=True, text=True, check=True)
        return out.stdout.strip()

    try:
        commit = git("rev-parse", "--short", "HEAD")
        dirty = git("status", "--porcelain", "--", "hopt")
    except (OSError, subprocess.CalledProcessError):
        return "commit unknown"
    return f"commit {commit}" + (" with uncommitted changes in hopt/" if dirty else "")


def library_fingerprints() -> dict[str, str]:
    import hyperopt
    import optuna

    import hopt

    return {
        "hopt": f"{hopt.__version__}+src.{hopt_source_hash()}",
        "hyperopt": hyperopt.__version__,
        "optuna": optuna.__version__,
    }


def machine_info() -> dict:
    import hyperopt
    import optuna
    import sklearn

    import hopt

    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "hopt": f"{hopt.__version__} ({git_describe()})",
        "hyperopt": hyperopt.__version__,
        "optuna": optuna.__version__,
        "scikit-learn": sklearn.__version__,
    }


def load_average() -> str:
    try:
        return "/".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


# -- one run ----------------------------------------------------------------------------
def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)


def _lib_and_space(library: str, problem):
    import problems as P

    if library == "hopt":
        import hopt as lib

        return lib, P.hopt_space(problem.params)
    import hyperopt as lib

    return lib, P.hyperopt_space(problem.params)


def run_hyperopt_style(library: str, algo_name: str, problem, seed: int, n: int) -> list[float]:
    """Sequential run through the library's own ``fmin``; losses in evaluation order."""
    lib, space = _lib_and_space(library, problem)
    algo = getattr(lib, algo_name).suggest
    losses: list[float] = []
    seen = noisy_objective(problem, seed, losses)

    def objective(point: dict) -> float:
        return seen(flatten(point))

    lib.fmin(
        objective,
        space,
        algo=algo,
        max_evals=n,
        trials=lib.Trials(),
        rstate=np.random.default_rng(seed),
        show_progressbar=False,
    )
    return losses


def run_hyperopt_style_async(
    library: str, algo_name: str, problem, seed: int, n: int, in_flight: int
) -> list[float]:
    """Simulated asynchronous run: ``in_flight`` unfinished trials at every suggestion.

    Suggested docs are inserted and marked RUNNING; once ``in_flight`` of them are
    pending, each new suggestion (which sees them all) is followed by finishing
    the pending trial that ``Completions`` says ends first.
    """
    lib, space = _lib_and_space(library, problem)
    algo = getattr(lib, algo_name).suggest
    trials = lib.Trials()
    domain = lib.Domain(lambda point: 0.0, space)
    rng = np.random.default_rng(seed)
    pending = Completions(seed)
    losses: list[float] = []
    seen = noisy_objective(problem, seed, losses)
    asked = 0
    while len(losses) < n:
        if asked < n:
            new_ids = trials.new_trial_ids(1)
            docs = algo(new_ids, domain, trials, int(rng.integers(SEED_BOUND)))
            trials.insert_trial_docs(docs)
            trials.refresh()
            stored = {doc["tid"]: doc for doc in trials.trials[-len(docs) :]}
            for doc in docs:
                live = stored[doc["tid"]]
                live["state"] = lib.JOB_STATE_RUNNING
                live["owner"] = "simulated-worker"
                live["book_time"] = _now()
                pending.start(live)
            trials.refresh()
            asked += len(docs)
            if len(pending) <= in_flight:
                continue
        doc = pending.finish()
        vals = {label: v[0] for label, v in doc["misc"]["vals"].items() if len(v) > 0}
        loss = seen(flatten(lib.space_eval(space, vals)))  # (appends the true loss)
        doc["result"] = {"loss": loss, "status": lib.STATUS_OK}
        doc["state"] = lib.JOB_STATE_DONE
        doc["refresh_time"] = _now()
        trials.refresh()
    return losses


class Completions:
    """Trials in flight, and which one ends next: every trial runs for a random time
    (lognormal, median 1, sd of the log 0.5) drawn by its place in the order of asking
    from the seed alone, so every library sees the same completion order."""

    #: part of the cache key: runs simulated another way are not reused
    SCHEDULE = "lognormal-0.5"

    def __init__(self, seed: int) -> None:
        self._durations = np.random.default_rng([seed, 4242])
        self._heap: list = []
        self._now = 0.0
        self._started = 0

    def __len__(self) -> int:
        return len(self._heap)

    def start(self, item) -> None:
        """A trial starts now (when the last one ended)."""
        ends = self._now + float(self._durations.lognormal(0.0, 0.5))
        heapq.heappush(self._heap, (ends, self._started, item))
        self._started += 1

    def finish(self):
        """The trial in flight that ends first; the clock moves to its end."""
        self._now, _, item = heapq.heappop(self._heap)
        return item


def _optuna_study(algo_name: str, seed: int):
    import optuna

    if algo_name == "tpe":
        sampler = optuna.samplers.TPESampler(seed=seed)
    else:
        sampler = optuna.samplers.RandomSampler(seed=seed)
    return optuna.create_study(direction="minimize", sampler=sampler)


def run_optuna(algo_name: str, problem, seed: int, n: int) -> list[float]:
    import problems as P

    study = _optuna_study(algo_name, seed)
    suggest = P.optuna_suggest(problem.params)
    losses: list[float] = []
    seen = noisy_objective(problem, seed, losses)

    def objective(trial) -> float:
        return seen(suggest(trial))

    study.optimize(objective, n_trials=n)
    return losses


def run_optuna_async(algo_name: str, problem, seed: int, n: int, in_flight: int) -> list[float]:
    """``study.ask()`` with ``in_flight`` asked-but-not-told trials; tells in the order
    ``Completions`` says they end."""
    import problems as P

    study = _optuna_study(algo_name, seed)
    suggest = P.optuna_suggest(problem.params)
    pending = Completions(seed)
    losses: list[float] = []
    seen = noisy_objective(problem, seed, losses)
    asked = 0
    while len(losses) < n:
        if asked < n:
            trial = study.ask()
            pending.start((trial, suggest(trial)))  # define-by-run: sampled here
            asked += 1
            if len(pending) <= in_flight:
                continue
        trial, point = pending.finish()
        study.tell(trial, seen(point))  # (appends the true loss)
    return losses


def run_task(task: dict) -> dict:
    """Run one (problem, seed, algorithm, mode); never raises, errors are returned."""
    problem = PROBLEMS[task["problem"]]
    library, algo_name, _ = ALGORITHMS[task["algorithm"]]
    seed, n, in_flight = task["seed"], task["n"], task["in_flight"]
    wall0, cpu0 = time.perf_counter(), time.process_time()
    record = dict(task)
    try:
        if library == "optuna":
            if in_flight:
                losses = run_optuna_async(algo_name, problem, seed, n, in_flight)
            else:
                losses = run_optuna(algo_name, problem, seed, n)
        elif in_flight:
            losses = run_hyperopt_style_async(library, algo_name, problem, seed, n, in_flight)
        else:
            losses = run_hyperopt_style(library, algo_name, problem, seed, n)
        if len(losses) != n:
            raise RuntimeError(f"{task['algorithm']}: expected {n} evaluations, got {len(losses)}")
        record["losses"] = losses
    except Exception:
        record["error"] = traceback.format_exc()
    record["wall_s"] = time.perf_counter() - wall0
    record["cpu_s"] = time.process_time() - cpu0
    # wall times depend on what else shared the machine: say how busy it was
    record["load_1min"] = os.getloadavg()[0]
    return record


# -- tasks and the cache ----------------------------------------------------------------
def mode_name(in_flight: int) -> str:
    return f"parallel{in_flight}" if in_flight else "sequential"


def cache_path(results_dir: Path, task: dict) -> Path:
    name = f"{mode_name(task['in_flight'])}__{task['problem']}__{task['algorithm']}"
    return results_dir / f"{name}__seed{task['seed']}.json"


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
        and record.get("schedule") == task.get("schedule")
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
    per_eval = 0.015 if "real" in problem.tags else 0.0002
    library, algo_name, _ = ALGORITHMS[task["algorithm"]]
    per_suggest = {"tpe": 0.004, "anneal": 0.001, "rand": 0.0003}[algo_name]
    if library == "hyperopt":
        per_suggest *= 2
    return task["n"] * (per_eval + per_suggest * (1 + problem.dimension / 4))


def make_tasks(args, fingerprints: dict, modes: list[int]) -> list[dict]:
    tasks = []
    for in_flight in modes:
        for problem_name in args.problems:
            problem = PROBLEMS[problem_name]
            pf = problem_fingerprint(problem)
            for seed in range(args.seeds):
                for algorithm in args.algorithms:
                    tasks.append(
                        {
                            "problem": problem_name,
                            "algorithm": algorithm,
                            "seed": seed,
                            "n": max(args.budgets),
                            "in_flight": in_flight,
                            "schedule": Completions.SCHEDULE if in_flight else None,
                            "fingerprint": fingerprints[ALGORITHMS[algorithm][0]],
                            "problem_fingerprint": pf,
                        }
                    )
    return tasks


def run_all(tasks: list[dict], args) -> tuple[list[dict], list[dict]]:
    """Cached records plus fresh runs (2 worker processes); returns (records, errors)."""
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
    with context.Pool(args.workers, initializer=quiet) as pool:
        for i, record in enumerate(pool.imap_unordered(run_task, todo), 1):
            where = (
                f"{mode_name(record['in_flight'])} {record['problem']} "
                f"{record['algorithm']} seed {record['seed']}"
            )
            if "error" in record:
                errors.append(record)
                print(f"[{i}/{len(todo)}] ERROR {where}\n{record['error']}", flush=True)
                continue
            if not args.no_cache:
                save(args.results_dir, record)
            records.append(record)
            elapsed = time.perf_counter() - start
            print(
                f"[{i}/{len(todo)}] {where}: best {min(record['losses']):.6g} "
                f"({record['wall_s']:.1f} s; {elapsed:.0f} s elapsed)",
                flush=True,
            )
    return records, errors


# -- statistics -------------------------------------------------------------------------
def best_at(record: dict, budget: int) -> float:
    return float(np.min(record["losses"][:budget]))


def regret(record: dict, budget: int) -> float:
    optimum = PROBLEMS[record["problem"]].optimum
    best = best_at(record, budget)
    return best if optimum is None else best - optimum


def index_records(records: list[dict]) -> dict:
    return {(r["in_flight"], r["problem"], r["algorithm"], r["seed"]): r for r in records}


def rank_rows(values: np.ndarray) -> np.ndarray:
    """Ranks within each row (1 = smallest); ties share their average rank."""
    from scipy.stats import rankdata

    return np.vstack([rankdata(row, method="average") for row in values])


def mean_ranks(index: dict, variants: list[tuple[int, str]], problems, seeds, budget) -> dict:
    """Mean rank of each (mode, algorithm) variant over all (problem, seed) pairs."""
    rows = []
    for problem in problems:
        for seed in seeds:
            keys = [(m, problem, a, seed) for m, a in variants]
            if all(k in index for k in keys):
                rows.append([best_at(index[k], budget) for k in keys])
    if not rows:
        return {}
    ranks = rank_rows(np.asarray(rows))
    return {variant: float(ranks[:, j].mean()) for j, variant in enumerate(variants)}


def summary(index: dict, in_flight: int, problem: str, algorithm: str, seeds, budget):
    values = [
        regret(index[(in_flight, problem, algorithm, s)], budget)
        for s in seeds
        if (in_flight, problem, algorithm, s) in index
    ]
    if not values:
        return None
    q25, q50, q75 = np.percentile(values, [25, 50, 75])
    return float(q50), float(q25), float(q75), len(values)


def fmt(x: float) -> str:
    if x == 0:
        return "0"
    if abs(x) >= 1e4 or abs(x) < 1e-3:
        return f"{x:.2e}"
    return f"{x:.3g}"


# -- report: sequential -----------------------------------------------------------------
def header_lines(args, info: dict, load_before: str, load_after: str, wall: float) -> list[str]:
    when = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return [
        f"Measured {when} on {info['nproc']} CPUs (`nproc`; {info['cpu']}); "
        f"load average {load_before} at the start and {load_after} at the end; "
        f"{args.workers} worker processes, `OMP_NUM_THREADS=1`. Python {info['python']}, "
        f"numpy {info['numpy']}, hopt {info['hopt']}, hyperopt {info['hyperopt']}, "
        f"optuna {info['optuna']}, scikit-learn {info['scikit-learn']}. "
        f"The {args.n_runs} runs behind this section took {args.run_seconds / 60:.1f} min "
        f"of worker wall time (about {args.run_seconds / 60 / args.workers:.1f} min on "
        f"{args.workers} workers); this invocation took {wall / 60:.1f} min, reusing "
        f"cached runs. {run_load_text(args.run_loads, args.n_runs)}",
    ]


def run_load_text(loads: list[float], n_runs: int) -> str:
    """How busy the machine was while the runs behind a section ran (they may be
    cached from earlier invocations, so the load at this one's start says little)."""
    if not loads:
        return "The runs did not record the load average (made before it was recorded)."
    lo, mid, hi = np.percentile(loads, [0, 50, 100])
    some = "" if len(loads) == n_runs else f" ({len(loads)} of the {n_runs} runs recorded it)"
    return (
        f"1-minute load average at the end of each run: median {mid:.1f}, "
        f"{lo:.1f} to {hi:.1f}{some}."
    )


def problem_lines(names: list[str]) -> list[str]:
    lines = ["| problem | optimum | labels | what |", "|---|---:|---:|---|"]
    for name in names:
        p = PROBLEMS[name]
        optimum = "unknown" if p.optimum is None else f"{p.optimum:g}"
        lines.append(f"| {name} | {optimum} | {p.dimension} | {p.description} |")
    return lines


def quality_section(args, index: dict, info: dict, loads, wall: float, errors) -> str:
    seeds = range(args.seeds)
    budgets = sorted(args.budgets)
    algos = args.algorithms
    cmd = ".venv/bin/python benchmarks/quality.py" + (
        " " + " ".join(args.argv) if args.argv else ""
    )
    out = [
        "## Optimization quality (sequential)",
        "",
        "Every algorithm minimizes the same problems from the same seeds: one run of "
        f"{max(budgets)} trials per (problem, seed, algorithm), {args.seeds} seeds "
        f"(0–{args.seeds - 1}); the best loss after {', '.join(map(str, budgets))} trials "
        "is read from that run's history. hopt and Hyperopt run "
        "`fmin(objective, space, algo=<lib>.<algo>.suggest, max_evals=N, "
        "trials=Trials(), rstate=np.random.default_rng(seed), show_progressbar=False)` "
        "with default algorithm settings; Optuna runs `create_study(sampler=TPESampler("
        "seed=seed))` (or `RandomSampler(seed=seed)`) and `study.optimize(objective, "
        "n_trials=N)`. Each problem is written once in `benchmarks/problems.py` and "
        "translated into a hopt space, a Hyperopt space and Optuna `suggest_*` calls "
        "(log-scale floats as `log=True`, quantized ints as `suggest_int(step=q)`, "
        "conditional branches as a categorical followed by the branch's parameters).",
        "",
        *problem_lines(args.problems),
        "",
        "Command:",
        "",
        f"    {cmd}",
        "",
        *header_lines(args, info, loads[0], loads[1], wall),
        "",
        "### Mean rank (1 = best)",
        "",
        f"Rank of each algorithm's best loss among the {len(algos)} algorithms, within "
        "each (problem, seed), averaged over all problems and seeds; ties share "
        "their average rank.",
        "",
        "| algorithm | " + " | ".join(f"after {b}" for b in budgets) + " |",
        "|---|" + "---:|" * len(budgets),
    ]
    variants = [(0, a) for a in algos]
    ranks = {b: mean_ranks(index, variants, args.problems, seeds, b) for b in budgets}
    for a in algos:
        cells = [f"{ranks[b].get((0, a), float('nan')):.2f}" for b in budgets]
        out.append(f"| {ALGORITHMS[a][2]} | " + " | ".join(cells) + " |")
    last = budgets[-1]
    out += [
        "",
        f"Mean rank per problem after {last} trials (over seeds):",
        "",
        "| problem | " + " | ".join(ALGORITHMS[a][2] for a in algos) + " |",
        "|---|" + "---:|" * len(algos),
    ]
    for problem in args.problems:
        r = mean_ranks(index, variants, [problem], seeds, last)
        out.append(
            f"| {problem} | "
            + " | ".join(f"{r.get((0, a), float('nan')):.2f}" for a in algos)
            + " |"
        )
    out += [
        "",
        "### Head to head",
        "",
        "Paired by (problem, seed): how often the first algorithm's best loss is "
        "lower / equal / higher than the second's.",
        "",
        "| pair | " + " | ".join(f"after {b}" for b in budgets) + " |",
        "|---|" + "---:|" * len(budgets),
    ]
    for a, b in HEAD_TO_HEAD:
        if a not in algos or b not in algos:
            continue
        cells = []
        for budget in budgets:
            w = t = lo = 0
            for problem in args.problems:
                for seed in seeds:
                    ka, kb = (0, problem, a, seed), (0, problem, b, seed)
                    if ka in index and kb in index:
                        x, y = best_at(index[ka], budget), best_at(index[kb], budget)
                        w, t, lo = w + (x < y), t + (x == y), lo + (x > y)
            cells.append(f"{w} / {t} / {lo}")
        out.append(f"| {ALGORITHMS[a][2]} vs {ALGORITHMS[b][2]} | " + " | ".join(cells) + " |")
    out += [
        "",
        "### Regret per problem",
        "",
        "Median regret over seeds (best loss minus the known optimum; the raw best "
        "loss for `svc_digits_cv`, whose optimum is unknown), with the interquartile "
        "range (25th–75th percentile) in brackets. Lower is better.",
    ]
    for problem in args.problems:
        p = PROBLEMS[problem]
        what = "best loss (optimum unknown)" if p.optimum is None else "regret"
        out += [
            "",
            f"**{problem}** ({what})",
            "",
            "| algorithm | " + " | ".join(f"after {b}" for b in budgets) + " |",
            "|---|" + "---:|" * len(budgets),
        ]
        for a in algos:
            cells = []
            for budget in budgets:
                s = summary(index, 0, problem, a, seeds, budget)
                cells.append("n/a" if s is None else f"{fmt(s[0])} [{fmt(s[1])}, {fmt(s[2])}]")
            out.append(f"| {ALGORITHMS[a][2]} | " + " | ".join(cells) + " |")
    out += [
        "",
        "### Time per run",
        "",
        f"Median wall seconds of one {max(budgets)}-trial run (objective included; "
        f"two runs shared the machine's {info['nproc']} CPUs), over seeds:",
        "",
        "| problem | " + " | ".join(ALGORITHMS[a][2] for a in algos) + " |",
        "|---|" + "---:|" * len(algos),
    ]
    for problem in args.problems:
        cells = []
        for a in algos:
            walls = [index[k]["wall_s"] for s in seeds if (k := (0, problem, a, s)) in index]
            cells.append(f"{np.median(walls):.2f}" if walls else "n/a")
        out.append(f"| {problem} | " + " | ".join(cells) + " |")
    out += error_lines(errors)
    out += ["", f"Raw per-run loss histories: `{rel(args.results_dir)}/sequential__*.json`."]
    return "\n".join(out)


def mean_evaluated(record: dict, budget: int) -> float:
    """The mean noise-free loss of the first ``budget`` evaluated trials: on a small
    discrete space, how often the search spends its trials on good configurations."""
    return float(np.mean(record["losses"][:budget]))


def discrete_table(index: dict, args, problems=None, modes=(0,), budget=None) -> list[str]:
    """Median over seeds of ``mean_evaluated``, per problem and algorithm; with several
    ``modes`` (in-flight counts, 0 sequential), one value per mode joined by arrows."""
    seeds, algos = range(args.seeds), args.algorithms
    budget = max(args.budgets) if budget is None else budget
    out = [
        "| problem | " + " | ".join(ALGORITHMS[a][2] for a in algos) + " |",
        "|---|" + "---:|" * len(algos),
    ]
    for problem in args.problems if problems is None else problems:
        cells = []
        for a in algos:
            medians = []
            for mode in modes:
                values = [mean_evaluated(index[k], budget) for s in seeds
                          if (k := (mode, problem, a, s)) in index]  # fmt: skip
                medians.append(f"{np.median(values):.3f}" if values else "n/a")
            cells.append(" → ".join(medians))
        out.append(f"| {problem} | " + " | ".join(cells) + " |")
    return out


def print_discrete(index: dict, args) -> None:
    print(f"\nmedian over seeds of the mean true loss of the first {max(args.budgets)} trials")
    for line in discrete_table(index, args):
        print(line)


def discrete_section(args, index: dict, info: dict, loads, wall: float, errors) -> str:
    budget = max(args.budgets)
    cmd = ".venv/bin/python benchmarks/quality.py " + " ".join(args.argv)
    out = [
        "## Small discrete spaces",
        "",
        "Once a small discrete space is covered, the best loss so far is 0 for every "
        "algorithm; what differs is how often each keeps evaluating good configurations. "
        f"Metric: the mean noise-free loss of the {budget} evaluated trials of a run "
        f"(lower is better), median over {args.seeds} seeds. On `choice4` and "
        "`pchoice4` it is the share of trials spent on the three bad options; the "
        "noisy variants show the optimizer the loss plus Gaussian noise (the same draws "
        "for every library), where repeating a good configuration is information. "
        "Optuna has no prior over options, so `pchoice4` is a plain categorical there.",
        "",
        *problem_lines(args.problems),
        "",
        "Command:",
        "",
        f"    {cmd}",
        "",
        *header_lines(args, info, loads[0], loads[1], wall),
        "",
        *discrete_table(index, args),
    ]
    out += error_lines(errors)
    return "\n".join(out)


def error_lines(errors: list[dict]) -> list[str]:
    if not errors:
        return []
    out = ["", "### Errors", "", "These runs raised and are missing from the tables:", ""]
    for record in errors:
        out += [
            f"- {mode_name(record['in_flight'])} {record['problem']} {record['algorithm']} "
            f"seed {record['seed']}:",
            "",
            "```",
            record["error"].rstrip(),
            "```",
        ]
    return out


def rel(path: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(REPO))
    except ValueError:
        return str(path)


# -- report: parallel -------------------------------------------------------------------
#: the libraries hopt's TPE is compared with under the same parallelism (issue 21)
PEERS = ("hyperopt_tpe", "optuna_tpe")


def _quality_problems(args) -> list[str]:
    return [p for p in args.problems if "discrete" not in PROBLEMS[p].tags]


def parallel_targets(index: dict, args, P: int, budget: int, seeds) -> tuple[str, str]:
    """(hopt TPE with P in flight at or below both peers with P in flight, on k of the
    quality problems; at or below Optuna's sequential TPE, on k): median regrets."""
    problems = _quality_problems(args)
    both, sequential = [], []
    for problem in problems:
        mine = summary(index, P, problem, "hopt_tpe", seeds, budget)
        peers = [summary(index, P, problem, a, seeds, budget) for a in PEERS]
        optuna_seq = summary(index, 0, problem, "optuna_tpe", seeds, budget)
        if mine is None:
            continue
        if all(x is not None for x in peers) and all(mine[0] <= x[0] for x in peers):
            both.append(problem)
        if optuna_seq is not None and mine[0] <= optuna_seq[0]:
            sequential.append(problem)
    n = len(problems)
    return f"{len(both)} of {n}", f"{len(sequential)} of {n}"


def parallel_section(args, index: dict, info: dict, loads, wall: float, errors) -> str:
    seeds = range(args.seeds)
    budgets = sorted(args.budgets)
    algos = args.algorithms
    levels = sorted(args.parallel)
    shown = ", ".join(map(str, levels))
    cmd = ".venv/bin/python benchmarks/quality.py" + (
        " " + " ".join(args.argv) if args.argv else ""
    )
    out = [
        f"## Optimization quality with trials in flight ({shown})",
        "",
        "The sequential runs above, repeated as simulated asynchronous runs with "
        f"{shown} trials in flight, same problems and seeds. For hopt and Hyperopt "
        "the script drives the algorithm itself: it asks `algo([tid], domain, trials, "
        "seed)` for one trial at a time, inserts the returned document and marks it "
        "RUNNING; while fewer than P trials are pending it asks again, otherwise the "
        "pending trial that ends first is evaluated and marked DONE with its loss. Each "
        "trial runs for a random time (lognormal, median 1, log-sd 0.5) drawn from the "
        "seed by its place in the order of asking, so every library sees the same "
        "completion order, and every suggestion after the first P sees exactly P "
        "unfinished trials. For Optuna the same schedule uses `study.ask()` "
        "(parameters drawn right after it) with P asked-but-not-told trials and "
        "`study.tell()` in that order; samplers keep their defaults (TPESampler has "
        "`constant_liar=False`, so running trials are invisible to it). Random search "
        "is the control: it cannot depend on the lag. *1 in flight* is the sequential "
        "run.",
        "",
        "Command:",
        "",
        f"    {cmd}",
        "",
        *header_lines(args, info, loads[0], loads[1], wall),
        "",
        "### Targets (issue 21)",
        "",
        f"Over the {len(_quality_problems(args))} quality problems, by median regret "
        "over seeds: on how many hopt TPE with P in flight is at or below both Hyperopt's "
        "and Optuna's TPE with P in flight, and at or below Optuna's sequential TPE.",
        "",
        "| in flight | after | hopt ≤ both peers | hopt ≤ Optuna sequential |",
        "|---:|---:|---:|---:|",
    ]
    for P in levels:
        for budget in budgets:
            both, seq = parallel_targets(index, args, P, budget, seeds)
            out.append(f"| {P} | {budget} | {both} | {seq} |")
    out += [
        "",
        "### Mean rank at each number in flight",
        "",
        "Rank among the algorithms run with the same number in flight, within each "
        "(problem, seed) over the quality problems, averaged (1 = best).",
        "",
        "| in flight | after | " + " | ".join(ALGORITHMS[a][2] for a in algos) + " |",
        "|---:|---:|" + "---:|" * len(algos),
    ]
    quality = _quality_problems(args)
    discrete = [p for p in args.problems if p not in quality]
    for P in [0, *levels]:
        for budget in budgets:
            variants = [(P, a) for a in algos]
            r = mean_ranks(index, variants, quality, seeds, budget)
            cells = [f"{r.get(v, float('nan')):.2f}" for v in variants]
            out.append(f"| {P or 1} | {budget} | " + " | ".join(cells) + " |")
    budget = budgets[-1]
    out += [
        "",
        f"### Median regret after {budget} trials, by number in flight",
        "",
        "Each cell: sequential (1 in flight) → " + " → ".join(map(str, levels)) + ".",
        "",
        "| problem | " + " | ".join(ALGORITHMS[a][2] for a in algos) + " |",
        "|---|" + "---:|" * len(algos),
    ]
    for problem in quality:
        cells = []
        for a in algos:
            values = [summary(index, P, problem, a, seeds, budget) for P in [0, *levels]]
            cells.append(" → ".join("n/a" if v is None else fmt(v[0]) for v in values))
        out.append(f"| {problem} | " + " | ".join(cells) + " |")
    out += [
        "",
        "Regret is as in the sequential section (raw best loss for `svc_digits_cv`); "
        "medians over seeds.",
    ]
    if discrete:
        out += [
            "",
            f"### Small discrete problems: mean true loss of the first {budget} trials",
            "",
            "As in the discrete section (lower: more trials spent on good "
            "configurations); each cell: sequential → " + " → ".join(map(str, levels)) + ".",
            "",
            *discrete_table(index, args, discrete, [0, *levels], budget),
        ]
    out += error_lines(errors)
    raw = ", ".join(f"`{rel(args.results_dir)}/parallel{P}__*.json`" for P in levels)
    out += ["", f"Raw per-run loss histories: {raw}."]
    return "\n".join(out)


# -- docs -------------------------------------------------------------------------------
def write_section(path: Path, marker: str, body: str) -> None:
    """Replace the text between ``<!-- marker:start -->`` and ``<!-- marker:end -->``."""
    start, end = f"<!-- {marker}:start -->", f"<!-- {marker}:end -->"
    block = f"{start}\n{body.rstrip()}\n{end}"
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    if start in text and end in text:
        head, rest = text.split(start, 1)
        _, tail = rest.split(end, 1)
        text = head + block + tail
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".md.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def print_console(index: dict, args, in_flight: int) -> None:
    seeds = range(args.seeds)
    budgets = sorted(args.budgets)
    for budget in budgets:
        print(f"\n{mode_name(in_flight)}: median regret after {budget} trials")
        print("problem".ljust(16) + "".join(a[:15].rjust(16) for a in args.algorithms))
        for problem in args.problems:
            row = problem[:16].ljust(16)
            for a in args.algorithms:
                s = summary(index, in_flight, problem, a, seeds, budget)
                row += ("n/a" if s is None else fmt(s[0])).rjust(16)
            print(row)
        variants = [(in_flight, a) for a in args.algorithms]
        r = mean_ranks(index, variants, args.problems, seeds, budget)
        print(
            "mean rank".ljust(16)
            + "".join(f"{r.get(v, float('nan')):.2f}".rjust(16) for v in variants)
        )


# -- main -------------------------------------------------------------------------------
def parse_args(argv: list[str]):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=10, help="number of seeds (0..N-1)")
    parser.add_argument("--budgets", type=int, nargs="+", default=[50, 100, 200])
    parser.add_argument(
        "--problems", nargs="+", default=None, choices=list(PROBLEMS),
        help="default: the 8 quality problems (with --discrete: the small discrete ones)",
    )  # fmt: skip
    parser.add_argument(
        "--discrete",
        action="store_true",
        help="the small all-discrete problems (choice4, ints456, pchoice4, exact and noisy): "
        "how often each algorithm evaluates good configurations; budget 100",
    )
    parser.add_argument(
        "--algorithms", nargs="+", default=list(ALGORITHMS), choices=list(ALGORITHMS)
    )
    parser.add_argument(
        "--parallel",
        type=int,
        nargs="+",
        default=[],
        metavar="P",
        help="also simulate P trials in flight (several values allowed, e.g. 4 8 16) and "
        "compare with the sequential runs",
    )
    parser.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
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
    discrete = [name for name, p in PROBLEMS.items() if "discrete" in p.tags]
    if args.problems is None:
        args.problems = discrete if args.discrete else [n for n in PROBLEMS if n not in discrete]
    if args.discrete and "--budgets" not in argv:
        args.budgets = [100]
    if args.quick:
        args.seeds, args.budgets = 2, [30]
        args.no_cache, args.no_write = True, True
    if args.seeds < 1 or min(args.budgets) < 1:
        parser.error("--seeds and --budgets must be positive")
    if any(p < 2 for p in args.parallel):
        parser.error("--parallel: each P must be at least 2 (1 in flight is the sequential run)")
    return args


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    quiet()
    # Import every library before the workers fork, so all runs use the same code.
    fingerprints = library_fingerprints()
    info = machine_info()
    load_before = load_average()
    start = time.perf_counter()
    modes = [0, *sorted(set(args.parallel))]
    tasks = make_tasks(args, fingerprints, modes)
    records, errors = run_all(tasks, args)
    wall = time.perf_counter() - start
    load_after = load_average()
    if library_fingerprints() != fingerprints:
        print("WARNING: hopt's source changed during this run; results mix versions.")
    index = index_records(records)
    args.n_runs = len(records)
    args.run_seconds = sum(r["wall_s"] for r in records)
    args.run_loads = [r["load_1min"] for r in records if "load_1min" in r]
    for mode in modes:
        print_console(index, args, mode)
    if args.discrete:
        print_discrete(index, args)
    print(f"\nwall time {wall / 60:.1f} min; {len(errors)} failed runs")
    if not args.no_write:
        loads = (load_before, load_after)
        if args.parallel:
            body = parallel_section(args, index, info, loads, wall, errors)
            write_section(args.docs, "parallel", body)
        elif args.discrete:
            body = discrete_section(args, index, info, loads, wall, errors)
            write_section(args.docs, "quality-discrete", body)
        else:
            body = quality_section(args, index, info, loads, wall, errors)
            write_section(args.docs, "quality", body)
        print(f"updated {rel(args.docs)}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
