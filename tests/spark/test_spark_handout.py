"""How many trials SparkTrials hands to Spark, and what its progress bar says about them.

Runs in all three Spark passes (local, local-cluster, standalone; see conftest): the
slot count is read the way SparkTrials reads it (``task_slots``), never assumed.
"""

from __future__ import annotations

import contextlib
import os
import re
import threading
import time

import pytest

from hopt import JOB_STATE_DONE, fmin, hp, tpe
from hopt.testing.waits import wait_for
from hopt.trials.spark import SparkTrials
from hopt.trials.spark.session import task_slots

SPACE = {"x": hp.uniform("x", -3, 3)}


def peak_in_flight(trials) -> int:
    """The most trials held by Spark at once: their [book_time, end_time] spans overlapping."""
    events = sorted(
        [(t["book_time"], 1) for t in trials.trials] + [(t["end_time"], -1) for t in trials.trials]
    )  # at equal times an end sorts before a start
    depth = peak = 0
    for _, step in events:
        depth += step
        peak = max(peak, depth)
    return peak


@pytest.mark.parametrize("mode", ["jobs", "slots"])
def test_parallelism_above_the_slots_hands_out_trials_as_slots_free_up(spark, mode):
    slots = task_slots(spark)  # what SparkTrials itself reads
    parallelism = slots + 3
    results_seen: dict[int, int] = {}  # tid -> finished trials when it was suggested

    def recording_tpe(new_ids, domain, trials, seed):
        done = trials.count_by_state_unsynced(JOB_STATE_DONE)
        results_seen.update(dict.fromkeys(new_ids, done))
        return tpe.suggest(new_ids, domain, trials, seed, n_startup_jobs=2)

    def objective(params):
        time.sleep(0.4)
        return (params["x"] - 1) ** 2

    max_evals = 3 * slots + 3
    trials = SparkTrials(parallelism=parallelism, spark_session=spark, mode=mode)
    with pytest.warns(UserWarning, match="task slots"):
        fmin(objective, SPACE, algo=recording_tpe, max_evals=max_evals, trials=trials,
             rstate=3, show_progressbar=False)  # fmt: skip
    assert trials.count_successful_trials() == max_evals
    assert peak_in_flight(trials) <= slots, "more trials handed to Spark than it has slots"
    # fmin keeps one suggestion ready (max_queue_len=1) beyond the trials Spark runs, so
    # trial k was suggested with at least k - slots results in: never all up front
    late = {tid: seen for tid, seen in results_seen.items() if seen < tid - slots}
    assert not late, f"trials suggested before enough results were back: {late}"
    assert results_seen[max_evals - 1] >= max_evals - 1 - slots > 0


class RecordingBar:
    """A progress bar (tqdm's protocol) that keeps every postfix fmin sets, with its time."""

    def __init__(self) -> None:
        self.postfixes: list[tuple[float, str]] = []

    def update(self, n: int = 1) -> None:
        pass

    def set_postfix_str(self, text: str, refresh: bool = True) -> None:
        self.postfixes.append((time.monotonic(), text))


def hold_one_slot(spark, release) -> threading.Thread:
    """Run a one-task Spark job that holds a slot until the file ``release`` exists."""

    def hold(_):
        deadline = time.monotonic() + 120
        while not os.path.exists(release) and time.monotonic() < deadline:
            time.sleep(0.05)
        return [0]

    def job() -> None:
        sc = spark.sparkContext
        sc.setJobGroup("test-holds-a-slot", "a slot held by another user of the cluster", True)
        sc.parallelize([0], 1).mapPartitions(hold).collect()

    thread = threading.Thread(target=job, daemon=True)
    thread.start()
    tracker = spark.sparkContext.statusTracker()

    def holding() -> bool:
        stages = [tracker.getStageInfo(s) for s in tracker.getActiveStageIds()]
        return any(stage is not None and stage.numActiveTasks > 0 for stage in stages)

    wait_for(holding, 60, "the other job's task to hold a slot")
    return thread


def counts(text: str) -> tuple[int, int]:
    queued = re.search(r"\bqueued: (\d+)", text)
    running = re.search(r"\brunning: (\d+)", text)
    assert queued and running, f"the bar does not say queued and running: {text!r}"
    return int(queued.group(1)), int(running.group(1))


@pytest.mark.parametrize("mode", ["jobs", "slots"])
def test_the_bar_counts_trials_waiting_for_a_slot_as_queued_not_running(spark, tmp_path, mode):
    slots = task_slots(spark)
    if slots < 2:
        pytest.skip("needs a slot for another job and one for the trials")
    release = tmp_path / "release"
    holder = hold_one_slot(spark, release)  # another user of the cluster takes one slot
    bar = RecordingBar()

    @contextlib.contextmanager
    def progress(initial, total):
        yield bar

    def objective(params):
        time.sleep(1.2)  # longer than fmin's 1 s poll: the bar is redrawn while trials run
        return params["x"] ** 2

    trials = SparkTrials(parallelism=slots, spark_session=spark, mode=mode)
    outcome: dict = {}

    def search() -> None:
        try:
            fmin(objective, SPACE, algo=tpe.suggest, max_evals=3 * slots, trials=trials,
                 rstate=4, show_progressbar=progress)  # fmt: skip
        except BaseException as exc:  # noqa: BLE001 - re-raised below
            outcome["error"] = exc

    runner = threading.Thread(target=search, daemon=True)
    runner.start()
    try:
        wait_for(lambda: trials.count_successful_trials() >= 2, 90, "two trials to finish")
        time.sleep(2.5)  # a few more passes of fmin's loop while the slot is still held
        held_until = time.monotonic()
    finally:
        release.touch()
    holder.join(60)
    runner.join(120)
    assert not runner.is_alive() and "error" not in outcome, outcome
    assert trials.count_successful_trials() == 3 * slots
    while_held = [counts(text) for at, text in bar.postfixes if at < held_until]
    assert while_held
    # Spark runs the trials on the slots left, and the bar says so (neither more, as
    # when handed-out trials counted as running, nor fewer); the others wait, queued
    assert max(running for _, running in while_held) == slots - 1, while_held
    assert any(queued >= 1 for queued, _ in while_held), while_held
