"""hopt TPE with trials in flight against sequential TPE, on many seeds: one score.

The quality benchmark (``quality.py --parallel 8``) compares median regrets on 10
seeds, which is too few to choose between variants of the in-flight rules (ten
seeds moved medians by 2x in our runs).  This script runs hopt's TPE alone, on
the problems with a nonzero regret, sequentially and with ``--in-flight`` trials
in flight (the quality benchmark's own asynchronous simulation), and reports per
problem:

* the score: the mean over seeds of log10(parallel regret / median sequential
  regret) after ``--budget`` evaluations (0 is as good as sequential; lower is
  better; docs/algorithms.md gives every variant's score);
* the ratio of median regrets, which the issue's target is stated in;
* how many sequential evaluations reach the parallel run's median regret.

Sequential runs do not depend on the in-flight rules, so they are cached per
hopt source state (``results/parallel_score/``); on 2 cores, 200 seeds of the six
problems take about 1.5 minutes per variant.

    python benchmarks/parallel_score.py --seeds 200
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
from pathlib import Path

import _single_thread  # noqa: F401  (before numpy: one BLAS thread)
import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
if str(HERE.parent) not in sys.path:
    sys.path.insert(1, str(HERE.parent))

import quality as Q  # noqa: E402  (problems, the asynchronous simulation, the source hash)

PROBLEMS = ["branin", "hartmann6", "rosenbrock5", "levy20", "log_scale", "tree"]
CACHE = HERE / "results" / "parallel_score"


def run(job: tuple[str, int, int, int]) -> tuple[str, int, int, list[float]]:
    problem_name, seed, in_flight, budget = job
    problem = Q.PROBLEMS[problem_name]
    if in_flight:
        losses = Q.run_hyperopt_style_async("hopt", "tpe", problem, seed, budget, in_flight)
    else:
        losses = Q.run_hyperopt_style("hopt", "tpe", problem, seed, budget)
    return problem_name, seed, in_flight, losses


def cache_file(problem: str, seed: int, in_flight: int, budget: int, source: str) -> Path:
    return CACHE / source / f"{problem}__n{budget}__f{in_flight}__seed{seed}.json"


def regret_curves(problem: str, seeds: range, in_flight: int, budget: int, source: str):
    """(seeds, budget): the regret of the best loss so far, per seed."""
    optimum = Q.PROBLEMS[problem].optimum or 0.0
    rows = []
    for seed in seeds:
        losses = json.loads(cache_file(problem, seed, in_flight, budget, source).read_text())
        rows.append(np.minimum.accumulate(losses) - optimum)
    return np.maximum(np.array(rows), 1e-12)  # a solved run: regret 0 taken as 1e-12


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=200, help="seeds 0..N-1")
    parser.add_argument("--in-flight", type=int, default=8)
    parser.add_argument("--budget", type=int, default=100)
    parser.add_argument("--problems", nargs="+", default=PROBLEMS, choices=PROBLEMS)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    if args.in_flight < 1 or args.seeds < 1 or args.budget < 1:
        parser.error("--seeds, --in-flight and --budget must be at least 1")
    source = Q.hopt_source_hash()
    seeds = range(args.seeds)
    jobs = [
        (problem, seed, in_flight, args.budget)
        for problem in args.problems
        for seed in seeds
        for in_flight in (0, args.in_flight)
        if not cache_file(problem, seed, in_flight, args.budget, source).exists()
    ]
    print(f"{len(jobs)} runs to do (hopt source {source})", flush=True)
    context = multiprocessing.get_context("fork")
    with context.Pool(args.workers, initializer=Q.quiet) as pool:
        for problem, seed, in_flight, losses in pool.imap_unordered(run, jobs):
            path = cache_file(problem, seed, in_flight, args.budget, source)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(losses))
    print(f"\n{args.in_flight} in flight against sequential, {args.seeds} seeds, "
          f"after {args.budget} evaluations\n")  # fmt: skip
    print("| problem | score | median regret ratio | sequential evaluations to match |")
    print("|---|---:|---:|---:|")
    scores = []
    for problem in args.problems:
        sequential = regret_curves(problem, seeds, 0, args.budget, source)
        parallel = regret_curves(problem, seeds, args.in_flight, args.budget, source)
        median_seq = np.median(sequential, axis=0)
        median_par = np.median(parallel[:, -1])
        score = float(np.mean(np.log10(parallel[:, -1] / median_seq[-1])))
        scores.append(score)
        reached = np.flatnonzero(median_seq <= median_par)
        match = f"{reached[0] + 1}" if len(reached) else f"> {args.budget}"
        print(f"| {problem} | {score:+.3f} | {median_par / median_seq[-1]:.2f} | {match} |")
    print(f"\nmean score over the problems: {np.mean(scores):+.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
