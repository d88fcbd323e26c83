"""Queueing each slot's next trial in Spark ahead of time (short trials, every slot used)."""

from __future__ import annotations

import os
import time

import pytest

from hopt import JOB_STATE_DONE, fmin, hp, rand
from hopt.trials.spark import SparkTrials
from hopt.trials.spark import trials as spark_trials

SPACE = {"x": hp.uniform("x", 0, 1)}


def _peak_overlap(spans):
    """The largest number of [start, end] intervals that overlap at one moment."""
    events = sorted([(start, 1) for start, _ in spans] + [(end, -1) for _, end in spans])
    depth = peak = 0
    for _, step in events:
        depth += step
        peak = max(peak, depth)
    return peak


def _run_watching_in_flight(spark, parallelism, objective, max_evals):
    """fmin on SparkTrials; also the most trials handed to Spark at once, seen by fmin."""
    trials = SparkTrials(parallelism=parallelism, spark_session=spark)
    seen = []

    def watch(trials_, *args):
        run = trials_._run
        if run is not None:
            seen.append(len(run.running))
        return False, args

    fmin(
        objective,
        SPACE,
        algo=rand.suggest,
        max_evals=max_evals,
        trials=trials,
        rstate=0,
        early_stop_fn=watch,
        show_progressbar=False,
    )
    return trials, max(seen)


@pytest.mark.parametrize(
    "queue_ahead, run_secs, expected",
    [
        (True, [], 4),  # nothing finished yet: how long trials take is unknown
        (True, [0.5, 1.0, 2.0], 8),  # short trials: one more queued per slot
        (True, [0.5, 20.0, 30.0], 4),  # long trials: suggest later, knowing more
        (False, [0.5, 1.0], 4),  # the run does not hold every slot
    ],
)
def test_trials_in_flight_follow_the_queue_ahead_rule(queue_ahead, run_secs, expected):
    run = spark_trials._Run(4, payload=None, base_rdd=None, queue_ahead=queue_ahead)
    try:
        run.run_secs.extend(run_secs)
        assert run.max_in_flight() == expected
    finally:
        run.pool.shutdown()


def test_short_trials_on_every_slot_are_queued_ahead_yet_never_run_beyond_the_slots(
    spark, tmp_path
):
    slots = spark.sparkContext.defaultParallelism

    def short(params):
        start = time.time()
        time.sleep(0.5)
        (tmp_path / f"{os.getpid()}-{time.monotonic_ns()}").write_text(f"{start} {time.time()}")
        return params["x"]

    max_evals = 4 * slots
    trials, most_in_flight = _run_watching_in_flight(spark, slots, short, max_evals)
    assert most_in_flight > slots  # the next trials waited in Spark's queue
    assert sorted(trials.tids) == list(range(max_evals))  # none lost, none twice
    assert all(t["state"] == JOB_STATE_DONE for t in trials.trials)
    assert trials.count_successful_trials() == max_evals
    # Spark's slots capped what ran, seen from the executors' own clocks...
    spans = [tuple(map(float, f.read_text().split())) for f in tmp_path.iterdir()]
    assert len(spans) == max_evals
    assert _peak_overlap(spans) <= slots
    # ...and from the trial documents, which record when each trial really ran
    assert _peak_overlap([(t["book_time"], t["refresh_time"]) for t in trials.trials]) <= slots
    assert all(t["book_time"] <= t["refresh_time"] for t in trials.trials)


def test_fewer_trials_than_slots_are_never_queued_ahead(spark):
    slots = spark.sparkContext.defaultParallelism

    def short(params):
        time.sleep(0.2)
        return params["x"]

    _, most_in_flight = _run_watching_in_flight(spark, slots - 1, short, 4 * slots)
    assert most_in_flight <= slots - 1


def test_long_trials_are_not_queued_ahead(spark, monkeypatch):
    monkeypatch.setattr(spark_trials, "QUEUE_AHEAD_BELOW_SECS", 0.05)  # 0.3 s counts as long
    slots = spark.sparkContext.defaultParallelism

    def slow(params):
        time.sleep(0.3)
        return params["x"]

    _, most_in_flight = _run_watching_in_flight(spark, slots, slow, 3 * slots)
    assert most_in_flight <= slots
