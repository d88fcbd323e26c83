"""Failures a worker fleet meets: killed workers, expired leases, late results, a restarting server."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest
from mongo_support import SecantusServer, wait_until

from hopt import (
    JOB_STATE_DONE,
    JOB_STATE_NEW,
    JOB_STATE_RUNNING,
    STATUS_FAIL,
    STATUS_OK,
    fmin,
    hp,
    rand,
)
from hopt.base import Domain
from hopt.testing.crashes import (
    MARKER_VARIABLE,
    check_killed_run_resumes,
    check_reports_survived_the_kill,
    reports_then_killed_once,
)
from hopt.trials import TrialAttachments
from hopt.trials.mongo import MongoJobs, MongoTrials
from hopt.trials.mongo.worker import LeasedStore, MongoWorker

SPACE = hp.uniform("x", -5, 5)


def hang_on_first_call(x):
    """The first call anywhere writes its pid to $MARKER and hangs; later calls return at once."""
    try:
        fd = os.open(os.environ["MARKER"], os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        return x**2
    os.write(fd, str(os.getpid()).encode())
    os.close(fd)
    time.sleep(300)
    return x**2


def sleep_from_env(x):
    time.sleep(float(os.environ.get("SLEEP", "0")))
    return x**2


def run_fmin_in_thread(fn, trials, max_evals):
    outcome: dict = {}

    def run():
        try:
            fmin(fn, SPACE, algo=rand.suggest, max_evals=max_evals, trials=trials,
                 show_progressbar=False, rstate=0)  # fmt: skip
        except BaseException as exc:  # reported by the test
            outcome["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


def queue_one_trial(trials, x=0.5):
    (tid,) = trials.new_trial_ids(1)
    misc = {"tid": tid, "cmd": ("domain_attachment", "FMinIter_Domain"), "workdir": None,
            "idxs": {"x": [tid]}, "vals": {"x": [x]}}  # fmt: skip
    docs = trials.new_trial_docs([tid], [None], [{"status": "new"}], [misc])
    trials.insert_trial_docs(docs)
    return tid


def test_a_trial_of_a_killed_worker_is_run_again_and_finished(mongo_url, start_workers, tmp_path):
    marker = tmp_path / "hung-pid"
    workers = start_workers(2, "--exp-key", "kill", "--lease-timeout", "2",
                            env={"MARKER": str(marker)})  # fmt: skip
    trials = MongoTrials(mongo_url, exp_key="kill")
    thread, outcome = run_fmin_in_thread(hang_on_first_call, trials, max_evals=6)
    hung_pid = int(wait_until(lambda: marker.exists() and marker.read_text(), 60, "a hung trial"))
    victim = next(w for w in workers if w.pid == hung_pid)
    os.kill(victim.pid, signal.SIGKILL)
    thread.join(90)
    assert not thread.is_alive(), "fmin should finish once the lost trial ran elsewhere"
    assert "error" not in outcome, outcome
    trials.refresh()
    assert len(trials) == 6 and trials.statuses() == [STATUS_OK] * 6
    (rerun,) = [t for t in trials.trials if t.get("lost_owners")]
    assert rerun["attempts"] == 2
    assert f":{victim.pid}:" in rerun["lost_owners"][0]
    assert f":{victim.pid}:" not in rerun["owner"]


def test_kill_9_of_a_worker_after_it_reported_keeps_its_reports(mongo_url, start_workers, tmp_path):
    marker = tmp_path / "killed"
    start_workers(2, "--exp-key", "reported", "--lease-timeout", "2",
                  env={MARKER_VARIABLE: str(marker)})  # fmt: skip
    trials = MongoTrials(mongo_url, exp_key="reported")
    fmin(reports_then_killed_once, SPACE, algo=rand.suggest, max_evals=4, trials=trials,
         rstate=0, show_progressbar=False)  # fmt: skip
    trials.refresh()
    assert len(trials) == 4 and trials.statuses() == [STATUS_OK] * 4
    check_reports_survived_the_kill(trials, marker)


def test_a_late_result_of_a_worker_presumed_dead_changes_nothing(mongo_url):
    jobs = MongoJobs.new_from_connection_str(mongo_url)
    trials = MongoTrials(jobs, exp_key="late")
    tid = queue_one_trial(trials)
    first = jobs.reserve("worker-a", "token-a", lease_secs=0.3, exp_key="late")
    assert first["tid"] == tid and first["state"] == JOB_STATE_RUNNING and first["attempts"] == 1
    assert jobs.reserve("worker-b", "token-b", 30, exp_key="late") is None  # no double reservation
    time.sleep(0.6)
    assert jobs.requeue_expired() == 1
    (requeued,) = jobs.find("late")
    assert requeued["state"] == JOB_STATE_NEW and requeued["lost_owners"] == ["worker-a"]
    second = jobs.reserve("worker-b", "token-b", 30, exp_key="late")
    assert second["attempts"] == 2
    assert jobs.finish(second, "token-b", {"status": STATUS_OK, "loss": 2.0})
    # worker A wakes up and tries to write: every write is refused
    assert not jobs.renew(first["_id"], "token-a", 30).held
    assert not jobs.checkpoint(first["_id"], "token-a", {"status": "running"})
    assert not jobs.finish(first, "token-a", {"status": STATUS_OK, "loss": 1.0})
    (final,) = jobs.find("late")
    assert final["state"] == JOB_STATE_DONE and final["result"]["loss"] == 2.0
    assert final["owner"] == "worker-b"


def hand_over(jobs, exp_key):
    """A trial reserved by worker A, whose lease expires and goes to worker B: (A's doc, B's doc)."""
    first = jobs.reserve("worker-a", "token-a", lease_secs=0.3, exp_key=exp_key)
    time.sleep(0.6)
    assert jobs.requeue_expired() == 1
    second = jobs.reserve("worker-b", "token-b", 30, exp_key=exp_key)
    assert second["tid"] == first["tid"] and second["attempts"] == 2
    return first, second


def test_a_late_worker_cannot_replace_or_delete_the_new_workers_attachments(mongo_url, caplog):
    jobs = MongoJobs.new_from_connection_str(mongo_url)
    trials = MongoTrials(jobs, exp_key="late-attach")
    queue_one_trial(trials)
    first, second = hand_over(jobs, "late-attach")
    worker_a, worker_b = MongoWorker(jobs), MongoWorker(jobs)
    as_b = TrialAttachments(LeasedStore(worker_b, second, "token-b"), second)
    as_b["model"] = b"from B"
    as_b["notes"] = "B's notes"
    as_a = TrialAttachments(LeasedStore(worker_a, first, "token-a"), first)
    assert as_a["model"] == b"from B"  # reading is always allowed
    with caplog.at_level("WARNING", logger="hopt.worker"):
        as_a["model"] = b"from A"
        del as_a["notes"]
    assert "lease lost; writing attachment 'model' refused" in caplog.text
    assert "lease lost; deleting attachment 'notes' refused" in caplog.text
    assert not worker_a.holds_lease(first, "token-a") and worker_b.holds_lease(second, "token-b")
    stored = trials.trial_attachments(second)
    assert stored["model"] == b"from B" and stored["notes"] == "B's notes"
    assert sorted(stored) == ["model", "notes"]
    files = jobs.conn.db[f"{jobs.fs_prefix}.files"]
    assert files.count_documents({"filename": {"$regex": "::model$"}}) == 1, "no stray copy"


def test_a_lease_lost_during_an_upload_keeps_the_older_attachment(mongo_url):
    jobs = MongoJobs.new_from_connection_str(mongo_url)
    store = MongoTrials(jobs, exp_key="upload").attachments
    store["weights"] = b"v1"
    assert store.put("weights", b"v2", guard=lambda: False) is None
    assert store["weights"] == b"v1"
    files = jobs.conn.db[f"{jobs.fs_prefix}.files"]
    assert files.count_documents({"filename": "weights", "exp_key": "upload"}) == 1
    assert store.put("weights", b"v3", guard=lambda: True) is not None
    assert store["weights"] == b"v3"
    assert files.count_documents({"filename": "weights", "exp_key": "upload"}) == 1


def return_with_attachment(x):
    return {"loss": x**2, "status": STATUS_OK, "attachments": {"log": b"from the late worker"}}


def test_a_late_workers_result_attachments_are_discarded_with_its_result(mongo_url):
    jobs = MongoJobs.new_from_connection_str(mongo_url)
    trials = MongoTrials(jobs, exp_key="late-result")
    trials.attach_fmin(Domain(return_with_attachment, SPACE), None)
    queue_one_trial(trials)
    first, second = hand_over(jobs, "late-result")
    worker_b = MongoWorker(jobs, exp_key="late-result")
    TrialAttachments(LeasedStore(worker_b, second, "token-b"), second)["log"] = b"from B"
    assert jobs.finish(second, "token-b", {"status": STATUS_OK, "loss": 2.0})
    # worker A never noticed (no heartbeat ran) and finishes its evaluation now
    worker_a = MongoWorker(jobs, exp_key="late-result")
    assert worker_a.run_one(first, "token-a") is None
    trials.refresh()
    (doc,) = trials.trials
    assert doc["result"]["loss"] == 2.0 and doc["owner"] == "worker-b"
    assert trials.trial_attachments(doc)["log"] == b"from B"


def test_a_trial_that_loses_every_worker_fails_after_max_attempts(mongo_url):
    jobs = MongoJobs.new_from_connection_str(mongo_url)
    trials = MongoTrials(jobs, exp_key="lost", max_attempts=2)
    queue_one_trial(trials)
    for attempt, owner in enumerate(["w1", "w2"], start=1):
        doc = jobs.reserve(owner, f"token-{owner}", lease_secs=0.2, exp_key="lost")
        assert doc["attempts"] == attempt
        time.sleep(0.4)
        assert jobs.requeue_expired() == 1
    (doc,) = jobs.find("lost")
    assert doc["state"] == JOB_STATE_DONE and doc["result"]["status"] == STATUS_FAIL
    assert doc["result"]["error"]["type"] == "WorkerLostError"
    assert doc["lost_owners"] == ["w1", "w2"]
    trials.refresh()
    assert trials.statuses() == [STATUS_FAIL]


def swallows_everything(x):
    """An objective with the bare ``except:`` many have: it catches the stop signal too."""
    try:
        time.sleep(float(os.environ.get("SLEEP", "0")))
    except:  # noqa: E722 - the point of the test
        return {"status": "fail"}
    return x**2


@pytest.mark.parametrize(
    "objective", [sleep_from_env, swallows_everything], ids=["plain", "catches-the-signal"]
)
def test_sigterm_gives_the_running_trial_back_to_the_queue(mongo_url, start_workers, objective):
    # also when the objective catches the stop signal and returns
    exp_key = f"term-{objective.__name__}"
    (slow_worker,) = start_workers(1, "--exp-key", exp_key, env={"SLEEP": "60"})
    trials = MongoTrials(mongo_url, exp_key=exp_key)
    thread, outcome = run_fmin_in_thread(objective, trials, max_evals=1)
    wait_until(
        lambda: trials.count_by_state_unsynced(JOB_STATE_RUNNING) == 1, 60, "a running trial"
    )
    slow_worker.process.send_signal(signal.SIGTERM)
    assert slow_worker.wait(20) == 0, slow_worker.log()
    assert "given back to the queue" in slow_worker.log()
    (doc,) = trials.handle.find(exp_key)
    assert doc["state"] == JOB_STATE_NEW and doc["attempts"] == 0
    start_workers(1, "--exp-key", exp_key, env={"SLEEP": "0"})
    thread.join(60)
    assert not thread.is_alive() and "error" not in outcome
    trials.refresh()
    assert trials.statuses() == [STATUS_OK]


def test_fmin_and_workers_survive_a_server_restart(tmp_path, start_workers):
    server = SecantusServer(tmp_path / "private-server").start()
    try:
        url = f"{server.url}/restart/jobs"
        workers = start_workers(2, "--exp-key", "restart", url=url, env={"SLEEP": "0.2"})
        trials = MongoTrials(url, exp_key="restart")
        thread, outcome = run_fmin_in_thread(sleep_from_env, trials, max_evals=30)
        wait_until(lambda: trials.count_by_state_unsynced(JOB_STATE_DONE) >= 5, 60, "5 trials")
        server.stop()
        time.sleep(1.0)
        server.start()
        thread.join(180)
        assert not thread.is_alive(), "fmin should complete after the server came back"
        assert "error" not in outcome, outcome
        trials.refresh()
        assert len(trials) == 30 and trials.statuses() == [STATUS_OK] * 30
        assert sorted(trials.tids) == sorted(set(trials.tids))
        for worker in workers:
            worker.stop()
            assert worker.wait() == 0
    finally:
        server.stop()


def test_refresh_sees_every_change_a_worker_makes(mongo_url):
    jobs = MongoJobs.new_from_connection_str(mongo_url)
    trials = MongoTrials(jobs, exp_key="sync")
    tid = queue_one_trial(trials)
    trials.refresh()
    assert [t["state"] for t in trials._dynamic_trials] == [JOB_STATE_NEW]
    doc = jobs.reserve("w", "token", 30, exp_key="sync")
    trials.refresh()
    assert trials.trials[0]["state"] == JOB_STATE_RUNNING and trials.trials[0]["owner"] == "w"
    assert jobs.checkpoint(doc["_id"], "token", {"status": "running", "step": 1})
    trials.refresh()
    assert trials.trials[0]["result"] == {"status": "running", "step": 1}
    assert jobs.finish(doc, "token", {"status": STATUS_OK, "loss": 0.25})
    trials.refresh()
    assert trials.losses() == [0.25] and trials.tids == [tid]
    trials.delete_all()
    assert len(trials) == 0 and trials._dynamic_trials == []


def test_sigusr1_ends_a_wait_for_trials(mongo_url, start_workers):
    # --reserve-timeout inf: without the signal, an idle worker would wait for ever
    waiting, signalled = start_workers(2, "--exp-key", "idle", "--reserve-timeout", "inf",
                                       "--poll-interval", "0.5")  # fmt: skip
    started = time.monotonic()
    wait_until(lambda: "serving" in signalled.log(), 30, "the worker to start")
    signalled.process.send_signal(signal.SIGUSR1)
    assert signalled.wait(10) == 0, signalled.log()
    assert "SIGUSR1; exiting" in signalled.log()
    assert time.monotonic() - started < 10
    assert waiting.process.poll() is None, "the other worker got no signal and waits on"


def test_the_last_job_timeout_ends_a_wait_for_trials(mongo_url, start_workers):
    (worker,) = start_workers(1, "--exp-key", "idle-2", "--reserve-timeout", "inf",
                              "--last-job-timeout", "2")  # fmt: skip
    assert worker.wait(20) == 0, worker.log()
    assert "--last-job-timeout of 2 s reached; exiting" in worker.log()


def test_a_stop_signal_while_a_trial_is_being_reserved_gives_that_trial_back(mongo_url):
    # The signal lands just after the server handed the trial over: the worker must
    # record it as its own first, then give it back (not leave it to its lease).
    from hopt.trials.mongo.cli import request_shutdown
    from hopt.trials.mongo.worker import WorkerShutdown

    trials = MongoTrials(mongo_url, exp_key="reserving")
    trials.attach_fmin(Domain(sleep_from_env, SPACE), {})
    queue_one_trial(trials)
    handle = MongoJobs.new_from_connection_str(mongo_url)
    worker = MongoWorker(handle, exp_key="reserving", lease_secs=30)
    state = {"worker": worker}
    server_reserve = handle.reserve

    def reserve_then_signal(*args, **kwargs):
        doc = server_reserve(*args, **kwargs)
        request_shutdown(state, "SIGTERM")  # as the handler would, at this very point
        return doc

    handle.reserve = reserve_then_signal
    with pytest.raises(WorkerShutdown):
        worker.reserve(5)
    (doc,) = trials.handle.find("reserving")
    assert doc["state"] == JOB_STATE_NEW and doc["attempts"] == 0, "given back at once"


def test_kill_9_of_fmin_then_a_rerun_loses_nothing_and_runs_nothing_twice(
    mongo_url, start_workers, tmp_path
):
    start_workers(2, "--exp-key", "killed")
    check_killed_run_resumes(
        tmp_path, mongo_url, "from hopt.trials.mongo import MongoTrials",
        "MongoTrials(STORE, exp_key='killed')",
        lambda: MongoTrials(mongo_url, exp_key="killed"), max_evals=10, kill_after=3,
    )  # fmt: skip
