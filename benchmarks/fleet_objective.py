"""The objectives of benchmarks/fleet_throughput.py, in a module worker processes import.

hopt's workers unpickle the objective with cloudpickle, which stores a function of
an importable module by reference: a worker imports this module by name
(fleet_throughput.py puts benchmarks/ on the workers' PYTHONPATH). Optuna's
workers are this module run as a script:

    python -m fleet_objective --storage journal:/tmp/x/journal.log --study S \\
        --n-trials 30 --seed 7 [--max-trials 60] [--free]

``--storage`` is ``journal:PATH`` (JournalStorage on a JournalFileBackend) or an
SQLAlchemy URL such as ``sqlite:///PATH`` (Optuna makes its RDBStorage from it).
"""

from __future__ import annotations

import argparse
import time

#: what one trial of the throughput measurement costs, all of it asleep
SLEEP_SECS = 0.5
LOW, HIGH = -1.0, 1.0


# -- hopt: the space is hp.uniform("x", LOW, HIGH), so the objective gets x ---------------
def sleepy(x: float) -> float:
    time.sleep(SLEEP_SECS)
    return x * x


def free(x: float) -> float:
    return x * x


# -- Optuna: the same draw, define-by-run ----------------------------------------------------
def optuna_sleepy(trial) -> float:
    x = trial.suggest_float("x", LOW, HIGH)
    time.sleep(SLEEP_SECS)
    return x * x


def optuna_free(trial) -> float:
    x = trial.suggest_float("x", LOW, HIGH)
    return x * x


def optuna_storage(spec: str):
    """The storage a ``--storage`` value names (a fresh object: nothing cached)."""
    if spec.startswith("journal:"):
        from optuna.storages import JournalStorage
        from optuna.storages.journal import JournalFileBackend

        return JournalStorage(JournalFileBackend(spec.removeprefix("journal:")))
    from optuna.storages import RDBStorage

    return RDBStorage(spec)


def optuna_worker(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="one Optuna worker process of the fleet")
    parser.add_argument("--storage", required=True)
    parser.add_argument("--study", required=True)
    parser.add_argument("--n-trials", type=int, required=True)
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument(
        "--max-trials",
        type=int,
        default=None,
        help="stop once the study holds this many trials in any state (MaxTrialsCallback)",
    )
    parser.add_argument("--free", action="store_true", help="no sleep (bookkeeping runs)")
    args = parser.parse_args(argv)

    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        storage=optuna_storage(args.storage),
        study_name=args.study,
        sampler=optuna.samplers.RandomSampler(seed=args.seed),
        direction="minimize",
        load_if_exists=True,
    )
    callbacks = []
    if args.max_trials is not None:
        callbacks.append(optuna.study.MaxTrialsCallback(args.max_trials, states=None))
    study.optimize(
        optuna_free if args.free else optuna_sleepy, n_trials=args.n_trials, callbacks=callbacks
    )


if __name__ == "__main__":
    optuna_worker()
