"""SparkTrials throughput: hopt (slot tasks, one job per batch), Spark alone and Hyperopt 0.3.0.

Each fmin run is ``fmin(sleep_s, space, algo=rand.suggest, max_evals=8 * p,
trials=SparkTrials(parallelism=p, ...))`` for p in 1, 2, 4, 8 and a sleep s of
one and two seconds.  A trial sleeps and uses no CPU, so the ideal wall time is
``max_evals * s / p`` and efficiency is ideal / measured (the cost of
dispatching, Spark's task start-up and collecting results).  The systems, side
by side in one run:

* ``slots``: hopt ``SparkTrials(mode="slots")``, one long-lived Spark task per
  slot pulling trial after trial from the driver over a socket channel;
* ``jobs``: hopt ``SparkTrials(mode="jobs")``, one Spark job per batch of
  trials, one task per trial;
* ``spark``: Spark alone, the same sleeps as back-to-back Spark jobs of p tasks
  with no library (the floor of any one-task-per-trial design);
* ``hyperopt``: Hyperopt 0.3.0's ``SparkTrials`` (one job per trial).

The clusters are declared with 8 task slots (sleeping tasks need no real
cores): ``local-cluster[2,4,1024]`` (2 executor JVMs with 4 slots each) and a
standalone master + worker started by ``scripts/bench.sh spark`` with
``--cores 8``.

*Warm* runs: one Spark application per cluster, in a child process (one
SparkContext per process).  Before every run one job occupies all 8 slots and
imports hopt and Hyperopt in each executor Python worker, so no run pays the
start of a Python worker or the import on it: the steady state.  *Cold* runs:
a new child process and session per measurement; the clock starts once the
executors have registered their 8 slots, and the fmin is the session's first
Spark work (Python workers not started, nothing imported on them).  Cold runs
are p = 8 and sleep(1) only, for hopt slots, hopt jobs, Hyperopt and Spark
alone (whose first job starts the Python workers: the floor).

Repeats: the machine is shared and noisy, but time is short, so hopt slots and
hopt jobs at p = 8 with sleep(1), warm (the cell the targets are read from, and
where overhead weighs most), run ``TOP_REPEATS`` times, interleaved, and report
the median; every other cell is one run.  Every run is in the JSON with the
1-minute load average at its start and end and, for fmin runs, where the time
beyond ideal went, read from the trials' ``book_time`` and ``end_time``
(``refresh_time`` for Hyperopt), both stamped by the driver.

    bash scripts/bench.sh spark            # both clusters; updates docs/benchmarks.md
    python benchmarks/spark_throughput.py --masters 'local-cluster[2,4,1024]' \\
        --systems slots --parallelisms 8 --sleeps 1 --no-cold --no-docs
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(1, str(HERE))

SYSTEMS = ("slots", "jobs", "spark", "hyperopt")
NAMES = {
    "slots": "hopt slots",
    "jobs": "hopt jobs",
    "spark": "Spark alone",
    "hyperopt": "Hyperopt 0.3.0",
}
PARALLELISMS = (1, 2, 4, 8)
SLEEPS = (1.0, 2.0)
TRIALS_PER_SLOT = 8
#: task slots the clusters declare; the cold clock starts once they are registered
CLUSTER_SLOTS = 8
#: hopt slots at the top parallelism, warm and cold (not to be lowered)
TARGET_WARM = 0.92
TARGET_COLD = 0.75
#: runs of hopt slots and hopt jobs at the top parallelism and shortest sleep, warm
TOP_REPEATS = 3
#: Spark alone cold is the floor: the start of every Python worker, with no library
COLD_SYSTEMS = ("slots", "jobs", "spark", "hyperopt")
COLD_PARALLELISM = 8
COLD_SLEEP = 1.0
EXECUTORS_TIMEOUT_SECS = 180.0
JSON_PATH = HERE / "results" / "spark_throughput.json"
#: the figures this section replaced (hopt ran one Spark job per batch then)
PREVIOUS = (
    "Before slot tasks (commit 83b024d, 2026-11-24, sleep(1), warm, hopt then ran one "
    "Spark job per batch of trials): at p = 8 hopt 82 % / 81 %, Spark alone 82 % / 81 %, "
    "Hyperopt 12 % / 12 % on local-cluster / standalone."
)


def sleeper(secs: float):
    """An objective that sleeps ``secs`` (no CPU); pickled by value with its closure."""

    def objective(params: dict) -> float:
        time.sleep(secs)
        return float(params["x"])

    return objective


def repeats(system: str, parallelism: int, secs: float, parallelisms, sleeps) -> int:
    """Runs of one warm cell: several only for hopt at the top p and the shortest sleep."""
    top = parallelism == max(parallelisms) and secs == min(sleeps)
    return TOP_REPEATS if system in ("slots", "jobs") and top else 1


def _load() -> float:
    return round(os.getloadavg()[0], 2)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def _session(master: str):
    from pyspark.sql import SparkSession

    return (
        SparkSession.builder.master(master)
        .appName("hopt-spark-throughput")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.pyspark.python", sys.executable)
        .config("spark.executorEnv.PYTHONPATH", os.pathsep.join([str(ROOT), str(HERE)]))
        .getOrCreate()
    )


def _wait_for_executors(spark) -> float:
    """Seconds until the executors have registered all the cluster's task slots."""
    start = time.perf_counter()
    sc = spark.sparkContext
    while sc.defaultParallelism < CLUSTER_SLOTS:
        if time.perf_counter() - start > EXECUTORS_TIMEOUT_SECS:
            raise RuntimeError(
                f"only {sc.defaultParallelism} task slots after {EXECUTORS_TIMEOUT_SECS} s"
            )
        time.sleep(0.05)
    return time.perf_counter() - start


def _import_both(_):
    import time

    import hyperopt  # noqa: F401
    import hyperopt.spark  # noqa: F401

    import hopt  # noqa: F401
    import hopt.trials.spark.executor  # noqa: F401  (what a slot task runs)

    time.sleep(0.3)  # hold this worker, so the 8 tasks land on 8 different workers
    return 0


def _warm_workers(spark) -> None:
    """Every executor Python worker imports hopt and hyperopt (outside the timing)."""
    spark.sparkContext.parallelize(range(CLUSTER_SLOTS), CLUSTER_SLOTS).map(_import_both).collect()


def _fmin_run(system: str, spark, parallelism: int, secs: float) -> dict:
    if system == "hyperopt":
        import hyperopt as lib
        from hyperopt import SparkTrials

        options: dict = {}
    else:
        import hopt as lib
        from hopt.trials.spark import SparkTrials

        options = {"mode": system}
    n = TRIALS_PER_SLOT * parallelism
    row: dict = {"system": system, "sleep": secs, "parallelism": parallelism, "trials": n}
    row["load_start"] = _load()
    try:
        trials = SparkTrials(parallelism=parallelism, spark_session=spark, **options)
        t0 = _utcnow()
        start = time.perf_counter()
        lib.fmin(
            sleeper(secs),
            {"x": lib.hp.uniform("x", 0, 1)},
            algo=lib.rand.suggest,
            max_evals=n,
            trials=trials,
            show_progressbar=False,
        )
        wall = time.perf_counter() - start
        t1 = _utcnow()
    except Exception as exc:  # report a system that cannot run here, do not hide it
        row["error"] = _short(exc)
        return row
    row["load_end"] = _load()
    ideal = n * secs / parallelism
    row.update(wall=wall, ideal=ideal, efficiency=ideal / wall)
    row["ok"] = sum(1 for r in trials.results if r.get("status") == "ok")
    row["timeline"] = timeline(trials.trials, t0, t1, wall, parallelism, secs, system)
    return row


def timeline(docs: list, t0, t1, wall: float, parallelism: int, secs: float, system: str) -> dict:
    """Where the slot-time beyond the sleeps went, from the trial documents.

    ``p * wall = n * sleep + n * inside + n * outside``, per trial:

    * ``inside_ms``: a trial's ``end_time - book_time`` beyond its sleep (handing it
      out, running it, the result's way back; for jobs and Hyperopt also starting its
      Spark job, since they book a trial when they submit it);
    * ``outside_ms``: slot time with no trial booked, over the run (start, gaps, end).

    ``gap_ms``: for slots, per slot (the owner: the slot task's Python worker), a
    result recorded -> that slot's next trial handed out; for the others, a result
    recorded -> the next trial booked after it.  ``start_s``: fmin called -> first
    trial booked; ``full_s``: fmin called -> ``p`` trials booked (every slot busy);
    ``running_s``: the ``p``-th result recorded, less the sleep (about when ``p``
    trials were running, whatever the system books a trial at);
    ``end_s``: last result recorded -> fmin returned.
    """
    spans = []
    for doc in docs:
        book, end = doc.get("book_time"), doc.get("end_time") or doc.get("refresh_time")
        if book is None or end is None:
            continue
        spans.append(((book - t0).total_seconds(), (end - t0).total_seconds(), doc.get("owner")))
    if not spans:
        return {}
    n = len(spans)
    busy = sum(e - b for b, e, _ in spans)
    gaps = []
    if system == "slots":
        by_owner: dict = {}
        for b, e, owner in spans:
            by_owner.setdefault(owner, []).append((b, e))
        for runs in by_owner.values():
            runs.sort()
            gaps += [nb - e for (_, e), (nb, _) in zip(runs, runs[1:])]
    else:
        books = sorted(b for b, _, _ in spans)
        for _, e, _ in spans:
            later = [b for b in books if b >= e]
            if later:
                gaps.append(later[0] - e)
    gaps.sort()
    books = sorted(b for b, _, _ in spans)
    return {
        "start_s": books[0],
        "full_s": books[min(parallelism, n) - 1],
        "running_s": sorted(e for _, e, _ in spans)[min(parallelism, n) - 1] - secs,
        "end_s": (t1 - t0).total_seconds() - max(e for _, e, _ in spans),
        "inside_ms": 1000 * (busy / n - secs),
        "outside_ms": 1000 * (parallelism * wall - busy) / n,
        "gap_median_ms": 1000 * statistics.median(gaps) if gaps else None,
        "gap_p90_ms": 1000 * gaps[int(0.9 * (len(gaps) - 1))] if gaps else None,
        "slots_seen": len({owner for _, _, owner in spans}),
    }


def _spark_alone_run(spark, parallelism: int, secs: float) -> dict:
    """The floor for any driver that runs one Spark task per trial: no library at all.

    The same ``8 * p`` sleeps as the fmin runs, as back-to-back Spark jobs of ``p``
    tasks (what a driver that knew every trial in advance and spent no time
    suggesting could do at best, one task per trial).
    """
    sc = spark.sparkContext
    base = sc.parallelize(range(parallelism), parallelism)
    n = TRIALS_PER_SLOT * parallelism
    load_start = _load()

    def task(_):
        time.sleep(secs)
        return [0]

    start = time.perf_counter()
    waves = []
    for _ in range(TRIALS_PER_SLOT):
        sc.runJob(base, task, list(range(parallelism)))
        waves.append(time.perf_counter() - start)
    wall = waves[-1]
    ideal = n * secs / parallelism
    return {
        "system": "spark",
        "sleep": secs,
        "parallelism": parallelism,
        "trials": n,
        "ok": n,
        "load_start": load_start,
        "load_end": _load(),
        "wall": wall,
        "ideal": ideal,
        "efficiency": ideal / wall,
        "waves": waves,  # seconds from the start to the end of each job
        "running_s": waves[0] - secs,
    }


def _short(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return f"{type(exc).__name__}: {lines[0][:300] if lines else ''}"


def _quiet(spark) -> None:
    import logging

    logging.getLogger("py4j").setLevel(logging.ERROR)
    spark.sparkContext.setLogLevel("ERROR")


def _emit(row: dict) -> None:
    print(json.dumps(row), flush=True)


def measure_warm(master: str, systems, parallelisms, sleeps) -> None:
    """In this process: one session on ``master``; every run printed as a JSON line."""
    spark = _session(master)
    _quiet(spark)
    try:
        _wait_for_executors(spark)
        _warm_workers(spark)
        for secs in sleeps:
            for parallelism in parallelisms:
                rounds = max(repeats(s, parallelism, secs, parallelisms, sleeps) for s in systems)
                for repeat in range(rounds):  # interleaved, so drifting load hits all alike
                    for system in systems:
                        if repeat >= repeats(system, parallelism, secs, parallelisms, sleeps):
                            continue
                        _warm_workers(spark)
                        if system == "spark":
                            row = _spark_alone_run(spark, parallelism, secs)
                        else:
                            row = _fmin_run(system, spark, parallelism, secs)
                        row.update(master=master, kind="warm", repeat=repeat)
                        _emit(row)
    finally:
        spark.stop()


def measure_cold(master: str, system: str) -> None:
    """A fresh session whose first Spark work is this fmin (p=8, sleep(1))."""
    import hyperopt.spark  # noqa: F401  (the driver's imports are not what is measured)

    import hopt.trials.spark  # noqa: F401

    start = time.perf_counter()
    spark = _session(master)
    session_s = time.perf_counter() - start
    _quiet(spark)
    try:
        executors_s = _wait_for_executors(spark)
        if system == "spark":
            row = _spark_alone_run(spark, COLD_PARALLELISM, COLD_SLEEP)
        else:
            row = _fmin_run(system, spark, COLD_PARALLELISM, COLD_SLEEP)
        row.update(master=master, kind="cold", session_s=session_s, executors_s=executors_s)
        _emit(row)
    finally:
        spark.stop()


def _child(args: list[str], label: str) -> list[dict]:
    """Run this script as a child with ``args``; stream and return its JSON rows."""
    rows = []
    with tempfile.TemporaryFile(mode="w+") as errors:
        with subprocess.Popen(
            [sys.executable, __file__, *args], stdout=subprocess.PIPE, stderr=errors, text=True
        ) as child:
            assert child.stdout is not None
            for line in child.stdout:
                if line.startswith("{"):
                    row = json.loads(line)
                    rows.append(row)
                    print(f"   {label}: {_describe(row)}", flush=True)
        if child.returncode != 0:
            errors.seek(0)
            print(errors.read()[-3000:], file=sys.stderr)
    return rows


def _describe(row: dict) -> str:
    head = f"{row['kind']} {NAMES[row['system']]} p={row['parallelism']} sleep={row['sleep']:g}"
    if "error" in row:
        return f"{head}: FAILED {row['error']}"
    text = (
        f"{head}: {row['wall']:.2f} s, {100 * row['efficiency']:.1f} % "
        f"(load {row['load_start']:.2f}->{row['load_end']:.2f})"
    )
    tl = row.get("timeline")
    if tl:
        text += (
            f"; start {tl['start_s']:.2f}/{tl['full_s']:.2f} s, end {tl['end_s']:.2f} s, inside "
            f"{tl['inside_ms']:.0f} ms, outside {tl['outside_ms']:.0f} ms/trial, gap "
            f"{_ms(tl['gap_median_ms'])}/{_ms(tl['gap_p90_ms'])} ms"
        )
    if row.get("ok", row["trials"]) != row["trials"]:
        text += f"; only {row['ok']} of {row['trials']} ok"
    return text


def _running(cell: dict):
    return cell.get("running_s", (cell.get("timeline") or {}).get("running_s"))


def _secs(value) -> str:
    return "—" if value is None else f"{value:.2f}"


def _ms(value) -> str:
    return "—" if value is None else f"{value:.0f}"


def summarize(runs: list[dict]) -> dict:
    """One cell per (master, kind, system, sleep, parallelism): the median run by efficiency."""
    groups: dict = {}
    for row in runs:
        key = (row["master"], row["kind"], row["system"], row["sleep"], row["parallelism"])
        groups.setdefault(key, []).append(row)
    cells = {}
    for key, rows in groups.items():
        ok = sorted((r for r in rows if "error" not in r), key=lambda r: r["efficiency"])
        cell = dict(ok[(len(ok) - 1) // 2] if ok else rows[0])
        cell["efficiencies"] = [r["efficiency"] for r in rows if "error" not in r]
        cell["loads"] = [r["load_start"] for r in rows] + [r["load_end"] for r in ok]
        cells[key] = cell
    return cells


def _cell(cell: dict | None) -> str:
    if not cell:
        return "—"
    if "error" in cell:
        return "failed"
    text = f"{cell['wall']:.2f} s ({100 * cell['efficiency']:.0f} %)"
    if len(cell["efficiencies"]) > 1:
        text += "*"
    if cell.get("ok", cell["trials"]) != cell["trials"]:
        text += f" {cell['ok']}/{cell['trials']} ok"
    return text


def _load_range(loads: list[float]) -> str:
    return f"{min(loads):.2f}–{max(loads):.2f}" if loads else "—"


def _section(runs: list[dict], labels: dict, info: dict, options: dict) -> str:
    cells = summarize(runs)
    parallelisms, sleeps, systems = options["parallelisms"], options["sleeps"], options["systems"]
    top = max(parallelisms)
    lines = [
        "## SparkTrials throughput",
        "",
        "`fmin(sleep_s, {'x': hp.uniform('x', 0, 1)}, algo=rand.suggest, "
        f"max_evals={TRIALS_PER_SLOT} * p, trials=SparkTrials(parallelism=p, ...))` with "
        "trials sleeping s = 1 or 2 seconds (no CPU), so the ideal wall time is "
        f"`{TRIALS_PER_SLOT} * s` seconds at every p; efficiency is ideal / measured wall "
        "time (100 % = no overhead). Side by side, in one run: **hopt slots** "
        '(`mode="slots"`: one long-lived Spark task per slot pulls trial after trial from '
        'the driver over a socket channel), **hopt jobs** (`mode="jobs"`: one Spark job '
        "per batch of trials, one task per trial), **Spark alone** (the same sleeps as "
        "back-to-back Spark jobs of p tasks with no library, no suggestions and no "
        "bookkeeping: the floor of any one-task-per-trial design) and **Hyperopt 0.3.0**'s "
        "`SparkTrials` (one job per trial, dispatching one trial per 1 s poll). The "
        "clusters declare 8 task slots on this 2-core machine, which other engineers' "
        "test runs share; sleeping tasks need no CPU, but Spark's own work per task does.",
        "",
        "*Warm*: one Spark application per cluster; before every run each executor Python "
        "worker has started and imported hopt and Hyperopt, so the tables show "
        "steady-state dispatch. *Cold*: a new process and session per measurement; the "
        "clock starts once the executors have registered their 8 slots (the executor "
        "JVMs' start, given as 'executors ready', is not counted), and the fmin is the "
        "session's first Spark work, so it pays the start of every Python worker and "
        "their imports. Cold runs are p = 8 and sleep(1) only, for hopt slots, hopt jobs, "
        "Hyperopt and, as the floor, Spark alone (its first job starts the Python "
        "workers). *p trials running by*: the p-th result recorded less the sleep, about "
        "when every slot first had a trial running.",
        "",
        f"Repeats are cut to keep the run short: hopt slots and hopt jobs at p = {top} "
        f"with sleep({min(sleeps):g}), warm, are the median of {TOP_REPEATS} interleaved "
        "runs (marked \\*); every other cell, cold runs included, is one run, so single "
        "cells carry the machine's noise. The load column is the range of the 1-minute "
        "load average at the start and end of the runs in that row (every run and its "
        "load is in the JSON).",
        "",
    ]
    for master, label in labels.items():
        lines += [f"**{label}** (warm)", ""]
        for secs in sleeps:
            lines += [
                f"sleep({secs:g}):",
                "",
                "| p | trials | ideal s | " + " | ".join(NAMES[s] for s in systems) + " | load |",
                "|---:|---:|---:|" + "---:|" * len(systems) + "---|",
            ]
            for p in parallelisms:
                row = [cells.get((master, "warm", s, secs, p)) for s in systems]
                loads = [x for c in row if c for x in c["loads"]]
                lines.append(
                    f"| {p} | {TRIALS_PER_SLOT * p} | {TRIALS_PER_SLOT * secs:g} | "
                    + " | ".join(_cell(c) for c in row)
                    + f" | {_load_range(loads)} |"
                )
            lines.append("")
    cold = [
        (m, s)
        for m in labels
        for s in COLD_SYSTEMS
        if (m, "cold", s, COLD_SLEEP, COLD_PARALLELISM) in cells
    ]
    if cold:
        lines += [
            f"**Cold**: p = {COLD_PARALLELISM}, sleep({COLD_SLEEP:g}), "
            f"{TRIALS_PER_SLOT * COLD_PARALLELISM} trials, ideal "
            f"{TRIALS_PER_SLOT * COLD_SLEEP:g} s, one run each:",
            "",
            "| cluster | system | wall s (efficiency) | p trials running by s | session start s "
            "| executors ready s | load |",
            "|---|---|---:|---:|---:|---:|---|",
        ]
        for master, system in cold:
            cell = cells[(master, "cold", system, COLD_SLEEP, COLD_PARALLELISM)]
            lines.append(
                f"| {labels[master].split(' (')[0]} | {NAMES[system]} | {_cell(cell)} | "
                f"{_secs(_running(cell))} | {cell.get('session_s', 0):.1f} | "
                f"{cell.get('executors_s', 0):.1f} | {_load_range(cell['loads'])} |"
            )
        lines.append("")
    lines += _breakdown(cells, labels, sleeps, top)
    lines += _targets(cells, labels, sleeps, top)
    lines += [
        PREVIOUS,
        "",
        "Command:",
        "",
        "    bash scripts/bench.sh spark",
        "",
        f"Measured {info['when']} on {info['nproc']} CPUs; Python {info['python']}, "
        f"pyspark {info['pyspark']}, hopt {info['hopt']}, hyperopt {info['hyperopt']}; "
        f"wall time {info['wall']:.1f} min; {info['load']}. Raw rows: "
        "`benchmarks/results/spark_throughput.json`.",
    ]
    return "\n".join(lines)


def _breakdown(cells: dict, labels: dict, sleeps, top: int) -> list[str]:
    lines = [
        f"Where the time beyond ideal goes at p = {top}, from the trial documents (driver "
        "clock, ms resolution; the run shown is the median one). Per trial, "
        "`p × wall = trials × sleep + trials × (inside + outside)`: *inside* is "
        "`end_time − book_time` beyond the sleep (handing the trial out, the result's "
        "way back; for hopt jobs and Hyperopt also their Spark job's start, as they book "
        "a trial when they submit its job); *outside* is slot time with no trial booked "
        "(start, gaps, end). *gap*: hopt slots, per slot, a result recorded → that "
        "slot's next trial handed out; the others, a result recorded → the next trial "
        "booked. *start*: fmin called → the first trial booked / p trials booked (every "
        "slot busy); *end*: last result recorded → fmin returned.",
        "",
        "| cluster | run | system | efficiency (runs) | start s: first / p booked | end s "
        "| inside ms/trial | outside slot-ms/trial | gap median / p90 ms |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for master, label in labels.items():
        keys = [("warm", s, secs, top) for secs in sleeps for s in ("slots", "jobs", "hyperopt")]
        keys += [("cold", s, COLD_SLEEP, COLD_PARALLELISM) for s in COLD_SYSTEMS]
        for kind, system, secs, p in keys:
            cell = cells.get((master, kind, system, secs, p))
            if not cell or "error" in cell or not cell.get("timeline"):
                continue
            tl = cell["timeline"]
            runs = "/".join(f"{100 * e:.0f}" for e in cell["efficiencies"])
            lines.append(
                f"| {label.split(' (')[0]} | {kind}, sleep({secs:g}) | {NAMES[system]} | "
                f"{100 * cell['efficiency']:.0f} % ({runs}) | "
                f"{tl['start_s']:.2f} / {tl['full_s']:.2f} | {tl['end_s']:.2f} | "
                f"{tl['inside_ms']:.0f} | {tl['outside_ms']:.0f} | "
                f"{_ms(tl['gap_median_ms'])} / {_ms(tl['gap_p90_ms'])} |"
            )
    lines.append("")
    return lines


def _targets(cells: dict, labels: dict, sleeps, top: int) -> list[str]:
    lines = []
    for master, label in labels.items():
        parts = []
        for secs in sleeps:
            cell = cells.get((master, "warm", "slots", secs, top))
            if cell and "efficiency" in cell:
                met = "met" if cell["efficiency"] >= TARGET_WARM else "NOT met"
                parts.append(f"warm sleep({secs:g}) {100 * cell['efficiency']:.0f} % ({met})")
        cell = cells.get((master, "cold", "slots", COLD_SLEEP, COLD_PARALLELISM))
        if cell and "efficiency" in cell:
            met = "met" if cell["efficiency"] >= TARGET_COLD else "NOT met"
            parts.append(f"cold {100 * cell['efficiency']:.0f} % ({met})")
        if parts:
            lines.append(f"- {label.split(' (')[0]}: " + "; ".join(parts) + ".")
    if lines:
        lines = [
            f"Targets, hopt slots at p = {top}: ≥ {100 * TARGET_WARM:.0f} % warm, "
            f"≥ {100 * TARGET_COLD:.0f} % cold.",
            "",
            *lines,
            "",
        ]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--masters", nargs="+", default=["local-cluster[2,4,1024]"])
    parser.add_argument("--labels", nargs="+", help="a name per master for the report")
    parser.add_argument("--systems", nargs="+", choices=SYSTEMS, default=list(SYSTEMS))
    parser.add_argument("--parallelisms", nargs="+", type=int, default=list(PARALLELISMS))
    parser.add_argument("--sleeps", nargs="+", type=float, default=list(SLEEPS))
    parser.add_argument("--no-cold", action="store_true", help="skip the cold runs")
    parser.add_argument("--no-warm", action="store_true", help="skip the warm runs")
    parser.add_argument("--no-docs", action="store_true", help="print only; write nothing")
    parser.add_argument("--child", help=argparse.SUPPRESS)  # warm runs on one master
    parser.add_argument("--cold-child", nargs=2, help=argparse.SUPPRESS)  # master, system
    args = parser.parse_args(argv)
    if args.child:
        measure_warm(args.child, args.systems, args.parallelisms, args.sleeps)
        return 0
    if args.cold_child:
        measure_cold(*args.cold_child)
        return 0
    labels = dict(zip(args.masters, args.labels or args.masters))
    subset = [
        "--systems", *args.systems,
        "--parallelisms", *map(str, args.parallelisms),
        "--sleeps", *map(str, args.sleeps),
    ]  # fmt: skip
    started = time.perf_counter()
    load_before = os.getloadavg()
    runs: list[dict] = []
    if not args.no_warm:
        for master, label in labels.items():
            print(f">> warm: {label}: {master}", flush=True)
            runs += _child(["--child", master, *subset], label.split(" (")[0])
    if not args.no_cold:
        for master, label in labels.items():
            for system in (s for s in COLD_SYSTEMS if s in args.systems):
                print(f">> cold: {label}: {NAMES[system]}", flush=True)
                runs += _child(["--cold-child", master, system], label.split(" (")[0])
    import hyperopt
    import pyspark
    from quality import git_describe, write_section

    import hopt

    info = {
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "nproc": os.cpu_count(),
        "python": sys.version.split()[0],
        "pyspark": pyspark.__version__,
        "hopt": f"{hopt.__version__} ({git_describe()})",
        "hyperopt": hyperopt.__version__,
        "wall": (time.perf_counter() - started) / 60,
        "load": "load average {} at the start and {} at the end".format(
            *("/".join(f"{v:.2f}" for v in load) for load in (load_before, os.getloadavg()))
        ),
    }
    options = {"systems": args.systems, "parallelisms": args.parallelisms, "sleeps": args.sleeps}
    section = _section(runs, labels, info, options)
    if args.no_docs:
        print(section)
        return 0
    JSON_PATH.parent.mkdir(parents=True, exist_ok=True)
    JSON_PATH.write_text(
        json.dumps({"info": info, "labels": labels, "runs": runs}, indent=1, default=str)
    )
    write_section(ROOT / "docs" / "benchmarks.md", "spark", section)
    print(section)
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
