"""``SeveralObjectivesConformance``: several losses and constraints on every backend.

Part of ``BackendConformance`` (which inherits these tests), kept apart because
it is one concern: an objective returning ``{"loss": [a, b], "constraints": [c]}``
must come back from every backend as it went in (a list of floats, a
``feasible`` mark), a result with another number of losses than the search must
become a failed trial that says so wherever the objective ran (fmin's process, a
queue worker, a Spark executor), and the front read from a store another process
wrote must be the one fmin saw.

The objectives live in this installed module, so remote workers can import them.
"""

from __future__ import annotations

import functools
import math
import pickle
from typing import Any

import numpy as np
import pytest

from .. import hp, rand, tpe
from .._types import STATUS_FAIL, STATUS_OK
from ..exceptions import InvalidArgumentError
from ..fmin import fmin

SPACE = hp.uniform("x", -10, 10)

#: TPE that leaves random search after four trials, so short runs reach its
#: several-objective ranking
QUICK_TPE = functools.partial(tpe.suggest, n_startup_jobs=4)


def two_losses(x: float) -> list[float]:
    """``[(x - 1)**2, (x + 1)**2]``: every x in [-1, 1] is Pareto-optimal."""
    return [(x - 1.0) ** 2, (x + 1.0) ** 2]


def two_losses_one_constraint(x: float) -> dict:
    """``two_losses`` with the constraint ``x - 0.5`` (feasible when x <= 0.5); the
    losses come as a numpy array when x > 0 (stored as a list of floats all the same)."""
    losses: Any = two_losses(x)
    if x > 0:
        losses = np.array(losses)
    return {"loss": losses, "status": STATUS_OK, "constraints": [x - 0.5]}


def three_losses_below_zero(x: float) -> Any:
    """``two_losses`` and the constraint ``x - 2`` (feasible when x <= 2); but three
    losses when x < 0, and a bare number (one loss) when x >= 2."""
    if x >= 2.0:
        return x
    losses = two_losses(x)
    if x < 0:
        losses.append(abs(x))
    return {"loss": losses, "status": STATUS_OK, "constraints": [x - 2.0]}


#: what ``malformed_losses`` returns at these x, and what the failure must say
MALFORMED = {
    -1.0: ({"loss": [1.0, [2.0, 3.0]], "status": STATUS_OK}, "InvalidLossError", "nested list"),
    -2.0: ({"loss": [float("nan"), 1.0], "status": STATUS_OK}, "InvalidLossError", "NaN"),
    -3.0: ({"loss": [1.0, "two"], "status": STATUS_OK}, "InvalidLossError", "'two'"),
    -4.0: (
        {"loss": [1.0, 2.0], "status": STATUS_OK, "constraints": [float("nan")]},
        "InvalidConstraintsError",
        "NaN",
    ),
}


def malformed_losses(x: float) -> Any:
    """``two_losses``, except at the x of ``MALFORMED``: a ragged list, a NaN, a string,
    a NaN constraint."""
    if x in MALFORMED:
        return MALFORMED[x][0]
    return {"loss": two_losses(x), "status": STATUS_OK}


def _search(make_trials: Any, exp_key: str, fn: Any, max_evals: int, **kwargs: Any):
    trials = make_trials(exp_key)
    kwargs.setdefault("algo", rand.suggest)
    kwargs.setdefault("rstate", 0)
    best = fmin(fn, SPACE, max_evals=max_evals, trials=trials, show_progressbar=False, **kwargs)
    trials.refresh()
    return trials, best


def _x(trial: dict) -> float:
    return trial["misc"]["vals"]["x"][0]


def _dominates(a: list[float], b: list[float]) -> bool:
    return all(u <= v for u, v in zip(a, b)) and any(u < v for u, v in zip(a, b))


def _stored_losses(trials: Any) -> dict[int, list]:
    return {t["tid"]: t["result"].get("loss") for t in trials.trials}


class SeveralObjectivesConformance:
    """Mixin of pytest tests; the subclass provides ``make_trials`` and ``open_reader``
    (see ``BackendConformance``, which includes these tests)."""

    def test_two_objectives_and_a_constraint_give_a_feasible_front(self, make_trials):
        # x = 0.9 is Pareto-optimal but infeasible; x = 6 is feasible-less and dominated
        points = [{"x": 0.9}, {"x": 0.0}, {"x": 6.0}, {"x": -0.5}]
        trials, best = _search(make_trials, "conf-mo-front", two_losses_one_constraint, 14,
                               algo=QUICK_TPE, points_to_evaluate=points)  # fmt: skip
        assert trials.statuses() == [STATUS_OK] * 14
        for trial in trials.trials:
            x, result = _x(trial), trial["result"]
            loss = result["loss"]
            assert isinstance(loss, list) and all(type(v) is float for v in loss), loss
            assert loss == pytest.approx(two_losses(x), rel=1e-12)
            assert result["constraints"] == pytest.approx([x - 0.5])
            assert result["feasible"] is (x <= 0.5), (x, result)
        front = trials.best_trials
        assert front, "a feasible trial exists, so the front is not empty"
        assert all(t["result"]["feasible"] for t in front)
        assert 0.9 not in [_x(t) for t in front], "an infeasible trial is not on the front"
        losses = [t["result"]["loss"] for t in front]
        for a in losses:
            assert not any(_dominates(b, a) for b in losses), "the front is non-dominated"
        front_tids = {t["tid"] for t in front}
        for trial in trials.trials:
            if trial["result"]["feasible"] and trial["tid"] not in front_tids:
                loss = trial["result"]["loss"]
                assert any(_dominates(b, loss) for b in losses), f"tid {trial['tid']} left out"
        best_trial = trials.best_trial
        assert best_trial["tid"] in front_tids
        assert best_trial["result"]["loss"][0] == min(a[0] for a in losses)
        assert best == {"x": _x(best_trial)}

    def test_another_number_of_losses_than_declared_fails_that_trial(self, make_trials):
        points = [{"x": 0.5}, {"x": -0.5}, {"x": 3.0}, {"x": 0.25}]
        trials, _ = _search(make_trials, "conf-mo-count", three_losses_below_zero, 4,
                            points_to_evaluate=points, n_objectives=2)  # fmt: skip
        by_x = {_x(t): t["result"] for t in trials.trials}
        for x in (0.5, 0.25):
            assert by_x[x]["status"] == STATUS_OK and by_x[x]["loss"] == two_losses(x)
        for x, got in ((-0.5, "3 losses"), (3.0, "1 loss,")):
            result = by_x[x]
            assert result["status"] == STATUS_FAIL, (x, result)
            error = result["error"]
            assert error["type"] == "InvalidLossError", error
            assert f"returned {got}" in error["message"], error["message"]
            assert "2 objectives" in error["message"], error["message"]
        assert {t["tid"] for t in trials.best_trials} == {
            t["tid"] for t in trials.trials if _x(t) in (0.5, 0.25)
        }

    def test_ragged_or_nan_losses_fail_their_trial_and_the_search_goes_on(self, make_trials):
        points = [{"x": x} for x in MALFORMED] + [{"x": 0.5}]
        trials, _ = _search(make_trials, "conf-mo-malformed", malformed_losses, 7,
                            points_to_evaluate=points)  # fmt: skip
        assert len(trials) == 7, "the search went on after the failures"
        for trial in trials.trials:
            x, result = _x(trial), trial["result"]
            if x in MALFORMED:
                _, error_type, says = MALFORMED[x]
                assert result["status"] == STATUS_FAIL, (x, result)
                assert result["error"]["type"] == error_type, result["error"]
                assert says in result["error"]["message"], result["error"]["message"]
                assert trial["misc"]["error"][0] == error_type
            else:
                assert result["status"] == STATUS_OK and result["loss"] == two_losses(x)
        assert trials.statuses().count(STATUS_OK) == 3

    def test_a_saved_and_reloaded_search_keeps_its_list_losses(self, make_trials, open_reader):
        trials, _ = _search(make_trials, "conf-mo-reload", two_losses_one_constraint, 6)
        stored = _stored_losses(trials)
        assert all(isinstance(loss, list) and len(loss) == 2 for loss in stored.values())
        front = [t["tid"] for t in trials.best_trials]
        assert front
        copy = pickle.loads(pickle.dumps(trials))
        copy.refresh()
        reader = open_reader("conf-mo-reload", trials)
        reader.refresh()
        for reloaded in (copy, reader):
            assert _stored_losses(reloaded) == stored
            assert [t["tid"] for t in reloaded.best_trials] == front
            assert all(
                t["result"]["feasible"] is (_x(t) <= 0.5)
                for t in reloaded.trials
                if t["result"]["status"] == STATUS_OK
            )
        with pytest.raises(InvalidArgumentError, match=r"n_objectives=3.*2 losses"):
            fmin(two_losses_one_constraint, SPACE, algo=rand.suggest, max_evals=8, trials=trials,
                 n_objectives=3, show_progressbar=False)  # fmt: skip
        # resumed: the stored trials fix two losses for whoever evaluates the new ones
        fmin(three_losses_below_zero, SPACE, algo=QUICK_TPE, max_evals=10, trials=trials,
             rstate=1, show_progressbar=False, points_to_evaluate=[{"x": -1.0}])  # fmt: skip
        trials.refresh()
        assert len(trials) == 10
        assert _stored_losses(trials).items() >= stored.items()
        (resumed_point,) = [t for t in trials.trials if _x(t) == -1.0]
        assert resumed_point["result"]["error"]["type"] == "InvalidLossError"
        assert "2 objectives" in resumed_point["result"]["error"]["message"]
        for trial in trials.trials:
            loss = trial["result"].get("loss")
            if trial["result"]["status"] == STATUS_OK:
                assert isinstance(loss, list) and len(loss) == 2 and all(map(math.isfinite, loss))
