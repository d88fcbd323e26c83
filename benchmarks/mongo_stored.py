"""MongoTrials on a long experiment: fmin's database cost per trial with N trials stored.

An experiment already holds N finished trials (inserted directly, as a resumed
search would find them); ``fmin(sleep_0.2s, space, algo=rand.suggest)`` then adds
40 more with 2 ``hopt-worker`` processes.  Random search, so the algorithm's own
cost does not grow with N; what grows is what fmin reads from the database.
Reported per new trial: fmin's database commands and their summed duration
(pymongo command listener), and the run's efficiency (ideal / measured wall time).

    python benchmarks/mongo_stored.py                 # N = 0 1000 3000
    python benchmarks/mongo_stored.py --stored 1000 --new 40 --workers 2
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
import uuid
from pathlib import Path

import _single_thread  # noqa: F401  (before numpy: one BLAS thread)
import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
if str(HERE.parent) not in sys.path:
    sys.path.insert(1, str(HERE.parent))

import mongo_throughput as M  # noqa: E402  (server, workers, listener, trial documents)

SLEEP_SECS = 0.2


def sleep_briefly(params: dict) -> float:
    time.sleep(SLEEP_SECS)
    return (params["x"] - 1.0) ** 2 + params["y"]


def stored_docs(jobs, exp_key: str, n: int) -> list[dict]:
    """``n`` finished trials of ``M._space()``, as fmin would have stored them."""
    rng = np.random.default_rng(0)
    docs = []
    for tid in jobs.allocate_tids(n):
        x, y = rng.uniform(-5, 5), math.exp(rng.uniform(-5, 0))
        doc = M._new_doc(tid, exp_key)
        doc["state"] = 2  # JOB_STATE_DONE
        doc["result"] = {"status": "ok", "loss": (x - 1.0) ** 2 + y}
        doc["misc"] = {"tid": tid, "cmd": ("domain_attachment", "FMinIter_Domain"),
                       "idxs": {"x": [tid], "y": [tid]}, "vals": {"x": [x], "y": [y]}}  # fmt: skip
        docs.append(doc)
    return docs


def one_run(base_url: str, stored: int, new: int, workers: int, times) -> dict:
    from hopt import fmin, rand
    from hopt.trials.mongo import MongoJobs, MongoTrials

    database, exp_key = f"stored_{uuid.uuid4().hex[:10]}", "stored"
    jobs = MongoJobs.new_from_connection_str(f"{base_url}/{database}/jobs")
    docs = stored_docs(jobs, exp_key, stored)
    for i in range(0, len(docs), 500):
        jobs.insert(docs[i : i + 500])
    logdir = Path(tempfile.mkdtemp(prefix="hopt-bench-stored-"))
    processes = M.start_workers(workers, base_url.split("://", 1)[1] + "/" + database,
                                exp_key, logdir, [])  # fmt: skip
    try:
        M.wait_registered(jobs, exp_key, workers)
        trials = MongoTrials(f"{base_url}/{database}/jobs", exp_key=exp_key)
        times.reset()
        started = time.perf_counter()
        fmin(sleep_briefly, M._space(), algo=rand.suggest, max_evals=stored + new,
             trials=trials, rstate=0, show_progressbar=False)  # fmt: skip
        wall = time.perf_counter() - started
    finally:
        M.stop_workers(processes)
    commands = times.summary()
    ok = sum(1 for d in jobs.find(exp_key) if d.get("result", {}).get("status") == "ok")
    jobs.conn.client.drop_database(database)
    ideal = new * SLEEP_SECS / workers
    return {
        "stored": stored,
        "ok_new": ok - stored,
        "efficiency": ideal / wall,
        "wall": wall,
        "commands": sum(c["count"] for c in commands.values()) / new,
        "db_ms": 1000 * sum(c["seconds"] for c in commands.values()) / new,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stored", type=int, nargs="+", default=[0, 1000, 3000])
    parser.add_argument("--new", type=int, default=40)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    from pymongo import monitoring

    times = M.CommandTimes()
    monitoring.register(M._listener(times))
    print(f"{args.new} new trials of {SLEEP_SECS} s, {args.workers} workers, random search")
    print("| trials stored | efficiency | fmin DB commands / new trial | fmin DB ms / new trial |")
    print("|---:|---:|---:|---:|")
    with M.own_server() as base_url:
        for stored in args.stored:
            row = one_run(base_url, stored, args.new, args.workers, times)
            if row["ok_new"] != args.new:
                print(f"!! only {row['ok_new']} of {args.new} new trials ok")
                return 1
            print(f"| {stored} | {100 * row['efficiency']:.0f} % | {row['commands']:.1f} | "
                  f"{row['db_ms']:.0f} |", flush=True)  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
