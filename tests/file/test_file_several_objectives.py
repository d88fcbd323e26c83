"""A queue worker checks each result's number of losses with the domain it loaded
(real SQLite file, a ``QueueWorker`` in this process); the end-to-end runs with
worker processes are in the backend kit (test_file_conformance.py)."""

from __future__ import annotations

import contextlib
import logging

from hopt import FileTrials, hp
from hopt._types import STATUS_FAIL, STATUS_OK
from hopt.base import Domain
from hopt.testing.several_objectives import (
    three_losses_below_zero,
    two_losses,
    two_losses_one_constraint,
)
from hopt.testing.storage import new_docs, stored
from hopt.trials.file import FileJobs
from hopt.trials.queue import QueueWorker

SPACE = hp.uniform("x", -5, 5)


def run_queue(store_path, domain, xs, caplog=None):
    """Queue one trial per x under ``domain``; one worker runs them all, in tid order."""
    trials = FileTrials(store_path, parallelism=0)
    trials.attach_fmin(domain, None)
    stored(trials, new_docs(trials, xs))
    worker = QueueWorker(FileJobs.open_existing(store_path))
    logs = caplog.at_level(logging.INFO, logger="hopt.worker") if caplog else None
    with logs or contextlib.nullcontext():
        for _ in xs:
            doc, token = worker.reserve(timeout=5)
            worker.run_one(doc, token)
    trials.refresh()
    return {t["misc"]["vals"]["x"][0]: t["result"] for t in trials.trials}


def test_the_worker_pins_the_count_from_the_first_result_it_sees(store_path):
    results = run_queue(store_path, Domain(three_losses_below_zero, SPACE), [0.5, -0.5, 0.25])
    assert results[0.5]["loss"] == two_losses(0.5) and results[0.25]["status"] == STATUS_OK
    failed = results[-0.5]
    assert failed["status"] == STATUS_FAIL and failed["error"]["type"] == "InvalidLossError"
    assert "returned 3 losses" in failed["error"]["message"]
    assert "2 objectives" in failed["error"]["message"]


def test_a_declared_count_travels_with_the_domain(store_path):
    domain = Domain(three_losses_below_zero, SPACE)
    domain.n_objectives = 3  # as fmin(n_objectives=3) sets it before the domain is stored
    results = run_queue(store_path, domain, [0.5, -0.5])
    assert results[-0.5]["status"] == STATUS_OK and len(results[-0.5]["loss"]) == 3
    assert results[0.5]["status"] == STATUS_FAIL
    assert "returned 2 losses, but this search has 3" in results[0.5]["error"]["message"]


def test_a_domain_pickled_by_an_older_hopt_still_runs_and_checks(store_path):
    domain = Domain(three_losses_below_zero, SPACE)
    for name in ("n_objectives", "n_constraints"):  # what an older hopt's pickle lacks
        del domain.__dict__[name]
    results = run_queue(store_path, domain, [0.5, -0.5, 0.25])
    assert results[0.5]["loss"] == two_losses(0.5) and results[0.25]["loss"] == two_losses(0.25)
    assert results[-0.5]["error"]["type"] == "InvalidLossError"


def test_the_worker_logs_several_losses_and_infeasibility(store_path, caplog):
    run_queue(store_path, Domain(two_losses_one_constraint, SPACE), [0.0, 0.9], caplog)
    assert "ok, losses [1, 1], " in caplog.text
    assert "ok, losses [0.01, 3.61], infeasible, " in caplog.text
