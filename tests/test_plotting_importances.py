"""plot_param_importances: bars from a mapping, or from trials through hopt.importance."""

import math
import sys
import types
from collections import OrderedDict

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from hopt import STATUS_OK, Trials, fmin, hp, rand  # noqa: E402
from hopt.exceptions import (  # noqa: E402
    AllTrialsFailedError,
    InvalidArgumentError,
    MissingDependencyError,
)
from hopt.plotting import plot_param_importances  # noqa: E402

SPACE = {
    "lr": hp.loguniform("lr", math.log(1e-4), 0.0),
    "act": hp.choice("act", ["relu", "tanh"]),
    "noise": hp.uniform("noise", 0, 1),
}


def objective(params):
    return (math.log10(params["lr"]) + 2) ** 2 + 0.1 * (params["act"] == "tanh")


def run(fn, n=30):
    trials = Trials()
    fmin(fn, SPACE, algo=rand.suggest, max_evals=n, trials=trials, rstate=2,
         show_progressbar=False)  # fmt: skip
    return trials


@pytest.fixture(scope="module")
def trials():
    return run(objective)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def bars(ax):
    """(label, width) of each bar from the top of the plot down."""
    rectangles = [p for p in ax.patches if p.get_gid() == "importances"]
    names = {tick: text.get_text() for tick, text in zip(ax.get_yticks(), ax.get_yticklabels())}
    ordered = sorted(rectangles, key=lambda r: -(r.get_y() + r.get_height() / 2))
    return [(names[round(r.get_y() + r.get_height() / 2)], r.get_width()) for r in ordered]


def value_labels(ax):
    return [t.get_text() for t in ax.texts]


def test_bars_are_sorted_with_the_most_important_on_top_and_labelled():
    scores = {"noise": 0.05, "lr": 0.6, "units": 0.25, "act": 0.1}
    ax = plot_param_importances(scores).axes[0]
    assert bars(ax) == [("lr", 0.6), ("units", 0.25), ("act", 0.1), ("noise", 0.05)]
    # bar_label writes each value at the end of its bar, in the order the bars were drawn
    assert sorted(value_labels(ax)) == ["0.05", "0.1", "0.25", "0.6"]
    assert ax.get_xlabel() == "importance" and ax.get_title() == "Hyperparameter importances"


def test_any_mapping_of_numbers_works_and_ties_keep_their_order():
    scores = OrderedDict([("b", np.float64(0.5)), ("a", 0.5), ("c", np.int64(1))])
    ax = plot_param_importances(scores).axes[0]
    assert [name for name, _ in bars(ax)] == ["c", "b", "a"]


def test_top_keeps_the_most_important_and_says_so():
    ax = plot_param_importances({"a": 0.1, "b": 0.7, "c": 0.2}, top=2).axes[0]
    assert [name for name, _ in bars(ax)] == ["b", "c"]
    assert ax.get_title() == "Hyperparameter importances (top 2 of 3)"


def test_draws_into_given_axes():
    figure, ax = plt.subplots()
    assert plot_param_importances({"a": 1.0}, ax=ax) is figure
    assert bars(ax) == [("a", 1.0)]


@pytest.mark.parametrize(
    "importances, kwargs, fragment",
    [
        ({}, {}, "importances must hold at least one label; got importances={}"),
        ({"lr": float("nan")}, {}, "every importance must be a finite number; got importances['lr']=nan"),
        ({"lr": "high"}, {}, "got importances['lr']='high'"),
        ({"lr": True}, {}, "got importances['lr']=True"),
        ([0.5, 0.5], {}, "importances must be a mapping label -> score or a Trials object"),
        ({"lr": 1.0}, {"evaluator": "ped-anova"}, "evaluator applies only when importances are computed from trials; got evaluator='ped-anova'"),
        ({"lr": 1.0}, {"objective": 1}, "got objective=1 with a mapping"),
        ({"lr": 1.0}, {"space": {}}, "space applies only when importances are computed"),
        ({"lr": 1.0}, {"top": 0}, "top must be None or an int >= 1; got top=0"),
    ],
)  # fmt: skip
def test_bad_arguments_are_named(importances, kwargs, fragment):
    with pytest.raises(InvalidArgumentError, match="plot_param_importances") as raised:
        plot_param_importances(importances, **kwargs)
    assert fragment in str(raised.value)


# -- from trials, through hopt.importance (imported only when needed) ------------------------
@pytest.fixture
def fake_importance(monkeypatch):
    """A stand-in hopt.importance that records its calls (the real one may not be there)."""
    calls = []

    def param_importances(trials, *, evaluator="ped-anova", objective=None, space=None):
        calls.append(
            {"trials": trials, "evaluator": evaluator, "objective": objective, "space": space}
        )
        return {"lr": 0.8, "noise": 0.05, "act": 0.15}

    module = types.ModuleType("hopt.importance")
    module.param_importances = param_importances
    monkeypatch.setitem(sys.modules, "hopt.importance", module)
    return calls


def test_trials_are_passed_to_hopt_importance_with_the_given_options(trials, fake_importance):
    ax = plot_param_importances(trials, evaluator="fanova", space=SPACE).axes[0]
    assert [name for name, _ in bars(ax)] == ["lr", "act", "noise"]
    assert fake_importance == [
        {"trials": trials, "evaluator": "fanova", "objective": None, "space": SPACE}
    ]
    plot_param_importances(trials)  # options not given keep hopt.importance's defaults
    assert fake_importance[1]["evaluator"] == "ped-anova"


def test_an_option_hopt_importance_does_not_take_is_named(trials, monkeypatch):
    module = types.ModuleType("hopt.importance")
    module.param_importances = lambda trials: {"lr": 1.0}
    monkeypatch.setitem(sys.modules, "hopt.importance", module)
    with pytest.raises(InvalidArgumentError, match="param_importances takes no space; got space="):
        plot_param_importances(trials, space=SPACE)


def test_several_objectives_need_objective_which_is_passed_on(fake_importance):
    several = run(lambda p: {"loss": [p["lr"], p["noise"]], "status": STATUS_OK}, n=8)
    with pytest.raises(
        InvalidArgumentError, match="the search has 2 objectives .* got objective=None"
    ):
        plot_param_importances(several)
    with pytest.raises(InvalidArgumentError, match="0 to 1; got objective=2"):
        plot_param_importances(several, objective=2)
    with pytest.raises(InvalidArgumentError, match="must be None or 0 for a search with one"):
        plot_param_importances(run(objective, n=3), objective=1)
    assert fake_importance == []
    plot_param_importances(several, objective=1)
    assert fake_importance[0]["objective"] == 1


def test_trials_where_nothing_finished_raise_before_computing(fake_importance):
    with pytest.raises(AllTrialsFailedError, match="holds no trials"):
        plot_param_importances(Trials())
    assert fake_importance == []


def test_without_hopt_importance_the_error_says_to_pass_a_mapping(trials, monkeypatch):
    monkeypatch.setitem(sys.modules, "hopt.importance", None)  # makes the import fail
    with pytest.raises(MissingDependencyError, match="pass a mapping label -> importance"):
        plot_param_importances(trials)


def test_with_the_real_hopt_importance_every_label_gets_a_bar(trials):
    importance = pytest.importorskip("hopt.importance")
    expected = importance.param_importances(trials, space=SPACE)
    ax = plot_param_importances(trials, space=SPACE).axes[0]
    assert sorted(name for name, _ in bars(ax)) == sorted(expected)
    widths = [width for _, width in bars(ax)]
    assert widths == sorted(widths, reverse=True)
