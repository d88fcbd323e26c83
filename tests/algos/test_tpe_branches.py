"""TPE in conditional spaces: the branch is drawn first, then TPE looks within it."""

from __future__ import annotations

import numpy as np

from hopt import Trials, fmin, hp, tpe
from hopt.algos.tpe import suggestion
from hopt.algos.tpe.joint import JointParzen, layout_of
from hopt.domain import Domain


def _space():
    return hp.choice(
        "model",
        [
            {"s": hp.uniform("s", 0, 1)},
            {"a": hp.uniform("a", -5, 5), "b": hp.uniform("b", -5, 5)},
        ],
    )


def _objective(p):
    # branch 0 is easy and never below 0.5; branch 1 only beats it in a small bowl
    if "s" in p:
        return 0.5 + (p["s"] - 0.3) ** 2
    return 0.6 + 0.1 * ((p["a"] - 2.0) ** 2 + (p["b"] + 1.0) ** 2)


def test_gating_label_is_the_top_level_choice_and_none_without_one():
    assert suggestion.gating_label(Domain(lambda p: 0, _space()).compiled) == "model"
    flat = {"x": hp.uniform("x", 0, 1), "c": hp.choice("c", ["a", "b"])}
    assert suggestion.gating_label(Domain(lambda p: 0, flat).compiled) is None


def test_branch_probabilities_keep_half_the_prior_share_for_a_branch_without_good_trials():
    options = np.array([0.0] * 10 + [1.0] * 10)
    below = np.zeros(20, dtype=bool)
    below[:3] = True  # every good trial is in branch 0
    p = suggestion.branch_probabilities(options, below, [0.5, 0.5], prior_weight=1.0)
    assert np.isclose(p.sum(), 1.0)
    # good counts 3 + 1 pseudo-count, against 0 + 1: (1/5) / 2 + 0.5 / 2
    assert np.isclose(p[1], 0.35)


def _history_all_good_in_branch_zero(seed=0):
    """30 trials: branch 0 holds every good one; branch 1's trials improve towards (2, -1)."""
    space = _space()
    trials = Trials()
    fmin(_objective, space, algo=tpe.suggest, max_evals=30, trials=trials, rstate=seed,
         show_progressbar=False)  # fmt: skip
    return Domain(_objective, space), trials


def test_a_branch_without_good_trials_still_gets_suggestions():
    domain, trials = _history_all_good_in_branch_zero()
    picked = []
    for seed in range(40):
        docs = tpe.suggest(trials.new_trial_ids(1), domain, trials, seed=seed)
        picked.append(docs[0]["misc"]["vals"]["model"][0])
    assert 0.15 < np.mean(picked) < 0.85


def test_suggestions_in_a_branch_follow_that_branch_s_own_good_trials():
    # Within branch 1 the good group is split among branch 1's trials only, so its
    # suggestions move towards branch 1's best trials even though all of them are
    # worse than every trial of branch 0.
    domain, trials = _history_all_good_in_branch_zero()
    points = [
        (d["misc"]["vals"]["a"][0], d["misc"]["vals"]["b"][0], d["result"]["loss"])
        for d in trials.trials
        if d["misc"]["vals"]["model"][0] == 1
    ]
    best_in_branch = min(points, key=lambda t: t[2])
    distances = []
    for seed in range(60):
        docs = tpe.suggest(trials.new_trial_ids(1), domain, trials, seed=seed)
        vals = docs[0]["misc"]["vals"]
        if vals["model"][0] == 1:
            distances.append(
                np.hypot(vals["a"][0] - best_in_branch[0], vals["b"][0] - best_in_branch[1])
            )
    assert len(distances) >= 10
    # draws from the prior over [-5, 5]^2 lie about 5 away from a point on average
    assert np.median(distances) < 2.5


def test_good_mixture_kernels_narrow_with_all_observations_when_told_to():
    space = {"x": hp.uniform("x", 0, 10)}
    layout = layout_of(Domain(lambda p: 0, space).compiled)
    good = (np.array([[5.0, 5.1, 5.2]]), np.ones(3))
    own = JointParzen(layout, [good], 1.0)
    told = JointParzen(layout, [good], 1.0, clip_counts=[np.array([200])])
    # own count: the floor is 10 / (3 + 1) = 2.5; with 200 observations it is 10 / 100
    assert np.allclose(own.kernels.sigmas[0, :3], 2.5)
    assert np.allclose(told.kernels.sigmas[0, :3], [0.1, 0.1, 0.1])
