"""Storage conformance kits: the rules of ``hopt.trials.contract`` as pytest tests.

``StorageConformance`` checks what every Trials backend stores and reads.  A
test module subclasses it and provides two fixtures:

* ``make_store(exp_key=None)``: a fresh, empty Trials of the backend (no workers);
* ``reopen(store)``: a second handle on the same storage, as another process
  would open it (for in-memory trials: a view, which shares the documents).

``QueueConformance`` checks the job-queue protocol (leases, reports, stop
requests, the registry) of a queue backend.  Its fixture ``make_queue(lease_secs)``
returns ``(trials, queue)``: an empty Trials and the ``JobQueue`` workers use on
the same storage.  In-memory trials run trials in process instead, so they prove
rules 5 to 7 with ``RunInProcessConformance``.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import numpy as np
import pytest

from .._types import (
    JOB_STATE_CANCEL,
    JOB_STATE_DONE,
    JOB_STATE_NEW,
    JOB_STATE_RUNNING,
    STATUS_FAIL,
    STATUS_OK,
)
from ..exceptions import AllTrialsFailedError, InvalidArgumentError
from ..trials.queue.protocol import ANY

CMD = ("domain_attachment", "FMinIter_Domain")


def new_docs(trials: Any, xs: list[float], state: int = JOB_STATE_NEW, results=None) -> list:
    """Trial documents over one label ``x``, ready for ``insert_trial_docs``."""
    tids = trials.new_trial_ids(len(xs))
    miscs = [
        {"tid": tid, "cmd": CMD, "workdir": None, "idxs": {"x": [tid]}, "vals": {"x": [x]}}
        for tid, x in zip(tids, xs)
    ]
    if results is None:
        results = [{"status": "new"} if state == JOB_STATE_NEW else {"loss": x, "status": "ok"}
                   for x in xs]  # fmt: skip
    docs = trials.new_trial_docs(tids, [None] * len(tids), results, miscs)
    for doc in docs:
        doc["state"] = state
    return docs


def stored(trials: Any, docs: list) -> list:
    """Insert ``docs``, refresh, and return the trials as the store now reads them."""
    trials.insert_trial_docs(docs)
    trials.refresh()
    return trials.trials


class StorageConformance:
    """What every backend stores and reads (rules 1, 2, 3, 8 and the Trials views)."""

    def test_an_empty_store_has_no_trials_and_no_best(self, make_store):
        trials = make_store()
        assert len(trials) == 0 and trials.trials == [] and trials.tids == []
        with pytest.raises(AllTrialsFailedError, match="no trials"):
            _ = trials.best_trial

    def test_documents_read_back_as_written(self, make_store):
        trials = make_store()
        results = [
            {"loss": 0.5, "status": STATUS_OK, "note": "kept", "nested": {"a": [1, 2.5, "b"]}},
            {"status": STATUS_FAIL, "error": {"type": "ValueError", "message": "bad x"}},
        ]
        docs = new_docs(trials, [0.5, -1.0], JOB_STATE_DONE, results)
        docs[0]["result"]["weights"] = np.array([1.0, 2.0])  # numpy becomes plain Python
        docs[0]["misc"]["vals"]["x"] = [np.float64(0.5)]
        read = stored(trials, docs)
        assert [t["tid"] for t in read] == [d["tid"] for d in docs]
        assert read[0]["result"] == {**results[0], "weights": [1.0, 2.0]}
        assert type(read[0]["misc"]["vals"]["x"][0]) is float
        assert read[1]["result"] == results[1]
        assert trials.losses() == [0.5, None] and trials.statuses() == [STATUS_OK, STATUS_FAIL]
        assert trials.best_trial["tid"] == docs[0]["tid"] and trials.argmin == {"x": 0.5}

    def test_a_vector_loss_is_stored_as_given(self, make_store):
        trials = make_store()
        results = [{"loss": [0.25, 3.0], "status": STATUS_OK}]
        (read,) = stored(trials, new_docs(trials, [0.1], JOB_STATE_DONE, results))
        assert read["result"]["loss"] == [0.25, 3.0]

    def test_trial_ids_are_unique_across_handles(self, make_store, reopen):
        first = make_store()
        second = reopen(first)
        ids = first.new_trial_ids(3) + second.new_trial_ids(3) + first.new_trial_ids(2)
        assert len(set(ids)) == 8

    def test_inserted_trials_appear_at_the_next_refresh(self, make_store, reopen):
        writer = make_store()
        reader = reopen(writer)
        reader.refresh()
        writer.insert_trial_docs(new_docs(writer, [1.0, 2.0], JOB_STATE_DONE))
        assert len(writer) == 0, "insert does not refresh"
        reader.refresh()
        writer.refresh()
        assert len(reader) == len(writer) == 2
        assert reader.vals == writer.vals == {"x": [1.0, 2.0]}

    def test_a_snapshot_does_not_change_until_refresh(self, make_store, reopen):
        writer = make_store()
        stored(writer, new_docs(writer, [1.0], JOB_STATE_DONE))
        reader = reopen(writer)
        reader.refresh()
        snapshot = reader.trials
        stored(writer, new_docs(writer, [2.0], JOB_STATE_DONE))
        assert len(snapshot) == 1 and len(reader) == 1
        reader.refresh()
        assert len(reader) == 2

    def test_a_bad_document_is_refused_and_stores_nothing(self, make_store):
        trials = make_store()
        docs = new_docs(trials, [1.0, 2.0], JOB_STATE_DONE)
        del docs[1]["misc"]
        with pytest.raises(ValueError, match="missing keys"):
            trials.insert_trial_docs(docs)
        trials.refresh()
        assert len(trials) == 0

    def test_counts_by_state(self, make_store):
        trials = make_store()
        stored(trials, new_docs(trials, [1.0, 2.0]) + new_docs(trials, [3.0], JOB_STATE_DONE))
        assert trials.count_by_state_synced(JOB_STATE_NEW) == 2
        assert trials.count_by_state_synced([JOB_STATE_NEW, JOB_STATE_DONE]) == 3
        assert trials.count_by_state_unsynced(JOB_STATE_DONE) == 1

    def test_discard_new_trials_removes_only_queued_ones(self, make_store):
        trials = make_store()
        read = stored(
            trials, new_docs(trials, [1.0, 2.0]) + new_docs(trials, [3.0], JOB_STATE_DONE)
        )
        removed = trials.discard_new_trials([t["tid"] for t in read])
        assert removed == 2 and [t["state"] for t in trials.trials] == [JOB_STATE_DONE]

    def test_delete_all_on_one_experiment_keeps_the_others(self, make_store):
        mine, theirs = f"mine-{uuid.uuid4().hex[:6]}", f"theirs-{uuid.uuid4().hex[:6]}"
        trials = make_store(mine)
        other = make_store(theirs)
        stored(trials, new_docs(trials, [1.0], JOB_STATE_DONE))
        stored(other, new_docs(other, [2.0], JOB_STATE_DONE))
        used = set(trials.tids) | set(other.tids)
        trials.delete_all()
        other.refresh()
        assert len(trials) == 0 and other.vals == {"x": [2.0]}
        stored(trials, new_docs(trials, [3.0], JOB_STATE_DONE))
        assert not set(trials.tids) & used, "tids are never reused (rule 2)"

    def test_trial_attachments_round_trip_per_trial(self, make_store, reopen):
        trials = make_store()
        first, second = stored(trials, new_docs(trials, [1.0, 2.0], JOB_STATE_DONE))
        trials.trial_attachments(first)["model"] = b"\x00\x01weights"
        trials.trial_attachments(first)["log"] = "text stays text"
        other = reopen(trials)
        other.refresh()
        seen = other.trial_attachments(other.trials[0])
        assert seen["model"] == b"\x00\x01weights" and seen["log"] == "text stays text"
        assert sorted(seen) == ["log", "model"]
        assert "model" not in other.trial_attachments(second)
        with pytest.raises(KeyError):
            _ = other.trial_attachments(second)["model"]


class RunInProcessConformance:
    """Rules 5 to 7 and 9 for a backend that runs trials in fmin's own process."""

    def test_a_trial_runs_reports_and_finishes_with_its_times(self, make_store):
        trials = make_store()
        (trial,) = stored(trials, new_docs(trials, [1.0]))
        trials.start_trial(trial)
        assert trial["state"] == JOB_STATE_RUNNING and trial["owner"]
        trials.add_report(trial, 0.9, 1)
        trials.add_report(trial, 0.5, 2)
        trials.finish_trial(trial, {"loss": 0.5, "status": STATUS_OK})
        trials.refresh()
        (read,) = trials.trials
        assert [(r["step"], r["value"]) for r in read["reports"]] == [(1, 0.9), (2, 0.5)]
        assert read["state"] == JOB_STATE_DONE
        assert read["book_time"] <= read["end_time"]

    def test_an_interrupted_trial_is_cancelled_and_its_point_queued_again(self, make_store):
        trials = make_store()
        (trial,) = stored(trials, new_docs(trials, [0.25]))
        trials.start_trial(trial)
        tid = trials.interrupt_trial(trial, "interrupted by KeyboardInterrupt")
        trials.refresh()
        (again,) = trials.trials  # the cancelled trial is not among the valid ones
        assert again["tid"] == tid != trial["tid"] and again["state"] == JOB_STATE_NEW
        assert again["misc"]["vals"] == {"x": [0.25]} and again["misc"]["idxs"] == {"x": [tid]}
        assert again["misc"]["from_tid"] == trial["tid"]
        assert trials.count_by_state_unsynced(JOB_STATE_CANCEL) == 1
        assert trials.count_by_state_unsynced(JOB_STATE_DONE) == 0
        assert trial["state"] == JOB_STATE_CANCEL and trial["end_time"] >= trial["book_time"]
        assert trial["result"]["error"]["type"] == "TrialCancelledError"
        assert trial["result"]["error"]["message"].startswith("interrupted by KeyboardInterrupt")

    def test_a_stop_request_reaches_the_running_trial(self, make_store):
        trials = make_store()
        (trial,) = stored(trials, new_docs(trials, [1.0]))
        assert not trials.request_stop(trial["tid"]), "not running yet"
        trials.start_trial(trial)
        assert not trials.stop_requested(trial)
        assert trials.request_stop(trial["tid"])
        assert trials.stop_requested(trial)

    @pytest.mark.parametrize(
        ("value", "step", "message"),
        [
            (float("nan"), 1, "value must be a finite number"),
            ("0.5", 1, "value must be a finite number"),
            (0.5, -1, "step must be a whole number"),
            (0.5, 1.5, "step must be a whole number"),
        ],
    )
    def test_a_bad_report_is_refused_by_name(self, make_store, value, step, message):
        trials = make_store()
        (trial,) = stored(trials, new_docs(trials, [1.0]))
        trials.start_trial(trial)
        with pytest.raises(InvalidArgumentError, match=message):
            trials.add_report(trial, value, step)


class QueueConformance:
    """The job-queue protocol (rules 4 to 7 and 9) on a queue backend."""

    def _queued(self, make_queue, n: int = 2, lease_secs: float = 30.0):
        trials, queue = make_queue(lease_secs)
        stored(trials, new_docs(trials, [float(i) for i in range(n)]))
        return trials, queue

    def test_reserve_takes_the_oldest_trial_once(self, make_queue):
        trials, queue = self._queued(make_queue)
        first = queue.reserve("w1", "t1", 30.0)
        second = queue.reserve("w2", "t2", 30.0)
        assert (first["tid"], second["tid"]) == tuple(trials.tids)
        assert queue.reserve("w3", "t3", 30.0) is None
        trials.refresh()
        assert [t["owner"] for t in trials.trials] == ["w1", "w2"]
        assert all(t["state"] == JOB_STATE_RUNNING and t["book_time"] for t in trials.trials)

    def test_only_the_lease_holder_may_write(self, make_queue):
        trials, queue = self._queued(make_queue, 1)
        doc = queue.reserve("w1", "right", 30.0)
        assert queue.holds(doc["_id"], "right") and not queue.holds(doc["_id"], "wrong")
        assert not queue.renew(doc["_id"], "wrong", 30.0).held
        assert not queue.report(doc["_id"], "wrong", {"step": 1, "value": 9.0, "time": None})
        assert not queue.finish(doc, "wrong", {"loss": 9.0, "status": STATUS_OK})
        assert queue.finish(doc, "right", {"loss": 1.0, "status": STATUS_OK})
        trials.refresh()
        (trial,) = trials.trials
        assert trial["state"] == JOB_STATE_DONE and trial["result"]["loss"] == 1.0
        assert "reports" not in trial or trial["reports"] == []
        assert trial["book_time"] <= trial["end_time"] <= trial["refresh_time"]
        assert trial["owner"] == "w1"

    def test_reports_are_read_by_others_while_the_trial_runs(self, make_queue):
        trials, queue = self._queued(make_queue, 1)
        doc = queue.reserve("w1", "token", 30.0)
        for step, value in [(1, 0.9), (2, 0.7)]:
            assert queue.report(doc["_id"], "token", {"step": step, "value": value, "time": None})
        trials.refresh()
        (trial,) = trials.trials
        assert trial["state"] == JOB_STATE_RUNNING
        assert [(r["step"], r["value"]) for r in trial["reports"]] == [(1, 0.9), (2, 0.7)]

    def test_a_report_after_the_lease_was_lost_is_refused(self, make_queue):
        trials, queue = self._queued(make_queue, 1)
        first = queue.reserve("w-late", "late", 0.2)
        assert queue.report(first["_id"], "late", {"step": 0, "value": 9.0, "time": None})
        time.sleep(0.6)
        assert queue.requeue_expired() == 1
        late = {"step": 1, "value": 8.0, "time": None}
        assert not queue.report(first["_id"], "late", late), "the trial is queued again"
        second = queue.reserve("w-new", "new", 30.0)
        assert not queue.report(first["_id"], "late", late), "another worker runs it"
        assert queue.report(second["_id"], "new", {"step": 0, "value": 1.0, "time": None})
        trials.refresh()
        (trial,) = trials.trials
        # the report made under the lease stays; the late one was never stored
        assert [(r["step"], r["value"]) for r in trial["reports"]] == [(0, 9.0), (0, 1.0)]

    def test_a_stop_request_arrives_with_the_next_renewal(self, make_queue):
        trials, queue = self._queued(make_queue, 2)
        doc = queue.reserve("w1", "token", 30.0)
        assert queue.renew(doc["_id"], "token", 30.0) == (True, False)
        assert trials.request_stop(doc["tid"])
        assert not trials.request_stop(trials.tids[1]), "a queued trial is not running"
        assert queue.renew(doc["_id"], "token", 30.0) == (True, True)

    def test_an_expired_lease_returns_the_trial_then_fails_it(self, make_queue):
        trials, queue = make_queue(30.0)
        docs = new_docs(trials, [1.0])
        docs[0]["max_attempts"] = 2
        stored(trials, docs)
        for attempt, token in enumerate(["a", "b"], start=1):
            doc = queue.reserve(f"w-{token}", token, 0.2)
            assert doc["attempts"] == attempt
            time.sleep(0.6)
            assert queue.requeue_expired() == 1
            assert not queue.finish(doc, token, {"loss": 0.0, "status": STATUS_OK}), "too late"
        trials.refresh()
        (trial,) = trials.trials
        assert trial["state"] == JOB_STATE_DONE and trial["end_time"] is not None
        assert trial["result"]["error"]["type"] == "WorkerLostError"
        assert trial["lost_owners"] == ["w-a", "w-b"]

    def test_a_trial_given_back_does_not_count_as_an_attempt(self, make_queue):
        trials, queue = self._queued(make_queue, 1)
        doc = queue.reserve("w1", "token", 30.0)
        assert queue.release(doc, "token")
        again = queue.reserve("w2", "other", 30.0)
        assert again["tid"] == doc["tid"] and again["attempts"] == 1

    def test_the_registry_counts_live_workers(self, make_queue):
        _, queue = make_queue(30.0)
        queue.worker_seen("w-live", {"exp_key": None}, 30.0)
        queue.worker_seen("w-short", {"exp_key": None}, 0.2)
        assert queue.live_workers(ANY) == 2
        time.sleep(0.5)
        assert queue.live_workers(ANY) == 1
        queue.worker_gone("w-live")
        assert queue.live_workers(ANY) == 0

    def test_an_unstorable_result_is_named(self, make_queue):
        _, queue = make_queue(30.0)
        assert queue.unstorable({"loss": 1.0, "status": STATUS_OK}, None) is None
        problem = queue.unstorable({"loss": 1.0, "status": STATUS_OK}, {"model": object()})
        assert "attachment 'model'" in problem
