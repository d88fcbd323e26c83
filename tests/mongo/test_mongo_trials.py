"""fmin with MongoTrials and real hopt-worker processes: what a user sees."""

from __future__ import annotations

import collections
import os
import time

import pytest
from mongo_support import wait_until

from hopt import (
    JOB_STATE_CANCEL,
    JOB_STATE_DONE,
    JOB_STATE_NEW,
    JOB_STATE_RUNNING,
    STATUS_FAIL,
    STATUS_OK,
    fmin,
    fmin_pass_expr_memo_ctrl,
    hp,
    rand,
    tpe,
)
from hopt.base import Domain
from hopt.early_stop import no_progress_loss
from hopt.exceptions import AllTrialsFailedError
from hopt.trials.mongo import MongoTrials

SPACE = hp.uniform("x", -5, 5)


def quadratic(x):
    return (x - 1.0) ** 2


def slow_quadratic(x):
    """Long enough (50 ms) that one worker cannot drain the queue before another polls."""
    time.sleep(0.05)
    return (x - 1.0) ** 2


@fmin_pass_expr_memo_ctrl
def recording_objective(expr, memo, ctrl):
    """Appends "<tid> <pid>" to $CALLS_FILE, then returns a quadratic loss."""
    from hopt.space.evaluate import rec_eval

    x = rec_eval(expr, memo=memo)
    with open(os.environ["CALLS_FILE"], "a") as calls:
        calls.write(f"{ctrl.current_trial['tid']} {os.getpid()}\n")
    return (x - 1.0) ** 2


def read_calls(path):
    if not os.path.exists(path):
        return []
    with open(path) as calls:
        return [tuple(int(v) for v in line.split()) for line in calls if line.strip()]


def test_fmin_with_two_workers_finds_the_minimum_and_answers_like_trials(mongo_url, start_workers):
    start_workers(2, "--exp-key", "quad")
    trials = MongoTrials(mongo_url, exp_key="quad")
    # both must be serving before the first trial, or the first one up may run all 30
    wait_until(lambda: trials.handle.live_workers("quad") == 2, 60, "both workers to register")
    best = fmin(slow_quadratic, SPACE, algo=tpe.suggest, max_evals=30, trials=trials, rstate=0)
    assert abs(best["x"] - 1.0) < 1.0
    assert len(trials) == 30
    assert sorted(trials.tids) == sorted(set(trials.tids))
    assert all(t["state"] == JOB_STATE_DONE for t in trials.trials)
    assert trials.statuses() == [STATUS_OK] * 30
    assert trials.best_trial["result"]["loss"] == min(trials.losses())
    assert trials.argmin == best
    owners = {t["owner"] for t in trials.trials}
    assert len(owners) == 2, f"both workers should have evaluated trials; owners {owners}"


def test_a_second_fmin_with_the_same_exp_key_resumes(mongo_url, start_workers):
    start_workers(1, "--exp-key", "resume")
    first = MongoTrials(mongo_url, exp_key="resume")
    fmin(quadratic, SPACE, algo=rand.suggest, max_evals=6, trials=first, rstate=1)
    again = MongoTrials(mongo_url, exp_key="resume")  # a new driver process would do this
    assert len(again) == 6
    fmin(quadratic, SPACE, algo=tpe.suggest, max_evals=10, trials=again, rstate=1)
    assert len(again) == 10
    assert sorted(again.tids) == sorted(set(again.tids))
    assert set(first.tids) <= set(again.tids)


def test_four_workers_evaluate_each_of_100_trials_exactly_once(mongo_url, start_workers, tmp_path):
    calls = tmp_path / "calls.txt"
    workers = start_workers(4, "--exp-key", "many", env={"CALLS_FILE": str(calls)})
    trials = MongoTrials(mongo_url, exp_key="many")
    fmin(recording_objective, SPACE, algo=rand.suggest, max_evals=100, trials=trials, rstate=3)
    recorded = read_calls(calls)
    counts = collections.Counter(tid for tid, _ in recorded)
    assert sorted(counts) == sorted(trials.tids), "every trial evaluated, none lost"
    assert max(counts.values()) == 1, f"evaluated twice: {[t for t, c in counts.items() if c > 1]}"
    assert len(trials) == 100 and trials.statuses() == [STATUS_OK] * 100
    pids = {pid for _, pid in recorded}
    assert pids <= {w.pid for w in workers} and len(pids) >= 2


def failing_for_negative(x):
    if x < 0:
        raise ValueError(f"negative x={x}")
    return x


def test_a_failing_objective_is_recorded_with_its_traceback_and_the_search_goes_on(
    mongo_url, start_workers
):
    start_workers(1, "--exp-key", "fails", "--max-consecutive-failures", "1000")
    trials = MongoTrials(mongo_url, exp_key="fails")
    best = fmin(
        failing_for_negative, SPACE, algo=rand.suggest, max_evals=20, trials=trials, rstate=0
    )
    failed = [t for t in trials.trials if t["result"]["status"] == STATUS_FAIL]
    assert failed and len(failed) < 20
    error = failed[0]["result"]["error"]
    assert error["type"] == "ValueError" and "negative x=" in error["message"]
    assert "Traceback" in error["traceback"] and "failing_for_negative" in error["traceback"]
    assert failed[0]["misc"]["error"][0] == "ValueError"
    assert best["x"] >= 0


def always_fails(x):
    raise RuntimeError("broken objective")


def test_worker_exits_after_max_consecutive_failures(mongo_url, start_workers):
    (worker,) = start_workers(1, "--exp-key", "broken", "--max-consecutive-failures", "3")
    trials = MongoTrials(mongo_url, exp_key="broken")
    with pytest.raises(AllTrialsFailedError, match="broken objective"):
        fmin(always_fails, SPACE, algo=rand.suggest, max_evals=3, trials=trials, rstate=0)
    assert worker.wait(30) == 1
    assert "3 trials failed in a row" in worker.log()
    assert trials.statuses() == [STATUS_FAIL] * 3


def with_attachments(x):
    return {"loss": x**2, "status": STATUS_OK, "attachments": {"note": f"x={x:.3f}".encode()}}


@fmin_pass_expr_memo_ctrl
def ctrl_attachments(expr, memo, ctrl):
    ctrl.attachments["via_ctrl"] = b"written by the worker"
    ctrl.checkpoint({"status": "running", "progress": 0.5})
    return 1.0


def test_attachments_are_stored_in_gridfs(mongo_url, start_workers):
    start_workers(1, "--exp-key", "att")
    trials = MongoTrials(mongo_url, exp_key="att")
    fmin(with_attachments, SPACE, algo=rand.suggest, max_evals=3, trials=trials, rstate=0)
    for trial in trials.trials:
        x = trial["misc"]["vals"]["x"][0]
        assert trials.trial_attachments(trial)["note"] == f"x={x:.3f}".encode()
        assert list(trials.trial_attachments(trial)) == ["note"]
    trials.attachments["experiment_level"] = b"\x00\x01"
    assert MongoTrials(mongo_url, exp_key="att").attachments["experiment_level"] == b"\x00\x01"
    assert "FMinIter_Domain" in trials.attachments  # the stored objective, as in Hyperopt

    other = MongoTrials(mongo_url, exp_key="att-ctrl")
    start_workers(1, "--exp-key", "att-ctrl")
    fmin(ctrl_attachments, SPACE, algo=rand.suggest, max_evals=1, trials=other, rstate=0)
    (trial,) = other.trials
    assert other.trial_attachments(trial)["via_ctrl"] == b"written by the worker"


def slow(x):
    time.sleep(1.0)
    return x**2


def test_fmin_timeout_returns_promptly_and_cancels_queued_trials(mongo_url, start_workers):
    start_workers(1, "--exp-key", "slow")
    trials = MongoTrials(mongo_url, exp_key="slow")
    started = time.monotonic()
    fmin(slow, SPACE, algo=rand.suggest, max_evals=50, trials=trials, timeout=3,
         max_queue_len=4, return_argmin=False, rstate=0)  # fmt: skip
    assert time.monotonic() - started < 10
    handle = trials.handle
    states = collections.Counter(doc["state"] for doc in handle.find(trials._query_key))
    assert states[JOB_STATE_NEW] == 0, "a stopped fmin leaves nothing queued for workers"
    assert states[JOB_STATE_CANCEL] >= 1
    cancelled = handle.find(trials._query_key, [JOB_STATE_CANCEL])
    assert "timeout" in cancelled[0]["result"]["error"]["message"]
    assert 1 <= len(trials) < 50


def test_ctrl_c_in_fmin_cancels_the_trials_it_queued(mongo_url, start_workers):
    start_workers(1, "--exp-key", "interrupted")
    trials = MongoTrials(mongo_url, exp_key="interrupted")

    def press_ctrl_c(trials, *args):  # once a first result is in
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        fmin(slow, SPACE, algo=rand.suggest, max_evals=50, trials=trials, max_queue_len=4,
             early_stop_fn=press_ctrl_c, rstate=0)  # fmt: skip
    handle = trials.handle
    states = collections.Counter(doc["state"] for doc in handle.find(trials._query_key))
    assert states[JOB_STATE_NEW] == 0, "nothing is left queued for the workers"
    cancelled = handle.find(trials._query_key, [JOB_STATE_CANCEL])
    assert cancelled and "KeyboardInterrupt" in cancelled[0]["result"]["error"]["message"]


def test_loss_threshold_and_early_stop_fn_stop_the_run(mongo_url, start_workers):
    start_workers(2, "--exp-key", "stop")
    trials = MongoTrials(mongo_url, exp_key="stop")
    fmin(quadratic, SPACE, algo=rand.suggest, max_evals=200, trials=trials, loss_threshold=2.0,
         rstate=0)  # fmt: skip
    # a trial still running on the other worker when fmin stopped has no loss yet
    finished = [loss for loss in trials.losses() if loss is not None]
    assert min(finished) <= 2.0 and len(trials) < 200
    stopped = MongoTrials(mongo_url, exp_key="stop-early")
    start_workers(1, "--exp-key", "stop-early")
    fmin(quadratic, SPACE, algo=rand.suggest, max_evals=200, trials=stopped,
         early_stop_fn=no_progress_loss(3), rstate=0)  # fmt: skip
    assert len(stopped) < 200


def test_experiments_in_one_database_never_see_each_other(mongo_url, start_workers, tmp_path):
    calls = tmp_path / "calls.txt"
    a_workers = start_workers(1, "--exp-key", "A", env={"CALLS_FILE": str(calls)})
    b_workers = start_workers(1, "--exp-key", "B", env={"CALLS_FILE": str(calls)})
    a, b = MongoTrials(mongo_url, exp_key="A"), MongoTrials(mongo_url, exp_key="B")
    fmin(recording_objective, SPACE, algo=rand.suggest, max_evals=5, trials=a, rstate=0)
    fmin(recording_objective, hp.uniform("x", 10, 11), algo=rand.suggest, max_evals=7,
         trials=b, rstate=0)  # fmt: skip
    assert len(a) == 5 and len(b) == 7
    assert {t["exp_key"] for t in a.trials} == {"A"} and {t["exp_key"] for t in b.trials} == {"B"}
    assert all(10 <= v <= 11 for v in b.vals["x"]) and all(-5 <= v <= 5 for v in a.vals["x"])
    assert not set(a.tids) & set(b.tids)
    pid_of = {tid: pid for tid, pid in read_calls(calls)}
    assert {pid_of[t] for t in a.tids} == {a_workers[0].pid}
    assert {pid_of[t] for t in b.tids} == {b_workers[0].pid}
    everything = MongoTrials(mongo_url)  # exp_key=None: Hyperopt's view of all experiments
    assert len(everything) == 12
    a.delete_all()
    assert (
        len(MongoTrials(mongo_url, exp_key="A")) == 0
        and len(MongoTrials(mongo_url, exp_key="B")) == 7
    )


def test_a_worker_without_exp_key_serves_every_experiment(mongo_url, start_workers):
    start_workers(1)
    for key in ("one", "two"):
        trials = MongoTrials(mongo_url, exp_key=key)
        fmin(quadratic, SPACE, algo=rand.suggest, max_evals=3, trials=trials, rstate=0)
        assert trials.statuses() == [STATUS_OK] * 3


def test_store_takes_a_mongo_url_as_well_as_a_file(mongo_url, tmp_path):
    import subprocess
    import sys

    trials = MongoTrials(mongo_url, exp_key="via-store")
    url = mongo_url.replace("mongo://", "mongodb://")  # either scheme names MongoDB
    worker = subprocess.Popen(
        [sys.executable, "-m", "hopt.worker", "--store", url, "--exp-key", "via-store",
         "--poll-interval", "0.1", "--reserve-timeout", "3"],
        cwd=tmp_path, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        fmin(quadratic, SPACE, algo=rand.suggest, max_evals=3, trials=trials, rstate=0,
             show_progressbar=False)  # fmt: skip
    finally:
        log = worker.communicate(timeout=60)[1]
    assert trials.statuses() == [STATUS_OK] * 3
    assert worker.returncode == 0 and "serving mongodb://" in log, log


def test_mongo_trials_pickles_without_its_password_or_connection(mongo_url, start_workers):
    import pickle

    trials = MongoTrials(mongo_url, exp_key="pickled")
    start_workers(1, "--exp-key", "pickled")
    fmin(quadratic, SPACE, algo=rand.suggest, max_evals=2, trials=trials, rstate=0)
    again = pickle.loads(pickle.dumps(trials))
    again.refresh()
    assert again.tids == trials.tids and again.losses() == trials.losses()


@pytest.mark.parametrize("bad", [0, -1, 1.5, True])
def test_bad_max_attempts_is_refused(mongo_url, bad):
    from hopt.exceptions import InvalidArgumentError

    with pytest.raises(InvalidArgumentError, match="max_attempts"):
        MongoTrials(mongo_url, exp_key="x", max_attempts=bad)


def test_queue_is_sized_to_the_live_workers(mongo_url, start_workers):
    workers = start_workers(3, "--exp-key", "sized")
    trials = MongoTrials(mongo_url, exp_key="sized")
    wait_until(lambda: trials.handle.live_workers("sized") == 3, 30, "3 registered workers")
    assert trials.idle_slots() == 3
    for worker in workers:
        worker.stop()
    wait_until(lambda: trials.handle.live_workers("sized") == 0, 30, "workers to unregister")


def test_fmin_without_workers_warns_with_the_command_to_start_them(mongo_url, monkeypatch, caplog):
    import hopt.trials.mongo.trials as mongo_trials

    monkeypatch.setattr(mongo_trials, "NO_WORKER_WARNING_SECS", 0.5)
    trials = MongoTrials(mongo_url, exp_key="idle")
    with caplog.at_level("WARNING", logger="hopt.mongo"):
        with pytest.raises(AllTrialsFailedError, match="no trial finished before the run stopped"):
            fmin(quadratic, SPACE, algo=rand.suggest, max_evals=2, trials=trials, timeout=2)
    warning = next(r.getMessage() for r in caplog.records if "no hopt-worker" in r.getMessage())
    assert f"hopt-worker --mongo {mongo_url} --exp-key idle" in warning


def test_wrong_credentials_give_a_clear_error_without_the_password(mongo_url):
    from hopt.exceptions import BackendConnectionError

    url = mongo_url.replace("mongo://", "mongo://mallory:guessed-pw@")
    with pytest.raises(BackendConnectionError, match="refused the connection") as caught:
        MongoTrials(url, exp_key="auth")
    message = str(caught.value)
    assert "authentication failed" in message.lower() and "mallory:***@" in message
    assert "guessed-pw" not in message and "full error" not in message


def test_fmins_own_insert_does_not_wake_it_but_a_workers_change_does(mongo_url):
    from hopt.trials.mongo import MongoJobs

    trials = MongoTrials(mongo_url, exp_key="own-insert")
    trials.wait_for_progress(0)  # the change count as of now
    (tid,) = trials.new_trial_ids(1)
    misc = {"tid": tid, "cmd": ("domain_attachment", "FMinIter_Domain"), "workdir": None,
            "idxs": {"x": [tid]}, "vals": {"x": [0.5]}}  # fmt: skip
    trials.insert_trial_docs(trials.new_trial_docs([tid], [None], [{"status": "new"}], [misc]))
    started = time.monotonic()
    trials.wait_for_progress(0.6)  # nothing happened but this process's own insert
    assert time.monotonic() - started >= 0.55
    worker_side = MongoJobs.new_from_connection_str(mongo_url)
    assert worker_side.reserve("w", "token", 30, exp_key="own-insert")["tid"] == tid
    started = time.monotonic()
    trials.wait_for_progress(30)  # the reservation is news: back at the next poll
    assert time.monotonic() - started < 5


def test_a_refresh_reads_only_the_trials_changed_since_the_last_one(mongo_url, monkeypatch):
    import datetime

    from hopt.trials.mongo import MongoJobs, listing

    monkeypatch.setattr(listing, "STAMP_MARGIN", datetime.timedelta(0))
    trials = MongoTrials(mongo_url, exp_key="incremental")
    tids = trials.new_trial_ids(30)
    miscs = [{"tid": t, "cmd": ("domain_attachment", "FMinIter_Domain"), "workdir": None,
              "idxs": {"x": [t]}, "vals": {"x": [0.5]}} for t in tids]  # fmt: skip
    trials.insert_trial_docs(
        trials.new_trial_docs(tids, [None] * 30, [{"status": "new"}] * 30, miscs)
    )
    trials.refresh()
    assert len(trials.trials) == 30
    reads = []
    real_changed, real_listing = trials.handle.changed_docs, trials.handle.listing

    def changed_spy(exp_key, since):
        docs = real_changed(exp_key, since)
        reads.append(("changed", len(docs)))
        return docs

    def listing_spy(exp_key, since=None):
        rows = real_listing(exp_key, since=since)
        reads.append(("full", len(rows)))
        return rows

    monkeypatch.setattr(trials.handle, "changed_docs", changed_spy)
    monkeypatch.setattr(trials.handle, "listing", listing_spy)
    other = MongoJobs.new_from_connection_str(mongo_url)
    for _ in range(2):
        time.sleep(0.05)  # a later server time than the stamps seen so far
        other.reserve("w", "token", 30, exp_key="incremental")
        trials.refresh()
    # one find per refresh, for the trials stamped at or after the newest stamp seen:
    # the first time the inserts' stamp (all 30) and the reserved trial, then only the
    # two reserved trials
    assert reads == [("changed", 30), ("changed", 2)]
    running = [t["tid"] for t in trials.trials if t["state"] == JOB_STATE_RUNNING]
    assert running == tids[:2]
    assert [t["tid"] for t in trials.trials] == tids, "still in trial order"
    # a deletion by another process leaves no stamp: the next full listing drops it
    other.delete("incremental", {"tid": tids[-1]})
    trials.refresh()
    assert len(trials.trials) == 30
    monkeypatch.setattr(listing, "FULL_LISTING_SECS", 0.0)
    trials.refresh()
    assert reads[-1] == ("full", 29) and [t["tid"] for t in trials.trials] == tids[:-1]
    assert reads[-2] == ("changed", 1), "the incremental read cannot see a deletion"


def shifted_quadratic(x):
    return (x - 2.0) ** 2


def test_points_to_evaluate_are_queued_only_after_this_runs_domain_is_stored(
    mongo_url, monkeypatch
):
    # A waiting worker takes a point the moment it is stored; it must then find this
    # run's objective: none stored yet (a first run) or an earlier run's (a resumed
    # one) would fail the point or evaluate it with the wrong objective.
    trials = MongoTrials(mongo_url, exp_key="points-first")
    domain_files = []
    insert = trials.insert_trial_docs

    def spy(docs):
        experiment = trials.handle.experiment("points-first")
        domain_files.append(None if experiment is None else experiment.get("domain_file"))
        return insert(docs)

    monkeypatch.setattr(trials, "insert_trial_docs", spy)
    points = [{"x": 0.5}]
    fmin(quadratic, SPACE, algo=rand.suggest, max_evals=1, trials=trials,
         points_to_evaluate=points, max_queue_len=1, timeout=1, return_argmin=False)  # fmt: skip
    assert domain_files and domain_files[0] is not None, "the point was queued before the domain"
    first_domain = trials.handle.experiment("points-first")["domain_file"]
    domain_files.clear()
    fmin(shifted_quadratic, SPACE, algo=rand.suggest, max_evals=2, trials=trials,
         points_to_evaluate=[{"x": 1.5}], timeout=1, return_argmin=False)  # fmt: skip
    assert domain_files[0] is not None and domain_files[0] != first_domain


def unstorable_result(x):
    """Results MongoDB cannot hold: int dict keys, a set, a non-bytes attachment."""
    if x < -1.7:
        return {"loss": x, "status": STATUS_OK, "per_class": {0: 0.9, 1: 0.8}}
    if x < 1.7:
        return {"loss": x, "status": STATUS_OK, "tags": {"a", "b"}}
    return {"loss": x, "status": STATUS_OK, "attachments": {"model": object()}}


def test_a_result_mongodb_cannot_store_fails_that_trial_with_the_reason(mongo_url, start_workers):
    (worker,) = start_workers(1, "--exp-key", "unstorable")
    trials = MongoTrials(mongo_url, exp_key="unstorable")
    points = [{"x": -3.0}, {"x": 0.0}, {"x": 3.0}]
    with pytest.raises(AllTrialsFailedError, match="ResultNotStorableError|cannot store"):
        fmin(unstorable_result, SPACE, algo=rand.suggest, max_evals=3, trials=trials,
             points_to_evaluate=points, rstate=0)  # fmt: skip
    assert trials.statuses() == [STATUS_FAIL] * 3
    assert all(t["state"] == JOB_STATE_DONE and t["attempts"] == 1 for t in trials.trials)
    errors = [t["result"]["error"] for t in trials.trials]
    assert {e["type"] for e in errors} == {"ResultNotStorableError"}
    messages = " | ".join(e["message"] for e in errors)
    assert "documents must have only string keys" in messages
    assert "set" in messages and "attachment 'model'" in messages
    assert "pickle.dumps" in messages
    assert worker.process.poll() is None, "the worker must go on serving after such a result"
    assert "Traceback" not in worker.log()


def test_delete_all_removes_the_experiment_and_its_stored_objective(mongo_url, start_workers):
    start_workers(1, "--exp-key", "gone")
    trials = MongoTrials(mongo_url, exp_key="gone")
    fmin(quadratic, SPACE, algo=rand.suggest, max_evals=2, trials=trials, rstate=0)
    kept = MongoTrials(mongo_url, exp_key="kept")
    kept.attach_fmin(Domain(quadratic, SPACE), {})
    trials.delete_all()
    assert len(trials) == 0 and trials.handle.experiment("gone") is None
    assert "FMinIter_Domain" not in trials.attachments
    assert trials.handle.experiment("kept")["domain_file"] is not None, "others untouched"
    fmin(quadratic, SPACE, algo=rand.suggest, max_evals=2, trials=trials, rstate=1)
    assert trials.statuses() == [STATUS_OK] * 2, "the same exp_key runs again"


def test_a_worker_killed_without_unregistering_is_forgotten_after_a_while(mongo_url):
    from hopt.trials.mongo import MongoJobs

    jobs = MongoJobs.new_from_connection_str(mongo_url)
    jobs.worker_seen("dead-worker", {"exp_key": "x", "pid": 1}, stale_after_secs=1)
    jobs.worker_seen("live-worker", {"exp_key": "x", "pid": 2}, stale_after_secs=30)
    time.sleep(1.5)
    assert jobs.forget_dead_workers(silent_secs=3600) == 0, "not silent long enough yet"
    assert jobs.forget_dead_workers(silent_secs=0.2) == 1
    assert [w["_id"] for w in jobs.workers.find({})] == ["live-worker"]
