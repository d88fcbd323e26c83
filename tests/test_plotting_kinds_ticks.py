"""Plots name each label by the hp function that declared it, put whole-number ticks on
integer axes, and keep the parallel-coordinates plot's option names readable (Agg)."""

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from hopt import Trials, fmin, hp, rand  # noqa: E402
from hopt.plotting import (  # noqa: E402
    main_plot_vars,
    plot_contour,
    plot_history,
    plot_loss_histogram,
    plot_parallel_coordinates,
    plot_params,
    plot_slice,
)
from hopt.pyll import scope  # noqa: E402

SPACE = {
    "depth": hp.uniformint("depth", 1, 4),
    "k": scope.int(hp.uniform("k", 1, 4)),
    "q": hp.quniform("q", 1, 4, 1),
    "n": hp.randint("n", 0, 40),  # more options than strips: a numeric axis
    "lr": hp.uniform("lr", 0.0, 1.0),
    "act": hp.choice("act", ["relu", "tanh", "gelu"]),
    "w": hp.pchoice("w", [(0.2, "small"), (0.8, "large")]),
    "big": hp.uniformint("big", 1000, 123456),
}
#: the title each label gets with the space: what the user wrote, not the sampler node
TITLES = {
    "depth": "depth [uniformint]",  # the graph holds int(quniform(1, 4, q=1))
    "k": "k [int(uniform)]",
    "q": "q [quniform]",
    "n": "n [randint]",
    "lr": "lr [uniform]",
    "act": "act [choice]",  # the graph holds a categorical index
    "w": "w [pchoice]",
    "big": "big [uniformint]",
}
INTEGER_LABELS = ["depth", "k", "q", "n", "big"]


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def trials():
    trials = Trials()
    fmin(
        lambda p: p["lr"] + p["depth"] + p["k"] / 10 + p["n"] / 100,
        SPACE,
        algo=rand.suggest,
        max_evals=15,
        trials=trials,
        rstate=3,
        show_progressbar=False,
    )
    return trials


def titled_axes(figure):
    return {ax.get_title().split("\n")[0]: ax for ax in figure.axes if ax.get_title()}


def assert_whole(ticks, where):
    ticks = np.asarray(ticks, dtype=float)
    assert ticks.size >= 2, where
    assert np.all(ticks == np.round(ticks)), f"{where}: ticks {ticks.tolist()}"


@pytest.mark.parametrize("plot", [plot_params, plot_slice], ids=["params", "slice"])
def test_titles_name_the_hp_function_that_declared_each_label(trials, plot):
    assert set(titled_axes(plot(trials, SPACE))) == set(TITLES.values())


@pytest.mark.parametrize("plot", [plot_params, plot_slice], ids=["params", "slice"])
def test_without_the_space_titles_name_only_the_label(trials, plot):
    # the trials do not record which hp function made a value: no kind is guessed
    assert set(titled_axes(plot(trials))) == set(TITLES)


@pytest.mark.parametrize("versus", ["loss", "trial"])
def test_integer_labels_get_whole_number_ticks_in_plot_params(trials, versus):
    shown = titled_axes(plot_params(trials, SPACE, versus=versus))
    for label in INTEGER_LABELS:
        ax = shown[TITLES[label]]
        value_axis = ax.xaxis if versus == "loss" else ax.yaxis
        assert_whole(value_axis.get_majorticklocs(), label)
        if versus == "trial":  # trial numbers are whole too
            assert_whole(ax.xaxis.get_majorticklocs(), f"{label}: trial axis")


def test_integer_labels_get_whole_number_ticks_in_plot_slice_and_contour(trials):
    shown = titled_axes(plot_slice(trials, SPACE))
    for label in INTEGER_LABELS:
        assert_whole(shown[TITLES[label]].get_xticks(), label)
    ax = plot_contour(trials, "k", "depth", space=SPACE).axes[0]
    assert_whole(ax.get_xticks(), "contour k")
    assert_whole(ax.get_yticks(), "contour depth")


@pytest.mark.parametrize("n_trials", [4, 12])
def test_trial_and_count_axes_get_whole_number_ticks(n_trials):
    # with 4 trials matplotlib's own ticks were 0.5 apart on the history's trial axis and
    # on the histogram's count axis; with 12, 2.5 apart on main_plot_vars' trial axes
    trials = Trials()
    space = {"x": hp.uniform("x", 0, 1), "depth": hp.uniformint("depth", 1, 12)}
    fmin(lambda p: p["x"], space, algo=rand.suggest, max_evals=n_trials, trials=trials,
         rstate=0, show_progressbar=False)  # fmt: skip
    assert_whole(plot_history(trials).axes[0].get_xticks(), "history: trial axis")
    assert_whole(plot_loss_histogram(trials).axes[0].get_yticks(), "histogram: count axis")
    plt.figure()
    main_plot_vars(trials, do_show=False, space=space)
    for ax in plt.gcf().axes:
        if ax.get_title():
            assert_whole(ax.xaxis.get_majorticklocs(), f"main_plot_vars {ax.get_title()}")


def test_parallel_coordinates_show_integer_bounds_as_whole_numbers(trials):
    ax = plot_parallel_coordinates(trials, SPACE, labels=["k", "big"], top_k=5).axes[0]
    bounds = [t.get_text() for t in ax.texts if t.get_gid() == "tick"]
    assert len(bounds) == 4 and all(text.isdigit() for text in bounds), bounds  # not 1.23e+05


def test_parallel_coordinates_draw_option_names_above_the_lines_on_a_box(trials):
    ax = plot_parallel_coordinates(trials, SPACE, labels=["act", "lr", "w"], top_k=10).axes[0]
    names = [t for t in ax.texts if t.get_gid() == "tick"]
    assert {"relu", "tanh", "gelu", "small", "large"} <= {t.get_text() for t in names}
    top_line = max(line.get_zorder() for line in ax.lines)
    for text in names:
        assert text.get_zorder() > top_line, text.get_text()
        box = text.get_bbox_patch()
        assert box is not None and box.get_facecolor()[:3] == (1.0, 1.0, 1.0), text.get_text()
        assert box.get_alpha() >= 0.8
