"""Time per ``prune()`` call with many completed trials: MedianPruner, SuccessiveHalvingPruner.

A pruner is asked after every report, with every trial document of the
experiment, so its cost per call must stay small at 10,000 trials.  For N
completed trials of 50 reports each (random decreasing curves), a running trial
then reports steps 0..49 and is asked after each report; the script prints, in
milliseconds of process CPU time:

- cold: the first call of a new pruner that looks at the other trials (it reads
  every report once);
- warm: the median of the later calls while the running trial reports (caches up
  to date); for successive halving (min_resource 1, reduction factor 2), the calls
  at which the trial reached a rung (steps 1, 2, 4, 8, 16, 32): the others only see
  that no rung was reached and take microseconds;
- after a completion: the first call after one more trial completed;
- Optuna: the median call of Optuna's pruner on the same trials (in-memory study,
  ``pruner.prune(study, trial)``), for scale, when Optuna is installed.

Usage: ``PYTHONPATH=. python benchmarks/pruner_timing.py [N ...]`` (default 1000 10000).
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from hopt.pruners import MedianPruner, Pruner, SuccessiveHalvingPruner
from hopt.testing.pruners import add_report, completed, running

N_STEPS = 50


def experiment(n_trials: int, seed: int = 0) -> tuple[list[dict[str, Any]], list[float]]:
    """``n_trials`` completed trials of 50 reports each, and a curve for a new running trial."""
    rng = np.random.default_rng(seed)
    steps = np.arange(N_STEPS)
    final = rng.uniform(0, 1, n_trials + 1)
    start = final + rng.uniform(0, 2, n_trials + 1)
    rate = rng.uniform(0.02, 0.3, n_trials + 1)
    values = final[:, None] + (start - final)[:, None] * np.exp(-rate[:, None] * steps)
    docs = [completed(tid, values[tid].tolist()) for tid in range(n_trials)]
    return docs, values[n_trials].tolist()


def cpu_ms(call: Callable[..., Any], *args: Any) -> float:
    started = time.process_time()
    call(*args)
    return (time.process_time() - started) * 1000


#: the steps at which a call does the work: every step for the median, rungs for SHA
TIMED_STEPS = {"median": range(N_STEPS), "successive_halving": (1, 2, 4, 8, 16, 32)}


def time_hopt(make: Callable[[], Pruner], n_trials: int, timed: Any) -> dict[str, float]:
    docs, curve = experiment(n_trials)
    pruner = make()
    trial = running(n_trials)
    docs.append(trial)
    calls = []
    for step in range(N_STEPS):
        add_report(trial, step, curve[step])
        took = cpu_ms(pruner.prune, trial, docs)
        if step in timed:
            calls.append(took)
    cold, warm = calls[0], calls[1:]
    # one more trial completes; a new running trial reports its first rung (step 1)
    docs.insert(0, completed(n_trials + 1, curve))
    second = running(n_trials + 2, [(0, curve[0]), (1, curve[1])])
    docs.append(second)
    after = cpu_ms(pruner.prune, second, docs)
    return {"cold": cold, "warm": statistics.median(warm), "after": after}


def time_optuna(kind: str, n_trials: int) -> float | None:
    try:
        import optuna
    except ImportError:
        return None
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    docs, curve = experiment(n_trials)
    if kind == "median":
        pruner: Any = optuna.pruners.MedianPruner()
    else:
        pruner = optuna.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=2)
    study = optuna.create_study(pruner=pruner)
    rungs = TIMED_STEPS["successive_halving"]  # the rung values Optuna would have recorded
    for doc in docs:
        values = {r["step"]: r["value"] for r in doc["reports"]}
        attrs = {f"completed_rung_{i}": values[s] for i, s in enumerate(rungs)}
        study.add_trial(
            optuna.trial.create_trial(
                value=doc["result"]["loss"], intermediate_values=values, system_attrs=attrs
            )
        )
    trial = study.ask()
    calls = []
    for step in range(N_STEPS):
        trial.report(curve[step], step)
        frozen = study._storage.get_trial(trial._trial_id)
        took = cpu_ms(pruner.prune, study, frozen)
        if step in TIMED_STEPS[kind]:
            calls.append(took)
    return statistics.median(calls[1:])


def main(sizes: list[int]) -> None:
    pruners: dict[str, Callable[[], Pruner]] = {
        "median": MedianPruner,
        "successive_halving": lambda: SuccessiveHalvingPruner(min_resource=1, reduction_factor=2),
    }
    print("| pruner | completed trials | cold | warm (median) | after a completion | Optuna |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, make in pruners.items():
        for n in sizes:
            hopt = time_hopt(make, n, TIMED_STEPS[name])
            theirs = time_optuna(name, n)
            optuna_cell = "-" if theirs is None else f"{theirs:.2f} ms"
            print(
                f"| {name} | {n:,} | {hopt['cold']:.1f} ms | {hopt['warm']:.2f} ms "
                f"| {hopt['after']:.2f} ms | {optuna_cell} |"
            )


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1000, 10000])
