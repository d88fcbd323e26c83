"""A queue worker's pruning decisions and reports, on the file queue (real SQLite).

Two ``QueueWorker`` objects on two handles of one file stand for two worker
processes; the end-to-end runs are in the backend kit (test_file_conformance.py).
"""

from __future__ import annotations

import logging
import time

import pytest

import hopt
from hopt import FileTrials, hp
from hopt._types import JOB_STATE_RUNNING, STATUS_PRUNED
from hopt.base import Domain
from hopt.testing.reporting import AboveOthersBest
from hopt.testing.storage import new_docs, stored
from hopt.trials.file import FileJobs
from hopt.trials.queue import QueueCtrl, QueueWorker

SPACE = hp.uniform("x", -5, 5)


@pytest.fixture
def two_running(store_path):
    """Two trials, each reserved by its own worker on its own handle: (ctrl A, ctrl B)."""
    trials = FileTrials(store_path, parallelism=0)
    stored(trials, new_docs(trials, [1.0, 2.0]))
    ctrls = []
    for name in ("a", "b"):
        worker = QueueWorker(FileJobs.open_existing(store_path))
        doc = worker.handle.reserve(f"worker-{name}", f"token-{name}", 30.0)
        ctrls.append(QueueCtrl(worker, doc, f"token-{name}"))
    return tuple(ctrls)


def test_a_decision_sees_the_other_workers_reports_as_they_come(two_running):
    ctrl_a, ctrl_b = two_running
    pruner = AboveOthersBest(margin=1.0)
    ctrl_b.report(5.0, 0)
    assert not ctrl_b.should_prune(pruner), "no other trial has reported step 0 yet"
    ctrl_a.report(1.0, 0)
    assert ctrl_b.should_prune(pruner), "5 is above A's 1 + 1 at step 0"
    assert not ctrl_a.should_prune(pruner)
    ctrl_b.report(2.0, 1)
    assert not ctrl_b.should_prune(pruner), "nobody else at step 1"
    ctrl_a.report(0.5, 1)
    assert ctrl_b.should_prune(pruner), "A's report at step 1 reached B's next decision"


def test_each_worker_keeps_one_view_per_experiment(store_path, two_running):
    ctrl_a, _ = two_running
    worker = ctrl_a._worker
    view = ctrl_a.trials
    assert worker.views.get(None) is view
    trials = FileTrials(store_path, parallelism=0)
    (doc,) = stored(trials, new_docs(trials, [3.0]))[2:]
    reserved = worker.handle.reserve("worker-a", "token-c", 30.0)
    assert reserved["tid"] == doc["tid"]
    assert QueueCtrl(worker, reserved, "token-c").trials is view, "the next trial reuses it"


class Recording:
    """A pruner that keeps what it was given."""

    def __init__(self) -> None:
        self.calls: list = []

    def prune(self, trial, trials):
        self.calls.append((trial, list(trials)))
        return False


def test_the_running_trial_is_one_of_the_trials_the_pruner_gets(two_running):
    ctrl_a, ctrl_b = two_running
    ctrl_a.report(1.0, 0)
    ctrl_b.report(2.0, 0)
    pruner = Recording()
    ctrl_a.should_prune(pruner)
    ((trial, trials),) = pruner.calls
    assert trial is ctrl_a.trial and any(t is trial for t in trials)
    assert sorted(t["tid"] for t in trials) == [ctrl_a.trial["tid"], ctrl_b.trial["tid"]]
    (other,) = [t for t in trials if t is not trial]
    assert other["state"] == JOB_STATE_RUNNING
    assert [(r["step"], r["value"]) for r in other["reports"]] == [(0, 2.0)]


def test_a_report_after_the_lease_was_lost_is_refused_and_noted(store_path, caplog):
    trials = FileTrials(store_path, parallelism=0)
    stored(trials, new_docs(trials, [1.0]))
    late = QueueWorker(FileJobs.open_existing(store_path))
    doc = late.handle.reserve("worker-late", "token-late", 0.2)
    ctrl = QueueCtrl(late, doc, "token-late")
    ctrl.report(9.0, 0)
    time.sleep(0.4)
    jobs = FileJobs.open_existing(store_path)
    assert jobs.requeue_expired() == 1
    again = jobs.reserve("worker-new", "token-new", 30.0)
    assert jobs.report(again["_id"], "token-new", {"step": 0, "value": 1.0, "time": None})
    with caplog.at_level(logging.WARNING, logger="hopt.worker"):
        ctrl.report(8.0, 1)
    assert "token-late" in late.lost_tokens and "lost the lease on trial" in caplog.text
    trials.refresh()
    (trial,) = trials.trials
    # the first attempt's report stays; the late one never reached the store
    assert [(r["step"], r["value"]) for r in trial["reports"]] == [(0, 9.0), (0, 1.0)]


def pruned_after_one_report(x):
    hopt.report(x, step=0)
    raise hopt.TrialPruned()


def test_a_pruned_trial_is_not_a_failure_for_the_worker(store_path, caplog):
    trials = FileTrials(store_path, parallelism=0)
    trials.attach_fmin(Domain(pruned_after_one_report, SPACE), None)
    stored(trials, new_docs(trials, [1.5]))
    worker = QueueWorker(FileJobs.open_existing(store_path))
    doc, token = worker.reserve(timeout=5)
    with caplog.at_level(logging.INFO, logger="hopt.worker"):
        # False would count towards --max-consecutive-failures and stop the worker
        assert worker.run_one(doc, token) is True
    assert "pruned at step 0, loss 1.5" in caplog.text and "failed" not in caplog.text
    trials.refresh()
    (trial,) = trials.trials
    assert trial["result"] == {"loss": 1.5, "status": STATUS_PRUNED, "pruned_step": 0}
