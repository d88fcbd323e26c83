"""Every example script runs end to end with a tiny budget and prints its result."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("sklearn")

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.mark.parametrize("script", sorted(p.name for p in EXAMPLES.glob("*.py")))
def test_example_runs_with_a_tiny_budget(script):
    env = dict(os.environ, PYTHONPATH=str(EXAMPLES.parent))
    run = subprocess.run(
        [sys.executable, str(EXAMPLES / script), "--max-evals", "3", "--seed", "1"],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert "best" in run.stdout.lower(), run.stdout
