"""MongoTrials: database commands per trial, by command name and by process.

Each run is ``fmin(sleep_50ms, space, algo=A, max_evals=200, trials=MongoTrials(...))``
with 1 or 2 ``hopt-worker`` processes (default flags) on a fresh database, for
A = random search and TPE.  Every command is counted with a pymongo command
listener: in this process (fmin's) one registered with ``pymongo.monitoring``;
in each worker through ``HOPT_MONGO_COUNT_COMMANDS`` (see
hopt/trials/mongo/connection.py), which makes the worker log the time and name
of every command it sends and write the log when it exits.

Steady state: the count covers the commands sent, by fmin and by the workers,
between the moment fmin saw the 20th trial done and the moment it saw the
180th, divided by the trials finished in between.  Set-up (indexes, storing
the domain, a worker's first reads of it) and the ramp-up and tail are left
out.  A trial here takes 50 ms, so the polls made while a trial runs are
counted in its cost.

``--wait`` measures instead what a run costs while it waits for long trials: 1
worker, trials of 3 s, and the commands per *second* between the first and
the fifth trial done (this includes each trial's own commands: reserve,
result, insert, ...; it is the polling that dominates).

    python benchmarks/mongo_commands.py                  # starts a server
    python benchmarks/mongo_commands.py --url mongo://127.0.0.1:PORT --workers 1
    python benchmarks/mongo_commands.py --wait
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import json
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(1, str(HERE))

from mongo_throughput import own_server, start_workers, stop_workers  # noqa: E402

MAX_EVALS = 200
WARMUP = 20  # trials done before the window opens
TAIL = 20  # trials done after it closes
SLEEP_SECS = 0.05
WAIT_SLEEP_SECS = 3.0
WAIT_TRIALS = 6


class Sent:
    """A pymongo command listener for this process: (time, name) of each command."""

    def __init__(self) -> None:
        from pymongo import monitoring

        log = self.sent = []

        class Listener(monitoring.CommandListener):
            def started(self, event) -> None:
                target = event.command.get(event.command_name)
                target = target if isinstance(target, str) else ""
                log.append((time.time(), event.command_name, target))

            def succeeded(self, event) -> None:
                pass

            def failed(self, event) -> None:
                pass

        monitoring.register(Listener())


class Window:
    """An ``early_stop_fn`` that notes when fmin saw ``first`` and ``last`` trials done."""

    def __init__(self, first: int, last: int) -> None:
        self.first, self.last = first, last
        self.opened: tuple[float, int] | None = None
        self.closed: tuple[float, int] | None = None

    def __call__(self, trials, *args):
        from hopt import JOB_STATE_DONE

        done = trials.count_by_state_synced(JOB_STATE_DONE)
        now = time.time()
        if self.opened is None and done >= self.first:
            self.opened = (now, done)
        if self.closed is None and done >= self.last:
            self.closed = (now, done)
        return False, args


def sleep_a_little(params: dict) -> float:
    time.sleep(params["sleep"])
    return (params["x"] - 1.0) ** 2


def count(sent: list, window: Window) -> collections.Counter:
    """Commands sent in the window, by name and collection (``find jobs``)."""
    assert window.opened is not None and window.closed is not None
    start, end = window.opened[0], window.closed[0]
    return collections.Counter(
        f"{name} {target}".strip() for when, name, target in sent if start < when <= end
    )


def one_run(base_url: str, algo_name: str, workers: int, sleep: float, max_evals: int,
            first: int, last: int, sent: list) -> dict:  # fmt: skip
    from hopt import fmin, hp, rand, tpe
    from hopt.trials.mongo import MongoJobs, MongoTrials
    from hopt.trials.mongo.connection import COUNT_COMMANDS_ENV

    algo = {"rand": rand.suggest, "tpe": tpe.suggest}[algo_name]
    database = f"bench_{uuid.uuid4().hex[:10]}"
    exp_key = f"commands-{algo_name}-w{workers}"
    url = f"{base_url}/{database}/jobs"
    logdir = Path(tempfile.mkdtemp(prefix="hopt-bench-commands-"))
    env_before = dict(os.environ)
    os.environ[COUNT_COMMANDS_ENV] = str(logdir)  # the workers inherit it
    os.environ["PYTHONPATH"] = os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    try:
        processes = start_workers(workers, url.split("://", 1)[1], exp_key, logdir, [])
    finally:
        os.environ.clear()
        os.environ.update(env_before)
    jobs = MongoJobs.new_from_connection_str(url)
    try:
        deadline = time.monotonic() + 60
        while jobs.live_workers(exp_key) < workers:
            if time.monotonic() > deadline:
                raise RuntimeError("the workers did not register")
            time.sleep(0.05)
        window = Window(first, last)
        space = {"x": hp.uniform("x", -5, 5), "sleep": sleep}
        trials = MongoTrials(url, exp_key=exp_key)
        del sent[:]
        started = time.perf_counter()
        fmin(sleep_a_little, space, algo=algo, max_evals=max_evals, trials=trials,
             rstate=0, show_progressbar=False, early_stop_fn=window)  # fmt: skip
        wall = time.perf_counter() - started
        fmin_sent = list(sent)
    finally:
        codes = stop_workers(processes)
    by_process = {"fmin": count(fmin_sent, window)}
    for index, path in enumerate(sorted(logdir.glob("commands-*.json"))):
        by_process[f"worker-{index}"] = count([tuple(e) for e in json.loads(path.read_text())],
                                              window)  # fmt: skip
    jobs.conn.client.drop_database(database)
    jobs.conn.close()
    trials.handle.conn.close()
    assert window.opened and window.closed
    return {
        "algo": algo_name,
        "workers": workers,
        "wall": wall,
        "trials": window.closed[1] - window.opened[1],
        "seconds": window.closed[0] - window.opened[0],
        "by_process": by_process,
        "worker_logs": len(by_process) - 1,
        "worker_exit_codes": codes,
    }


def show(row: dict, per: str) -> None:
    divisor = row["trials"] if per == "trial" else row["seconds"]
    total = sum((c for c in row["by_process"].values()), collections.Counter())
    print(
        f"\n{row['algo']}, {row['workers']} worker(s): {row['trials']} trials in "
        f"{row['seconds']:.1f} s of window (run {row['wall']:.1f} s); commands per {per}:"
    )
    if row["worker_logs"] != row["workers"]:
        print(f"  !! only {row['worker_logs']} worker log(s) of {row['workers']}")
    names = sorted(total, key=lambda n: -total[n])
    processes = list(row["by_process"])
    print(f"  {'command collection':<32}" + "".join(f"{p:>10}" for p in processes) + f"{'all':>8}")
    for name in names:
        cells = "".join(f"{row['by_process'][p][name] / divisor:>10.2f}" for p in processes)
        print(f"  {name:<32}{cells}{total[name] / divisor:>8.2f}")
    sums = "".join(f"{sum(row['by_process'][p].values()) / divisor:>10.2f}" for p in processes)
    print(f"  {'total':<32}{sums}{sum(total.values()) / divisor:>8.2f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--url",
        default=os.environ.get("HOPT_TEST_MONGO_URL"),
        help="mongo://host:port of a running server (default: start one)",
    )
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--algos", nargs="+", default=["rand", "tpe"], choices=["rand", "tpe"])
    parser.add_argument(
        "--wait", action="store_true", help="commands per second while waiting for 3 s trials"
    )
    parser.add_argument("--json", type=Path, help="also write the rows to this file")
    args = parser.parse_args(argv)
    sent = Sent().sent
    rows = []
    with contextlib.ExitStack() as stack:
        base_url = (args.url or stack.enter_context(own_server())).rstrip("/")
        print(f">> server {base_url}", flush=True)
        if args.wait:
            row = one_run(base_url, "rand", 1, WAIT_SLEEP_SECS, WAIT_TRIALS, 1, WAIT_TRIALS - 1,
                          sent)  # fmt: skip
            rows.append(row)
            show(row, "second")
        else:
            for algo in args.algos:
                for workers in args.workers:
                    row = one_run(base_url, algo, workers, SLEEP_SECS, MAX_EVALS, WARMUP,
                                  MAX_EVALS - TAIL, sent)  # fmt: skip
                    rows.append(row)
                    show(row, "trial")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
