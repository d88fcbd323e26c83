"""fmin's own overhead per trial: hopt vs Hyperopt 0.3.0 vs Optuna, random search.

All three libraries are imported into this one process and run the same
10-parameter mixed space with the same seeds and trial counts; the objective
costs next to nothing, so the time measured is the optimizer's own work
(suggesting, building trial documents, bookkeeping).  The headline number is
process CPU time per trial (``time.process_time``), median over seeds, because
it is steadier than wall time on a shared machine; wall time is recorded too.
Speed is reported as ratios taken in one run, never checked against a fixed
time (see benchmarks/README.md).

Run it through ``bash scripts/bench.sh [args]``, which installs the ``bench``
extra (hyperopt==0.3.0, optuna) into .venv first.  ``--quick`` is a smoke run
that writes nothing.
"""

from __future__ import annotations

import argparse  # noqa: E402
import gc  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import math  # noqa: E402
import os
import platform  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402
from collections.abc import Callable  # noqa: E402
from datetime import datetime, timezone  # noqa: E402
from importlib import metadata  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import _single_thread  # noqa: F401, E402  (before numpy: one BLAS thread)

ROOT = Path(__file__).resolve().parents[1]
# Measure the hopt of this work tree even if another copy is installed.
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

import hopt  # noqa: E402

LIBRARIES = ("hopt", "hyperopt", "optuna")
DEFAULT_N = (100, 1000)
DEFAULT_SEEDS = (0, 1, 2)
QUICK_N = (20, 100)
QUICK_SEEDS = (0,)
#: The issue's target for hopt at the largest N: at most this many CPU ms per trial.
TARGET_MS_PER_TRIAL = 0.2
TARGET_N = 1000

DEFAULT_JSON = ROOT / "benchmarks" / "results" / "overhead.json"
DEFAULT_DOCS = ROOT / "docs" / "benchmarks.md"
SECTION_START = "<!-- overhead:start -->"
SECTION_END = "<!-- overhead:end -->"
SECTION_TITLE = "## fmin overhead (random search)"

DOCS_INTRO = """\
# Benchmarks

hopt is compared with Hyperopt 0.3.0 (the reference implementation) and with
Optuna on the same problems, seeds and trial counts, all in one run, and the
results are given as ratios measured side by side. No test checks a timing:
speed and optimization quality live here, not in the test suite.

Reproduce every section with

    bash scripts/bench.sh

which installs the `bench` extra into `.venv` and runs the scripts in
`benchmarks/` (see benchmarks/README.md). Each section names the machine it
was measured on (CPUs from `nproc`, load average) and the Python and library
versions, as printed by the script; raw numbers are in `benchmarks/results/`.
"""


# --------------------------------------------------------------------------
# The search space, written once per library.
#
# Ten top-level hyperparameters of mixed kinds; the last is a choice of two
# dicts, one of which holds a nested (conditional) uniform "C".
# --------------------------------------------------------------------------

SPACE_DESCRIPTION = [
    ("x", "uniform(-5, 5)"),
    ("lr", "loguniform(log 1e-5, log 1)"),
    ("units", "quniform(1, 100, q=1)"),
    ("shift", "normal(0, 1)"),
    ("activation", "choice of 3 strings"),
    ("layers", "randint(10)"),
    ("depth", "uniformint(1, 12)"),
    ("scale", "lognormal(0, 1)"),
    ("batch", "qloguniform(log 8, log 512, q=8)"),
    ("model", 'choice of {"kind": "svm", "C": uniform(0.1, 10)} and {"kind": "tree"}'),
]


def hyperopt_style_space(hp: Any) -> dict:
    """The space, built with ``hp`` from hopt or from hyperopt (same API)."""
    return {
        "x": hp.uniform("x", -5.0, 5.0),
        "lr": hp.loguniform("lr", math.log(1e-5), math.log(1.0)),
        "units": hp.quniform("units", 1, 100, 1),
        "shift": hp.normal("shift", 0.0, 1.0),
        "activation": hp.choice("activation", ["relu", "tanh", "sigmoid"]),
        "layers": hp.randint("layers", 10),
        "depth": hp.uniformint("depth", 1, 12),
        "scale": hp.lognormal("scale", 0.0, 1.0),
        "batch": hp.qloguniform("batch", math.log(8), math.log(512), 8),
        "model": hp.choice(
            "model",
            [
                {"kind": "svm", "C": hp.uniform("C", 0.1, 10.0)},
                {"kind": "tree"},
            ],
        ),
    }


#: Objective calls since the last reset: each run must call its objective exactly N times.
CALLS = [0]


def hyperopt_style_objective(params: dict) -> float:
    """Near-free: the sum of two numeric values of the sampled point."""
    CALLS[0] += 1
    return params["x"] + params["shift"]


def optuna_objective(trial: Any) -> float:
    """The same space through Optuna's define-by-run ``suggest_*`` calls.

    Optuna has no normal, lognormal or stepped-log distributions, so those are
    mirrored by the closest draw it offers (same label, similar range); the
    kinds of work per parameter, not the exact priors, are what matter here.
    """
    CALLS[0] += 1
    x = trial.suggest_float("x", -5.0, 5.0)
    trial.suggest_float("lr", 1e-5, 1.0, log=True)
    trial.suggest_int("units", 1, 100)
    shift = trial.suggest_float("shift", -3.0, 3.0)  # normal(0, 1): +-3 sigma
    trial.suggest_categorical("activation", ["relu", "tanh", "sigmoid"])
    trial.suggest_int("layers", 0, 9)
    trial.suggest_int("depth", 1, 12)
    trial.suggest_float("scale", math.exp(-3.0), math.exp(3.0), log=True)  # lognormal
    trial.suggest_int("batch", 8, 512, log=True)  # qloguniform q=8
    if trial.suggest_categorical("model", ["svm", "tree"]) == "svm":
        trial.suggest_float("C", 0.1, 10.0)
    return x + shift


# --------------------------------------------------------------------------
# One run per library: returns (trials made, best loss, labels seen).
# The caller times exactly this call.
# --------------------------------------------------------------------------


def run_hyperopt_style(lib: Any, space: dict, n: int, seed: int) -> Any:
    trials = lib.Trials()
    lib.fmin(
        hyperopt_style_objective,
        space,
        algo=lib.rand.suggest,
        max_evals=n,
        trials=trials,
        rstate=np.random.default_rng(seed),
        show_progressbar=False,
    )
    return trials


def summarize_hyperopt_style(trials: Any) -> tuple[int, float, list[str]]:
    docs = trials.trials
    labels: set[str] = set()
    for doc in docs:
        labels.update(doc["misc"]["vals"])
    losses = [loss for loss in trials.losses() if loss is not None]
    return len(docs), min(losses), sorted(labels)


def run_optuna(optuna: Any, n: int, seed: int) -> Any:
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=seed))
    study.optimize(optuna_objective, n_trials=n)
    return study


def summarize_optuna(study: Any) -> tuple[int, float, list[str]]:
    trials = study.trials
    labels: set[str] = set()
    for trial in trials:
        labels.update(trial.params)
    return len(trials), study.best_value, sorted(labels)


def make_runners() -> dict[str, tuple[Callable, Callable, str]]:
    """Per library: run(n, seed), summarize(result), version; absent ones are skipped."""
    runners: dict[str, tuple[Callable, Callable, str]] = {}
    hopt_space = hyperopt_style_space(hopt.hp)
    runners["hopt"] = (
        lambda n, seed: run_hyperopt_style(hopt, hopt_space, n, seed),
        summarize_hyperopt_style,
        hopt.__version__,
    )
    try:
        import hyperopt
    except ImportError:
        print("hyperopt is not installed; skipping it (bash scripts/bench.sh installs it).")
    else:
        # hyperopt's rand module is not always bound on the package at import time.
        import hyperopt.rand  # noqa: F401

        hyperopt_space = hyperopt_style_space(hyperopt.hp)
        runners["hyperopt"] = (
            lambda n, seed: run_hyperopt_style(hyperopt, hyperopt_space, n, seed),
            summarize_hyperopt_style,
            metadata.version("hyperopt"),
        )
    try:
        import optuna
    except ImportError:
        print("optuna is not installed; skipping it (bash scripts/bench.sh installs it).")
    else:
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        runners["optuna"] = (
            lambda n, seed: run_optuna(optuna, n, seed),
            summarize_optuna,
            optuna.__version__,
        )
    return runners


def timed(run: Callable[[], Any]) -> tuple[Any, float, float]:
    """``run()``'s result, process CPU seconds and wall seconds."""
    gc.collect()  # start each run without garbage left by the previous one
    cpu_start, wall_start = time.process_time(), time.perf_counter()
    result = run()
    wall_end, cpu_end = time.perf_counter(), time.process_time()
    return result, cpu_end - cpu_start, wall_end - wall_start


# --------------------------------------------------------------------------
# Machine and versions, so a result says where it came from.
# --------------------------------------------------------------------------


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def hopt_commit() -> str:
    """The work tree's commit, marked when it has uncommitted changes under hopt/."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "hopt"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{head} with uncommitted changes" if dirty else head


def machine_info() -> dict:
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "nproc": usable,  # what `nproc` prints: CPUs this process may run on
        "cpu_count": os.cpu_count(),
        "cpu_model": cpu_model(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "load_average_start": list(os.getloadavg()),
    }


# --------------------------------------------------------------------------
# The measurement loop.
# --------------------------------------------------------------------------


def check_same_space(labels: dict[str, list[str]]) -> None:
    """Every library must have drawn the same hyperparameter labels."""
    expected = sorted([name for name, _ in SPACE_DESCRIPTION] + ["C"])
    for lib, seen in labels.items():
        if seen != expected:
            raise SystemExit(
                f"overhead.py: {lib} drew labels {seen}, expected {expected}; "
                "the spaces differ, so the comparison would be meaningless."
            )


def measure(
    runners: dict, libs: list[str], ns: list[int], seeds: list[int], warmup: int
) -> tuple[list[dict], dict[str, str]]:
    """Run every (N, seed, library), libraries interleaved so load drift hits all alike."""
    errors: dict[str, str] = {}
    # One untimed run per library first: lazy imports, caches and first-call
    # costs are paid here, not by whichever library happens to run first.
    labels: dict[str, list[str]] = {}
    for lib in libs:
        run, summarize, _ = runners[lib]
        try:
            _, _, labels[lib] = summarize(run(warmup, 12345))
        except Exception:
            errors[lib] = traceback.format_exc()
            print(f"{lib}: failed during warm-up:\n{errors[lib]}", file=sys.stderr)
    check_same_space(labels)

    records: list[dict] = []
    for n in ns:
        for seed in seeds:
            for lib in libs:
                if lib in errors:
                    continue
                run, summarize, _ = runners[lib]
                CALLS[0] = 0
                try:
                    result, cpu, wall = timed(lambda run=run, n=n, seed=seed: run(n, seed))
                    n_trials, best_loss, _ = summarize(result)
                except Exception:
                    errors[lib] = traceback.format_exc()
                    print(f"{lib}: failed at N={n} seed={seed}:\n{errors[lib]}", file=sys.stderr)
                    continue
                if n_trials != n or CALLS[0] != n:
                    errors[lib] = (
                        f"{lib} made {n_trials} trials and {CALLS[0]} objective calls "
                        f"at N={n} seed={seed}; expected {n} of each."
                    )
                    print(errors[lib], file=sys.stderr)
                    continue
                del result
                record = {
                    "library": lib,
                    "n": n,
                    "seed": seed,
                    "cpu_s": cpu,
                    "wall_s": wall,
                    "cpu_ms_per_trial": 1000.0 * cpu / n,
                    "wall_ms_per_trial": 1000.0 * wall / n,
                    "best_loss": float(best_loss),
                }
                records.append(record)
                print(
                    f"  {lib:<9} N={n:<5} seed={seed}: "
                    f"CPU {cpu:7.3f} s = {record['cpu_ms_per_trial']:6.3f} ms/trial, "
                    f"wall {wall:7.3f} s, best loss {best_loss:+.3f}",
                    flush=True,
                )
    return records, errors


def summarize_records(records: list[dict], libs: list[str], ns: list[int]) -> dict:
    """Medians over seeds per (N, library), and ratios to hopt."""
    summary: dict = {}
    for n in ns:
        row: dict = {}
        for lib in libs:
            mine = [r for r in records if r["library"] == lib and r["n"] == n]
            if not mine:
                continue
            row[lib] = {
                "cpu_ms_per_trial_median": statistics.median(r["cpu_ms_per_trial"] for r in mine),
                "cpu_ms_per_trial_min": min(r["cpu_ms_per_trial"] for r in mine),
                "wall_ms_per_trial_median": statistics.median(r["wall_ms_per_trial"] for r in mine),
                "seeds": [r["seed"] for r in mine],
            }
        base = row.get("hopt")
        if base:
            for lib in libs:
                if lib != "hopt" and lib in row:
                    row[lib]["cpu_ratio_to_hopt"] = (
                        row[lib]["cpu_ms_per_trial_median"] / base["cpu_ms_per_trial_median"]
                    )
                    row[lib]["wall_ratio_to_hopt"] = (
                        row[lib]["wall_ms_per_trial_median"] / base["wall_ms_per_trial_median"]
                    )
        summary[str(n)] = row
    return summary


# --------------------------------------------------------------------------
# Reporting: a table on stdout, raw JSON, and a section of docs/benchmarks.md.
# --------------------------------------------------------------------------


def fmt_ms(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def fmt_ratio(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}×"


def markdown_table(summary: dict, libs: list[str], versions: dict, metric: str) -> str:
    titles = {"hopt": "hopt", "hyperopt": "Hyperopt", "optuna": "Optuna"}
    others = [lib for lib in libs if lib != "hopt"]
    head = ["N"] + [f"{titles[lib]} {versions[lib]}" for lib in libs]
    head += [f"{titles[lib]} / hopt" for lib in others]
    lines = [
        "| " + " | ".join(head) + " |",
        "|" + "|".join("---:" for _ in head) + "|",
    ]
    ratio_key = metric.split("_")[0] + "_ratio_to_hopt"
    for n, row in summary.items():
        cells = [n]
        cells += [fmt_ms(row.get(lib, {}).get(metric)) for lib in libs]
        cells += [fmt_ratio(row.get(lib, {}).get(ratio_key)) for lib in others]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def target_line(summary: dict) -> str:
    hopt_row = summary.get(str(TARGET_N), {}).get("hopt")
    if hopt_row is None:
        return f"Target (hopt ≤ {TARGET_MS_PER_TRIAL} CPU ms per trial at N={TARGET_N}): not measured in this run."
    value = hopt_row["cpu_ms_per_trial_median"]
    verdict = "met" if value <= TARGET_MS_PER_TRIAL else "not met"
    return (
        f"Target (hopt ≤ {TARGET_MS_PER_TRIAL} CPU ms per trial at N={TARGET_N}): "
        f"{verdict}, {value:.3f} ms per trial."
    )


def docs_section(report: dict) -> str:
    machine = report["machine"]
    versions = report["versions"]
    libs = report["libraries"]
    summary = report["summary"]
    load_start = "/".join(f"{x:.2f}" for x in machine["load_average_start"])
    load_end = "/".join(f"{x:.2f}" for x in machine["load_average_end"])
    space = "\n".join(f"- `{name}`: {kind}" for name, kind in SPACE_DESCRIPTION)
    seeds = ", ".join(str(s) for s in report["seeds"])
    version_text = ", ".join(f"{lib} {versions[lib]}" for lib in libs)
    command = " ".join(["bash scripts/bench.sh"] + report["argv"])
    return f"""{SECTION_START}
{SECTION_TITLE}

What it measures: the time `fmin` spends per trial on its own work when the
objective costs nothing, with random search, so no model of past trials
hides the loop's cost. Each library runs the same 10-parameter mixed space:

{space}

hopt and Hyperopt run
`fmin(objective, space, algo=rand.suggest, max_evals=N, trials=Trials(),
rstate=np.random.default_rng(seed), show_progressbar=False)`; Optuna runs
`create_study(sampler=RandomSampler(seed))` and `study.optimize(objective,
n_trials=N)` with the same labels through `suggest_*` calls (normal and
lognormal become bounded floats there: Optuna has no such priors). The
objective returns `x + shift`. Each timed run includes creating the trials
store or study. Libraries are interleaved per seed in one process after one
untimed warm-up run each; `OMP_NUM_THREADS=1`.

Numbers are process CPU milliseconds per trial (`time.process_time`), median
over seeds {seeds}; the ratios are the other library's time divided by
hopt's, so above 1× means hopt is faster.

{markdown_table(summary, libs, versions, "cpu_ms_per_trial_median")}

Wall milliseconds per trial (median over the same runs), for reference; wall
time is inflated when the machine is shared, CPU time much less so:

{markdown_table(summary, libs, versions, "wall_ms_per_trial_median")}

{target_line(summary)}

Measured {report["finished"]} on {machine["nproc"]} CPUs (`nproc`; CPU model:
{machine["cpu_model"]}), load average {load_start} at the start and {load_end}
at the end; Python {machine["python"]}, numpy {machine["numpy"]}, {version_text}
(hopt at commit {report["hopt_commit"]}).
Reproduce with `{command}`; raw per-run numbers are in
`benchmarks/results/overhead.json`.
{SECTION_END}
"""


def update_docs(path: Path, section: str) -> None:
    """Write ``section`` into ``path``, replacing only the text between its markers."""
    if path.exists():
        text = path.read_text(encoding="utf-8")
    else:
        text = DOCS_INTRO
    start, end = text.find(SECTION_START), text.find(SECTION_END)
    if start != -1 and end > start:
        text = text[:start] + section.rstrip("\n") + text[end + len(SECTION_END) :]
    else:
        text = text.rstrip("\n") + "\n\n" + section
    if not text.endswith("\n"):
        text += "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="fmin overhead per trial, random search: hopt vs Hyperopt vs Optuna."
    )
    parser.add_argument(
        "--n",
        type=int,
        nargs="+",
        default=None,
        metavar="N",
        help=f"trial counts (default: {' '.join(map(str, DEFAULT_N))})",
    )
    parser.add_argument(
        "--seeds",
        type=int,
        nargs="+",
        default=None,
        metavar="SEED",
        help=f"seeds; medians are taken over them (default: {' '.join(map(str, DEFAULT_SEEDS))})",
    )
    parser.add_argument(
        "--libs",
        nargs="+",
        choices=LIBRARIES,
        default=list(LIBRARIES),
        help="libraries to run (hopt always runs: ratios are taken to it)",
    )
    parser.add_argument(
        "--warmup", type=int, default=20, help="trials in the untimed warm-up run (default: 20)"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"smoke run: N={' '.join(map(str, QUICK_N))}, one seed, writes nothing",
    )
    parser.add_argument(
        "--no-write", action="store_true", help="print the table only; write no files"
    )
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help="raw results file")
    parser.add_argument("--docs", type=Path, default=DEFAULT_DOCS, help="markdown file to update")
    args = parser.parse_args(argv)
    if args.n is None:
        args.n = list(QUICK_N if args.quick else DEFAULT_N)
    if args.seeds is None:
        args.seeds = list(QUICK_SEEDS if args.quick else DEFAULT_SEEDS)
    if any(n < 1 for n in args.n):
        parser.error(f"--n: every N must be >= 1; got {args.n}.")
    if args.warmup < 1:
        parser.error(f"--warmup must be >= 1; got {args.warmup}.")
    if "hopt" not in args.libs:
        args.libs.insert(0, "hopt")
    args.write = not (args.quick or args.no_write)
    return args


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    # Quiet loggers: a log line per trial would be measured as overhead.
    logging.getLogger("hyperopt").setLevel(logging.WARNING)
    logging.getLogger("hopt").setLevel(logging.WARNING)

    machine = machine_info()
    runners = make_runners()
    libs = [lib for lib in LIBRARIES if lib in args.libs and lib in runners]
    versions = {lib: runners[lib][2] for lib in libs}
    print(
        f"Python {machine['python']}, numpy {machine['numpy']}, "
        + ", ".join(f"{lib} {versions[lib]}" for lib in libs)
    )
    print(
        f"nproc {machine['nproc']} ({machine['cpu_model']}), "
        f"load average {machine['load_average_start']}"
    )
    print(f"N {args.n}, seeds {args.seeds}")

    records, errors = measure(runners, libs, args.n, args.seeds, args.warmup)
    machine["load_average_end"] = list(os.getloadavg())
    summary = summarize_records(records, libs, args.n)
    report = {
        "benchmark": "fmin overhead per trial, rand.suggest, 10-parameter mixed space",
        "finished": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "argv": argv,
        "ns": args.n,
        "seeds": args.seeds,
        "libraries": libs,
        "versions": versions,
        "hopt_commit": hopt_commit(),
        "machine": machine,
        "space": dict(SPACE_DESCRIPTION),
        "summary": summary,
        "runs": records,
        "errors": errors,
    }

    print()
    print("CPU ms per trial (median over seeds); ratio = other / hopt")
    print(markdown_table(summary, libs, versions, "cpu_ms_per_trial_median"))
    print()
    print("Wall ms per trial (median over seeds)")
    print(markdown_table(summary, libs, versions, "wall_ms_per_trial_median"))
    print()
    print(target_line(summary))

    if args.write:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {args.json}")
        if errors:
            print(f"not updating {args.docs}: some libraries failed ({', '.join(errors)}).")
        else:
            update_docs(args.docs, docs_section(report))
            print(f"updated {args.docs}")
    if errors:
        print(f"FAILED: {', '.join(errors)} (tracebacks above)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
