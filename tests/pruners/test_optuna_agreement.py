"""Every pruner decides as Optuna's does, on random asynchronous runs (skipped without Optuna).

Each scenario plays one run (``hopt.testing.pruners.simulate``): trials with random
learning curves, up to four running at once, each asked about after every report.
The same reports go to an in-memory Optuna study (``ask``, ``report``,
``should_prune``, ``tell``) and to hopt's pruner over the trial documents; Optuna's
decision drives the run so both see the same history, and every call is compared.

Where hopt departs from Optuna on purpose, the scenarios stay clear of it: no step
is reported twice (Optuna keeps the first report, hopt the last); Hyperband's
bracket of a trial is hopt's (Optuna hashes the study name too), so Optuna's
assignment is patched to hopt's; and the "auto" resource settings agree only when
no trial was already running when the first one completed (``n_workers=1``; see
SuccessiveHalvingPruner), so with parallel workers their agreement is measured,
not required.

Run as a script for the figures over a few hundred scenarios per pruner:
``PYTHONPATH=. python tests/pruners/test_optuna_agreement.py [scenarios]``.
"""

from __future__ import annotations

import functools
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from hopt import pruners
from hopt.pruners.hyperband import HyperbandPruner
from hopt.testing.pruners import curves, simulate

optuna = pytest.importorskip("optuna")


@dataclass
class Outcome:
    calls: int = 0
    disagreements: int = 0
    pruned: int = 0  # calls where Optuna pruned
    settings_differ: bool = False  # an "auto" setting learnt differently


@functools.cache
def _bracket_assigner(min_resource: int, max_resource: int, eta: int) -> HyperbandPruner:
    return HyperbandPruner(min_resource, max_resource, eta)


def _hopt_brackets(self: Any, study: Any, trial: Any) -> int:
    # Optuna's HyperbandPruner._get_bracket_id, with hopt's assignment of numbers (= tids)
    if not self._pruners:
        return 0  # as Optuna's, before it knows max_resource
    assigner = _bracket_assigner(self._min_resource, self._max_resource, self._reduction_factor)
    bracket = assigner.bracket_of(trial.number)
    assert bracket is not None and assigner.n_brackets == self._n_brackets  # see the last test
    return bracket


def play(
    hopt_pruner: pruners.Pruner,
    optuna_pruner: Any,
    trial_curves: list[list[float]],
    n_workers: int,
    seed: int,
    step_of: Callable[[int, int], int] | None = None,
    final_loss: Callable[[dict], float] | None = None,
) -> Outcome:
    """One run fed to both pruners; Optuna's decisions drive it."""
    study = optuna.create_study(direction="minimize", pruner=optuna_pruner)
    asked: list[Any] = []
    outcome = Outcome()

    def ask(doc: dict, docs: list[dict]) -> bool:
        while len(asked) <= doc["tid"]:  # Optuna numbers trials as hopt's tids: in order
            asked.append(study.ask())
        report = doc["reports"][-1]
        trial = asked[doc["tid"]]
        trial.report(report["value"], report["step"])
        expected = trial.should_prune()
        outcome.calls += 1
        outcome.pruned += expected
        if hopt_pruner.prune(doc, docs) != expected:
            outcome.disagreements += 1
        return expected

    def finish(doc: dict) -> None:
        trial = asked[doc["tid"]]
        if doc["result"]["status"] == "pruned":
            study.tell(trial, state=optuna.trial.TrialState.PRUNED)
            return
        if final_loss is not None:
            doc["result"]["loss"] = final_loss(doc)
        study.tell(trial, doc["result"]["loss"])

    simulate(ask, trial_curves, n_workers, seed, step_of, finish)
    return outcome


# -- scenarios: each draws settings and a run from one seed -----------------------------------


def _run_shape(rng: np.random.Generator) -> tuple[int, int, int]:
    return int(rng.integers(4, 14)), int(rng.integers(3, 16)), int(rng.integers(1, 5))


def median_scenario(seed: int, percentile: bool = False) -> Outcome:
    rng = np.random.default_rng(seed)
    n_trials, n_steps, n_workers = _run_shape(rng)
    settings = {
        "n_startup_trials": int(rng.integers(0, 4)),
        "n_warmup_steps": int(rng.integers(0, 4)),
        "interval_steps": int(rng.integers(1, 4)),
        "n_min_trials": int(rng.integers(1, 4)),
    }
    if percentile:
        q = float(rng.choice([0.0, 10.0, 25.0, 33.3, 75.0, 100.0]))
        ours = pruners.PercentilePruner(q, **settings)
        theirs = optuna.pruners.PercentilePruner(q, **settings)
    else:
        ours = pruners.MedianPruner(**settings)
        theirs = optuna.pruners.MedianPruner(**settings)
    trial_curves = curves(seed, n_trials, n_steps)
    return play(ours, theirs, trial_curves, n_workers, seed, step_of=_gappy_steps(rng))


def _gappy_steps(rng: np.random.Generator) -> Callable[[int, int], int] | None:
    # half the runs report every step; the others skip some (steps 0, 2, 3, 5...)
    if rng.random() < 0.5:
        return None
    stride = np.cumsum(rng.integers(1, 3, size=64))
    return lambda tid, i: int(stride[i]) - 1


def threshold_scenario(seed: int) -> Outcome:
    rng = np.random.default_rng(seed)
    n_trials, n_steps, n_workers = _run_shape(rng)
    lower = float(rng.choice([-1.0, 0.2, 0.5])) if rng.random() < 0.7 else None
    upper = float(rng.choice([1.0, 1.5, 2.0])) if rng.random() < 0.7 or lower is None else None
    settings = {
        "lower": lower,
        "upper": upper,
        "n_warmup_steps": int(rng.integers(0, 4)),
        "interval_steps": int(rng.integers(1, 4)),
    }
    return play(
        pruners.ThresholdPruner(**settings),
        optuna.pruners.ThresholdPruner(**settings),
        curves(seed, n_trials, n_steps),
        n_workers,
        seed,
        step_of=_gappy_steps(rng),
    )


def patient_scenario(seed: int) -> Outcome:
    rng = np.random.default_rng(seed)
    n_trials, n_steps, n_workers = _run_shape(rng)
    patience = int(rng.integers(0, 4))
    min_delta = float(rng.choice([0.0, 0.01, 0.1]))
    if rng.random() < 0.5:
        ours = pruners.PatientPruner(None, patience, min_delta)
        theirs = optuna.pruners.PatientPruner(None, patience, min_delta)
    else:
        ours = pruners.PatientPruner(pruners.MedianPruner(1), patience, min_delta)
        theirs = optuna.pruners.PatientPruner(optuna.pruners.MedianPruner(1), patience, min_delta)
    return play(ours, theirs, curves(seed, n_trials, n_steps), n_workers, seed)


def successive_halving_scenario(seed: int, auto: bool = False, sequential: bool = False) -> Outcome:
    rng = np.random.default_rng(seed)
    n_trials, n_steps, n_workers = _run_shape(rng)
    n_trials += 6  # more trials reach the later rungs
    if sequential:
        n_workers = 1
    settings: dict[str, Any] = {
        "reduction_factor": int(rng.integers(2, 5)),
        "min_early_stopping_rate": int(rng.integers(0, 3)),
    }
    if auto:
        n_steps = int(rng.integers(3, 350))  # min_resource = last step // 100, at least 1
        settings["min_resource"] = "auto"
    else:
        settings["min_resource"] = int(rng.integers(1, 4))
        settings["bootstrap_count"] = int(rng.choice([0, 0, 1, 3]))
    ours = pruners.SuccessiveHalvingPruner(**settings)
    theirs = optuna.pruners.SuccessiveHalvingPruner(**settings)
    outcome = play(ours, theirs, curves(seed, n_trials, n_steps), n_workers, seed)
    outcome.settings_differ = ours.min_resource != theirs._min_resource
    return outcome


def hyperband_scenario(seed: int, auto: bool = False, sequential: bool = False) -> Outcome:
    rng = np.random.default_rng(seed)
    n_trials, n_steps, n_workers = _run_shape(rng)
    n_trials += 10
    n_steps += 5
    if sequential:
        n_workers = 1
    min_resource = int(rng.integers(1, 3))
    settings: dict[str, Any] = {
        "min_resource": min_resource,
        "reduction_factor": int(rng.integers(2, 4)),
        "max_resource": "auto" if auto else int(rng.integers(min_resource, n_steps + 1)),
    }
    if not auto:
        settings["bootstrap_count"] = int(rng.choice([0, 0, 1]))
    optuna_pruner = optuna.pruners.HyperbandPruner(**settings)
    optuna_pruner._get_bracket_id = functools.partial(_hopt_brackets, optuna_pruner)
    ours = pruners.HyperbandPruner(**settings)
    outcome = play(ours, optuna_pruner, curves(seed, n_trials, n_steps), n_workers, seed)
    outcome.settings_differ = ours.max_resource != optuna_pruner._max_resource
    return outcome


def wilcoxon_scenario(seed: int) -> Outcome:
    # steps are problem instances, reported in a random order per trial; the loss of a
    # completed trial is its mean over instances
    rng = np.random.default_rng(seed)
    n_trials, n_instances, n_workers = _run_shape(rng)
    n_instances += 4
    difficulty = rng.uniform(0, 3, n_instances)
    orders = [rng.permutation(n_instances) for _ in range(n_trials)]
    trial_curves = []
    for order in orders:
        quality = rng.uniform(0, 1)
        noise = rng.normal(0, rng.choice([0.05, 0.3]), n_instances)
        trial_curves.append([round(float(difficulty[j] + quality + noise[j]), 3) for j in order])
    threshold = float(rng.choice([0.05, 0.1, 0.3]))
    startup = int(rng.integers(0, 6))
    return play(
        pruners.WilcoxonPruner(threshold, startup),
        optuna.pruners.WilcoxonPruner(p_threshold=threshold, n_startup_steps=startup),
        trial_curves,
        n_workers,
        seed,
        step_of=lambda tid, i: int(orders[tid][i]),
        final_loss=lambda doc: float(np.mean([r["value"] for r in doc["reports"]])),
    )


EXACT = {
    "median": median_scenario,
    "percentile": functools.partial(median_scenario, percentile=True),
    "threshold": threshold_scenario,
    "patient": patient_scenario,
    "successive_halving": successive_halving_scenario,
    "hyperband": hyperband_scenario,
    "wilcoxon": wilcoxon_scenario,
}
# "auto" settings: the learnt min_resource / max_resource must equal Optuna's, but the
# decisions differ by design (see SuccessiveHalvingPruner): Optuna records rung values
# only at checks made once min_resource is known, so trials that ran before (the first
# to complete, and those running then) have none; hopt reads them from the reports.
MEASURED = {
    "successive_halving_auto_sequential": functools.partial(
        successive_halving_scenario, auto=True, sequential=True
    ),
    "successive_halving_auto_parallel": functools.partial(successive_halving_scenario, auto=True),
    "hyperband_auto_sequential": functools.partial(hyperband_scenario, auto=True, sequential=True),
    "hyperband_auto_parallel": functools.partial(hyperband_scenario, auto=True),
}


def agreement(
    scenario: Callable[[int], Outcome], seeds: range
) -> tuple[Outcome, list[int], list[int]]:
    """The outcomes summed, the seeds with a disagreement, those with different settings."""
    total, bad, settings = Outcome(), [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Optuna's ExperimentalWarning and friends
        optuna.logging.set_verbosity(optuna.logging.ERROR)
        for seed in seeds:
            outcome = scenario(seed)
            total.calls += outcome.calls
            total.pruned += outcome.pruned
            total.disagreements += outcome.disagreements
            if outcome.disagreements:
                bad.append(seed)
            if outcome.settings_differ:
                settings.append(seed)
    return total, bad, settings


# 40 scenarios per pruner here (12 for Wilcoxon: scipy's test takes a millisecond or
# more, twice per call), a few seconds in all; the script runs hundreds.
@pytest.mark.parametrize("name", sorted(EXACT))
def test_decisions_match_optuna(name):
    total, bad, _ = agreement(EXACT[name], range(12 if name == "wilcoxon" else 40))
    assert total.pruned > 0, "the scenarios should make Optuna prune sometimes"
    assert total.pruned < total.calls
    assert not bad, f"{name}: disagreements in scenarios (seeds) {bad}"


@pytest.mark.parametrize("name", sorted(MEASURED))
def test_auto_settings_are_learnt_as_optuna_learns_them(name):
    total, _, settings = agreement(MEASURED[name], range(15))
    assert not settings, f"{name}: different min/max_resource in scenarios (seeds) {settings}"
    assert total.disagreements < total.calls * 0.05  # loose: the figures are in the script


def test_bracket_counts_match_optuna_except_where_its_float_log_rounds_down():
    import math

    from hopt.pruners.hyperband import count_brackets

    differ = []
    for low in range(1, 6):
        for high in range(low, 400):
            for eta in range(2, 6):
                optuna_count = math.floor(math.log(high / low, eta)) + 1
                if count_brackets(low, high, eta) != optuna_count:
                    differ.append((low, high, eta))
    # exact powers where the float logarithm falls just short of the integer
    assert all(
        low * eta ** (count_brackets(low, high, eta) - 1) == high for low, high, eta in differ
    )


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    print(f"{'pruner':38} {'scenarios':>9} {'calls':>7} {'pruned':>7} {'agree':>8}  seeds")
    for name, scenario in {**EXACT, **MEASURED}.items():
        total, bad, settings = agreement(scenario, range(n))
        rate = 1 - total.disagreements / total.calls
        print(
            f"{name:38} {n:9d} {total.calls:7d} {total.pruned:7d} {rate:8.2%}  "
            f"{len(bad)} with a disagreement {bad[:8]}"
            + (f"; settings differ in {settings[:8]}" if settings else "")
        )
