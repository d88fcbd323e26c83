"""What a trial costs in database commands, with a real server and real workers.

Every command fmin's process and each ``hopt-worker`` send is logged through
``HOPT_MONGO_COUNT_COMMANDS`` (hopt/trials/mongo/connection.py).  The steady
state is the stretch between fmin seeing the 20th and the 100th trial done: the
commands sent in it, by everyone, over the trials finished in it.  A trial
sleeps 50 ms, so the polls made while trials run count in their cost.
benchmarks/mongo_commands.py prints the same figures by command name.
"""

from __future__ import annotations

import collections
import json
import time

import pytest

from hopt import JOB_STATE_DONE, fmin, hp, rand, tpe
from hopt.trials.mongo import MongoTrials
from hopt.trials.mongo.connection import COUNT_COMMANDS_ENV, commands_sent

MAX_COMMANDS_PER_TRIAL = 5


def sleep_50ms(x):
    time.sleep(0.05)
    return (x - 1.0) ** 2


class Window:
    """An ``early_stop_fn`` noting (time, trials done) when fmin first saw ``first``
    and ``last`` trials done."""

    def __init__(self, first: int, last: int) -> None:
        self.first, self.last = first, last
        self.opened = self.closed = None

    def __call__(self, trials, *args):
        done = trials.count_by_state_synced(JOB_STATE_DONE)
        if self.opened is None and done >= self.first:
            self.opened = (time.time(), done)
        if self.closed is None and done >= self.last:
            self.closed = (time.time(), done)
        return False, args


@pytest.mark.parametrize(("algo", "workers"), [(tpe.suggest, 1), (rand.suggest, 2)])
def test_a_trial_costs_at_most_five_commands_in_steady_state(
    mongo_url, start_workers, tmp_path, monkeypatch, algo, workers
):
    logs = tmp_path / "commands"
    logs.mkdir()
    running = start_workers(workers, "--exp-key", "cost", env={COUNT_COMMANDS_ENV: str(logs)})
    monkeypatch.setenv(COUNT_COMMANDS_ENV, str(logs))  # this process: fmin's commands
    trials = MongoTrials(mongo_url, exp_key="cost")
    window = Window(20, 100)
    fmin(sleep_50ms, hp.uniform("x", -5, 5), algo=algo, max_evals=120, trials=trials,
         rstate=0, early_stop_fn=window, show_progressbar=False)  # fmt: skip
    fmin_sent = commands_sent()
    for worker in running:
        worker.stop()  # a worker writes its log when it exits
    assert window.opened is not None and window.closed is not None
    (start, first_done), (end, last_done) = window.opened, window.closed
    trials_done = last_done - first_done

    def in_window(sent):
        return collections.Counter(name for when, name, _ in sent if start < when <= end)

    worker_logs = [p for p in logs.glob("commands-*.json") if p.stem != f"commands-{_pid()}"]
    assert len(worker_logs) == workers, "every worker wrote its command log"
    counts = {"fmin": in_window(fmin_sent)}
    for index, path in enumerate(sorted(worker_logs)):
        counts[f"worker-{index}"] = in_window(json.loads(path.read_text()))
    assert all(sum(c.values()) > 0 for c in counts.values()), counts
    total = sum(sum(c.values()) for c in counts.values())
    per_trial = {
        who: {k: round(v / trials_done, 2) for k, v in c.items()} for who, c in counts.items()
    }
    assert total / trials_done <= MAX_COMMANDS_PER_TRIAL, per_trial
    assert trials.statuses() == ["ok"] * 120


def _pid() -> int:
    import os

    return os.getpid()
