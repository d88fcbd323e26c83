"""A hash of every TPE suggestion over several spaces: did a change alter any suggestion?

Runs hopt's ``tpe.suggest`` through ``fmin`` on seven benchmark problems and the
overhead benchmark's 10-label space (two seeds each, one and four trials per
call), then asks for trials with others in flight, and hashes every suggested
value.  A speed-up that should change no number must leave the hash as it was:

    python benchmarks/tpe_fingerprint.py            # prints two hashes
    git stash; python benchmarks/tpe_fingerprint.py; git stash pop   # compare

The hashes cover the sequential fmin runs (no trial ever in flight), the runs
with four trials per call, and those plus the suggestions made with trials in
flight; a fourth covers the overhead benchmark's two unconditional spaces (10
and 30 labels, 600 trials each run).
Takes about 10 seconds.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(1, str(HERE.parent))

import _single_thread  # noqa: F401, E402  (before numpy: one BLAS thread)
import numpy as np  # noqa: E402
import problems as P  # noqa: E402
import tpe_overhead as T  # noqa: E402

import hopt  # noqa: E402
from hopt.domain import Domain  # noqa: E402

PROBLEMS = ("branin", "hartmann6", "rosenbrock5", "levy20", "log_scale", "int_categorical", "tree")


def _digest(h, vals: dict) -> None:
    h.update(repr(sorted((k, [float(x) for x in v]) for k, v in vals.items())).encode())


def main() -> None:
    cases = [(name, P.PROBLEMS[name].params, P.PROBLEMS[name].objective) for name in PROBLEMS]
    cases.append(("overhead", T.SPACE, T.objective))
    hashes = {1: hashlib.sha256(), 4: hashlib.sha256()}
    for batch in (1, 4):
        h = hashes[batch]
        for name, params, objective in cases:
            for seed in range(2):
                trials = hopt.Trials()
                hopt.fmin(
                    lambda p, f=objective: f(P.flatten(p)),
                    P.hopt_space(params),
                    algo=hopt.tpe.suggest,
                    max_evals=400 if name == "overhead" else 120,
                    trials=trials,
                    rstate=np.random.default_rng(seed),
                    show_progressbar=False,
                    max_queue_len=batch,
                )
                for trial in trials.trials:
                    _digest(h, trial["misc"]["vals"])
    print("sequential fmin runs:", hashes[1].hexdigest()[:16])
    print("four trials per call:", hashes[4].hexdigest()[:16])
    h = hashes[4]
    for _name, params, objective in cases:  # two ids per call, earlier picks in flight
        trials = hopt.Trials()
        hopt.fmin(
            lambda p, f=objective: f(P.flatten(p)),
            P.hopt_space(params),
            algo=hopt.tpe.suggest,
            max_evals=60,
            trials=trials,
            rstate=np.random.default_rng(5),
            show_progressbar=False,
        )
        domain = Domain(lambda p: 0, P.hopt_space(params))
        for step in range(5):
            tid = len(trials.trials)
            docs = hopt.tpe.suggest([tid, tid + 1], domain, trials, step)
            trials.insert_trial_docs(docs)
            trials.refresh()
            for doc in docs:
                _digest(h, doc["misc"]["vals"])
    print("four per call and in flight:", h.hexdigest()[:16])
    print("flat10 and flat30, one and four per call:", wider_spaces_hash()[:16])


def wider_spaces_hash() -> str:
    """The overhead benchmark's unconditional spaces (10 and 30 labels), 600 trials.

    A hash of its own, so the three above stay comparable with earlier runs.
    """
    h = hashlib.sha256()
    for name in ("flat10", "flat30"):
        _, params, objective = T.SPACES[name]
        for seed, batch in ((0, 1), (1, 1), (2, 4)):
            trials = hopt.Trials()
            hopt.fmin(
                lambda p, f=objective: f(P.flatten(p)),
                P.hopt_space(params),
                algo=hopt.tpe.suggest,
                max_evals=600,
                trials=trials,
                rstate=np.random.default_rng(seed),
                show_progressbar=False,
                max_queue_len=batch,
            )
            for trial in trials.trials:
                _digest(h, trial["misc"]["vals"])
    return h.hexdigest()


if __name__ == "__main__":
    main()
