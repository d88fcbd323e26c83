"""Signed objectives, the hopt-worker command line, and servers that are not there."""

from __future__ import annotations

import subprocess
import sys
import time

import cloudpickle
import pytest
from mongo_support import free_port

from hopt import JOB_STATE_NEW, STATUS_OK, Domain, fmin, hp, rand
from hopt.exceptions import BackendConnectionError, InvalidArgumentError
from hopt.trials.mongo import MongoTrials
from hopt.trials.mongo.jobs import experiment_id

SPACE = hp.uniform("x", -5, 5)


def quadratic(x):
    return (x - 1.0) ** 2


def write_pwned_file(x):
    import os

    with open(os.environ["PWNED_FILE"], "w") as out:
        out.write("ran code from the database")
    return 0.0


def queue_one_trial(trials):
    (tid,) = trials.new_trial_ids(1)
    misc = {"tid": tid, "cmd": ("domain_attachment", "FMinIter_Domain"), "workdir": None,
            "idxs": {"x": [tid]}, "vals": {"x": [0.5]}}  # fmt: skip
    trials.insert_trial_docs(trials.new_trial_docs([tid], [None], [{"status": "new"}], [misc]))


def worker_cli(*args, timeout=60):
    return subprocess.run(
        [sys.executable, "-m", "hopt.worker", *args],
        capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip


@pytest.fixture
def key_file(tmp_path):
    path = tmp_path / "shared.key"
    path.write_text("correct horse battery staple\n")
    return path


def test_a_signed_objective_runs_on_workers_that_hold_the_key(
    mongo_url, start_workers, key_file, monkeypatch
):
    monkeypatch.setenv("HOPT_MONGO_KEY_FILE", str(key_file))
    start_workers(1, "--exp-key", "signed", "--key-file", str(key_file))
    trials = MongoTrials(mongo_url, exp_key="signed")
    fmin(quadratic, SPACE, algo=rand.suggest, max_evals=3, trials=trials, rstate=0)
    assert trials.statuses() == [STATUS_OK] * 3
    assert trials.handle.experiment("signed")["signature"]


def test_a_tampered_objective_is_refused_and_never_run(
    mongo_url, start_workers, key_file, tmp_path
):
    trials = MongoTrials(mongo_url, exp_key="tampered", key=key_file.read_text().strip())
    trials.attach_fmin(Domain(quadratic, SPACE), {})  # fmin stores and signs the objective
    stored = trials.handle.experiment("tampered")
    # Someone with write access swaps the pickled objective but keeps the signature.
    evil = cloudpickle.dumps(Domain(write_pwned_file, SPACE))
    evil_id = trials.attachments.put("FMinIter_Domain", evil, signature=stored["signature"])
    trials.handle.set_domain("tampered", evil_id, stored["signature"])
    queue_one_trial(trials)
    pwned = tmp_path / "pwned"
    (worker,) = start_workers(1, "--exp-key", "tampered", "--key-file", str(key_file),
                              env={"PWNED_FILE": str(pwned)})  # fmt: skip
    assert worker.wait(60) == 1
    assert "exp_key 'tampered' does not match its signature" in worker.log()
    assert "started" not in worker.log(), "a refused trial never starts"
    assert not pwned.exists()
    (doc,) = trials.handle.find("tampered")
    assert doc["state"] == JOB_STATE_NEW and doc["attempts"] == 0, "the trial goes back, unharmed"


def test_an_unsigned_objective_is_refused_by_a_worker_with_a_key(
    mongo_url, start_workers, key_file, monkeypatch
):
    monkeypatch.delenv("HOPT_MONGO_KEY", raising=False)
    monkeypatch.delenv("HOPT_MONGO_KEY_FILE", raising=False)
    trials = MongoTrials(mongo_url, exp_key="unsigned")
    trials.attach_fmin(Domain(quadratic, SPACE), {})
    queue_one_trial(trials)
    (worker,) = start_workers(1, "--exp-key", "unsigned", "--key-file", str(key_file))
    assert worker.wait(60) == 1
    assert "is not signed" in worker.log()


def test_a_signature_made_with_another_key_is_refused(mongo_url, start_workers, key_file):
    trials = MongoTrials(mongo_url, exp_key="otherkey", key=b"some other key")
    trials.attach_fmin(Domain(quadratic, SPACE), {})
    queue_one_trial(trials)
    (worker,) = start_workers(1, "--exp-key", "otherkey", "--key-file", str(key_file))
    assert worker.wait(60) == 1
    assert "does not match its signature" in worker.log()
    assert experiment_id("otherkey") == "key:otherkey"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--no-such-flag"], "unrecognized arguments"),
        (["--poll-interval", "-1"], "--poll-interval must be a positive number"),
        (["--max-jobs", "0"], "--max-jobs must be at least 1"),
        (["--lease-timeout", "inf"], "--lease-timeout must be finite"),
        (["--poll-interval", "inf"], "--poll-interval must be finite"),
        (["--last-job-timeout", "inf"], "--last-job-timeout must be finite"),
        (["--mongo", "mongo://host:notaport/db"], "not a number from 1 to 65535"),
        (["--mongo", "http://host:1/db"], "must start with one of"),
        (["--mongo", "host:27017"], "has no database"),
        (["--key-file", "/no/such/key/file"], "cannot read the shared key"),
    ],
)
def test_bad_usage_exits_2_with_a_message(args, message):
    done = worker_cli(*args)
    assert done.returncode == 2
    assert message in done.stderr
    assert "hopt-worker: hopt-worker" not in done.stderr


def test_log_level_is_not_case_sensitive():
    from hopt.trials.mongo.cli import build_parser

    assert build_parser().parse_args(["--log-level", "DEBUG"]).log_level == "debug"


def test_help_exits_0():
    done = worker_cli("--help")
    assert done.returncode == 0 and "--exp-key" in done.stdout and "--lease-timeout" in done.stdout


def test_an_unreachable_server_ends_the_worker_quickly_without_showing_the_password():
    url = f"mongo://alice:s3cret-pw@127.0.0.1:{free_port()}/db/jobs"
    started = time.monotonic()
    done = worker_cli("--mongo", url, "--connect-timeout", "2", timeout=60)
    assert done.returncode == 1
    assert time.monotonic() - started < 30
    assert "no MongoDB server answered" in done.stderr
    assert "alice:***@" in done.stderr
    assert "s3cret-pw" not in done.stdout + done.stderr


def test_mongo_trials_reports_an_unreachable_server_within_the_connect_timeout():
    url = f"mongo://bob:hunter2@127.0.0.1:{free_port()}/db/jobs"
    started = time.monotonic()
    with pytest.raises(BackendConnectionError, match="no MongoDB server answered") as caught:
        MongoTrials(url, exp_key="x", connect_timeout=1.0)
    assert time.monotonic() - started < 15
    assert "hunter2" not in str(caught.value) and "bob:***@" in str(caught.value)


@pytest.mark.parametrize(
    "url", ["", "localhost:27017", "mongo://h:99999/db/jobs", "mongo:///db", 42, "mongo://h/a/b/c"]
)
def test_mongo_trials_rejects_a_malformed_url_naming_it(url):
    with pytest.raises(InvalidArgumentError, match="MongoTrials"):
        MongoTrials(url, exp_key="x")


def test_missing_pymongo_gives_an_install_hint():
    code = (
        "import sys; sys.modules['pymongo'] = None; sys.modules['gridfs'] = None\n"
        "from hopt.trials.mongo import MongoTrials\n"
        "try:\n"
        "    MongoTrials('mongo://127.0.0.1:1/db/jobs')\n"
        "except ImportError as exc:\n"
        "    print(type(exc).__name__, exc)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert (
        "MissingDependencyError" in done.stdout
        and "pip install 'hopt[mongo]' (in a hopt checkout: pip install -e '.[mongo]')"
        in done.stdout
    )


def test_an_objective_the_worker_cannot_load_becomes_a_failed_trial(mongo_url, start_workers):
    import pickle
    import types

    # A domain pickled by reference to a module that only exists in this process.
    module = types.ModuleType("only_in_the_driver_xyz")
    exec("class Objective:\n    pass", module.__dict__)
    module.Objective.__module__ = module.__name__
    sys.modules[module.__name__] = module
    try:
        blob = pickle.dumps(module.Objective())
    finally:
        del sys.modules[module.__name__]
    trials = MongoTrials(mongo_url, exp_key="unloadable")
    file_id = trials.attachments.put("FMinIter_Domain", blob, signature=None)
    trials.handle.set_domain("unloadable", file_id, None)
    queue_one_trial(trials)
    (worker,) = start_workers(1, "--exp-key", "unloadable", "--max-jobs", "1")
    assert worker.wait(60) == 0
    (doc,) = trials.handle.find("unloadable")
    error = doc["result"]["error"]
    assert doc["result"]["status"] == "fail" and error["type"] == "DomainUnavailableError"
    assert "cannot load the objective" in error["message"]
    assert "only_in_the_driver_xyz" in error["message"]
