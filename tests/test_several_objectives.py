"""Several objectives and constraints: what an objective may return, what fmin and
Trials make of it, and the failures a user hits."""

from __future__ import annotations

import functools
import logging
import pickle
import re

import numpy as np
import pytest

from hopt import STATUS_FAIL, STATUS_OK, Trials, anneal, fmin, hp, mix, rand, tpe
from hopt.early_stop import no_progress_loss
from hopt.exceptions import AllTrialsFailedError, InvalidArgumentError
from hopt.objectives import FrontArchive, hypervolume_history, loss_tuple
from hopt.pareto import dominates
from hopt.results import normalize_result

SPACE = {"x": hp.uniform("x", 0, 1), "y": hp.uniform("y", 0, 1)}


def two_losses(p):
    """A convex trade-off: x against 1 - x, y only adds."""
    return {"loss": [p["x"] + p["y"], 1 - p["x"] + p["y"]], "status": STATUS_OK}


def run(fn, algo=rand.suggest, max_evals=30, seed=0, **kwargs):
    trials = kwargs.pop("trials", None)
    trials = Trials() if trials is None else trials  # (an empty Trials is falsy)
    kwargs.setdefault("show_progressbar", False)
    fmin(fn, SPACE, algo=algo, max_evals=max_evals, trials=trials, rstate=seed, **kwargs)
    return trials


# -- what a result may hold -------------------------------------------------------------
@pytest.mark.parametrize(
    "returned, loss",
    [
        ({"loss": [1, 2.5], "status": "ok"}, [1.0, 2.5]),
        ({"loss": (1, 2, 3)}, [1.0, 2.0, 3.0]),
        ({"loss": np.array([0.5, 1.5])}, [0.5, 1.5]),
        ([np.float32(1.0), 2], [1.0, 2.0]),  # a bare list
        ((3, 4), [3.0, 4.0]),  # a bare tuple
        (np.array([5.0, 6.0]), [5.0, 6.0]),
        ({"loss": [7.0]}, 7.0),  # one element: one objective
        (np.array([8.0]), 8.0),
    ],
)
def test_several_losses_become_a_list_of_floats(returned, loss):
    result = normalize_result(returned)
    assert result["status"] == STATUS_OK
    assert result["loss"] == loss
    assert all(type(v) is float for v in (loss if isinstance(loss, list) else [loss]))


@pytest.mark.parametrize(
    "loss, reason",
    [
        ([1.0, float("nan")], "item 1 is NaN"),
        ([float("inf"), 1.0], "item 0 is infinite"),
        ([1.0, [2.0, 3.0]], "item 1 is a nested list"),
        ([1.0, "a"], "item 1 is str"),
        ([], "empty loss list"),
        (np.ones((2, 2)), r"shape \(2, 2\)"),
        ({"a": 1}, "dict, not a number"),
    ],
)
def test_bad_loss_lists_are_failed_trials_with_the_reason(loss, reason):
    result = normalize_result({"loss": loss, "status": "ok"})
    assert result["status"] == STATUS_FAIL
    assert result["error"]["type"] == "InvalidLossError"
    assert re.search(reason, result["error"]["message"])


@pytest.mark.parametrize(
    "constraints, stored, feasible",
    [
        ([-1.0, 0.0], [-1.0, 0.0], True),
        ([-1.0, 0.5], [-1.0, 0.5], False),
        (0.25, [0.25], False),  # one number: one constraint
        (np.array([-2.0]), [-2.0], True),
    ],
)
def test_constraints_are_stored_as_a_list_and_marked(constraints, stored, feasible):
    result = normalize_result({"loss": 1.0, "constraints": constraints})
    assert result["constraints"] == stored
    assert result["feasible"] is feasible


@pytest.mark.parametrize("constraints", [[0.0, float("nan")], ["high"], [[1.0]], []])
def test_bad_constraints_are_failed_trials(constraints):
    result = normalize_result({"loss": 1.0, "constraints": constraints})
    assert result["status"] == STATUS_FAIL
    assert result["error"]["type"] == "InvalidConstraintsError"
    assert "constraints must be" in result["error"]["message"]


def test_a_single_number_keeps_todays_result_exactly():
    assert normalize_result(0.5) == {"loss": 0.5, "status": "ok"}
    assert normalize_result({"loss": 2, "extra": 1}) == {"loss": 2.0, "status": "ok", "extra": 1}


# -- the number of objectives ---------------------------------------------------------------
def test_the_first_result_fixes_the_number_of_losses():
    calls = []

    def objective(p):
        calls.append(p)
        if len(calls) == 4:
            return {"loss": [p["x"], p["y"], 1.0]}  # one loss too many
        return [p["x"], 1 - p["x"]]

    trials = run(objective, max_evals=8)
    failed = [t for t in trials.trials if t["result"]["status"] == STATUS_FAIL]
    assert [t["tid"] for t in failed] == [3]
    error = failed[0]["result"]["error"]
    assert error["type"] == "InvalidLossError"
    assert "returned 3 losses, but this search has 2 objectives" in error["message"]
    assert sum(t["result"]["status"] == STATUS_OK for t in trials.trials) == 7


def test_declared_n_objectives_fails_the_first_result_too():
    trials = Trials()
    with pytest.raises(AllTrialsFailedError, match="returned 1 loss"):
        run(lambda p: p["x"], max_evals=3, n_objectives=2, trials=trials)
    assert trials.statuses() == [STATUS_FAIL] * 3
    assert (
        "returned 1 loss, but this search has 2" in trials.trials[0]["result"]["error"]["message"]
    )


def test_constraint_counts_must_not_vary():
    calls = []

    def objective(p):
        calls.append(p)
        return {"loss": p["x"], "constraints": [0.0] * (1 if len(calls) < 3 else 2)}

    trials = run(objective, max_evals=4)
    assert trials.statuses() == [STATUS_OK, STATUS_OK, STATUS_FAIL, STATUS_FAIL]
    assert trials.trials[2]["result"]["error"]["type"] == "InvalidConstraintsError"


@pytest.mark.parametrize("bad", [0, -1, 1.5, "2"])
def test_bad_n_objectives_names_the_parameter(bad):
    with pytest.raises(InvalidArgumentError, match="n_objectives"):
        run(two_losses, max_evals=1, n_objectives=bad)


def test_resuming_with_another_declared_count_is_refused():
    trials = run(two_losses, max_evals=3)
    with pytest.raises(InvalidArgumentError, match=r"n_objectives=3, but the trials already hold"):
        run(two_losses, max_evals=5, trials=trials, n_objectives=3)


def test_resumed_trials_fix_the_count_for_new_results():
    trials = run(two_losses, max_evals=3)
    run(lambda p: p["x"], max_evals=5, trials=trials)
    assert trials.statuses()[3:] == [STATUS_FAIL, STATUS_FAIL]


# -- algorithms --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "algo",
    [
        anneal.suggest,
        functools.partial(anneal.suggest, avg_best_idx=3),
        functools.partial(mix.suggest, p_suggest=[(0.5, rand.suggest), (0.5, anneal.suggest)]),
    ],
)
def test_an_algorithm_for_one_loss_is_refused_by_name(algo):
    with pytest.raises(InvalidArgumentError, match=r"anneal.suggest|mix.suggest") as declared:
        run(two_losses, algo=algo, n_objectives=2)
    assert "use tpe.suggest or rand.suggest" in str(declared.value)
    with pytest.raises(InvalidArgumentError, match="has 2 objectives"):  # found at the 1st result
        run(two_losses, algo=algo)


@pytest.mark.parametrize(
    "algo",
    [tpe.suggest, rand.suggest, functools.partial(mix.suggest, p_suggest=[(0.5, rand.suggest),
                                                                           (0.5, tpe.suggest)])],
)  # fmt: skip
def test_tpe_rand_and_their_mix_take_several_objectives(algo):
    trials = run(two_losses, algo=algo, max_evals=25, n_objectives=2)
    assert trials.statuses() == [STATUS_OK] * 25


def test_loss_threshold_is_refused_with_declared_objectives_and_ignored_otherwise(caplog):
    with pytest.raises(InvalidArgumentError, match="loss_threshold"):
        run(two_losses, n_objectives=2, loss_threshold=0.1)
    with caplog.at_level(logging.WARNING, logger="hopt"):
        trials = run(two_losses, max_evals=10, loss_threshold=10.0)
    assert len(trials) == 10  # not stopped at the first trial
    assert sum("loss_threshold is ignored" in r.getMessage() for r in caplog.records) == 1


# -- reading the results -----------------------------------------------------------------------
def test_best_trials_is_the_feasible_front():
    def objective(p):
        losses = [p["x"] + p["y"], 1 - p["x"] + p["y"]]
        return {"loss": losses, "constraints": [0.3 - p["x"]]}  # feasible: x >= 0.3

    trials = run(objective, max_evals=60, seed=3)
    front = trials.best_trials
    feasible = [t for t in trials.trials if t["result"]["feasible"]]
    assert front and len(feasible) < 60  # some infeasible trials exist and are kept
    assert all(t["result"]["feasible"] for t in front)
    for a in front:
        assert not any(dominates(b["result"]["loss"], a["result"]["loss"]) for b in feasible)
    off_front = [t for t in feasible if t not in front]
    for t in off_front:
        assert any(dominates(a["result"]["loss"], t["result"]["loss"]) for a in front)


def test_best_trial_argmin_and_fmin_take_the_front_end_lowest_in_the_first_loss():
    trials = Trials()
    best = fmin(two_losses, SPACE, algo=rand.suggest, max_evals=40, trials=trials, rstate=1,
                show_progressbar=False)  # fmt: skip
    lowest = min(trials.best_trials, key=lambda t: t["result"]["loss"])
    assert trials.best_trial is lowest
    assert best == trials.argmin == {k: v[0] for k, v in lowest["misc"]["vals"].items()}


def test_with_one_loss_constraints_make_the_best_trial_the_best_feasible_one():
    def objective(p):
        return {"loss": p["x"], "constraints": [0.5 - p["x"]]}  # feasible: x >= 0.5

    trials = run(objective, max_evals=40)
    feasible = [t["result"]["loss"] for t in trials.trials if t["result"]["feasible"]]
    assert trials.best_trial["result"]["loss"] == min(feasible)
    assert min(trials.losses()) < min(feasible)  # a lower, infeasible loss was passed over
    assert [t["result"]["loss"] for t in trials.best_trials] == [min(feasible)]


def test_with_no_feasible_trial_the_best_is_the_least_infeasible():
    trials = run(lambda p: {"loss": p["x"], "constraints": [1 + p["y"]]}, max_evals=20)
    assert trials.best_trials == []
    least = min(trials.trials, key=lambda t: t["result"]["constraints"][0])
    assert trials.best_trial is least


def test_no_ok_trial_is_still_the_clear_error():
    trials = Trials()
    with pytest.raises(AllTrialsFailedError, match="InvalidLossError: .* item 0 is NaN"):
        run(lambda p: [float("nan"), 1.0], max_evals=3, trials=trials)
    with pytest.raises(AllTrialsFailedError, match="InvalidLossError"):
        _ = trials.best_trial


def test_list_losses_survive_pickling_and_average_best_error_says_why_not():
    trials = pickle.loads(pickle.dumps(run(two_losses, max_evals=5)))
    assert all(isinstance(loss, list) and len(loss) == 2 for loss in trials.losses())
    with pytest.raises(InvalidArgumentError, match="several objectives"):
        trials.average_best_error()


def test_readers_skip_a_stored_result_with_another_count():
    trials = run(two_losses, max_evals=5)
    trials.trials[2]["result"]["loss"] = [0.0, 0.0, 0.0]  # as a stray worker could store it
    assert trials.trials[2] not in trials.best_trials
    assert loss_tuple(trials.trials[2]["result"]) == (0.0, 0.0, 0.0)


def test_hypervolume_history_grows_and_checks_its_reference():
    trials = run(two_losses, max_evals=30)
    tids, volumes = hypervolume_history(trials.trials, [3.0, 3.0])
    assert list(tids) == trials.tids
    assert np.all(np.diff(volumes) >= 0) and volumes[-1] > volumes[0] > 0
    with pytest.raises(InvalidArgumentError, match="one value per objective"):
        hypervolume_history(trials.trials, [3.0])


def test_front_archive_keeps_only_non_dominated_points():
    archive = FrontArchive()
    assert archive.add((1.0, 3.0)) and archive.add((3.0, 1.0))
    assert not archive.add((3.0, 3.0))  # dominated
    assert archive.add((1.0, 3.0))  # an equal point is kept
    assert archive.add((0.5, 0.5))  # dominates all
    assert archive.points == [(0.5, 0.5)]


def test_no_progress_loss_counts_trials_that_do_not_join_the_front():
    losses = iter([[1.0, 1.0]] + [[2.0, 2.0]] * 10 + [[0.0, 5.0]])
    trials = Trials()
    fmin(lambda p: next(losses), SPACE, algo=rand.suggest, max_evals=12, trials=trials,
         rstate=0, show_progressbar=False, early_stop_fn=no_progress_loss(5))  # fmt: skip
    assert len(trials) == 5  # the first counts, then 4 dominated trials


def test_progress_line_shows_the_front_size():
    shown = []

    class Bar:
        postfix = ""

        def __init__(self, **kwargs):
            pass

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def update(self, n):
            shown.append(self.postfix)

    run(two_losses, max_evals=6, show_progressbar=Bar)
    assert shown and all(text.startswith("front: ") for text in shown)
