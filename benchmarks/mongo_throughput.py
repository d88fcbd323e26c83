"""MongoTrials throughput: fmin with 1, 2 and 4 hopt-worker processes on SecantusDB.

Each run is ``fmin(sleep_half_second, space, algo=tpe.suggest, max_evals=60,
trials=MongoTrials(url_of_a_fresh_database, exp_key=K))``.  The workers
(``python -m hopt.worker --mongo URL --exp-key K`` with default flags) are
started first, and the clock starts only once all of them show in the worker
registry (``MongoJobs.live_workers``), so their start-up is not counted.  A
trial sleeps half a second and uses no CPU, so the ideal wall time is
``60 * 0.5 / workers`` and efficiency is ideal / measured.

Where the rest goes is read from three places:

* the trial documents: ``book_time`` (reserved) and ``refresh_time`` (result
  stored), both server clock, give each worker's idle gap between storing one
  result and reserving its next trial, and the time from reservation to result;
* a pymongo command listener in this process: how many database commands fmin
  sent and how long they took;
* ``algo`` is ``tpe.suggest`` behind a thin timer: fmin's time in TPE.

A second part times ``MongoJobs.reserve()`` alone on a queue of 60 NEW trials
(and on an empty queue: the cost of a worker's look at nothing).

Hyperopt 0.3.0 is not run next to it: its MongoTrials calls pymongo 3 methods
(``find_and_modify``, ``insert``, ``Cursor.count``) that pymongo 4 removed.

    bash scripts/bench.sh mongo                       # starts a server; updates docs
    bash scripts/bench.sh mongo --quick               # one repetition; writes nothing
    python benchmarks/mongo_throughput.py --url mongo://127.0.0.1:PORT --no-docs
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import signal
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

WORKER_COUNTS = (1, 2, 4)
MAX_EVALS = 60
SLEEP_SECS = 0.5
REPEATS = 3
TARGET_EFFICIENCY = 0.80
JSON_PATH = HERE / "results" / "mongo_throughput.json"
#: worker time not spent in the objective, from the trial documents (see trial_timeline)
LOSS_PARTS = ("idle_before_first", "idle_between", "idle_after_last", "busy_beyond_sleep")
SECANTUSD = ROOT / ".venv-mongo" / "bin" / "secantusd-py"


def sleep_half_second(params: dict) -> float:
    time.sleep(SLEEP_SECS)
    return (params["x"] - 1.0) ** 2 + params["y"]


def _space():
    from hopt import hp

    return {"x": hp.uniform("x", -5, 5), "y": hp.loguniform("y", -5, 0)}


# -- fmin-side accounting ------------------------------------------------------------------
class CommandTimes:
    """A pymongo command listener: count and total seconds per command name."""

    def __init__(self) -> None:
        self.by_name: dict[str, list[float]] = {}

    def reset(self) -> None:
        self.by_name = {}

    def started(self, event) -> None:
        pass

    def succeeded(self, event) -> None:
        self.by_name.setdefault(event.command_name, []).append(event.duration_micros / 1e6)

    def failed(self, event) -> None:
        self.succeeded(event)

    def summary(self) -> dict:
        return {
            name: {"count": len(times), "seconds": sum(times)}
            for name, times in sorted(self.by_name.items())
        }


def _listener(times: CommandTimes):
    from pymongo import monitoring

    class Listener(monitoring.CommandListener):
        def started(self, event) -> None:
            times.started(event)

        def succeeded(self, event) -> None:
            times.succeeded(event)

        def failed(self, event) -> None:
            times.failed(event)

    return Listener()


class TimedAlgo:
    """``tpe.suggest`` with the seconds spent in it added up."""

    def __init__(self, algo) -> None:
        self.algo = algo
        self.seconds = 0.0
        self.calls = 0

    def __call__(self, *args, **kwargs):
        started = time.perf_counter()
        try:
            return self.algo(*args, **kwargs)
        finally:
            self.seconds += time.perf_counter() - started
            self.calls += 1


# -- servers and workers ---------------------------------------------------------------------
@contextlib.contextmanager
def own_server():
    """A secantusd-py on a free port with a temporary store (when no --url is given)."""
    import socket

    import pymongo

    if not os.access(SECANTUSD, os.X_OK):
        raise SystemExit(
            f"no secantusd-py at {SECANTUSD}: run `bash scripts/bench.sh mongo` (it installs "
            "SecantusDB into .venv-mongo), or pass --url of a running server."
        )
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with tempfile.TemporaryDirectory(prefix="hopt-bench-mongo-") as tmp:
        with open(Path(tmp) / "server.log", "wb") as log:
            process = subprocess.Popen(
                [str(SECANTUSD), "--host", "127.0.0.1", "--port", str(port),
                 "--storage-path", str(Path(tmp) / "store")],
                stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        try:
            client = pymongo.MongoClient(
                f"mongodb://127.0.0.1:{port}/", serverSelectionTimeoutMS=300
            )
            deadline = time.monotonic() + 30
            while True:
                try:
                    client.admin.command("ping")
                    break
                except pymongo.errors.PyMongoError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        raise SystemExit("secantusd-py did not start") from None
                    time.sleep(0.1)
            client.close()
            yield f"mongo://127.0.0.1:{port}"
        finally:
            process.terminate()
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def start_workers(n: int, short_url: str, exp_key: str, logdir: Path, flags: list[str]):
    processes = []
    for index in range(n):
        log = open(logdir / f"worker-{index}.log", "wb")  # noqa: SIM115 (closed in stop_workers)
        command = [sys.executable, "-m", "hopt.worker", "--mongo", short_url,
                   "--exp-key", exp_key, "--log-level", "warning", *flags]  # fmt: skip
        process = subprocess.Popen(command, cwd=logdir, stdout=log, stderr=subprocess.STDOUT)
        processes.append((process, log))
    return processes


def stop_workers(processes) -> list[int]:
    for process, _ in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    codes = []
    for process, log in processes:
        try:
            codes.append(process.wait(20))
        except subprocess.TimeoutExpired:
            process.kill()
            codes.append(process.wait())
        log.close()
    return codes


def wait_registered(jobs, exp_key: str, n: int, timeout: float = 60.0) -> float:
    started = time.perf_counter()
    while jobs.live_workers(exp_key) < n:
        if time.perf_counter() - started > timeout:
            raise RuntimeError(f"only {jobs.live_workers(exp_key)} of {n} workers registered")
        time.sleep(0.05)
    return time.perf_counter() - started


# -- one fmin run ------------------------------------------------------------------------------
def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def _quantile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def trial_timeline(docs: list[dict], fmin_start: dt.datetime, fmin_end: dt.datetime) -> dict:
    """Per-worker gaps and per-trial times from the trial documents (server clock)."""
    done = [d for d in docs if d.get("book_time") and d.get("refresh_time")]
    busy = [(d["refresh_time"] - d["book_time"]).total_seconds() for d in done]
    gaps: list[float] = []
    by_owner: dict[str, list[dict]] = {}
    for doc in done:
        by_owner.setdefault(doc["owner"], []).append(doc)
    for owned in by_owner.values():
        owned.sort(key=lambda d: d["book_time"])
        for before, after in zip(owned, owned[1:]):
            gaps.append((after["book_time"] - before["refresh_time"]).total_seconds())
    first_book = min((d["book_time"] for d in done), default=None)
    last_done = max((d["refresh_time"] for d in done), default=None)
    # Where each worker's time between fmin's call and return went, summed over workers:
    # idle before its first trial, idle between trials, idle after its last one, and the
    # time from reservation to stored result beyond the objective's own sleep.
    ramp = sum((owned[0]["book_time"] - fmin_start).total_seconds() for owned in by_owner.values())
    tail = sum(
        (fmin_end - owned[-1]["refresh_time"]).total_seconds() for owned in by_owner.values()
    )
    return {
        "idle_before_first": ramp,
        "idle_between": sum(gaps),
        "idle_after_last": tail,
        "busy_beyond_sleep": sum(busy) - SLEEP_SECS * len(busy),
        "trials_per_worker": sorted(len(v) for v in by_owner.values()),
        "busy_median": _median(busy),
        "busy_max": max(busy, default=None),
        "gap_median": _median(gaps),
        "gap_p90": _quantile(gaps, 0.9),
        "gap_mean": statistics.fmean(gaps) if gaps else None,
        "first_reserve_after": None
        if first_book is None
        else (first_book - fmin_start).total_seconds(),
        "return_after_last_result": None
        if last_done is None
        else (fmin_end - last_done).total_seconds(),
    }


def one_run(base_url: str, workers: int, repeat: int, flags: list[str], times: CommandTimes):
    from hopt import fmin, tpe
    from hopt.trials.mongo import MongoJobs, MongoTrials

    database = f"bench_{uuid.uuid4().hex[:10]}"
    exp_key = f"throughput-w{workers}-r{repeat}"
    short_url = base_url.split("://", 1)[1] + "/" + database
    jobs = MongoJobs.new_from_connection_str(f"{base_url}/{database}/jobs")
    logdir = Path(tempfile.mkdtemp(prefix="hopt-bench-workers-"))
    processes = start_workers(workers, short_url, exp_key, logdir, flags)
    try:
        registered_after = wait_registered(jobs, exp_key, workers)
        trials = MongoTrials(f"{base_url}/{database}/jobs", exp_key=exp_key)
        algo = TimedAlgo(tpe.suggest)
        times.reset()
        server_start = jobs.server_time()
        started = time.perf_counter()
        fmin(
            sleep_half_second,
            _space(),
            algo=algo,
            max_evals=MAX_EVALS,
            trials=trials,
            rstate=repeat,
            show_progressbar=False,
        )
        wall = time.perf_counter() - started
        server_end = server_start + dt.timedelta(seconds=wall)
        commands = times.summary()
        docs = jobs.find(exp_key)
    except Exception:
        stop_workers(processes)
        for log in sorted(logdir.glob("*.log")):
            print(f"--- {log.name}\n" + log.read_text(errors="replace")[-2000:], file=sys.stderr)
        raise
    codes = stop_workers(processes)
    jobs.conn.client.drop_database(database)
    jobs.conn.close()
    trials.handle.conn.close()
    ok = sum(1 for d in docs if d.get("result", {}).get("status") == "ok")
    ideal = MAX_EVALS * SLEEP_SECS / workers
    fmin_db_seconds = sum(c["seconds"] for c in commands.values())
    return {
        "workers": workers,
        "repeat": repeat,
        "trials": len(docs),
        "ok": ok,
        "ideal": ideal,
        "wall": wall,
        "efficiency": ideal / wall,
        "registered_after": registered_after,
        "tpe_seconds": algo.seconds,
        "tpe_calls": algo.calls,
        "fmin_commands": commands,
        "fmin_db_seconds": fmin_db_seconds,
        "fmin_db_count": sum(c["count"] for c in commands.values()),
        "worker_exit_codes": codes,
        **trial_timeline(docs, server_start, server_end),
    }


# -- reserve() on its own ----------------------------------------------------------------------
def reserve_latency(base_url: str, repeat: int) -> dict:
    from hopt.trials.mongo import MongoJobs

    database = f"bench_{uuid.uuid4().hex[:10]}"
    jobs = MongoJobs.new_from_connection_str(f"{base_url}/{database}/jobs")
    try:
        jobs.create_indexes()
        exp_key = "reserve"
        tids = jobs.allocate_tids(MAX_EVALS)
        jobs.insert([_new_doc(tid, exp_key) for tid in tids])
        taken, empty, polls = [], [], []
        for _ in range(MAX_EVALS):
            started = time.perf_counter()
            doc = jobs.reserve("bench", uuid.uuid4().hex, 30.0, exp_key)
            taken.append(time.perf_counter() - started)
            assert doc is not None
        for _ in range(20):
            started = time.perf_counter()
            assert jobs.reserve("bench", uuid.uuid4().hex, 30.0, exp_key) is None
            empty.append(time.perf_counter() - started)
            started = time.perf_counter()
            jobs.changed_docs(exp_key, jobs.server_time(max_age=60.0))
            polls.append(time.perf_counter() - started)
    finally:
        jobs.conn.client.drop_database(database)
        jobs.conn.close()
    ms = 1000.0
    return {
        "repeat": repeat,
        "reserve_median_ms": ms * _median(taken),
        "reserve_p90_ms": ms * _quantile(taken, 0.9),
        "empty_median_ms": ms * _median(empty),
        "changes_poll_median_ms": ms * _median(polls),  # a read of changes finding none
        "reserve_all_ms": [ms * t for t in taken],
    }


def _new_doc(tid: int, exp_key: str) -> dict:
    from hopt._types import JOB_STATE_NEW

    return {
        "tid": tid,
        "exp_key": exp_key,
        "state": JOB_STATE_NEW,
        "spec": None,
        "result": {"status": "new"},
        "misc": {"tid": tid, "cmd": ("domain_attachment", "FMinIter_Domain"),
                 "idxs": {"x": [tid]}, "vals": {"x": [0.5]}},
        "owner": None,
        "book_time": None,
        "refresh_time": None,
        "attempts": 0,
        "max_attempts": 3,
        "lease": None,
    }  # fmt: skip


# -- report ------------------------------------------------------------------------------------
def _med(rows: list[dict], key: str) -> float | None:
    values = [r[key] for r in rows if r.get(key) is not None]
    return statistics.median(values) if values else None


def summarize(runs: list[dict], reserves: list[dict]) -> dict:
    table = []
    for n in sorted({r["workers"] for r in runs}):
        rows = [r for r in runs if r["workers"] == n]
        per_trial_db = [r["fmin_db_seconds"] / MAX_EVALS for r in rows]
        table.append(
            {
                "workers": n,
                "ideal": rows[0]["ideal"],
                "wall": _med(rows, "wall"),
                "walls": [r["wall"] for r in rows],
                "efficiency": _med(rows, "efficiency"),
                "gap_median": _med(rows, "gap_median"),
                "gap_p90": _med(rows, "gap_p90"),
                "busy_median": _med(rows, "busy_median"),
                "tpe_ms_per_trial": 1000 * _med(rows, "tpe_seconds") / MAX_EVALS,
                "fmin_db_commands_per_trial": _med(rows, "fmin_db_count") / MAX_EVALS,
                "fmin_db_ms_per_trial": 1000 * statistics.median(per_trial_db),
                "first_reserve_after": _med(rows, "first_reserve_after"),
                "return_after_last_result": _med(rows, "return_after_last_result"),
                "ok": [r["ok"] for r in rows],
                **{
                    f"lost_{part}": statistics.median(r[part] / n for r in rows)
                    for part in LOSS_PARTS
                },
            }
        )
    latency = {
        key: statistics.median(r[key] for r in reserves)
        for key in ("reserve_median_ms", "reserve_p90_ms", "empty_median_ms",
                    "changes_poll_median_ms")
    }  # fmt: skip
    return {"table": table, "latency": latency}


def print_table(summary: dict) -> None:
    print(
        f"{'workers':>7} {'ideal s':>8} {'actual s':>9} {'eff':>5} {'start':>6} {'end':>6} "
        f"{'gap med':>8} "
        f"{'gap p90':>8} {'busy':>6} {'TPE ms':>7} {'db cmds':>8} {'db ms':>6}"
    )
    for row in summary["table"]:
        print(
            f"{row['workers']:>7} {row['ideal']:>8.1f} {row['wall']:>9.2f} "
            f"{100 * row['efficiency']:>4.0f}% {row['first_reserve_after']:>6.2f} "
            f"{row['return_after_last_result']:>6.2f} "
            f"{row['gap_median']:>8.3f} {row['gap_p90']:>8.3f} "
            f"{row['busy_median']:>6.3f} {row['tpe_ms_per_trial']:>7.1f} "
            f"{row['fmin_db_commands_per_trial']:>8.1f} {row['fmin_db_ms_per_trial']:>6.1f}"
        )
    print("time beyond ideal, as wall seconds (summed over workers / workers):")
    print(f"{'workers':>7} {'lost':>6} {'ramp':>6} {'gaps':>6} {'tail':>6} {'in-trial':>8}")
    for row in summary["table"]:
        print(
            f"{row['workers']:>7} {row['wall'] - row['ideal']:>6.2f} "
            + " ".join(f"{row['lost_' + part]:>6.2f}" for part in LOSS_PARTS[:3])
            + f" {row['lost_busy_beyond_sleep']:>8.2f}"
        )
    lat = summary["latency"]
    print(
        f"reserve(): median {lat['reserve_median_ms']:.1f} ms, p90 {lat['reserve_p90_ms']:.1f} ms"
        f" on a queue of {MAX_EVALS} NEW trials; empty queue {lat['empty_median_ms']:.1f} ms; "
        f"empty read of changes {lat['changes_poll_median_ms']:.1f} ms"
    )


def _section(summary: dict, info: dict, command: str) -> str:
    lines = [
        "## MongoTrials throughput",
        "",
        f"`fmin(sleep_0.5s, space, algo=tpe.suggest, max_evals={MAX_EVALS}, "
        "trials=MongoTrials('mongo://127.0.0.1:PORT/<fresh db>/jobs', exp_key=K))` with 1, 2 "
        "and 4 `hopt-worker` processes (`python -m hopt.worker --mongo 127.0.0.1:PORT/<db> "
        f"--exp-key K`{(' ' + ' '.join(info['worker_flags'])) if info['worker_flags'] else ''}"
        ", otherwise default flags) on one SecantusDB server (`secantusd-py`, a "
        "MongoDB-wire server on WiredTiger; no real mongod exists on this machine). The "
        "workers are started first and the clock starts once all of them are in the worker "
        "registry, so worker start-up is not counted; it stops when fmin returns. A trial "
        f"sleeps {SLEEP_SECS} s, so the ideal wall time is {MAX_EVALS} × {SLEEP_SECS} s / "
        f"workers; efficiency is ideal / measured. Median of {info['repeats']} runs, each "
        f"finishing all {MAX_EVALS} trials with status ok (the script writes nothing "
        "otherwise); the 2 CPUs are shared by fmin, the workers and the server.",
        "",
        "| workers | ideal s | actual s | efficiency | start s | end s | worker gap median s "
        "| gap p90 s | reserve→result median s | TPE ms / trial | fmin DB commands / trial "
        "| fmin DB ms / trial |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in summary["table"]:
        lines.append(
            f"| {row['workers']} | {row['ideal']:.1f} | {row['wall']:.2f} | "
            f"{100 * row['efficiency']:.0f} % | {row['first_reserve_after']:.2f} | "
            f"{row['return_after_last_result']:.2f} | {row['gap_median']:.3f} | "
            f"{row['gap_p90']:.3f} | "
            f"{row['busy_median']:.3f} | {row['tpe_ms_per_trial']:.1f} | "
            f"{row['fmin_db_commands_per_trial']:.1f} | {row['fmin_db_ms_per_trial']:.1f} |"
        )
    lines += [
        "",
        "Where the time beyond ideal goes: each worker's time from fmin's call to its return "
        "that was not the objective's sleep, from the trial documents, summed over workers "
        "and divided by the worker count (so the parts add up to actual − ideal, up to "
        "rounding and the clock offset between this process and the server); medians:",
        "",
        "| workers | actual − ideal s | before first trial s | between trials s "
        "| after last trial s | reservation→result beyond the sleep s |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for row in summary["table"]:
        lines.append(
            f"| {row['workers']} | {row['wall'] - row['ideal']:.2f} | "
            + " | ".join(f"{row['lost_' + part]:.2f}" for part in LOSS_PARTS)
            + " |"
        )
    lat = summary["latency"]
    top = max(summary["table"], key=lambda r: r["workers"], default=None)
    lines += [
        "",
        "- *start*: from calling fmin to the first reservation; *end*: from the last "
        "result stored to fmin returning (server clock, medians);",
        "- *worker gap*: per worker, from storing one result (`refresh_time`) to reserving "
        "its next trial (`book_time`), server clock, from the trial documents;",
        "- *reserve→result*: `refresh_time − book_time` of a trial (the 0.5 s sleep plus "
        "the result write);",
        "- *fmin DB commands / ms*: commands fmin's process sent (pymongo command "
        "listener) and their summed duration, divided by the trial count; *TPE ms*: "
        "fmin's time inside `tpe.suggest`.",
        "",
        f"`MongoJobs.reserve()` alone, on a queue of {MAX_EVALS} NEW trials: median "
        f"{lat['reserve_median_ms']:.1f} ms, p90 {lat['reserve_p90_ms']:.1f} ms (one "
        "`findAndModify`); on an empty queue "
        f"{lat['empty_median_ms']:.1f} ms; one read of the changed trials finding none "
        f"{lat['changes_poll_median_ms']:.1f} ms (medians of {info['repeats']} repetitions).",
        "",
    ]
    if top is not None:
        met = "met" if top["efficiency"] >= TARGET_EFFICIENCY else "NOT met"
        lines += [
            f"Target (efficiency ≥ {100 * TARGET_EFFICIENCY:.0f} % with "
            f"{top['workers']} workers): {met}, {100 * top['efficiency']:.0f} %.",
            "",
        ]
    lines += [
        "There is no Hyperopt column: Hyperopt 0.3.0's MongoTrials and "
        "`hyperopt-mongo-worker` call pymongo 3 methods (`find_and_modify`, "
        "`insert`, `update`, `remove`, `Cursor.count`) that pymongo 4 removed, so they "
        "do not run with a current pymongo.",
        "",
        "Command:",
        "",
        f"    {command}",
        "",
        f"Measured {info['when']} on {info['nproc']} CPUs (`nproc`; {info['cpu']}); load "
        f"average {info['load_start']} at the start and {info['load_end']} at the end; "
        f"Python {info['python']}, pymongo {info['pymongo']}, {info['server']}, hopt "
        f"{info['hopt']}; wall time {info['minutes']:.1f} min. Raw rows: "
        "`benchmarks/results/mongo_throughput.json`.",
    ]
    return "\n".join(lines)


def _info(started: float, load_start: str, flags: list[str], repeats: int) -> dict:
    import pymongo
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
        "pymongo": pymongo.__version__,
        "server": "SecantusDB 0.7.0b3 (secantusd-py)",
        "hopt": f"{hopt.__version__} ({git_describe()})",
        "minutes": (time.perf_counter() - started) / 60,
        "worker_flags": flags,
        "repeats": repeats,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--url",
        default=os.environ.get("HOPT_TEST_MONGO_URL"),
        help="mongo://host:port of a running server (default: start one)",
    )
    parser.add_argument("--workers", type=int, nargs="+", default=list(WORKER_COUNTS))
    parser.add_argument("--repeats", type=int, default=REPEATS)
    parser.add_argument(
        "--worker-flag",
        action="append",
        default=[],
        dest="worker_flags",
        help="an extra hopt-worker flag (repeat for several)",
    )
    parser.add_argument("--no-docs", action="store_true", help="print only; write nothing")
    parser.add_argument("--quick", action="store_true", help="one repetition; writes nothing")
    args = parser.parse_args(argv)
    if args.quick:
        args.repeats, args.no_docs = 1, True
    from pymongo import monitoring
    from quality import load_average, write_section

    times = CommandTimes()
    monitoring.register(_listener(times))
    started = time.perf_counter()
    load_start = load_average()
    with contextlib.ExitStack() as stack:
        base_url = args.url or stack.enter_context(own_server())
        base_url = base_url.rstrip("/")
        print(f">> server {base_url}", flush=True)
        runs, reserves = [], []
        for repeat in range(args.repeats):
            reserves.append(reserve_latency(base_url, repeat))
            print(
                f"   reserve: median {reserves[-1]['reserve_median_ms']:.1f} ms, "
                f"p90 {reserves[-1]['reserve_p90_ms']:.1f} ms",
                flush=True,
            )
            for workers in args.workers:
                row = one_run(base_url, workers, repeat, args.worker_flags, times)
                runs.append(row)
                print(
                    f"   workers={workers} repeat={repeat}: {row['wall']:.2f} s, "
                    f"{100 * row['efficiency']:.0f} %, start {row['first_reserve_after']:.2f} s, "
                    f"end {row['return_after_last_result']:.2f} s, "
                    f"gap median {row['gap_median']:.3f} s, "
                    f"TPE {row['tpe_seconds']:.2f} s, fmin DB {row['fmin_db_count']} commands "
                    f"{row['fmin_db_seconds']:.2f} s, ok {row['ok']}/{row['trials']}",
                    flush=True,
                )
    incomplete = [r for r in runs if r["ok"] != MAX_EVALS]
    for row in incomplete:
        print(f"!! workers={row['workers']} repeat={row['repeat']}: only {row['ok']} trials ok")
    summary = summarize(runs, reserves)
    print_table(summary)
    info = _info(started, load_start, args.worker_flags, args.repeats)
    command = "bash scripts/bench.sh mongo" + "".join(
        f" --worker-flag={flag}" for flag in args.worker_flags
    )
    if args.no_docs:
        print(_section(summary, info, command))
        return 0
    if incomplete:
        print("not writing docs/benchmarks.md: some runs did not finish every trial")
        return 1
    JSON_PATH.parent.mkdir(parents=True, exist_ok=True)
    JSON_PATH.write_text(
        json.dumps({"info": info, "summary": summary, "runs": runs, "reserve": reserves},
                   indent=1, default=str)
    )  # fmt: skip
    write_section(ROOT / "docs" / "benchmarks.md", "mongo", _section(summary, info, command))
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
