"""Fleet throughput: Optuna's journal file and SQLite storages next to hopt's fleets.

Part one (the default): 60 trials of an objective that sleeps half a second
(random search over one uniform x in [-1, 1], fixed seeds), with 1, 2 and 4
worker processes, for

* ``optuna-journal``: JournalStorage on a JournalFileBackend (a file in a
  temporary directory);
* ``optuna-sqlite``: Optuna's RDB storage on ``sqlite:///PATH``;
* ``hopt-mongo``: hopt's MongoTrials with N ``hopt-worker`` processes
  (``python -m hopt.worker --mongo URL --exp-key K``) on a SecantusDB server;
* ``hopt-mongo-fleet``: the same with a fleet already running, as MongoDB
  workers usually are: the workers are started 3 s before the clock, with
  ``--poll-interval 0.1`` (how often an idle worker looks for work);
* ``hopt-file``: hopt's FileTrials (``FileTrials(path, parallelism=N)``: fmin
  starts and stops its N local workers itself). Skipped, with a note, while
  ``hopt.FileTrials`` does not exist.

For Optuna this process creates the study, then starts N processes
(``python -m fleet_objective ...``), each ``create_study(load_if_exists=True)``
then ``study.optimize(objective, n_trials=K)``; by default the 60 trials are
split evenly (K = 60 / N); ``--optuna-budget callback`` instead gives each
process ``n_trials=60`` and ``MaxTrialsCallback(60, states=None)``.

The clock starts before anything of a run exists (the study or the trials
object, any worker process), so process start-up is counted, and stops when the
last trial finished (the latest completion time the storage recorded: Optuna's
``datetime_complete``, hopt's ``refresh_time``). Efficiency is
(trials × 0.5 s) / (workers × wall seconds). Each configuration runs once per
repeat (``--repeats``, default 2), in the order repeat, workers, system; the
table shows medians.

Part two (``--bookkeeping``): bookkeeping cost per trial with a near-free
objective (x ** 2), 1000 trials, one process each: hopt in-memory Trials
(serial fmin), FileTrials (parallelism=1), MongoTrials (1 worker), Optuna
in-memory (in this process), Optuna journal file and Optuna SQLite (one worker
process). Reported as wall milliseconds per trial over the whole run (start-up
included) and between the first and the last trial finished (start-up left out).

    bash scripts/bench.sh fleet                     # both parts; updates docs/benchmarks.md
    bash scripts/bench.sh fleet --quick             # smoke run; writes nothing
    python benchmarks/fleet_throughput.py --url mongo://127.0.0.1:PORT --bookkeeping --no-docs
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(1, str(HERE))

import _single_thread  # noqa: F401, E402  (before numpy: one BLAS thread)
import fleet_objective  # noqa: E402

WORKER_COUNTS = (1, 2, 4)
TRIALS = 60
QUICK_TRIALS = 12
REPEATS = 2
BOOKKEEPING_TRIALS = 1000
QUICK_BOOKKEEPING_TRIALS = 100
SEED = 0
SLEEP_SECS = fleet_objective.SLEEP_SECS
THROUGHPUT_SYSTEMS = (
    "optuna-journal",
    "optuna-sqlite",
    "hopt-mongo",
    "hopt-mongo-fleet",
    "hopt-file",
)
#: hopt-mongo-fleet: the workers run this long before the clock starts, looking for work this often
FLEET_WARM_SECS = 3.0
FLEET_POLL_INTERVAL = "0.1"
BOOKKEEPING_SYSTEMS = (
    "hopt-memory",
    "hopt-file",
    "hopt-mongo",
    "optuna-memory",
    "optuna-journal",
    "optuna-sqlite",
)
LABELS = {
    "optuna-journal": "Optuna JournalStorage (JournalFileBackend)",
    "optuna-sqlite": "Optuna RDBStorage (SQLite)",
    "optuna-memory": "Optuna in-memory (this process)",
    "hopt-mongo": "hopt MongoTrials + hopt-worker (SecantusDB)",
    "hopt-mongo-fleet": "hopt MongoTrials, fleet already running (--poll-interval 0.1)",
    "hopt-file": "hopt FileTrials",
    "hopt-memory": "hopt Trials (in memory, serial fmin)",
}
JSON_PATHS = {
    "throughput": HERE / "results" / "fleet_throughput.json",
    "bookkeeping": HERE / "results" / "fleet_bookkeeping.json",
}
MARKERS = {"throughput": "fleet", "bookkeeping": "fleet-bookkeeping"}


class Skipped(Exception):
    """A system that cannot run here yet (hopt.FileTrials not written)."""


def file_trials_class():
    try:
        from hopt import FileTrials
    except ImportError:
        raise Skipped("hopt.FileTrials does not exist yet") from None
    return FileTrials


def worker_env() -> dict[str, str]:
    """Children import this checkout's hopt and fleet_objective (before any installed hopt)."""
    env = dict(os.environ)
    parts = [str(ROOT), str(HERE)]
    if env.get("PYTHONPATH"):
        parts.append(env["PYTHONPATH"])
    env["PYTHONPATH"] = os.pathsep.join(parts)
    return env


def spawn(command: list[str], logdir: Path, index: int):
    """A worker process with its output in ``logdir/worker-<index>.log``: (process, log)."""
    log = open(logdir / f"worker-{index}.log", "wb")  # noqa: SIM115 (the caller closes it)
    process = subprocess.Popen(
        command, cwd=logdir, env=worker_env(), stdout=log, stderr=subprocess.STDOUT
    )
    return process, log


def print_logs(logdir: Path) -> None:
    for log_path in sorted(logdir.glob("worker-*.log")):
        tail = log_path.read_text(errors="replace")[-2000:]
        print(f"--- {log_path.name}\n{tail}", file=sys.stderr)


# -- clocks ------------------------------------------------------------------------------------
def utc_epoch(naive_utc: dt.datetime) -> float:
    """hopt's times (``refresh_time``) are naive UTC, from this machine or the server on it."""
    return naive_utc.replace(tzinfo=dt.timezone.utc).timestamp()


def local_epoch(naive_local: dt.datetime) -> float:
    """Optuna's ``datetime_complete`` is naive local time (``datetime.now()``)."""
    return naive_local.timestamp()


def measured(
    system: str, workers: int, repeat: int, n: int, started: float, returned: float, finishes
) -> dict:
    """A run's row: ``started`` and ``finishes`` are epoch seconds, ``returned`` seconds."""
    finishes = sorted(finishes)
    wall = finishes[-1] - started if finishes else float("nan")
    first = finishes[0] - started if finishes else float("nan")
    return {
        "system": system,
        "workers": workers,
        "repeat": repeat,
        "n": n,
        "finished": len(finishes),
        "wall": wall,
        "first_finished": first,
        "returned": returned,
        "efficiency": n * SLEEP_SECS / (workers * wall),
    }


# -- Optuna ------------------------------------------------------------------------------------
def optuna_storage_spec(system: str, tmp: Path) -> str:
    if system == "optuna-journal":
        return f"journal:{tmp / 'journal.log'}"
    return f"sqlite:///{tmp / 'optuna.db'}"


def run_optuna_fleet(
    system: str, workers: int, n: int, repeat: int, *, free: bool, budget: str
) -> dict:
    """This process creates the study; ``workers`` processes run ``study.optimize``."""
    import optuna

    with tempfile.TemporaryDirectory(prefix="hopt-bench-fleet-") as tmpdir:
        tmp = Path(tmpdir)
        spec = optuna_storage_spec(system, tmp)
        name = f"fleet-{system}-w{workers}-r{repeat}"
        shares = [n // workers + (1 if i < n % workers else 0) for i in range(workers)]
        started = time.time()
        clock = time.perf_counter()
        optuna.create_study(
            storage=fleet_objective.optuna_storage(spec), study_name=name, direction="minimize"
        )
        processes = []
        for index, share in enumerate(shares):
            command = [sys.executable, "-m", "fleet_objective", "--storage", spec,
                       "--study", name, "--seed", str(1000 * repeat + index)]  # fmt: skip
            if budget == "callback":
                command += ["--n-trials", str(n), "--max-trials", str(n)]
            else:
                command += ["--n-trials", str(share)]
            if free:
                command.append("--free")
            processes.append(spawn(command, tmp, index))
        codes = []
        try:
            for process, _ in processes:
                try:
                    codes.append(process.wait(max(600.0, 10 * n * SLEEP_SECS)))
                except subprocess.TimeoutExpired:
                    process.kill()
                    codes.append(process.wait())
            returned = time.perf_counter() - clock
        finally:
            for process, log in processes:
                if process.poll() is None:
                    process.kill()
                    process.wait()
                log.close()
        if any(codes):
            print_logs(tmp)
            raise RuntimeError(f"{system}: worker exit codes {codes}")
        study = optuna.load_study(study_name=name, storage=fleet_objective.optuna_storage(spec))
        done = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
        row = measured(
            system, workers, repeat, n, started, returned,
            [local_epoch(t.datetime_complete) for t in done],
        )  # fmt: skip
        row["all_trials"] = len(study.get_trials(deepcopy=False))
        row["budget"] = budget
        return row


def run_optuna_memory(n: int, repeat: int) -> dict:
    import optuna

    started = time.time()
    clock = time.perf_counter()
    study = optuna.create_study(
        sampler=optuna.samplers.RandomSampler(seed=1000 * repeat), direction="minimize"
    )
    study.optimize(fleet_objective.optuna_free, n_trials=n)
    returned = time.perf_counter() - clock
    done = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
    return measured(
        "optuna-memory", 1, repeat, n, started, returned,
        [local_epoch(t.datetime_complete) for t in done],
    )  # fmt: skip


# -- hopt --------------------------------------------------------------------------------------
def _hopt_finishes(trials, returned_at: float) -> list[float]:
    """When each ok trial's result was stored (``refresh_time``, naive UTC).

    Should a backend leave ``refresh_time`` unset, every trial counts as finished when
    fmin returned (``returned_at``, epoch seconds), and a note says so.
    """
    ok = [doc for doc in trials.trials if doc["result"].get("status") == "ok"]
    if any(doc.get("refresh_time") is None for doc in ok):
        print("   note: trials without refresh_time; the clock stops when fmin returned")
        return [returned_at] * len(ok)
    return [utc_epoch(doc["refresh_time"]) for doc in ok]


def _hopt_fmin(trials, n: int, repeat: int, free: bool) -> None:
    from hopt import fmin, hp, rand

    fmin(
        fleet_objective.free if free else fleet_objective.sleepy,
        hp.uniform("x", fleet_objective.LOW, fleet_objective.HIGH),
        algo=rand.suggest,
        max_evals=n,
        trials=trials,
        rstate=SEED + repeat,
        show_progressbar=False,
    )


def run_hopt_mongo(
    base_url: str, workers: int, n: int, repeat: int, *, free: bool, warm: bool = False
) -> dict:
    from mongo_throughput import stop_workers

    from hopt.trials.mongo import MongoTrials

    database = f"fleet_{uuid.uuid4().hex[:10]}"
    exp_key = f"fleet-w{workers}-r{repeat}"
    short_url = base_url.split("://", 1)[1] + "/" + database
    with tempfile.TemporaryDirectory(prefix="hopt-bench-fleet-workers-") as tmpdir:
        logdir = Path(tmpdir)
        flags = ["--poll-interval", FLEET_POLL_INTERVAL] if warm else []
        processes = [
            spawn([sys.executable, "-m", "hopt.worker", "--mongo", short_url,
                   "--exp-key", exp_key, "--log-level", "warning", *flags], logdir, index)
            for index in range(workers)
        ]  # fmt: skip
        if warm:  # a running fleet: started, connected and idle before the run begins
            time.sleep(FLEET_WARM_SECS)
        started = time.time()
        clock = time.perf_counter()
        trials = None
        try:
            trials = MongoTrials(f"{base_url}/{database}/jobs", exp_key=exp_key)
            _hopt_fmin(trials, n, repeat, free)
            returned = time.perf_counter() - clock
            finishes = _hopt_finishes(trials, started + returned)
        except BaseException:
            stop_workers(processes)
            print_logs(logdir)
            raise
        else:
            codes = stop_workers(processes)
        finally:
            if trials is not None:
                with contextlib.suppress(Exception):
                    trials.handle.conn.client.drop_database(database)
                trials.handle.conn.close()
    system = "hopt-mongo-fleet" if warm else "hopt-mongo"
    row = measured(system, workers, repeat, n, started, returned, finishes)
    row["worker_exit_codes"] = codes
    return row


def run_hopt_file(workers: int, n: int, repeat: int, *, free: bool) -> dict:
    file_trials = file_trials_class()
    with tempfile.TemporaryDirectory(prefix="hopt-bench-fleet-file-") as tmpdir:
        started = time.time()
        clock = time.perf_counter()
        trials = file_trials(str(Path(tmpdir) / "trials"), parallelism=workers)
        _hopt_fmin(trials, n, repeat, free)
        returned = time.perf_counter() - clock
        finishes = _hopt_finishes(trials, started + returned)
        return measured("hopt-file", workers, repeat, n, started, returned, finishes)


def run_hopt_memory(n: int, repeat: int) -> dict:
    from hopt import Trials

    started = time.time()
    clock = time.perf_counter()
    trials = Trials()
    _hopt_fmin(trials, n, repeat, True)
    returned = time.perf_counter() - clock
    finishes = _hopt_finishes(trials, started + returned)
    return measured("hopt-memory", 1, repeat, n, started, returned, finishes)


def run_one(system: str, workers: int, n: int, repeat: int, args, base_url, free: bool) -> dict:
    if system in ("optuna-journal", "optuna-sqlite"):
        return run_optuna_fleet(system, workers, n, repeat, free=free, budget=args.optuna_budget)
    if system in ("hopt-mongo", "hopt-mongo-fleet"):
        warm = system == "hopt-mongo-fleet"
        return run_hopt_mongo(base_url, workers, n, repeat, free=free, warm=warm)
    if system == "hopt-file":
        return run_hopt_file(workers, n, repeat, free=free)
    if system == "hopt-memory":
        return run_hopt_memory(n, repeat)
    if system == "optuna-memory":
        return run_optuna_memory(n, repeat)
    raise ValueError(f"unknown system {system!r}")


# -- the two measurements ----------------------------------------------------------------------
def measure(part: str, systems, worker_counts, n: int, args, base_url) -> tuple[list, dict]:
    """Every (repeat, workers, system) run; returns the rows and what was skipped or failed."""
    rows, problems = [], {}
    free = part == "bookkeeping"
    for repeat in range(args.repeats):
        for workers in worker_counts:
            for system in systems:
                if system in problems:
                    continue
                try:
                    row = run_one(system, workers, n, repeat, args, base_url, free)
                except Skipped as note:
                    problems[system] = f"skipped: {note}"
                    print(f"   {system}: {problems[system]}", flush=True)
                    continue
                except Exception as exc:
                    traceback.print_exc()
                    problems[system] = f"failed: {type(exc).__name__}: {exc}"
                    continue
                rows.append(row)
                extra = ""
                if row.get("all_trials") not in (None, row["finished"]):
                    extra = f", {row['all_trials']} trials in the study"
                print(
                    f"   {system} workers={workers} repeat={repeat}: wall {row['wall']:.2f} s "
                    f"(first finished {row['first_finished']:.2f} s, returned "
                    f"{row['returned']:.2f} s), {row['finished']}/{n} finished, "
                    + (
                        f"{1000 * row['wall'] / n:.2f} ms per trial"
                        if free
                        else f"efficiency {100 * row['efficiency']:.0f} %"
                    )
                    + extra,
                    flush=True,
                )
    return rows, problems


def summarize(rows: list[dict]) -> dict:
    """Median over repeats per (system, workers); efficiency from the median wall time."""
    groups: dict[tuple[str, int], list[dict]] = {}
    for row in rows:
        groups.setdefault((row["system"], row["workers"]), []).append(row)
    table = {}
    for (system, workers), runs in groups.items():
        n = runs[0]["n"]
        wall = statistics.median(r["wall"] for r in runs)
        steady = statistics.median(
            (r["wall"] - r["first_finished"]) / (n - 1) if n > 1 else float("nan") for r in runs
        )
        table[f"{system}/{workers}"] = {
            "system": system,
            "workers": workers,
            "n": n,
            "runs": len(runs),
            "wall": wall,
            "returned": statistics.median(r["returned"] for r in runs),
            "efficiency": n * SLEEP_SECS / (workers * wall),
            "ms_per_trial": 1000 * wall / n,
            "steady_ms_per_trial": 1000 * steady,
            "complete": all(r["finished"] == n for r in runs),
        }
    return table


def throughput_table(table: dict, systems, worker_counts, problems: dict) -> list[str]:
    head = "| system |" + "".join(
        f" {w} worker{'s' if w > 1 else ''}: efficiency | wall s |" for w in worker_counts
    )
    lines = [head, "|---|" + "---:|---:|" * len(worker_counts)]
    for system in systems:
        cells = []
        for workers in worker_counts:
            cell = table.get(f"{system}/{workers}")
            if cell is None:
                cells += ["—", "—"]
            else:
                cells += [f"{100 * cell['efficiency']:.0f} %", f"{cell['wall']:.2f}"]
        note = f" ({problems[system]})" if system in problems else ""
        lines.append(f"| {LABELS[system]}{note} | " + " | ".join(cells) + " |")
    return lines


def bookkeeping_table(table: dict, systems, problems: dict) -> list[str]:
    lines = [
        "| system | trials | wall s | ms / trial, whole run | ms / trial, first to last "
        "finished | seconds to return |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for system in systems:
        cell = table.get(f"{system}/1")
        if cell is None:
            note = problems.get(system, "not run")
            lines.append(f"| {LABELS[system]} ({note}) | — | — | — | — | — |")
            continue
        lines.append(
            f"| {LABELS[system]} | {cell['n']} | {cell['wall']:.2f} | "
            f"{cell['ms_per_trial']:.2f} | {cell['steady_ms_per_trial']:.2f} | "
            f"{cell['returned']:.2f} |"
        )
    return lines


def _footer(info: dict, command: str, json_name: str) -> list[str]:
    return [
        "Command:",
        "",
        f"    {command}",
        "",
        f"Measured {info['when']} on {info['nproc']} CPUs (`nproc`; {info['cpu']}); load "
        f"average {info['load_start']} at the start and {info['load_end']} at the end; "
        f"Python {info['python']}, optuna {info['optuna']}, SQLAlchemy {info['sqlalchemy']}, "
        f"SQLite {info['sqlite']}, pymongo {info['pymongo']}, {info['server']}, hopt "
        f"{info['hopt']}; wall time {info['minutes']:.1f} min. Raw rows: "
        f"`benchmarks/results/{json_name}`.",
    ]


def throughput_section(table, systems, worker_counts, problems, info, command) -> str:
    n = info["trials"]
    if info["optuna_budget"] == "callback":
        budget = (
            f"each process gets `n_trials={n}` and "
            f"`callbacks=[MaxTrialsCallback({n}, states=None)]`, so the processes share one "
            "budget and stop once the study holds that many trials in any state"
        )
    else:
        budget = (
            f"the {n} trials are split evenly: each of N processes runs "
            f"`study.optimize(objective, n_trials={n}/N)`"
        )
    lines = [
        "## Fleet throughput: Optuna's shared storages and hopt's fleets",
        "",
        f"{n} trials of an objective that sleeps {SLEEP_SECS} s (random search over one "
        "`x ~ uniform(-1, 1)`, loss x², fixed seeds) with 1, 2 and 4 worker processes, "
        "every system in the same run, in the order repeat, workers, system:",
        "",
        "- *Optuna* (`RandomSampler(seed)`, one seed per process; logging at WARNING): this "
        "process creates the study, then starts N processes (`python -m fleet_objective`), "
        "each calling `optuna.create_study(..., load_if_exists=True)` and `study.optimize`; "
        f"{budget}. Storage: `JournalStorage(JournalFileBackend(file))` or "
        "`sqlite:///file` (RDBStorage), the file in a fresh temporary directory;",
        "- *hopt MongoTrials*: N `hopt-worker` processes (`python -m hopt.worker --mongo "
        "127.0.0.1:PORT/<fresh db> --exp-key K`, default flags) on one SecantusDB server, and "
        f"`fmin(objective, hp.uniform('x', -1, 1), algo=rand.suggest, max_evals={n}, "
        "trials=MongoTrials(...), rstate=seed)` in this process;",
        "- *hopt MongoTrials, fleet already running*: the same, but the workers are started "
        f"{FLEET_WARM_SECS:g} s before the clock (a MongoDB fleet usually runs before and "
        f"after a search) with `--poll-interval {FLEET_POLL_INTERVAL}`, how often an idle "
        "worker looks for work (the default, 1 s, lets an idle worker wait up to a second "
        "for a new search's first trial);",
        "- *hopt FileTrials*: `fmin(..., trials=FileTrials(path, parallelism=N))` in this "
        "process, which starts its N local worker processes itself and stops them at the end.",
        "",
        "The clock starts before the run makes anything (the study or trials object, any "
        "worker process but the running fleet's), so **process start-up is counted**, and stops when the last trial "
        "finished, as its storage recorded it (Optuna's `datetime_complete`, hopt's "
        "`refresh_time`). Efficiency = "
        f"({n} × {SLEEP_SECS} s) / (N × wall s). Medians of {info['repeats']} runs of each "
        "configuration; the 2 CPUs are shared by this process, the workers and the server.",
        "",
        *throughput_table(table, systems, worker_counts, problems),
        "",
        "There is no Hyperopt row: Hyperopt 0.3.0's MongoTrials does not run with pymongo 4 "
        "(see the MongoTrials section) and it has no file-based fleet.",
        "",
        *_footer(info, command, JSON_PATHS["throughput"].name),
    ]
    return "\n".join(lines)


def bookkeeping_section(table, systems, problems, info, command) -> str:
    n = info["trials"]
    lines = [
        "## Fleet bookkeeping cost per trial",
        "",
        f"{n} trials of a near-free objective (return x², random search, one "
        "`uniform(-1, 1)` parameter), one evaluating process each: hopt's in-memory "
        "`Trials` (serial `fmin` in this process), `FileTrials(path, parallelism=1)`, "
        "`MongoTrials` with one `hopt-worker` on SecantusDB; Optuna in memory "
        "(`study.optimize` in this process), and Optuna on a journal file and on SQLite "
        "(one worker process, set up as in the fleet throughput section). *Whole run*: "
        "wall time from before the study or trials object exists (process start-up "
        f"included) to the last trial finished, divided by {n}; *first to last finished*: "
        f"the time between the first and the last trial finished, divided by {n - 1} "
        f"(start-up left out). *Seconds to return*: until `fmin` returned or every worker "
        f"process exited. Medians of {info['repeats']} runs.",
        "",
        *bookkeeping_table(table, systems, problems),
        "",
        *_footer(info, command, JSON_PATHS["bookkeeping"].name),
    ]
    return "\n".join(lines)


def _info(started: float, load_start: str, args, trials: int) -> dict:
    import sqlite3

    import optuna
    import pymongo
    import sqlalchemy
    from quality import git_describe, load_average

    import hopt

    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "load_start": load_start,
        "load_end": load_average(),
        "python": sys.version.split()[0],
        "optuna": optuna.__version__,
        "sqlalchemy": sqlalchemy.__version__,
        "sqlite": sqlite3.sqlite_version,
        "pymongo": pymongo.__version__,
        "server": "SecantusDB 0.7.0b3 (secantusd-py)",
        "hopt": f"{hopt.__version__} ({git_describe()})",
        "minutes": (time.perf_counter() - started) / 60,
        "repeats": args.repeats,
        "trials": trials,
        "optuna_budget": args.optuna_budget,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--url",
        default=os.environ.get("HOPT_TEST_MONGO_URL"),
        help="mongo://host:port of a running server (default: start one)",
    )
    parser.add_argument("--bookkeeping", action="store_true", help="run part two instead")
    parser.add_argument("--repeats", type=int, default=REPEATS)
    parser.add_argument("--workers", type=int, nargs="+", default=list(WORKER_COUNTS))
    parser.add_argument("--trials", type=int, default=None, help="default 60 (1000 bookkeeping)")
    parser.add_argument(
        "--systems",
        nargs="+",
        default=None,
        choices=sorted(set(THROUGHPUT_SYSTEMS) | set(BOOKKEEPING_SYSTEMS)),
        help="a subset of the part's systems",
    )
    parser.add_argument(
        "--optuna-budget",
        choices=("split", "callback"),
        default="split",
        help="split: n_trials=total/N per process (default); callback: "
        "n_trials=total and MaxTrialsCallback(total, states=None) in every process",
    )
    parser.add_argument("--no-docs", action="store_true", help="print only; write nothing")
    parser.add_argument(
        "--quick", action="store_true", help="one repeat, fewer trials; writes nothing"
    )
    args = parser.parse_args(argv)
    part = "bookkeeping" if args.bookkeeping else "throughput"
    if args.trials is None:
        if part == "bookkeeping":
            args.trials = QUICK_BOOKKEEPING_TRIALS if args.quick else BOOKKEEPING_TRIALS
        else:
            args.trials = QUICK_TRIALS if args.quick else TRIALS
    if args.quick:
        args.repeats, args.no_docs = 1, True
    all_systems = BOOKKEEPING_SYSTEMS if part == "bookkeeping" else THROUGHPUT_SYSTEMS
    systems = [s for s in all_systems if args.systems is None or s in args.systems]
    worker_counts = [1] if part == "bookkeeping" else args.workers

    import optuna
    from quality import load_average, write_section

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    started = time.perf_counter()
    load_start = load_average()
    with contextlib.ExitStack() as stack:
        base_url = None
        if any(s.startswith("hopt-mongo") for s in systems):
            if args.url:
                base_url = args.url
            else:
                from mongo_throughput import own_server

                base_url = stack.enter_context(own_server())
            base_url = base_url.rstrip("/")
            print(f">> server {base_url}", flush=True)
        print(f">> {part}: {args.trials} trials, {args.repeats} repeat(s)", flush=True)
        rows, problems = measure(part, systems, worker_counts, args.trials, args, base_url)
    table = summarize(rows)
    info = _info(started, load_start, args, args.trials)
    command = "bash scripts/bench.sh fleet" + (" --bookkeeping" if args.bookkeeping else "")
    if args.optuna_budget != "split":
        command += f" --optuna-budget {args.optuna_budget}"
    if part == "bookkeeping":
        section = bookkeeping_section(table, systems, problems, info, command)
    else:
        section = throughput_section(table, systems, worker_counts, problems, info, command)
    print()
    print(section)
    failed = {s: p for s, p in problems.items() if p.startswith("failed")}
    incomplete = [key for key, cell in table.items() if not cell["complete"]]
    for key in incomplete:
        print(f"!! {key}: some run did not finish every trial")
    if args.no_docs:
        return 1 if failed else 0
    if failed or incomplete:
        print("not writing docs/benchmarks.md: a system failed or left trials unfinished")
        return 1
    JSON_PATHS[part].parent.mkdir(parents=True, exist_ok=True)
    JSON_PATHS[part].write_text(
        json.dumps({"info": info, "table": table, "runs": rows, "problems": problems}, indent=1)
    )
    write_section(ROOT / "docs" / "benchmarks.md", MARKERS[part], section)
    print("updated docs/benchmarks.md")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception:
        traceback.print_exc()
        sys.exit(1)
