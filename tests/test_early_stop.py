"""early_stop.no_progress_loss: stop after N finished trials without improvement."""

import numpy as np
import pytest

from hopt import JOB_STATE_DONE, Trials, fmin, generate_trials_to_calculate, hp, rand
from hopt.early_stop import no_progress_loss
from hopt.exceptions import InvalidArgumentError

X_SPACE = hp.uniform("x", -5, 5)


def add_finished(trials, results):
    for result in results:
        (tid,) = trials.new_trial_ids(1)
        misc = {"tid": tid, "cmd": None, "workdir": None, "idxs": {}, "vals": {}}
        (doc,) = trials.new_trial_docs([tid], [None], [result], [misc])
        doc["state"] = JOB_STATE_DONE
        trials.insert_trial_docs([doc])
    trials.refresh()


def feed(stop_fn, results):
    """Call ``stop_fn`` as fmin does, after each finished trial; return the 1-based stop index."""
    trials = Trials()
    args = []
    for i, result in enumerate(results, start=1):
        add_finished(trials, [result])
        stop, args = stop_fn(trials, *args)
        if stop:
            return i
    return None


def ok(loss):
    return {"loss": loss, "status": "ok"}


FAIL = {"status": "fail"}


def test_hyperopt_count_with_one_preinserted_best_point():
    trials = generate_trials_to_calculate([{"x": -100}])
    fmin(
        lambda x: x,
        X_SPACE,
        algo=rand.suggest,
        max_evals=500,
        trials=trials,
        rstate=0,
        show_progressbar=False,
        early_stop_fn=no_progress_loss(10),
    )
    assert len(trials) == 10


def test_constant_objective_stops_at_exactly_n_trials():
    trials = generate_trials_to_calculate([{"x": 0.0}])
    fmin(
        lambda x: 1.0,
        X_SPACE,
        algo=rand.suggest,
        max_evals=500,
        trials=trials,
        rstate=0,
        show_progressbar=False,
        early_stop_fn=no_progress_loss(10),
    )
    assert len(trials) == 10


def test_improvement_resets_the_count():
    losses = [5.0, 4.0, 3.0, 2.0, 1.0] + [1.0] * 10
    assert feed(no_progress_loss(3), [ok(v) for v in losses]) == 8


def test_does_not_stop_while_improving():
    assert feed(no_progress_loss(2), [ok(float(-i)) for i in range(30)]) is None


def test_default_stop_count_is_20():
    assert feed(no_progress_loss(), [ok(1.0)] * 40) == 20


def test_percent_increase_requires_relative_improvement():
    losses = [100.0, 99.5, 99.2, 98.0]
    assert feed(no_progress_loss(3, percent_increase=1.0), [ok(v) for v in losses]) == 3


def test_percent_increase_zero_counts_any_improvement():
    losses = [100.0, 99.5, 99.2, 98.0]
    assert feed(no_progress_loss(3), [ok(v) for v in losses]) is None


def test_percent_increase_improvement_resets_the_count():
    losses = [100.0, 100.0, 98.0, 98.0, 98.0, 98.0]
    assert feed(no_progress_loss(3, percent_increase=1.0), [ok(v) for v in losses]) == 6


def test_percent_increase_uses_absolute_best_for_negative_losses():
    # -101.5 beats -100 by more than 1 %; -101.6 and -101.7 do not beat -101.5 by 1 %.
    losses = [-100.0, -101.5, -101.6, -101.7]
    assert feed(no_progress_loss(2, percent_increase=1.0), [ok(v) for v in losses]) == 4


def test_failed_trials_do_not_raise_and_count_as_no_progress():
    assert feed(no_progress_loss(3), [ok(1.0), FAIL, FAIL]) == 3


def test_failed_first_trial_does_not_raise():
    assert feed(no_progress_loss(3), [FAIL, ok(2.0), ok(1.0), ok(0.5)]) is None


def test_failed_trials_inside_fmin_do_not_raise():
    calls = []

    def sometimes_fails(x):
        calls.append(x)
        if len(calls) % 2 == 0:
            raise ValueError("even call")
        return 1.0

    trials = Trials()
    fmin(
        sometimes_fails,
        X_SPACE,
        algo=rand.suggest,
        max_evals=100,
        trials=trials,
        rstate=0,
        show_progressbar=False,
        catch_eval_exceptions=True,
        early_stop_fn=no_progress_loss(5),
    )
    assert len(trials) == 5
    assert trials.statuses().count("fail") == 2


def test_unfinished_trials_are_ignored():
    trials = generate_trials_to_calculate([{"x": 0.0}, {"x": 1.0}])
    stop, args = no_progress_loss(1)(trials)
    assert stop is False
    assert args[:2] == [None, 0]


def test_returns_stop_flag_and_args_for_next_call():
    stop_fn = no_progress_loss(5)
    trials = Trials()
    stop, args = stop_fn(trials)
    assert stop is False
    assert args == [None, 0]  # best loss, trials without progress: Hyperopt's shape


def test_trials_that_finish_together_are_each_counted():
    stop_fn = no_progress_loss(3)
    trials = Trials()
    add_finished(trials, [ok(1.0)])
    stop, args = stop_fn(trials)
    assert (stop, args) == (False, [1.0, 1])
    add_finished(trials, [ok(2.0), ok(0.5), ok(3.0)])  # three results between two calls
    stop, args = stop_fn(trials, *args)
    assert (stop, args) == (False, [0.5, 1])
    add_finished(trials, [ok(4.0), ok(5.0)])
    assert stop_fn(trials, *args) == (True, [0.5, 3])


def test_a_hyperopt_style_wrapper_that_unpacks_the_state_works():
    npl = no_progress_loss(5)

    def my_stop(trials, best=None, n=0):
        stop, (best, n) = npl(trials, best, n)
        return stop, [best, n]

    losses = [5, 4, 3, 2, 1, 0.5, 0.4, 0.3] + [0.3] * 10
    assert feed(my_stop, [ok(v) for v in losses]) == 13  # Hyperopt 0.3.0 stops there too


def test_a_whole_float_stop_count_is_taken():
    assert feed(no_progress_loss(2.0), [ok(1.0), ok(2.0)]) == 2


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (
            {"iteration_stop_count": 0},
            "iteration_stop_count must be an int >= 1; got iteration_stop_count=0.",
        ),
        (
            {"iteration_stop_count": -3},
            "iteration_stop_count must be an int >= 1; got iteration_stop_count=-3.",
        ),
        (
            {"iteration_stop_count": 2.5},
            "iteration_stop_count must be an int >= 1; got iteration_stop_count=2.5.",
        ),
        (
            {"iteration_stop_count": True},
            "iteration_stop_count must be an int >= 1; got iteration_stop_count=True.",
        ),
        (
            {"iteration_stop_count": "3"},
            "iteration_stop_count must be an int >= 1; got iteration_stop_count='3'.",
        ),
        (
            {"percent_increase": -1.0},
            "percent_increase must be a number >= 0; got percent_increase=-1.0.",
        ),
        (
            {"percent_increase": float("nan")},
            "percent_increase must be a number >= 0; got percent_increase=nan.",
        ),
    ],
    ids=lambda v: repr(v) if isinstance(v, dict) else "",
)
def test_bad_arguments_rejected(kwargs, message):
    with pytest.raises(InvalidArgumentError) as info:
        no_progress_loss(**kwargs)
    assert message in str(info.value)
    assert str(info.value).startswith("no_progress_loss: ")


@pytest.mark.parametrize("bad", ["1", None], ids=["str", "None"])
def test_non_numeric_percent_increase_rejected_with_message(bad):
    with pytest.raises(InvalidArgumentError, match="percent_increase must be"):
        no_progress_loss(percent_increase=bad)


def test_numpy_integer_stop_count_accepted():
    assert feed(no_progress_loss(np.int64(2)), [ok(1.0)] * 5) == 2


def test_a_resumed_run_counts_from_its_own_first_result_as_in_hyperopt():
    trials = Trials()
    losses = iter([5, 4, 3, 2, 1] + [2] * 100)
    sizes = []
    for _ in range(2):
        fmin(lambda x: next(losses), X_SPACE, algo=rand.suggest, max_evals=100, trials=trials,
             show_progressbar=False, rstate=0, early_stop_fn=no_progress_loss(5))  # fmt: skip
        sizes.append(len(trials.trials))
    assert sizes == [10, 15]  # Hyperopt 0.3.0 gives 10, then 15


def test_a_result_with_another_number_of_losses_is_no_progress_and_no_crash():
    # a queue worker that had not seen the first result may store another count: with
    # two objectives, a stray single loss once met the front in a numeric comparison
    two = [ok([2.0, 2.0]), ok([1.0, 3.0])]
    assert feed(no_progress_loss(3), two + [ok(0.5), ok([0.0, 0.0, 0.0]), ok(0.1)]) == 5
    assert feed(no_progress_loss(3), [ok(2.0), ok([0.0, 0.0]), ok(3.0), ok(4.0)]) == 3
