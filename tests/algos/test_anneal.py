"""anneal.suggest keeps Hyperopt 0.3.0's annealing semantics.

Each test builds a known history, asks for many points in one call (each point
of a call is an independent suggestion from the same history) and checks the
shape of what comes back: which earlier trial a point starts from, how wide the
neighbourhood is and how that width shrinks.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

from hopt import JOB_STATE_DONE, JOB_STATE_RUNNING, STATUS_FAIL, STATUS_OK, Trials, anneal, hp
from hopt.domain import Domain


def _history(space, rows):
    """Trials holding ``rows``: (vals {label: value}, loss or "fail" or "running")."""
    trials = Trials()
    domain = Domain(lambda p: 0.0, space)
    labels = list(domain.compiled.params)
    docs = []
    for tid, (vals, loss) in enumerate(rows):
        misc = {
            "tid": tid,
            "cmd": domain.cmd,
            "workdir": None,
            "idxs": {k: [tid] if k in vals else [] for k in labels},
            "vals": {k: [vals[k]] if k in vals else [] for k in labels},
        }
        if loss == "fail":
            result = {"status": STATUS_FAIL}
        elif loss == "running":
            result = {"status": "new"}
        else:
            result = {"status": STATUS_OK, "loss": float(loss)}
        (doc,) = trials.new_trial_docs([tid], [None], [result], [misc])
        doc["state"] = JOB_STATE_RUNNING if loss == "running" else JOB_STATE_DONE
        docs.append(doc)
    trials.insert_trial_docs(docs)
    trials.refresh()
    return domain, trials


def _suggest(domain, trials, n=4000, seed=0, **kwargs):
    """``n`` suggestions from one history: {label: array (nan where inactive)}."""
    start = len(trials.trials)
    docs = anneal.suggest(list(range(start, start + n)), domain, trials, seed, **kwargs)
    labels = list(domain.compiled.params)
    return {
        k: np.array([d["misc"]["vals"][k][0] if d["misc"]["vals"][k] else np.nan for d in docs])
        for k in labels
    }


def _uniform_rows(xs, losses=None):
    losses = range(len(xs)) if losses is None else losses
    return [({"x": x}, loss) for x, loss in zip(xs, losses)]


def test_the_start_point_is_the_kth_best_with_k_geometric():
    # a near-zero neighbourhood, so every value is its start point's option
    space = {"c": hp.choice("c", list(range(6)))}
    losses = [5.0, 3.0, 0.0, 4.0, 1.0, 2.0]  # option 2 best, then 4, 5, 1, 3, 0
    domain, trials = _history(space, [({"c": i}, loss) for i, loss in enumerate(losses)])
    c = _suggest(domain, trials, shrink_coef=1e9)["c"]
    share = {option: float(np.mean(c == option)) for option in range(6)}
    expected = {2: 1 / 2, 4: 1 / 4, 5: 1 / 8, 1: 1 / 16, 3: 1 / 32, 0: 1 / 32}
    for option, p in expected.items():
        assert share[option] == pytest.approx(p, abs=0.025)


def test_tied_losses_favour_no_trial():
    space = {"c": hp.choice("c", list(range(4)))}
    domain, trials = _history(space, [({"c": i}, 1.0) for i in range(4)])
    c = _suggest(domain, trials, shrink_coef=1e9)["c"]
    for option in range(4):  # a fixed order among ties would give 1/2, 1/4, 1/8, 1/8
        assert np.mean(c == option) == pytest.approx(1 / 4, abs=0.03)


def test_avg_best_idx_one_always_starts_from_the_best_trial():
    space = {"x": hp.uniform("x", 0, 100)}
    domain, trials = _history(space, _uniform_rows([10, 50, 90], losses=[2.0, 0.0, 1.0]))
    x = _suggest(domain, trials, avg_best_idx=1.0, shrink_coef=10.0)["x"]
    width = 100 / (1 + 3 * 10.0)
    assert np.all(np.abs(x - 50) <= width / 2)


def test_uniform_neighbourhood_is_a_window_that_shrinks_with_observations():
    space = {"x": hp.uniform("x", 0, 100)}
    spans = {}
    for t in (5, 40):
        xs = [50.0] + [99.0] * (t - 1)  # the best trial is at 50
        domain, trials = _history(space, _uniform_rows(xs))
        x = _suggest(domain, trials, avg_best_idx=1.0)["x"]
        width = 100 / (1 + 0.1 * t)
        assert np.all(np.abs(x - 50) <= width / 2)
        # uniform over the whole window: its quarters are equally full
        quarters = np.histogram(x, bins=4, range=(50 - width / 2, 50 + width / 2))[0]
        assert quarters.min() > 0.2 * len(x)
        spans[t] = x.max() - x.min()
    assert spans[40] < spans[5] / 2


def test_a_window_at_a_bound_is_shifted_inside():
    space = {"x": hp.uniform("x", 0, 100)}
    domain, trials = _history(space, _uniform_rows([1.0] + [80.0] * 9))
    x = _suggest(domain, trials, avg_best_idx=1.0)["x"]
    width = 100 / (1 + 0.1 * 10)
    assert x.min() >= 0 and x.max() <= width
    assert x.max() > 0.95 * width  # the window is not cut, but moved to [0, width]


def test_loguniform_neighbourhood_is_a_window_in_log_space():
    space = {"x": hp.loguniform("x", np.log(1e-6), np.log(1.0))}
    domain, trials = _history(space, _uniform_rows([1e-3] + [0.5] * 9))
    x = _suggest(domain, trials, avg_best_idx=1.0)["x"]
    half = 0.5 * np.log(1e6) / (1 + 0.1 * 10)
    assert np.all(np.abs(np.log(x) - np.log(1e-3)) <= half + 1e-9)
    assert np.median(np.log(x)) == pytest.approx(np.log(1e-3), abs=0.2)


@pytest.mark.parametrize(
    "prior, start, q",
    [
        (hp.quniform("x", 0, 100, 7), 49.0, 7),
        (hp.qloguniform("x", np.log(1), np.log(1000), 5), 50.0, 5),
        (hp.qnormal("x", 0, 30, 4), 20.0, 4),
        (hp.qlognormal("x", 3, 1, 3), 21.0, 3),
    ],
)
def test_quantized_values_stay_on_the_grid_near_the_start(prior, start, q):
    domain, trials = _history({"x": prior}, _uniform_rows([start] + [start + 5 * q] * 4))
    x = _suggest(domain, trials, n=1000, avg_best_idx=1.0, shrink_coef=1.0)["x"]
    assert np.allclose(x, np.round(x / q) * q)
    assert abs(np.median(x) - start) <= q  # centred on the start point
    assert len(np.unique(x)) >= 3


def test_normal_neighbourhood_is_the_prior_sigma_times_the_shrink():
    space = {"x": hp.normal("x", 0, 10)}
    domain, trials = _history(space, _uniform_rows([30.0] + [0.0] * 19))
    x = _suggest(domain, trials, avg_best_idx=1.0)["x"]
    sigma = 10 / (1 + 0.1 * 20)
    assert np.mean(x) == pytest.approx(30, abs=0.3)
    assert np.std(x) == pytest.approx(sigma, rel=0.06)


def test_lognormal_neighbourhood_is_normal_in_log_space():
    space = {"x": hp.lognormal("x", 0, 2)}
    domain, trials = _history(space, _uniform_rows([np.e**2] + [1.0] * 9))
    x = _suggest(domain, trials, avg_best_idx=1.0)["x"]
    assert np.mean(np.log(x)) == pytest.approx(2, abs=0.05)
    assert np.std(np.log(x)) == pytest.approx(2 / (1 + 0.1 * 10), rel=0.06)


@pytest.mark.parametrize("prior", [hp.choice("x", list(range(5))), hp.randint("x", 10, 15)])
def test_discrete_labels_keep_the_start_option_or_draw_the_prior(prior):
    domain = Domain(lambda p: 0.0, {"x": prior})
    low = domain.compiled.params["x"].distribution.low
    rows = [({"x": low + 2}, 0.0)] + [({"x": low + 4}, 9.0)] * 9
    domain, trials = _history({"x": prior}, rows)
    x = _suggest(domain, trials, avg_best_idx=1.0)["x"]
    fraction = 1 / (1 + 0.1 * 10)  # how much of the prior is mixed in
    assert np.mean(x == low + 2) == pytest.approx(1 - fraction + fraction / 5, abs=0.03)
    for other in (0, 1, 3, 4):
        assert np.mean(x == low + other) == pytest.approx(fraction / 5, abs=0.02)


def test_all_labels_of_a_point_come_from_the_same_trial():
    space = {"x": hp.uniform("x", 0, 100), "y": hp.uniform("y", 0, 100)}
    rows = [({"x": 10.0 * i, "y": 10.0 * i}, 0.0) for i in range(10)]  # all tied
    domain, trials = _history(space, rows)
    s = _suggest(domain, trials, avg_best_idx=5.0, shrink_coef=10.0)
    assert len(np.unique(np.round(s["x"], -1))) >= 5  # many different start points ...
    assert np.all(np.abs(s["x"] - s["y"]) < 1.0)  # ... but x and y always from the same


def test_a_label_the_start_trial_lacks_comes_from_the_best_trials_that_have_it():
    space = hp.choice(
        "m", [{"a": hp.uniform("a", 0, 100)}, {"b": hp.uniform("b", 0, 100)}]
    )  # fmt: skip
    rows = [({"m": 0, "a": 50.0}, 0.0)] * 5  # the best trials all lack b
    rows += [({"m": 1, "b": 20.0}, 1.0), ({"m": 1, "b": 80.0}, 2.0)]
    domain, trials = _history(space, rows)
    s = _suggest(domain, trials, avg_best_idx=1.0, shrink_coef=1.0)
    b = s["b"][s["m"] == 1]
    assert len(b) > 100  # the choice moved away from the start trial's branch
    assert np.all(np.abs(b - 20) <= 0.5 * 100 / (1 + 2))  # around the best b trial
    assert np.all(np.isnan(s["a"][s["m"] == 1])) and np.all(np.isnan(s["b"][s["m"] == 0]))


def test_failed_and_running_trials_count_as_observations_but_never_start_a_point():
    space = {"x": hp.uniform("x", 0, 100)}
    rows = [({"x": 30.0}, 0.0)] + [({"x": 90.0}, "fail")] * 10 + [({"x": 90.0}, "running")] * 9
    domain, trials = _history(space, rows)
    x = _suggest(domain, trials, avg_best_idx=5.0)["x"]
    width = 100 / (1 + 0.1 * 20)  # 20 observations, one of them finished
    assert np.all(np.abs(x - 30) <= width / 2)


def test_labels_never_observed_are_drawn_from_the_prior():
    space = {"x": hp.uniform("x", 0, 100)}
    domain, trials = _history(space, [({"x": 50.0}, "fail")])
    x = _suggest(domain, trials)["x"]
    assert x.min() < 5 and x.max() > 95


def test_points_of_one_call_each_pick_their_own_start():
    space = {"x": hp.uniform("x", 0, 100)}
    domain, trials = _history(space, _uniform_rows([10.0, 50.0, 90.0]))
    x = _suggest(domain, trials, n=400, shrink_coef=10.0)["x"]
    near = [np.mean(np.abs(x - centre) < 2) for centre in (10, 50, 90)]
    assert near == pytest.approx([1 / 2, 1 / 4, 1 / 4], abs=0.07)


def test_fmin_with_anneal_converges_on_a_bowl():
    from hopt import fmin

    algo = functools.partial(anneal.suggest, avg_best_idx=2.0)
    trials = Trials()
    fmin(lambda p: (p["x"] - 3) ** 2 + (p["y"] + 1) ** 2,
         {"x": hp.uniform("x", -10, 10), "y": hp.uniform("y", -10, 10)}, algo=algo,
         max_evals=150, trials=trials, rstate=0, show_progressbar=False)  # fmt: skip
    assert min(trials.losses()) < 0.05
