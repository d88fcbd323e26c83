"""``SuggestConformance``: subclass it with ``algo = ...`` to test a suggest algorithm.

The checks are what fmin relies on: one document per requested id, with those
ids, in the trial schema, values inside their priors' support, inactive labels
empty, the same seed giving the same suggestions, and a history holding failed
and pruned trials taken in stride.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .. import hp
from .._types import JOB_STATE_NEW, STATUS_FAIL, STATUS_OK, STATUS_PRUNED, TRIAL_KEYS
from ..domain import Domain
from ..fmin import fmin
from ..running import TrialPruned, report, should_prune
from ..trials import Trials


def conformance_space() -> Any:
    """A mixed conditional space touching every prior kind."""
    return {
        "u": hp.uniform("u", -2, 3),
        "lu": hp.loguniform("lu", -4, 1),
        "q": hp.quniform("q", 0, 20, 5),
        "n": hp.normal("n", 0, 2),
        "r": hp.randint("r", 2, 6),
        "branch": hp.choice(
            "branch",
            [
                {"kind": "a", "a": hp.uniformint("a", 1, 4)},
                {"kind": "b", "b": hp.lognormal("b", 0, 1)},
            ],
        ),
    }


def conformance_objective(p: dict) -> float:
    """A loss over ``conformance_space()`` with its minimum inside the space."""
    extra = p["branch"].get("a", 0) + p["branch"].get("b", 0)
    return (p["u"] - 1) ** 2 + abs(np.log(p["lu"])) + p["q"] / 20 + abs(p["n"]) + extra


class _PruneEveryThird:
    """Prunes every third trial (by tid) at its second report."""

    def prune(self, trial: dict, trials: list) -> bool:
        return trial["tid"] % 3 == 1 and len(trial.get("reports") or ()) >= 2


def _epochs_objective() -> Callable[[dict], float]:
    """``conformance_objective`` reported over 3 steps; every fifth call fails."""
    calls = [0]

    def objective(p: dict) -> float:
        calls[0] += 1
        if calls[0] % 5 == 3:
            raise ValueError("diverged")
        loss = conformance_objective(p)
        for step in range(3):
            report(loss + 1.0 / (step + 1), step)
            if should_prune():
                raise TrialPruned()
        return loss

    return objective


class SuggestConformance:
    """Mixin of pytest tests; set ``algo`` (a suggest callable) on the subclass.

    Example:
        ```python
        class TestMyAlgorithmConformance(SuggestConformance):
            algo = staticmethod(my_suggest)  # or functools.partial(my_suggest, ...)
        ```
    """

    #: the algorithm under test (a ``SuggestAlgorithm``); subclasses set it
    algo: Callable[..., list] = staticmethod(lambda *a: [])
    history = 25

    def _trials(self, seed: int = 0) -> Trials:
        trials = Trials()
        fmin(conformance_objective, conformance_space(), algo=self.algo, max_evals=self.history,
             trials=trials, rstate=seed, show_progressbar=False)  # fmt: skip
        return trials

    def test_one_new_document_per_requested_id(self):
        trials = self._trials()
        domain = Domain(conformance_objective, conformance_space())
        ids = trials.new_trial_ids(5)
        docs = self.algo(ids, domain, trials, 123)
        assert [d["tid"] for d in docs] == ids
        for doc in docs:
            assert set(TRIAL_KEYS) <= set(doc)
            assert doc["state"] == JOB_STATE_NEW
            assert doc["misc"]["tid"] == doc["tid"]

    def test_values_stay_in_support_and_branches_are_exclusive(self):
        trials = self._trials()
        for doc in trials.trials:
            vals = doc["misc"]["vals"]
            assert -2 <= vals["u"][0] <= 3
            assert np.exp(-4) <= vals["lu"][0] <= np.exp(1)
            assert vals["q"][0] in (0, 5, 10, 15, 20)
            assert vals["r"][0] in (2, 3, 4, 5)
            if vals["branch"][0] == 0:
                assert vals["a"][0] in (1, 2, 3, 4) and vals["b"] == []
            else:
                assert vals["b"][0] > 0 and vals["a"] == []

    def test_failed_and_pruned_trials_in_the_history(self):
        trials = Trials()
        fmin(_epochs_objective(), conformance_space(), algo=self.algo, max_evals=self.history,
             trials=trials, rstate=4, show_progressbar=False, pruner=_PruneEveryThird(),
             catch_eval_exceptions=True)  # fmt: skip
        assert len(trials.trials) == self.history
        assert {STATUS_OK, STATUS_FAIL, STATUS_PRUNED} <= set(trials.statuses())
        assert trials.best_trial["result"]["status"] == STATUS_OK  # pruned ones are not best
        domain = Domain(conformance_objective, conformance_space())
        ids = trials.new_trial_ids(3)
        assert [d["tid"] for d in self.algo(ids, domain, trials, 5)] == ids

    def test_same_seed_same_suggestions(self):
        first = [d["misc"]["vals"] for d in self._trials(seed=9).trials]
        second = [d["misc"]["vals"] for d in self._trials(seed=9).trials]
        assert first == second


def several_objectives(p: dict) -> dict:
    """Two losses over ``conformance_space()`` that pull ``u`` apart, and a constraint
    (``q <= 15``) that leaves most of the space feasible."""
    base = conformance_objective(p) - (p["u"] - 1) ** 2
    return {
        "loss": [base + (p["u"] + 2) ** 2, base + (p["u"] - 3) ** 2],
        "constraints": [p["q"] - 15],
    }


class SeveralObjectivesConformance:
    """Mixin of pytest tests for an algorithm that handles several objectives and
    constraints (``several_objectives = True``); set ``algo`` as for ``SuggestConformance``.
    """

    algo: Callable[..., list] = staticmethod(lambda *a: [])
    history = 30

    def _trials(self, seed: int = 0, objective: Callable = several_objectives) -> Trials:
        trials = Trials()
        fmin(objective, conformance_space(), algo=self.algo, max_evals=self.history,
             trials=trials, rstate=seed, show_progressbar=False, n_objectives=2)  # fmt: skip
        return trials

    def test_it_declares_that_it_handles_several_objectives(self):
        from ..algos.protocol import handles_several_objectives

        assert handles_several_objectives(self.algo)

    def test_a_run_stores_losses_marks_feasibility_and_has_a_front(self):
        trials = self._trials()
        assert trials.statuses() == [STATUS_OK] * self.history
        assert all(len(t["result"]["loss"]) == 2 for t in trials.trials)
        assert {t["result"]["feasible"] for t in trials.trials} == {True, False}
        front = trials.best_trials
        assert front and all(t["result"]["feasible"] for t in front)

    def test_failed_trials_and_other_counts_in_the_history(self):
        calls = [0]

        def objective(p: dict) -> Any:
            calls[0] += 1
            if calls[0] % 7 == 3:
                raise ValueError("diverged")
            if calls[0] % 7 == 5:
                return [1.0, 2.0, 3.0]  # another number of losses: a failed trial
            return several_objectives(p)

        trials = Trials()
        fmin(objective, conformance_space(), algo=self.algo, max_evals=self.history,
             trials=trials, rstate=2, show_progressbar=False,
             catch_eval_exceptions=True)  # fmt: skip
        assert {STATUS_OK, STATUS_FAIL} == set(trials.statuses())
        domain = Domain(conformance_objective, conformance_space())
        ids = trials.new_trial_ids(3)
        assert [d["tid"] for d in self.algo(ids, domain, trials, 5)] == ids

    def test_trials_in_flight_get_distinct_suggestions(self):
        trials = self._trials()
        domain = Domain(several_objectives, conformance_space())
        ids = trials.new_trial_ids(4)
        docs = self.algo(ids, domain, trials, 11)
        trials.insert_trial_docs(docs)  # queued: in flight for the next call
        trials.refresh()
        more = self.algo(trials.new_trial_ids(4), domain, trials, 12)
        seen = [d["misc"]["vals"] for d in docs + more]
        assert len({repr(sorted(v.items())) for v in seen}) == 8

    def test_same_seed_same_suggestions(self):
        first = [d["misc"]["vals"] for d in self._trials(seed=9).trials]
        second = [d["misc"]["vals"] for d in self._trials(seed=9).trials]
        assert first == second
