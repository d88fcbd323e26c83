"""What ``hopt.report`` and ``hopt.should_prune`` cost a running trial, per backend.

The experiment holds ``--trials`` finished trials (1000) of ``--reports`` reports
each (20).  A trial runs, reporting step after step; after each report it asks
the pruner.  Measured per call, from inside the trial's context (as
``Domain.evaluate`` sets it up for the objective):

* ``report``: ``hopt.report(value, step)`` alone (no pruner);
* ``report + decide (store only)``: the report and ``hopt.should_prune()`` with a
  pruner that reads nothing: what the backend itself costs (on a worker: the read
  of what changed in the store since the worker's last decision);
* ``report + decide (MedianPruner)``: the same with ``hopt.pruners.MedianPruner()``,
  which reads the completed trials' reports (20,000 of them here; its cache reads
  each once): what a real pruner adds.

Backends: in-memory ``Trials`` (the objective in fmin's process), FileTrials and
MongoTrials (the objective on a worker: a ``QueueWorker`` and its ``QueueCtrl``,
as ``hopt-worker`` runs them).  On the queue backends a second worker, on a
handle of its own, runs a trial of its own and reports once between two timed
calls (untimed), so that every decision has another worker's new report to read.
Each trial makes ``--reports`` reports, then is recorded and the next one starts,
so documents stay the size of the experiment's.

Also reported: a worker's first decision on an experiment (it reads every trial
once), and on MongoDB the full listing a worker's copy makes every 5 minutes
(``TrialListing``), which a decision then includes.

MongoDB is SecantusDB (a MongoDB-wire server written in Python, on WiredTiger):
started here on a free port unless ``--url`` names a running one.  The machine
is shared and the server runs on its CPUs, so the medians are the figures; the
JSON keeps every call.

    python benchmarks/report_cost.py                  # starts a SecantusDB server
    python benchmarks/report_cost.py --url mongo://127.0.0.1:PORT
    python benchmarks/report_cost.py --quick          # smaller; writes nothing
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(1, str(HERE))

JSON_PATH = HERE / "results" / "report_cost.json"
DOCS_PATH = ROOT / "docs" / "benchmarks.md"
MARKER = "report-cost"
#: targets per call (median): in-memory report; report + decision on MongoDB (store only)
TARGET_MEMORY_REPORT_MS = 0.05
TARGET_MONGO_DECISION_MS = 5.0


class ReadsNothing:
    """A pruner that decides at once: what is left is the backend's own cost."""

    def prune(self, trial: Any, trials: Any) -> bool:
        return False


def finished_docs(trials: Any, n: int, reports: int) -> list:
    """``n`` finished trial documents with ``reports`` reports each."""
    from hopt.testing.storage import new_docs

    docs = new_docs(trials, [float(i % 97) for i in range(n)], state=2)
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    for doc in docs:
        base = float(doc["tid"] % 97)
        doc["reports"] = [
            {"step": s, "value": base + 10.0 / (s + 1), "time": now} for s in range(reports)
        ]
    return docs


def summary(samples: list[float]) -> dict:
    """Median, mean, p90, p99 and max of per-call seconds, in milliseconds."""
    ordered = sorted(samples)

    def at(q: float) -> float:
        return ordered[min(int(q * len(ordered)), len(ordered) - 1)] * 1e3

    return {
        "calls": len(samples),
        "median_ms": statistics.median(samples) * 1e3,
        "mean_ms": statistics.fmean(samples) * 1e3,
        "p90_ms": at(0.90),
        "p99_ms": at(0.99),
        "max_ms": ordered[-1] * 1e3,
    }


# -- the calls ---------------------------------------------------------------------------
def one_trial(
    next_ctrl: Callable[[], Any],
    pruner: Any,
    reports: int,
    between: Callable[[], None] | None = None,
) -> list[float]:
    """Seconds per ``hopt.report`` (+ ``hopt.should_prune`` with a pruner) over one trial of
    ``reports`` reports; ``between()`` runs untimed before each call."""
    import hopt
    from hopt.running import running_trial

    samples: list[float] = []
    ctrl, finish = next_ctrl()
    with running_trial(ctrl, pruner):
        for step in range(reports):
            if between is not None:
                between()
            value = 1.0 + 5.0 / (step + 1)
            started = time.perf_counter()
            hopt.report(value, step)
            if pruner is not None:
                hopt.should_prune()
            samples.append(time.perf_counter() - started)
    finish()
    return samples


def measure(next_ctrl, calls: int, reports: int, between=None) -> dict:
    """Per kind of call, ``calls`` timed calls; the kinds take turns, a trial each, so a
    change in the machine's load falls on all of them alike."""
    from hopt.pruners import MedianPruner

    kinds = {
        "report": None,
        "report + decide (store only)": ReadsNothing(),
        "report + decide (MedianPruner)": MedianPruner(),
    }
    samples: dict[str, list[float]] = {name: [] for name in kinds}
    for pruner in kinds.values():  # warm-up
        one_trial(next_ctrl, pruner, reports, between)
    for _ in range(max(calls // reports, 1)):
        for name, pruner in kinds.items():
            samples[name] += one_trial(next_ctrl, pruner, reports, between)
    return {
        name: {**summary(taken), "samples_ms": [x * 1e3 for x in taken]}
        for name, taken in samples.items()
    }


# -- backends ----------------------------------------------------------------------------
def in_memory(n: int, reports: int, calls: int) -> dict:
    from hopt import Trials
    from hopt.testing.storage import new_docs
    from hopt.trials.ctrl import Ctrl

    trials = Trials()
    trials.insert_trial_docs(finished_docs(trials, n, reports))
    trials.refresh()

    def next_ctrl():
        (tid,) = trials.insert_trial_docs(new_docs(trials, [0.5]))
        trials.refresh()
        doc = trials._dynamic_trials[-1]
        assert doc["tid"] == tid
        trials.start_trial(doc)
        ctrl = Ctrl(trials, doc)
        return ctrl, lambda: trials.finish_trial(doc, {"loss": 1.0, "status": "ok"})

    return {"rows": measure(next_ctrl, calls, reports)}


class QueueSide:
    """A worker of its own (handle, QueueWorker) that runs trials one after another."""

    def __init__(self, handle: Any, trials: Any, exp_key: str, name: str, reports: int) -> None:
        from hopt.trials.queue import QueueWorker

        self.handle, self.trials, self.exp_key, self.name = handle, trials, exp_key, name
        self.reports = reports
        self.worker = QueueWorker(handle, exp_key=exp_key)
        self.ctrl: Any = None
        self.step = 0

    def next_ctrl(self) -> tuple[Any, Callable[[], None]]:
        from hopt.testing.storage import new_docs
        from hopt.trials.queue import QueueCtrl

        self.trials.insert_trial_docs(new_docs(self.trials, [0.5]))
        token = uuid.uuid4().hex
        doc = self.handle.reserve(self.name, token, 300.0, self.exp_key)
        assert doc is not None, "no trial to reserve"
        self.ctrl = QueueCtrl(self.worker, doc, token)
        self.step = 0

        def finish() -> None:
            assert self.handle.finish(doc, token, {"loss": 1.0, "status": "ok"})

        return self.ctrl, finish

    def report_once(self) -> None:
        """The other worker's report (a new trial every ``reports`` of them)."""
        if self.ctrl is None or self.step >= self.reports:
            if self.ctrl is not None:
                done = {"loss": 1.0, "status": "ok"}
                assert self.handle.finish(self.ctrl.trial, self.ctrl._token, done)
            self.next_ctrl()
        self.ctrl.report(2.0 + 1.0 / (self.step + 1), self.step)
        self.step += 1


def queue_backend(open_handle: Callable[[], Any], open_trials, n, reports, calls, extra) -> dict:
    exp_key = "cost"
    setup = open_trials(open_handle(), exp_key)
    started = time.perf_counter()
    setup.insert_trial_docs(finished_docs(setup, n, reports))
    fill_s = time.perf_counter() - started
    measured = QueueSide(open_handle(), setup, exp_key, "measured", reports)
    other = QueueSide(open_handle(), setup, exp_key, "other", reports)
    first_view = measured.worker.views.get(exp_key)
    started = time.perf_counter()
    first_view.refresh()
    first_ms = (time.perf_counter() - started) * 1e3
    assert len(first_view._dynamic_trials) == n, len(first_view._dynamic_trials)
    out = {
        "rows": measure(measured.next_ctrl, calls, reports, between=other.report_once),
        "first_decision_ms": first_ms,
        "fill_s": fill_s,
    }
    out.update(extra(measured.handle, exp_key))
    return out


def file_backend(n: int, reports: int, calls: int) -> dict:
    from hopt import FileTrials
    from hopt.trials.file import FileJobs

    with tempfile.TemporaryDirectory(prefix="hopt-report-cost-") as tmp:
        path = str(Path(tmp) / "trials.db")
        FileJobs.open(path)
        return queue_backend(
            lambda: FileJobs.open_existing(path),
            lambda handle, key: FileTrials(handle, exp_key=key, parallelism=0),
            n, reports, calls, lambda handle, key: {},
        )  # fmt: skip


def mongo_backend(url: str, n: int, reports: int, calls: int) -> dict:
    from hopt.trials.mongo import MongoJobs, MongoTrials

    full = f"{url}/cost_{uuid.uuid4().hex[:8]}/jobs"

    def listing(handle: Any, key: str) -> dict:
        samples = []
        for _ in range(5):
            started = time.perf_counter()
            handle.listing(key)
            samples.append(time.perf_counter() - started)
        return {"full_listing_ms": statistics.median(samples) * 1e3}

    try:
        return queue_backend(
            lambda: MongoJobs.new_from_connection_str(full),
            lambda handle, key: MongoTrials(handle, exp_key=key),
            n, reports, calls, listing,
        )  # fmt: skip
    finally:
        handle = MongoJobs.new_from_connection_str(full)
        handle.conn.client.drop_database(handle.conn.db.name)


# -- output ------------------------------------------------------------------------------
def machine() -> dict:
    def run(*command: str) -> str:
        try:
            return subprocess.run(command, capture_output=True, text=True, cwd=ROOT).stdout.strip()
        except OSError:
            return ""

    import pymongo

    return {
        "nproc": os.cpu_count(),
        "load": os.getloadavg(),
        "python": platform.python_version(),
        "pymongo": pymongo.version,
        "commit": run("git", "rev-parse", "--short", "HEAD"),
        "when": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }


def section(results: dict, args: argparse.Namespace, info: dict) -> str:
    lines = [
        "## Reports and pruning decisions: cost per call",
        "",
        f"A trial reports (`hopt.report(value, step)`) and asks its pruner "
        f"(`hopt.should_prune()`) in an experiment of {args.trials} finished trials with "
        f"{args.reports} reports each; {args.calls} timed calls per row, in trials of "
        f"{args.reports} reports (the rows take turns, a trial each). In-memory `Trials`: in fmin's process. FileTrials and "
        "MongoTrials: on a worker (`QueueWorker` and its `QueueCtrl`), while a second worker on "
        "a handle of its own reports between two timed calls, so each decision reads another "
        "worker's new report. *store only*: a pruner that reads nothing (the backend's cost: the "
        "report's write and, on a worker, the read of what changed since its last decision); "
        "*MedianPruner*: `hopt.pruners.MedianPruner()`, which reads the completed trials' "
        f"reports ({args.trials * args.reports:,} here, each once: it caches them). MongoDB is "
        "SecantusDB on this machine.",
        "",
        "| backend | call | median ms | mean ms | p90 ms | p99 ms | max ms |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for backend, result in results.items():
        for name, row in result["rows"].items():
            lines.append(
                f"| {backend} | {name} | {row['median_ms']:.3f} | {row['mean_ms']:.3f} | "
                f"{row['p90_ms']:.3f} | {row['p99_ms']:.3f} | {row['max_ms']:.3f} |"
            )
    lines.append("")
    for backend, result in results.items():
        if "first_decision_ms" in result:
            lines.append(
                f"- {backend}: a worker's first decision on the experiment reads all "
                f"{args.trials} trials: {result['first_decision_ms']:.1f} ms (once per worker "
                "and experiment)."
            )
        if "full_listing_ms" in result:
            lines.append(
                f"- {backend}: the full listing a worker's copy makes every 5 minutes: "
                f"{result['full_listing_ms']:.1f} ms (median of 5)."
            )
    memory = results["in-memory Trials"]["rows"]["report"]["median_ms"]
    mongo = results.get("MongoTrials", {}).get("rows", {})
    decide = mongo.get("report + decide (store only)", {}).get("median_ms")
    lines += [
        "",
        f"Targets (medians): in-memory report ≤ {TARGET_MEMORY_REPORT_MS} ms: "
        f"{'met' if memory <= TARGET_MEMORY_REPORT_MS else 'NOT met'}, {memory:.4f} ms; "
        f"report + decision on MongoDB ≤ {TARGET_MONGO_DECISION_MS:g} ms: "
        + (
            "not measured"
            if decide is None
            else f"{'met' if decide <= TARGET_MONGO_DECISION_MS else 'NOT met'}, {decide:.2f} ms"
        )
        + ".",
        "",
        "Command:",
        "",
        "    python benchmarks/report_cost.py",
        "",
        f"Measured {info['when']} on {info['nproc']} CPUs; load average "
        f"{'/'.join(f'{x:.2f}' for x in info['load'])} at the start; Python {info['python']}, "
        f"pymongo {info['pymongo']}, hopt commit {info['commit']}. Raw calls: "
        "`benchmarks/results/report_cost.json`.",
    ]
    return "\n".join(lines)


def write_section(body: str) -> None:
    """Replace (or append) the section between this benchmark's markers in the docs."""
    start, end = f"<!-- {MARKER}:start -->", f"<!-- {MARKER}:end -->"
    text = DOCS_PATH.read_text()
    block = f"{start}\n{body}\n{end}"
    if start in text and end in text:
        before, rest = text.split(start, 1)
        text = before + block + rest.split(end, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    DOCS_PATH.write_text(text)


@contextlib.contextmanager
def server(url: str | None) -> Iterator[str]:
    if url:
        yield url
        return
    from mongo_throughput import own_server

    with own_server() as started:
        yield started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="mongo://HOST:PORT of a running server (else one starts)")
    parser.add_argument("--trials", type=int, default=1000)
    parser.add_argument("--reports", type=int, default=20)
    parser.add_argument("--calls", type=int, default=400)
    parser.add_argument("--quick", action="store_true", help="100 trials, 60 calls; no writing")
    parser.add_argument("--no-mongo", action="store_true", help="skip MongoDB")
    args = parser.parse_args()
    if args.quick:
        args.trials, args.calls = 100, 60
    info = machine()
    results = {
        "in-memory Trials": in_memory(args.trials, args.reports, args.calls),
        "FileTrials": file_backend(args.trials, args.reports, args.calls),
    }
    if not args.no_mongo:
        with server(args.url) as url:
            results["MongoTrials"] = mongo_backend(url, args.trials, args.reports, args.calls)
    body = section(results, args, info)
    print(body)
    if args.quick:
        return 0
    JSON_PATH.parent.mkdir(exist_ok=True)
    JSON_PATH.write_text(json.dumps({"args": vars(args), "machine": info,
                                     "results": results}, indent=1))  # fmt: skip
    write_section(body)
    print(f"updated {DOCS_PATH.relative_to(ROOT)} and {JSON_PATH.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
