"""hopt.importance.param_importances: rankings on functions whose importance is known by
construction, for both evaluators, and the errors a user hits."""

from __future__ import annotations

import functools
import math
import re
import sys
from pathlib import Path

import numpy as np
import pytest

from hopt import STATUS_FAIL, STATUS_OK, Domain, Trials, fmin, hp, rand
from hopt.exceptions import InvalidArgumentError, MissingDependencyError
from hopt.importance import EVALUATORS, param_importances
from hopt.importance._fanova import options_by_mean_loss, tree_main_effects
from hopt.importance._scales import MAX_OPTIONS, label_scales

pytest.importorskip("sklearn")

BOTH = pytest.mark.parametrize("evaluator", EVALUATORS)


def run(fn, space, max_evals=300, seed=0):
    trials = Trials()
    fmin(
        fn,
        space,
        algo=rand.suggest,
        max_evals=max_evals,
        trials=trials,
        rstate=seed,
        show_progressbar=False,
    )
    return trials


# -- functions with a known answer ------------------------------------------------------
SIMPLE = {
    "x": hp.uniform("x", -1, 1),
    "y": hp.uniform("y", -1, 1),
    "z": hp.uniform("z", -1, 1),
}


@functools.cache
def simple_trials():
    """x dominates, y is weak, z does nothing."""
    return run(lambda p: 10 * (p["x"] - 0.3) ** 2 + 3 * (p["y"] + 0.2) ** 2, SIMPLE)


INTERACTION = {
    "u": hp.uniform("u", 0, 1),
    "v": hp.uniform("v", 0, 1),
    "z": hp.uniform("z", 0, 1),
}

CHOICE = {"model": hp.choice("model", ["a", "b", "c"]), "x": hp.uniform("x", -1, 1)}

CONDITIONAL = {
    "branch": hp.choice(
        "branch",
        [
            {"kind": "a", "lr": hp.loguniform("lr", -7, 0)},
            {"kind": "b", "depth": hp.uniformint("depth", 1, 10)},
        ],
    ),
    "z": hp.uniform("z", -1, 1),
}


def conditional_loss(p):
    """Inside branch a, lr matters (on a log scale); inside b depth does nothing; the two
    branches are about equally good on average."""
    branch = p["branch"]
    if branch["kind"] == "a":
        return (math.log(branch["lr"]) + 3.5) ** 2 / 4
    return 1.0


@BOTH
def test_dominant_then_weak_then_irrelevant(evaluator):
    scores = param_importances(simple_trials(), evaluator=evaluator, space=SIMPLE)
    assert list(scores) == ["x", "y", "z"]
    assert scores["x"] > 0.5
    assert scores["z"] < 0.1


@BOTH
def test_both_labels_of_an_interaction_matter(evaluator):
    trials = run(lambda p: p["u"] * p["v"], INTERACTION)
    scores = param_importances(trials, evaluator=evaluator, space=INTERACTION)
    assert set(list(scores)[:2]) == {"u", "v"}
    assert scores["z"] < 0.5 * min(scores["u"], scores["v"])


def noisy_choice_loss(offsets):
    """The option sets the level, x adds a little, and noise as large as x's effect (as in
    a real model's validation loss) blurs which trials of the best option come first."""
    noise = np.random.default_rng(7)
    return lambda p: offsets[p["model"]] + 0.2 * p["x"] + noise.normal(0, 0.2)


@BOTH
def test_a_choice_that_matters_comes_first(evaluator):
    trials = run(noisy_choice_loss({"a": 0.0, "b": 1.0, "c": 2.0}), CHOICE)
    scores = param_importances(trials, evaluator=evaluator, space=CHOICE)
    assert list(scores) == ["model", "x"]


def test_without_the_space_a_choice_index_is_read_as_a_number_and_still_ranks_first():
    trials = run(noisy_choice_loss({"a": 2.0, "b": 0.0, "c": 1.0}), CHOICE)
    assert list(param_importances(trials)) == ["model", "x"]


@BOTH
def test_a_conditional_label_is_scored_where_it_was_active(evaluator):
    trials = run(conditional_loss, CONDITIONAL, max_evals=400)
    scores = param_importances(trials, evaluator=evaluator, space=CONDITIONAL)
    assert list(scores)[0] == "lr"
    assert scores["depth"] < 0.2 * scores["lr"]
    assert scores["z"] < 0.2 * scores["lr"]


@BOTH
def test_several_objectives_are_explained_one_at_a_time(evaluator):
    trials = run(lambda p: {"loss": [p["x"] ** 2, p["y"] ** 2], "status": STATUS_OK}, SIMPLE)
    first = param_importances(trials, evaluator=evaluator, objective=0)
    second = param_importances(trials, evaluator=evaluator, objective=1)
    assert list(first)[0] == "x"
    assert list(second)[0] == "y"


@BOTH
def test_only_feasible_trials_count(evaluator):
    def loss(p):
        # infeasible points (z > 0.5) look excellent; were they counted, z would explain all
        feasible = p["z"] <= 0.5
        return {
            "loss": p["x"] ** 2 if feasible else -5.0,
            "constraints": [p["z"] - 0.5],
            "status": STATUS_OK,
        }

    scores = param_importances(run(loss, SIMPLE), evaluator=evaluator, space=SIMPLE)
    assert list(scores)[0] == "x"


@BOTH
def test_failed_trials_are_left_out(evaluator):
    def loss(p):
        if p["z"] > 0.5:
            return {"status": STATUS_FAIL}
        return (p["x"] - 0.3) ** 2

    scores = param_importances(run(loss, SIMPLE), evaluator=evaluator)
    assert list(scores)[0] == "x"


def test_plot_param_importances_draws_what_param_importances_returns():
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    from hopt.plotting import plot_param_importances

    figure = plot_param_importances(simple_trials(), space=SIMPLE)
    bars = [p for p in figure.axes[0].patches if p.get_gid() == "importances"]
    widths = sorted((bar.get_width() for bar in bars), reverse=True)
    expected = list(param_importances(simple_trials(), space=SIMPLE).values())
    assert widths == pytest.approx(expected)


# -- what is returned -------------------------------------------------------------------
@BOTH
def test_scores_are_shares_that_sum_to_one_largest_first(evaluator):
    scores = param_importances(simple_trials(), evaluator=evaluator)
    values = list(scores.values())
    assert math.isclose(sum(values), 1.0)
    assert values == sorted(values, reverse=True)
    assert all(v >= 0 for v in values)


@BOTH
def test_unnormalised_scores_are_in_the_same_proportions(evaluator):
    shares = param_importances(simple_trials(), evaluator=evaluator)
    raw = param_importances(simple_trials(), evaluator=evaluator, normalize=False)
    assert list(raw) == list(shares)
    total = sum(raw.values())
    assert total > 0
    for label in shares:
        assert raw[label] / total == pytest.approx(shares[label])


@BOTH
def test_params_picks_labels_and_shares_are_among_them(evaluator):
    scores = param_importances(simple_trials(), evaluator=evaluator, params=["z", "y"])
    assert list(scores) == ["y", "z"]
    assert math.isclose(sum(scores.values()), 1.0)


@BOTH
def test_a_loss_no_label_moves_gives_equal_shares(evaluator):
    scores = param_importances(run(lambda p: 1.0, SIMPLE, max_evals=40), evaluator=evaluator)
    assert scores == {"x": 1 / 3, "y": 1 / 3, "z": 1 / 3}


def test_fanova_is_repeatable_with_a_seed():
    first = param_importances(simple_trials(), evaluator="fanova", seed=3, n_trees=8)
    again = param_importances(simple_trials(), evaluator="fanova", seed=3, n_trees=8)
    assert first == again


def test_a_domain_serves_as_the_space():
    scores = param_importances(simple_trials(), space=Domain(lambda p: 0.0, SIMPLE))
    assert scores == param_importances(simple_trials(), space=SIMPLE)


def test_the_space_decides_how_each_label_is_read():
    space = {
        "c": hp.choice("c", [1, 2]),
        "r": hp.randint("r", 3, 8),
        "big": hp.randint("big", MAX_OPTIONS + 1),
        "lr": hp.loguniform("lr", -5, 0),
        "q": hp.quniform("q", 0, 10, 2),
        "n": hp.normal("n", 0, 1),
    }
    order, scales = label_scales(space, ["n", "q", "lr", "big", "r", "c", "extra"])
    assert order[-1] == "extra"
    assert scales["c"].options == (0.0, 1.0)
    assert scales["r"].options == (3.0, 4.0, 5.0, 6.0, 7.0)
    assert not scales["big"].categorical and scales["big"].step == 1.0
    assert scales["lr"].log and (scales["lr"].low, scales["lr"].high) == (-5, 0)
    assert scales["q"].step == 2.0 and (scales["q"].low, scales["q"].high) == (-1, 11)
    assert not scales["n"].categorical and math.isinf(scales["n"].low)
    assert not scales["extra"].categorical and not scales["extra"].log
    # an option the space does not know becomes one more option
    index = scales["r"].model_values(np.array([3.0, 7.0, np.nan, 9.0]))
    np.testing.assert_array_equal(index, [0.0, 4.0, np.nan, 5.0])


def test_ped_anova_takes_ten_thousand_trials_without_a_model():
    """Hand-made documents (no fmin): only the reading and the densities run."""
    rng = np.random.default_rng(0)
    x, y = rng.uniform(-1, 1, 10_000), rng.uniform(-1, 1, 10_000)
    docs = [
        {
            "tid": i,
            "result": {"status": STATUS_OK, "loss": float(x[i] ** 2)},
            "misc": {"vals": {"x": [float(x[i])], "y": [float(y[i])]}},
        }
        for i in range(10_000)
    ]

    scores = param_importances(Documents(docs))
    assert list(scores) == ["x", "y"]
    assert scores["y"] < 0.01


def test_the_guide_example_prints_what_the_guide_shows(capsys):
    guide = (Path(__file__).resolve().parents[1] / "docs" / "importance.md").read_text()
    code = re.search(r"```python\n(.*?)```", guide, re.S).group(1)
    shown = re.search(r"prints\n\n```text\n(.*?)```", guide, re.S).group(1)
    exec(compile(code, "docs/importance.md", "exec"), {"__name__": "guide"})
    assert capsys.readouterr().out == shown


def test_tree_main_effects_are_exact():
    """Against brute force on the grid of the tree's own cells, where it is constant."""
    from sklearn.tree import DecisionTreeRegressor

    rng = np.random.default_rng(0)
    x = np.column_stack([rng.uniform(-1, 1, 300), rng.integers(0, 4, 300), rng.uniform(0, 2, 300)])
    y = x[:, 0] ** 2 + np.array([0.0, 1.0, 0.2, 0.5])[x[:, 1].astype(int)] * x[:, 2]
    tree = DecisionTreeRegressor(max_depth=7, random_state=0).fit(x, y).tree_
    low, high = np.array([-1.0, -0.5, 0.0]), np.array([1.0, 3.5, 2.0])
    total, effects = tree_main_effects(tree, low, high, [0, 1, 2])
    cells = []  # per feature: (midpoints, weights) of the cells between its thresholds
    for j in range(3):
        cuts = tree.threshold[tree.feature == j]
        edges = np.unique(np.concatenate([[low[j], high[j]], cuts]))
        cells.append(((edges[:-1] + edges[1:]) / 2, np.diff(edges) / (high[j] - low[j])))
    grid = np.stack(np.meshgrid(*[m for m, _ in cells], indexing="ij"), axis=-1)
    weight = np.einsum("i,j,k->ijk", *[w for _, w in cells])
    value = tree.predict(grid.reshape(-1, 3).astype(np.float32)).reshape(weight.shape)
    mean = float((weight * value).sum())
    assert total == pytest.approx(float((weight * (value - mean) ** 2).sum()))
    for j in range(3):
        others = tuple(k for k in range(3) if k != j)
        effect = (weight * value).sum(axis=others) / weight.sum(axis=others)
        assert effects[j] == pytest.approx(float((cells[j][1] * (effect - mean) ** 2).sum()))


def test_options_are_numbered_by_mean_loss_for_the_forest():
    values = np.array([0.0, 1.0, 2.0, np.nan, 1.0, 0.0])
    losses = np.array([5.0, 1.0, 3.0, 9.0, 1.0, 5.0])
    renumbered = options_by_mean_loss(values, losses, 4)  # option 3 never seen: last
    np.testing.assert_array_equal(renumbered, [2.0, 0.0, 1.0, np.nan, 0.0, 2.0])


# -- errors -----------------------------------------------------------------------------
class Documents:
    """Not a Trials: anything whose .trials lists trial documents will do."""

    def __init__(self, docs):
        self.trials = docs


def hand_made(n, losses=None):
    losses = [float(i) for i in range(n)] if losses is None else losses
    return Documents(
        [
            {
                "tid": i,
                "result": {"status": STATUS_OK, "loss": loss},
                "misc": {"vals": {"x": [i / n], "y": [1.0]}},
            }
            for i, loss in enumerate(losses)
        ]
    )


def two_objectives(n=30):
    return hand_made(n, [[float(i), float(-i)] for i in range(n)])


@pytest.mark.parametrize(
    "trials, kwargs, message",
    [
        ([1, 2], {}, "param_importances: trials must be a hopt Trials"),
        (Trials(), {}, "no trial finished with status 'ok'"),
        (hand_made(10), {}, "needs at least 20 finished 'ok' trials with a finite loss; got 10"),
        (hand_made(30), {"evaluator": "fanvoa"}, "unknown evaluator.*Did you mean 'fanova'"),
        (hand_made(30), {"evaluator": None}, r"got evaluator=None. Valid evaluators are"),
        (hand_made(30), {"params": ["xx"]}, r"unknown label in params.*Did you mean 'x'"),
        (hand_made(30), {"params": []}, r"params must name at least one label"),
        (two_objectives(), {}, r"2 objectives, so objective must pick one.*objective=None"),
        (two_objectives(), {"objective": 2}, r"objective is out of range.*2 objectives"),
        (hand_made(30), {"objective": 1}, r"objective is out of range.*1 objective,"),
        (hand_made(30), {"objective": "0"}, r"objective must be an int from 0 to 0"),
        (
            hand_made(30),
            {"target_quantile": 0.5, "region_quantile": 0.4},
            r"0 < target_quantile < region_quantile <= 1.*target_quantile=0.5",
        ),
        (
            hand_made(30),
            {"n_trees": 10},
            r"n_trees is an option of evaluator='fanova', not of evaluator='ped-anova'",
        ),
        (
            hand_made(30),
            {"evaluator": "fanova", "target_quantile": 0.2},
            r"target_quantile is an option of evaluator='ped-anova'",
        ),
        (hand_made(30), {"evaluator": "fanova", "n_trees": 0}, r"n_trees must be an int >= 1"),
        (hand_made(30), {"seed": "a"}, r"seed must be an int or None; got seed='a'"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(trials, kwargs, message):
    with pytest.raises(InvalidArgumentError, match=message):
        param_importances(trials, **kwargs)


def test_a_target_set_of_one_trial_is_refused():
    with pytest.raises(InvalidArgumentError, match=re.escape("selects 1 of the 30")):
        param_importances(hand_made(30), target_quantile=0.02)


def test_too_few_feasible_trials_says_how_many_were_infeasible():
    trials = hand_made(25)
    for doc in trials.trials[:10]:
        doc["result"]["constraints"] = [1.0]
    with pytest.raises(InvalidArgumentError, match="got 15 of 25 trials .10 infeasible left out"):
        param_importances(trials)


def test_fanova_without_scikit_learn_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn.ensemble", None)  # import fails
    with pytest.raises(
        MissingDependencyError,
        match=re.escape(
            "pip install 'hopt[importance]' (in a hopt checkout: pip install -e '.[importance]')"
        ),
    ):
        param_importances(hand_made(30), evaluator="fanova")
