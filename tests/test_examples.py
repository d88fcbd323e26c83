"""Every example script runs end to end with a tiny budget, prints its result and saves its plots.

The SparkTrials and MongoTrials examples need a cluster or a server; they run in
tests/spark and tests/mongo, which start those.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("sklearn")

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
NEEDS_A_SERVER = {"spark_trials.py", "mongo_trials.py"}
SAVES_PLOTS = {
    "neural_network.py",
    "random_forest.py",
    "spark_trials.py",
    "mongo_trials.py",
    "pruning.py",
    "multi_objective.py",
}


#: what an example needs to finish on its own: the dashboard writes its report instead of serving
EXTRA_ARGS = {"dashboard.py": ["--no-serve"]}


def run_example(script: str, *args: str, tmp_path: Path) -> subprocess.CompletedProcess:
    """Run ``examples/script`` with a tiny budget; plots go to ``tmp_path``."""
    env = dict(os.environ, PYTHONPATH=str(EXAMPLES.parent), MPLBACKEND="Agg")
    extra = ["--plots", str(tmp_path / "plots")] if script in SAVES_PLOTS else []
    extra += EXTRA_ARGS.get(script, [])
    return subprocess.run(
        [sys.executable, str(EXAMPLES / script), "--max-evals", "3", "--seed", "1", *extra, *args],
        capture_output=True, text=True, timeout=300, env=env, cwd=tmp_path,
    )  # fmt: skip


def check_example_output(script: str, run: subprocess.CompletedProcess, tmp_path: Path) -> None:
    assert run.returncode == 0, run.stderr[-3000:]
    assert "best" in run.stdout.lower(), run.stdout
    if script == "dashboard.py":
        report = (tmp_path / "dashboard_report.html").read_text()
        assert report.startswith("<!doctype html>") and '"summary": {"trials": 3,' in report
    if script in SAVES_PLOTS:
        saved = sorted(p.name for p in (tmp_path / "plots").glob("*.png"))
        assert saved and all((tmp_path / "plots" / name).stat().st_size > 1000 for name in saved)


@pytest.mark.parametrize(
    "script",
    sorted(
        p.name
        for p in EXAMPLES.glob("*.py")
        if p.name not in NEEDS_A_SERVER and not p.name.startswith("_")  # _plots.py: a helper
    ),
)
def test_example_runs_with_a_tiny_budget(script, tmp_path):
    check_example_output(script, run_example(script, tmp_path=tmp_path), tmp_path)
