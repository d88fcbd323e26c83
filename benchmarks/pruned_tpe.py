"""TPE with pruned trials: which way of learning from them finds good configurations sooner?

Simulated training runs: each configuration has a learning curve (a loss per
step, with noise), reported with ``hopt.report`` step by step; a pruner written
here stops the runs that look bad, and ``tpe.suggest`` picks the next
configuration from what it sees.  Three problems, each of 27 steps, where the
configuration that looks best early is not the best at the end:

* ``curves``: 4 hyperparameters of a made-up training run, loss
  ``A(x) + a(x) exp(-(step + 1) / tau(x))``: a large learning rate converges fast
  to a worse loss, a small one slowly to a better one (the curves cross);
* ``branin_mf``: Branin at fidelity ``z = (step + 1) / 27``, its constants moved
  away from Branin's at low fidelity (Kandasamy et al. 2017), plus a transient
  that fades by the last step;
* ``hartmann6_mf``: Hartmann-6 whose four bumps weigh differently at low
  fidelity, plus a transient.

Two pruners, both written here (hopt's own are elsewhere):

* ``median``: prune at step s when the trial's value is above the median of the
  completed trials' values at s, once 5 trials completed;
* ``halving``: asynchronous successive halving, rungs after 1, 3 and 9 steps:
  a trial goes on past a rung only when its value is among the best third of
  all values recorded at that rung (the best one while fewer than 3).

TPE variants (all with ``tpe.suggest``'s defaults), differing only in what they
learn from pruned trials:

* ``failures``: pruned trials shown to TPE as failed (hopt before pruned trials
  were ranked);
* ``ranked, whole``: completed trials by loss, then pruned ones by the step they
  reached, then their value there; the good group ``ceil(gamma * n)`` with n
  counting completed and pruned trials alike (Optuna's rule,
  ``pruned_count="whole"``);
* ``ranked, progress``: the same ranking, each pruned trial counted in n as the
  fraction of a full run it trained (hopt's default, ``pruned_count="progress"``);
* ``ranked, n = completed``: the same ranking, n counting completed trials only
  (so pruned trials are never good);
* ``last value``: a pruned trial's last value taken as its loss, ranked with
  the completed ones (what Ray Tune's HyperOptSearch does);
* ``common step``: BOHB-like, the trials that reached the highest step that at
  least 10 trials reached rank first, by their value at that step; the rest as
  in ``ranked, progress``.

and ``no pruning`` (every run trained to the end) for reference.  Each run
spends 50 full runs' worth of steps; at 10, 25 and 50 full runs' worth, the
configuration with the lowest observed final loss among the completed runs is
the one a user would take, and its noise-free final loss minus the best
possible one is the regret reported.

    python benchmarks/pruned_tpe.py                       # 60 seeds, ~10 minutes
    python benchmarks/pruned_tpe.py --seeds 3 --problems curves --pruners median
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(1, str(HERE.parent))

import _single_thread  # noqa: F401, E402  (before numpy: one BLAS thread)
import numpy as np  # noqa: E402
import problems as P  # noqa: E402

import hopt  # noqa: E402
from hopt import JOB_STATE_DONE, STATUS_OK, STATUS_PRUNED, hp, tpe  # noqa: E402
from hopt.algos.tpe import suggestion  # noqa: E402

STEPS = 27
BUDGETS = (10, 25, 50)  # in full runs' worth of steps
MEDIAN_STARTUP = 5
RUNGS = (0, 2, 8)  # steps (0-based) after 1, 3 and 9 steps of training
REDUCTION = 3
COMMON_STEP_MIN = 10


# -- problems: noise-free curves, a value per step -------------------------------------


class Problem:
    name = ""
    noise = 0.0
    space: dict = {}
    best = 0.0  # the lowest noise-free final loss

    def curve(self, p: dict) -> np.ndarray:
        raise NotImplementedError


class Curves(Problem):
    """A made-up training run: learning rate, width, weight decay, momentum."""

    name = "curves"
    noise = 0.03

    def __init__(self) -> None:
        self.space = {
            "lr": hp.loguniform("lr", math.log(1e-4), 0.0),
            "width": hp.uniform("width", 0.0, 1.0),
            "decay": hp.loguniform("decay", math.log(1e-5), math.log(1e-1)),
            "momentum": hp.uniform("momentum", 0.0, 0.99),
        }
        self.best = self._lowest()

    @staticmethod
    def _parts(u, w, v, m):
        """(asymptote, amplitude, tau) for log10 lr ``u``, width, log10 decay ``v``, momentum."""
        asymptote = 0.05 + 0.25 * (u + 2.6) ** 2 + 0.4 * (w - 0.75) ** 2
        asymptote = asymptote + 0.05 * (v + 3.5) ** 2 + 0.1 * (m - 0.9) ** 2
        tau = 2.0 * 10 ** (-0.55 * (u + 1.0)) * (1.0 + w) / (0.5 + m)
        return asymptote, 1.5 + 0.5 * w, tau

    def curve(self, p: dict) -> np.ndarray:
        parts = self._parts(math.log10(p["lr"]), p["width"], math.log10(p["decay"]), p["momentum"])
        asymptote, amplitude, tau = parts
        return asymptote + amplitude * np.exp(-np.arange(1, STEPS + 1) / tau)

    def _lowest(self) -> float:
        """The lowest final loss, on a fine grid (v = -3.5 is best at any u, w, m)."""
        u, w, m = np.meshgrid(
            np.linspace(-4, 0, 401), np.linspace(0, 1, 201), np.linspace(0, 0.99, 100)
        )
        asymptote, amplitude, tau = self._parts(u, w, -3.5, m)
        return float((asymptote + amplitude * np.exp(-STEPS / tau)).min())


class BraninMF(Problem):
    """Branin at fidelity z = (step + 1) / STEPS, with a transient."""

    name = "branin_mf"
    noise = 0.05
    best = 0.397887

    def __init__(self) -> None:
        self.space = {"x1": hp.uniform("x1", -5, 10), "x2": hp.uniform("x2", 0, 15)}

    def curve(self, p: dict) -> np.ndarray:
        x1, x2 = p["x1"], p["x2"]
        low = 1.0 - np.arange(1, STEPS + 1) / STEPS  # 1 - z
        b = 5.1 / (4 * math.pi**2) - 0.01 * low
        c = 5 / math.pi - 0.1 * low
        t = 1 / (8 * math.pi) + 0.05 * low
        value = (x2 - b * x1**2 + c * x1 - 6) ** 2 + 10 * (1 - t) * math.cos(x1) + 10
        return value + 20.0 * low**2 * (x2 / 15.0)  # early on, small x2 looks better


class Hartmann6MF(Problem):
    """Hartmann-6 whose bumps weigh differently at low fidelity, with a transient."""

    name = "hartmann6_mf"
    noise = 0.02
    best = -3.32237
    shift = np.array([0.5, -0.3, 0.4, -0.5])

    def __init__(self) -> None:
        self.space = {f"x{i}": hp.uniform(f"x{i}", 0, 1) for i in range(6)}

    def curve(self, p: dict) -> np.ndarray:
        x = np.array([p[f"x{i}"] for i in range(6)])
        bumps = np.exp(-np.sum(P._H6_A * (x - P._H6_P) ** 2, axis=1))
        low = 1.0 - np.arange(1, STEPS + 1) / STEPS
        alpha = P._H6_ALPHA[None, :] + low[:, None] * self.shift[None, :]
        return -(alpha * bumps[None, :]).sum(axis=1) + 1.0 * low**2


PROBLEMS = {cls.name: cls for cls in (Curves, BraninMF, Hartmann6MF)}


# -- pruners ---------------------------------------------------------------------------


class _Completed:
    """Values per step of the completed trials, read once each (finished docs never change)."""

    def __init__(self) -> None:
        self.read = 0
        self.per_step: list[list[float]] = [[] for _ in range(STEPS)]
        self.count = 0

    def update(self, docs: list) -> None:
        while self.read < len(docs) and docs[self.read]["state"] == JOB_STATE_DONE:
            doc = docs[self.read]
            if doc["result"].get("status") == STATUS_OK:
                for report in doc.get("reports") or ():
                    self.per_step[report["step"]].append(report["value"])
                self.count += 1
            self.read += 1


class MedianPruner:
    """Prune at step s when the value is above the completed trials' median at s."""

    def __init__(self) -> None:
        self.completed = _Completed()
        self._medians: dict[int, float] = {}
        self._at_count = -1

    def prune(self, trial: dict, trials: list) -> bool:
        self.completed.update(trials)
        if self.completed.count < MEDIAN_STARTUP:
            return False
        if self._at_count != self.completed.count:
            self._medians, self._at_count = {}, self.completed.count
        last = trial["reports"][-1]
        step = last["step"]
        if step not in self._medians:
            self._medians[step] = float(np.median(self.completed.per_step[step]))
        return last["value"] > self._medians[step]


class HalvingPruner:
    """Asynchronous successive halving at RUNGS: go on only within the best 1/REDUCTION."""

    def __init__(self) -> None:
        self.recorded: dict[int, list[float]] = {step: [] for step in RUNGS}

    def prune(self, trial: dict, trials: list) -> bool:
        last = trial["reports"][-1]
        values = self.recorded.get(last["step"])
        if values is None:
            return False
        values.append(last["value"])
        keep = max(1, len(values) // REDUCTION)
        return last["value"] > np.partition(values, keep - 1)[keep - 1]


PRUNERS = {"median": MedianPruner, "halving": HalvingPruner}


# -- what each TPE variant sees --------------------------------------------------------


class _View:
    """The trials as one variant shows them to TPE: finished pruned trials rewritten.

    Finished documents never change, so each is rewritten once; ``collect``'s
    cache of finished rows keeps working on the view.
    """

    def __init__(self, trials, rewrite) -> None:
        self._real = trials
        self._rewrite = rewrite
        self._seen: list[dict] = []

    @property
    def trials(self) -> list[dict]:
        docs = self._real.trials
        while len(self._seen) < len(docs) and docs[len(self._seen)]["state"] == JOB_STATE_DONE:
            self._seen.append(self._rewrite(docs[len(self._seen)]))
        return self._seen + docs[len(self._seen) :]

    def __getattr__(self, name):
        return getattr(self._real, name)


def _with_result(doc: dict, result: dict) -> dict:
    return {**doc, "result": result}


def as_failed(doc: dict) -> dict:
    if doc["result"].get("status") != STATUS_PRUNED:
        return doc
    return _with_result(doc, {"status": "fail"})


def last_value_as_loss(doc: dict) -> dict:
    result = doc["result"]
    if result.get("status") != STATUS_PRUNED:
        return doc
    if result.get("loss") is None:
        return _with_result(doc, {"status": "fail"})
    return _with_result(doc, {"status": STATUS_OK, "loss": result["loss"]})


def viewed(rewrite):
    """An algo: tpe.suggest on the trials as ``rewrite`` shows them."""
    views: dict[int, _View] = {}

    def algo(new_ids, domain, trials, seed):
        view = views.get(id(trials))
        if view is None:
            view = views[id(trials)] = _View(trials, rewrite)
        return tpe.suggest(new_ids, domain, view, seed)

    return algo


def common_step_algo():
    """BOHB-like: the trials that reached the highest step that COMMON_STEP_MIN trials
    reached rank first, by their value there (completed trials too); the rest by
    hopt's rule.  The view is rebuilt whenever that step moves."""
    state: dict = {"step": None, "view": None}

    def rewrite_at(step):
        def rewrite(doc):
            result = doc["result"]
            if result.get("status") not in (STATUS_OK, STATUS_PRUNED):
                return doc
            at = {r["step"]: r["value"] for r in doc.get("reports") or ()}
            if step in at:
                return _with_result(doc, {"status": STATUS_OK, "loss": at[step]})
            if result.get("status") == STATUS_OK:  # completed without reports: as is
                return doc
            return doc  # pruned before the step: ranked after, by hopt's rule

        return rewrite

    def algo(new_ids, domain, trials, seed):
        reached = [
            max((r["step"] for r in doc.get("reports") or ()), default=-1)
            for doc in trials.trials
            if doc["state"] == JOB_STATE_DONE
        ]
        reached.sort(reverse=True)
        step = reached[COMMON_STEP_MIN - 1] if len(reached) >= COMMON_STEP_MIN else None
        if step is None:
            return tpe.suggest(new_ids, domain, trials, seed)
        if step != state["step"]:
            state["step"], state["view"] = step, _View(trials, rewrite_at(step))
        return tpe.suggest(new_ids, domain, state["view"], seed)

    return algo


def _n_completed_split(real):
    def split(losses, gamma, max_below=25, pruned=None):
        return real(losses, gamma, max_below)  # pruned rows never good; n = completed

    return split


VARIANTS = (
    "failures",
    "ranked, whole",
    "ranked, progress",
    "ranked, n = completed",
    "last value",
    "common step",
)


def make_algo(variant: str):
    if variant == "failures":
        return viewed(as_failed)
    if variant == "ranked, whole":
        return functools.partial(tpe.suggest, pruned_count="whole")
    if variant == "last value":
        return viewed(last_value_as_loss)
    if variant == "common step":
        return common_step_algo()
    return tpe.suggest  # "ranked, progress" (and "ranked, n = completed", patched around the run)


# -- one run ---------------------------------------------------------------------------


def run(problem: Problem, pruner_name: str | None, variant: str, seed: int) -> dict:
    """One fmin run until 50 full runs' worth of steps are spent; per trial, what it cost."""
    noise = np.random.default_rng([seed, 7])
    log: list[tuple[int, bool, float, float]] = []  # steps, completed, observed, true final
    spent = [0]
    limit = BUDGETS[-1] * STEPS

    def objective(p):
        curve = problem.curve(p)
        observed = curve + problem.noise * noise.standard_normal(STEPS)
        for step in range(STEPS):
            spent[0] += 1
            hopt.report(float(observed[step]), step)
            if hopt.should_prune():
                log.append((step + 1, False, float(observed[step]), float(curve[-1])))
                raise hopt.TrialPruned()
        log.append((STEPS, True, float(observed[-1]), float(curve[-1])))
        return float(observed[-1])

    pruner = PRUNERS[pruner_name]() if pruner_name else None
    real_split = suggestion.split_below
    if variant == "ranked, n = completed":
        suggestion.split_below = _n_completed_split(real_split)
    try:
        hopt.fmin(
            objective,
            problem.space,
            algo=make_algo(variant),
            max_evals=100_000,
            trials=hopt.Trials(),
            rstate=np.random.default_rng(seed),
            show_progressbar=False,
            pruner=pruner,
            early_stop_fn=lambda trials, *args: (spent[0] >= limit, args),
        )
    finally:
        suggestion.split_below = real_split
    steps = np.cumsum([entry[0] for entry in log])
    regrets = []
    for budget in BUDGETS:
        within = [e for e, s in zip(log, steps) if s <= budget * STEPS and e[1]]
        if within:
            chosen = min(within, key=lambda e: e[2])
            regrets.append(chosen[3] - problem.best)
        else:
            regrets.append(math.inf)
    return {
        "regret": regrets,
        "trials": len(log),
        "completed": sum(1 for e in log if e[1]),
    }


# -- tables ----------------------------------------------------------------------------


def _fmt(x: float) -> str:
    if not math.isfinite(x):
        return "—"
    return f"{x:.3g}" if abs(x) >= 1e-3 else f"{x:.1e}"


def table(results: dict, problems: list[str], pruners: list[str], seeds: list[int]) -> str:
    """Median regret at each budget per (problem, pruner, variant); wins against failures."""
    lines = []
    header = "| problem | pruner | TPE variant | " + " | ".join(
        f"regret at {b} runs" for b in BUDGETS
    )
    header += " | better than `failures` (of seeds, at 10 / 25 / 50) | trials, completed |"
    lines += [header, "|---|---|---|" + "---:|" * (len(BUDGETS) + 2)]
    for problem in problems:
        for pruner in ["none", *pruners]:
            variants = ["no pruning"] if pruner == "none" else list(VARIANTS)
            for variant in variants:
                key = (problem, pruner, variant)
                if key not in results:
                    continue
                runs = [results[key][s] for s in seeds]
                regrets = np.array([r["regret"] for r in runs])
                cells = [_fmt(float(np.median(regrets[:, i]))) for i in range(len(BUDGETS))]
                base = results.get((problem, pruner, "failures"))
                if base is None or variant == "failures":
                    wins = ""
                else:
                    old = np.array([base[s]["regret"] for s in seeds])
                    wins = " / ".join(
                        str(int(np.sum(regrets[:, i] < old[:, i]))) for i in range(len(BUDGETS))
                    )
                trials = np.median([r["trials"] for r in runs])
                completed = np.median([r["completed"] for r in runs])
                lines.append(
                    f"| {problem} | {pruner} | {variant} | "
                    + " | ".join(cells)
                    + f" | {wins} | {trials:.0f}, {completed:.0f} |"
                )
    return "\n".join(lines)


def compact(results: dict, problems: list[str], pruners: list[str], seeds: list[int]) -> str:
    """Median regret after 25 / 50 full runs' worth of steps: a column per problem and pruner."""
    columns = [(problem, pruner) for problem in problems for pruner in pruners]
    lines = [
        "| TPE variant | " + " | ".join(f"{pb}, {pr}" for pb, pr in columns) + " |",
        "|---|" + "---:|" * len(columns),
    ]
    for variant in VARIANTS:
        cells = []
        for problem, pruner in columns:
            runs = results.get((problem, pruner, variant))
            if runs is None:
                cells.append("")
                continue
            regrets = np.array([runs[s]["regret"] for s in seeds])
            cells.append(" / ".join(_fmt(float(np.median(regrets[:, i]))) for i in (1, 2)))
        lines.append(f"| {variant} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def summary(
    results: dict, problems: list[str], pruners: list[str], seeds: list[int], baseline: str
) -> str:
    """Mean over problems and seeds of log10(regret / the baseline's regret), per pruner and
    budget, with its standard error (paired by seed: same problem, same seed)."""
    lines = [
        f"| pruner | TPE variant (vs `{baseline}`) | "
        + " | ".join(f"log10 regret ratio at {b} runs" for b in BUDGETS)
        + " |",
        "|---|---|" + "---:|" * len(BUDGETS),
    ]
    for pruner in pruners:
        for variant in VARIANTS:
            if variant == baseline:
                continue
            per = []
            for problem in problems:
                new = results.get((problem, pruner, variant))
                old = results.get((problem, pruner, baseline))
                if new is None or old is None:
                    continue
                for s in seeds:
                    a = np.maximum(np.array(new[s]["regret"]), 1e-9)
                    b = np.maximum(np.array(old[s]["regret"]), 1e-9)
                    per.append(np.log10(a / b))
            if per:
                mean = np.mean(per, axis=0)
                se = np.std(per, axis=0, ddof=1) / math.sqrt(len(per))
                cells = [f"{m:+.3f} ± {e:.3f}" for m, e in zip(mean, se)]
                lines.append(f"| {pruner} | {variant} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=60, help="seeds 0 .. SEEDS-1")
    parser.add_argument("--problems", nargs="+", default=list(PROBLEMS), choices=list(PROBLEMS))
    parser.add_argument("--pruners", nargs="+", default=list(PRUNERS), choices=list(PRUNERS))
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    parser.add_argument("--json", type=Path, help="also write every run's figures here")
    args = parser.parse_args(argv)
    import logging

    logging.getLogger("hopt").setLevel(logging.ERROR)
    seeds = list(range(args.seeds))
    results: dict = {}
    start = time.perf_counter()
    for name in args.problems:
        problem = PROBLEMS[name]()
        plan = [("none", "no pruning")] + [(p, v) for p in args.pruners for v in args.variants]
        for pruner, variant in plan:
            key = (name, pruner, variant)
            results[key] = {}
            for seed in seeds:
                results[key][seed] = run(
                    problem, None if pruner == "none" else pruner, variant, seed
                )
            med = np.median([r["regret"] for r in results[key].values()], axis=0)
            print(
                f"{name:>13} {pruner:>7} {variant:>22}: median regret "
                + " ".join(_fmt(float(m)) for m in med)
                + f"  ({time.perf_counter() - start:.0f} s)",
                flush=True,
            )
    print()
    print(table(results, args.problems, args.pruners, seeds))
    print()
    print(compact(results, args.problems, args.pruners, seeds))
    print()
    for baseline in ("failures", "ranked, progress"):
        if baseline in args.variants:
            print(summary(results, args.problems, args.pruners, seeds, baseline))
            print()
    if args.json:
        payload = [
            {"problem": k[0], "pruner": k[1], "variant": k[2], "seed": s, **r}
            for k, per_seed in results.items()
            for s, r in per_seed.items()
        ]
        args.json.write_text(json.dumps(payload))
    return 0


if __name__ == "__main__":
    sys.exit(main())
