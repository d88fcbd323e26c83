"""examples/mongo_trials.py against the test server, with the workers it starts itself."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from test_examples import check_example_output, run_example  # noqa: E402


def test_mongo_example_runs_with_its_own_workers(mongo_url, tmp_path):
    run = run_example("mongo_trials.py", "--mongo", mongo_url, "--workers", "2", tmp_path=tmp_path)
    check_example_output("mongo_trials.py", run, tmp_path)
    assert "3 trials evaluated by" in run.stdout
