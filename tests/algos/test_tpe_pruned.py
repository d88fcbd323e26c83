"""TPE ranks pruned trials: completed first, then pruned (furthest, then lowest), then failed.

Histories are hand-made trial documents, so which rows land in the good group
("below") can be checked row by row; the last tests run fmin with a small
pruner and check that every algorithm copes with pruned trials.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import hopt
from hopt import (
    JOB_STATE_DONE,
    JOB_STATE_RUNNING,
    STATUS_FAIL,
    STATUS_OK,
    STATUS_PRUNED,
    Trials,
    anneal,
    fmin,
    hp,
    rand,
    tpe,
)
from hopt.algos.tpe import suggestion
from hopt.algos.tpe.history import collect, progress, pruned_at, split_below
from hopt.domain import Domain
from hopt.exceptions import InvalidArgumentError

SPACE = {"x": hp.uniform("x", 0, 100)}


def ok(loss, steps=0):
    """Completed, after reporting at steps 0 .. steps - 1 (none by default)."""
    return ("ok", loss, steps)


def pruned(step, value):
    """Pruned as the pruning core records it: last report at ``step`` with ``value``."""
    return ("pruned", step, value)


FAILED = ("fail",)
RUNNING = ("running",)
PRUNED_WITHOUT_REPORTS = ("pruned",)


def _history(rows, space=SPACE):
    """Trials holding one trial per row, its x the row number (so rows are easy to spot)."""
    trials = Trials()
    domain = Domain(lambda p: 0.0, space)
    docs = []
    for tid, row in enumerate(rows):
        kind = row[0]
        misc = {"tid": tid, "cmd": domain.cmd, "workdir": None,
                "idxs": {"x": [tid]}, "vals": {"x": [float(tid)]}}  # fmt: skip
        reports = []
        if kind == "ok":
            result = {"status": STATUS_OK, "loss": float(row[1])}
            reports = [{"step": s, "value": float(row[1]), "time": 0.0} for s in range(row[2])]
        elif kind == "fail":
            result = {"status": STATUS_FAIL}
        elif kind == "running":
            result = {"status": "new"}
        elif len(row) == 1:
            result = {"status": STATUS_PRUNED}
        else:
            step, value = row[1], row[2]
            result = {"status": STATUS_PRUNED, "loss": float(value), "pruned_step": step}
            reports = [{"step": s, "value": float(value) + (step - s), "time": 0.0}
                       for s in range(step + 1)]  # fmt: skip
        (doc,) = trials.new_trial_docs([tid], [None], [result], [misc])
        doc["state"] = JOB_STATE_RUNNING if kind == "running" else JOB_STATE_DONE
        doc["reports"] = reports
        docs.append(doc)
    trials.insert_trial_docs(docs)
    trials.refresh()
    return domain, trials


def below_rows(rows, gamma, whole=True, **kwargs):
    """The good rows; each pruned trial counted as one in n (``whole``), else by progress."""
    domain, trials = _history(rows)
    history = collect(domain, trials, exclude_tids=set())
    pruned_rows = history.pruned.counted_whole() if whole else history.pruned
    below = split_below(history.losses, gamma, pruned=pruned_rows, **kwargs)
    return set(np.flatnonzero(below).tolist())


def test_completed_trials_rank_before_any_pruned_one_however_low_its_value():
    # 10 ranked trials, gamma 0.3 -> 3 good: the three completed ones, although
    # pruned rows 3 and 4 reported lower values than every completed loss
    rows = [ok(5.0), ok(7.0), ok(6.0), pruned(9, 0.1), pruned(9, 0.2)] + [pruned(1, 3.0)] * 5
    assert below_rows(rows, 0.3) == {0, 1, 2}


def test_the_best_completed_trials_when_the_good_group_is_smaller_than_them():
    rows = [ok(5.0), ok(1.0), ok(3.0), ok(4.0), pruned(9, 0.0), pruned(9, 0.1)]
    # 6 ranked, gamma 0.3 -> 2 good: the two lowest completed losses
    assert below_rows(rows, 0.3) == {1, 2}


def test_pruned_trials_fill_the_good_group_furthest_first_then_by_value():
    rows = [
        ok(9.0),  # 0
        pruned(3, 0.5),  # 1: step 3
        pruned(7, 2.0),  # 2: step 7, worse value
        pruned(7, 1.0),  # 3: step 7, better value
        pruned(5, 0.1),  # 4: step 5
        FAILED,  # 5
        pruned(0, 0.0),  # 6: step 0, the lowest value of all
    ]
    # 6 ranked (completed and pruned; not the failed one)
    assert below_rows(rows, 0.01) == {0}  # ceil(0.06) = 1: the completed trial
    assert below_rows(rows, 0.5) == {0, 3, 2}  # 3 good: then step 7, lower value first
    assert below_rows(rows, 0.6) == {0, 3, 2, 4}  # 4: then step 5
    assert below_rows(rows, 0.99) == {0, 1, 2, 3, 4, 6}  # all ranked; never the failed one


def test_counted_whole_pruned_trials_enlarge_the_good_group():
    # 2 completed, 18 pruned: gamma 0.15 of 20 is 3 good trials, not 1 (of 2)
    rows = [ok(4.0), ok(2.0)] + [pruned(step, 1.0) for step in range(18)]
    assert below_rows(rows, 0.15) == {0, 1, 19}  # 19 got furthest (step 17)


def test_by_default_a_pruned_trial_counts_the_fraction_of_a_full_run_it_trained():
    # full runs are 20 steps (the completed trials reported at 0 .. 19)
    early = [ok(4.0, steps=20), ok(2.0, steps=20)] + [pruned(1, 1.0)] * 18
    # n = 2 + 18 * 2/20 = 3.8: ceil(0.15 * 3.8) = 1 good trial, the best completed one
    assert below_rows(early, 0.15, whole=False) == {1}
    late = [ok(4.0, steps=20), ok(2.0, steps=20)] + [pruned(19, 1.0)] * 18
    # pruned at the last step count whole: n = 20, 3 good as above
    assert below_rows(late, 0.15, whole=False) == {0, 1, 2}
    few = [ok(4.0, steps=20)] + [pruned(9, 1.0)] * 30 + [pruned(4, 0.0)]
    # n = 1 + 30 * 10/20 + 5/20 = 16.25: 3 good; the completed trial, then step 9 first
    assert below_rows(few, 0.15, whole=False) == {0, 1, 2}


def test_progress_is_measured_against_the_longest_run_seen():
    steps = np.array([np.nan, 0.0, 4.0, 9.0, -np.inf])
    counts = progress(steps, run_length=10.0)
    np.testing.assert_allclose(counts, [np.nan, 0.1, 0.5, 1.0, 0.0])
    # without completed trials' reports, the furthest pruned trial sets the length
    domain, trials = _history([ok(1.0), pruned(3, 2.0), pruned(1, 2.0), PRUNED_WITHOUT_REPORTS])
    counts = collect(domain, trials, exclude_tids=set()).pruned.counts
    np.testing.assert_allclose(counts, [np.nan, 1.0, 0.5, 0.0])
    # a completed trial that reported further sets it
    domain, trials = _history([ok(1.0, steps=8), pruned(3, 2.0)])
    np.testing.assert_allclose(collect(domain, trials, set()).pruned.counts, [np.nan, 0.5])


def test_pruned_count_whole_is_optunas_rule(monkeypatch):
    seen = []
    real = suggestion.split_below

    def spy(losses, gamma, max_below=25, pruned=None):
        seen.append(pruned.counts.copy())
        return real(losses, gamma, max_below, pruned)

    monkeypatch.setattr(suggestion, "split_below", spy)
    domain, trials = _history([ok(float(i), steps=10) for i in range(5)] + [pruned(1, 9.0)] * 8)
    for count in ("progress", "whole"):
        tpe.suggest([13], domain, trials, seed=0, n_startup_jobs=2, pruned_count=count)
    np.testing.assert_allclose(seen[0][5:], 0.2)
    np.testing.assert_allclose(seen[1][5:], 1.0)


def test_pruned_count_must_be_a_known_rule():
    domain, trials = _history([ok(1.0)])
    with pytest.raises(InvalidArgumentError, match=r"pruned_count must be one of \['progress'"):
        tpe.suggest([1], domain, trials, seed=0, pruned_count="all")


def test_the_good_group_stays_capped():
    rows = [ok(1.0)] * 10 + [pruned(4, 1.0)] * 90
    assert len(below_rows(rows, 0.5)) == 25
    assert len(below_rows(rows, 0.5, max_below=12)) == 12


def test_pruned_trials_without_reports_rank_after_those_with_reports_before_failed_ones():
    rows = [FAILED, PRUNED_WITHOUT_REPORTS, pruned(0, 50.0), ok(3.0), FAILED]
    # 3 ranked (the two failed ones are not): all three, never a failed one
    assert below_rows(rows, 0.99) == {1, 2, 3}
    # 2 good: the completed one, then the pruned one that reported
    assert below_rows(rows, 0.5) == {2, 3}


def test_how_far_a_pruned_trial_got_comes_from_its_result_else_its_reports():
    def doc(result, reports=()):
        return {"result": result, "reports": list(reports)}

    assert pruned_at(doc({"status": "pruned", "loss": 2.0, "pruned_step": 4})) == (4.0, 2.0)
    # an objective that returned {"status": "pruned"} itself, after reporting
    reports = [{"step": 0, "value": 5.0}, {"step": 3, "value": 4.0}, {"step": 1, "value": 1.0}]
    assert pruned_at(doc({"status": "pruned"}, reports)) == (3.0, 4.0)
    assert pruned_at(doc({"status": "pruned", "loss": 0.5}, reports)) == (3.0, 0.5)
    # nothing known: got least far, no value
    assert pruned_at(doc({"status": "pruned"})) == (-math.inf, math.inf)
    assert pruned_at(doc({"status": "pruned", "loss": 1.5})) == (-math.inf, 1.5)


def test_a_history_without_pruned_trials_carries_no_pruned_arrays():
    domain, trials = _history([ok(1.0), FAILED, ok(2.0), RUNNING])
    history = collect(domain, trials, exclude_tids=set())
    assert history.pruned is None and history.n_pruned == 0 and history.n_ranked == 2


def test_pruned_rows_stay_aligned_across_the_cache_and_the_trials_in_flight():
    rows = [ok(1.0), pruned(2, 3.0), RUNNING, pruned(5, 4.0), ok(2.0), FAILED]
    domain, trials = _history(rows)
    for _ in range(2):  # the second call reads the cached prefix
        history = collect(domain, trials, exclude_tids=set())
        steps, values, counts = history.pruned
        np.testing.assert_array_equal(steps, [np.nan, 2, np.nan, 5, np.nan, np.nan])
        np.testing.assert_array_equal(values, [np.inf, 3, np.inf, 4, np.inf, np.inf])
        np.testing.assert_allclose(counts, [np.nan, 0.5, np.nan, 1.0, np.nan, np.nan])
        assert history.n_ok == 2 and history.n_pruned == 2 and history.n_pending == 1
        assert np.isinf(history.losses[[1, 3]]).all()  # never a completed loss
    # the trial in flight finishes as pruned: the next call sees it
    trials.trials[2]["state"] = JOB_STATE_DONE
    trials.trials[2]["result"] = {"status": STATUS_PRUNED, "loss": 9.0, "pruned_step": 1}
    history = collect(domain, trials, exclude_tids=set())
    assert history.pruned.steps[2] == 1 and history.n_pruned == 3 and history.n_pending == 0


def test_pruned_trials_count_towards_the_random_start(monkeypatch):
    calls = []
    real = suggestion._joint_pick
    monkeypatch.setattr(suggestion, "_joint_pick", lambda *a, **k: calls.append(1) or real(*a, **k))
    domain, trials = _history([ok(1.0)] + [pruned(1, 2.0)] * 9)
    tpe.suggest(trials.new_trial_ids(1), domain, trials, seed=3, n_startup_jobs=10)
    assert calls == [1]
    # every trial pruned: the model still starts (its good group: the furthest ones)
    domain, trials = _history([pruned(s % 4, 2.0) for s in range(12)])
    tpe.suggest(trials.new_trial_ids(1), domain, trials, seed=3, n_startup_jobs=10)
    assert calls == [1, 1]


def test_in_flight_picks_and_branches_keep_the_pruned_rows():
    space = hp.choice("arm", [{"a": hp.uniform("a", 0, 1)}, {"b": hp.uniform("b", 0, 1)}])

    def objective(p):
        value = p.get("a", 0.5) + p.get("b", 0.7)
        for step in range(4):
            hopt.report(value * (1.0 + 0.5 / (step + 1)), step)
            if hopt.should_prune():
                raise hopt.TrialPruned()
        return value

    trials = Trials()
    fmin(objective, space, algo=tpe.suggest, max_evals=40, trials=trials, rstate=0,
         show_progressbar=False, pruner=PruneAbove(1.5))  # fmt: skip
    assert STATUS_PRUNED in trials.statuses() and STATUS_OK in trials.statuses()
    domain = Domain(lambda p: 0, space)
    docs = tpe.suggest(trials.new_trial_ids(6), domain, trials, seed=5)  # each pick in flight
    assert len(docs) == 6
    history = collect(domain, trials, exclude_tids=set())
    picked = suggestion._add_pending(
        history, {"arm": np.array([0]), "a": np.array([0.5]), "b": np.array([0.0])},
        {"arm": np.array([True]), "a": np.array([True]), "b": np.array([False])}, ("new",),
    )  # fmt: skip
    assert all(len(column) == len(history.losses) + 1 for column in picked.pruned)
    assert picked.n_pruned == history.n_pruned
    rng = np.random.default_rng(0)
    _, option, branch = suggestion._in_branch(domain.compiled, rng, history, 1.0, 0.15)
    arms = history.matrix[history.labels.index("arm")]
    np.testing.assert_array_equal(branch.pruned.steps, history.pruned.steps[arms == option])
    np.testing.assert_array_equal(branch.pruned.counts, history.pruned.counts[arms == option])


class PruneAbove:
    """Prunes a trial whose latest report is above ``limit``."""

    def __init__(self, limit):
        self.limit = limit

    def prune(self, trial, trials):
        reports = trial.get("reports") or []
        return bool(reports) and reports[-1]["value"] > self.limit


def curve(params):
    """A loss falling over 5 steps towards (x - 30)^2 / 100; pruned above 20 at any step."""
    final = (params["x"] - 30.0) ** 2 / 100.0
    for step in range(5):
        hopt.report(final + 10.0 / (step + 1), step)
        if hopt.should_prune():
            raise hopt.TrialPruned()
    return final


@pytest.mark.parametrize(
    "algo", [rand.suggest, anneal.suggest, tpe.suggest], ids=["rand", "anneal", "tpe"]
)
def test_every_algorithm_runs_with_failed_pruned_and_completed_trials(algo):
    def sometimes_fails(params):
        if params["x"] > 80:
            raise ValueError("diverged")
        return curve(params)

    # x=90 fails, x=70 is pruned at step 0 (its first report is 26), x=20 completes
    trials = Trials()
    best = fmin(sometimes_fails, SPACE, algo=algo, max_evals=60, trials=trials, rstate=1,
                show_progressbar=False, pruner=PruneAbove(20.0),
                catch_eval_exceptions=True,
                points_to_evaluate=[{"x": 90.0}, {"x": 70.0}, {"x": 20.0}])  # fmt: skip
    statuses = set(trials.statuses())
    assert {STATUS_OK, STATUS_PRUNED, STATUS_FAIL} <= statuses
    assert trials.best_trial["result"]["status"] == STATUS_OK
    assert abs(best["x"] - 30.0) < 10.0  # not drawn to the pruned trials' region


def test_anneal_never_starts_from_a_pruned_trial_however_low_its_value():
    # the pruned trials at x=90 reported 0.0, far below every completed loss: anneal
    # ranks completed trials only, so no point starts near x=90
    rows = [ok(1.0), ok(2.0), ok(3.0)] + [pruned(0, 0.0)] * 3
    domain, trials = _history(rows)
    for doc in trials.trials[3:]:
        doc["misc"]["vals"]["x"] = [90.0]
    trials.refresh()
    docs = anneal.suggest(list(range(6, 2006)), domain, trials, seed=0, shrink_coef=5.0)
    xs = np.array([d["misc"]["vals"]["x"][0] for d in docs])
    assert xs.max() < 10.0  # neighbourhoods of x = 0, 1, 2 (1/31 of the range wide)
