"""plot_slice and plot_contour: what they draw from real fmin runs, read from the artists (Agg)."""

import math

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from hopt import STATUS_OK, Trials, fmin, hp, rand  # noqa: E402
from hopt.exceptions import AllTrialsFailedError, InvalidArgumentError  # noqa: E402
from hopt.plotting import plot_contour, plot_slice  # noqa: E402

SPACE = {
    "lr": hp.loguniform("lr", math.log(1e-4), 0.0),
    "act": hp.choice("act", ["relu", "tanh", "gelu"]),
    "units": hp.uniformint("units", 8, 64),
    "model": hp.choice(
        "model", [{"kind": "svm", "C": hp.uniform("C", 0.0, 10.0)}, {"kind": "tree"}]
    ),
}
LABELS = ["lr", "act", "units", "model", "C"]


def objective(params):
    if params["act"] == "gelu" and params["units"] > 56:
        raise ValueError("too big for gelu")
    penalty = {"relu": 0.0, "tanh": 0.5, "gelu": 0.2}[params["act"]]
    return (math.log10(params["lr"]) + 2) ** 2 + penalty + params["model"].get("C", 1.0) / 10


def two_losses(params):
    return {"loss": [params["lr"], abs(params["units"] - 30) / 10], "status": STATUS_OK}


def run(fn, n=40, seed=0, space=SPACE):
    trials = Trials()
    fmin(fn, space, algo=rand.suggest, max_evals=n, trials=trials, rstate=seed,
         catch_eval_exceptions=True, show_progressbar=False)  # fmt: skip
    return trials


def failed_run(n=3):
    """Trials of a real run whose every trial failed (fmin raises at the end)."""

    def broken(params):
        raise ValueError("always broken")

    trials = Trials()
    with pytest.raises(AllTrialsFailedError):
        fmin(broken, {"x": hp.uniform("x", 0, 1)}, algo=rand.suggest, max_evals=n,
             trials=trials, rstate=0, catch_eval_exceptions=True, show_progressbar=False)  # fmt: skip
    return trials


@pytest.fixture(scope="module")
def trials():
    found = run(objective)
    statuses = found.statuses()
    assert statuses.count("fail") > 0 and statuses.count(STATUS_OK) > 10
    return found


@pytest.fixture(scope="module")
def several():
    return run(two_losses, n=20, seed=1)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def ok_rows(trials, *labels):
    """(position, doc) of the ok trials where every label is active."""
    return [
        (i, t)
        for i, t in enumerate(trials.trials)
        if t["result"]["status"] == STATUS_OK and all(t["misc"]["vals"][lb] for lb in labels)
    ]


def slice_panels(figure):
    return {
        ax.get_label()[len("slice:") :]: ax
        for ax in figure.axes
        if ax.get_label().startswith("slice:")
    }


def by_gid(ax, gid):
    return [c for c in ax.collections if c.get_gid() == gid]


def tick_texts(axis):
    return [t.get_text() for t in axis.get_ticklabels()]


# -- plot_slice ------------------------------------------------------------------------------
def test_slice_has_one_panel_per_label_in_space_order_and_a_trial_colour_bar(trials):
    figure = plot_slice(trials, SPACE)
    assert list(slice_panels(figure)) == LABELS
    colour_bars = [ax for ax in figure.axes if not ax.get_label().startswith("slice:")]
    assert len(colour_bars) == 1 and colour_bars[0].get_ylabel() == "trial"


def test_slice_plots_each_ok_trial_at_its_loss_coloured_by_its_position(trials):
    shown = slice_panels(plot_slice(trials, SPACE))
    for label in LABELS:
        rows = ok_rows(trials, label)
        (points,) = by_gid(shown[label], "trials")
        assert len(points.get_offsets()) == len(rows)
        assert points.get_offsets()[:, 1].tolist() == [t["result"]["loss"] for _, t in rows]
        assert points.get_array().tolist() == [i for i, _ in rows]
        assert shown[label].get_ylabel() == "loss" and shown[label].get_xlabel() == label


def test_slice_log_x_for_log_priors_integer_ticks_for_integer_labels(trials):
    figure = plot_slice(trials, SPACE)
    figure.canvas.draw()
    shown = slice_panels(figure)
    assert shown["lr"].get_xscale() == "log"
    assert all(shown[label].get_xscale() == "linear" for label in LABELS if label != "lr")
    units = [t for t in shown["units"].get_xticks() if 8 <= t <= 64]
    assert len(units) >= 3 and all(float(t).is_integer() for t in units)


def test_slice_names_the_options_of_choices(trials):
    shown = slice_panels(plot_slice(trials, SPACE))
    assert tick_texts(shown["act"].xaxis) == ["relu", "tanh", "gelu"]
    assert tick_texts(shown["model"].xaxis) == ["svm", "tree"]
    (points,) = by_gid(shown["act"], "trials")
    positions = np.round(points.get_offsets()[:, 0])  # jittered around the option's index
    expected = [t["misc"]["vals"]["act"][0] for _, t in ok_rows(trials, "act")]
    assert positions.tolist() == expected


def test_slice_title_of_a_conditional_label_says_where_it_was_active(trials):
    shown = slice_panels(plot_slice(trials, SPACE))
    n_ok, n_active = len(ok_rows(trials)), len(ok_rows(trials, "C"))
    assert n_active < n_ok
    assert shown["C"].get_title() == f"C [uniform]\nactive in {n_active} of {n_ok} ok trials"


def test_slice_without_space_still_puts_whole_numbers_on_integer_ticks(trials):
    figure = plot_slice(trials, labels=["units", "lr"])
    figure.canvas.draw()
    shown = slice_panels(figure)
    assert list(shown) == ["units", "lr"]
    assert shown["lr"].get_xscale() == "linear"  # only the space says a prior is log
    assert all(float(t).is_integer() for t in shown["units"].get_xticks())


def test_slice_of_several_objectives_plots_the_chosen_loss(several):
    shown = slice_panels(plot_slice(several, SPACE, labels=["units"], objective=1))
    (points,) = by_gid(shown["units"], "trials")
    assert points.get_offsets()[:, 1].tolist() == [t["result"]["loss"][1] for t in several.trials]
    assert shown["units"].get_ylabel() == "loss 1"


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        ({}, "the search has 2 objectives (each loss is a list), so objective must pick"),
        ({"objective": 2}, "0 to 1; got objective=2"),
        ({"objective": -1}, "objective must be None or an int >= 0; got objective=-1"),
        ({"objective": "first"}, "got objective='first'"),
    ],
)
def test_slice_of_several_objectives_needs_a_valid_objective(several, kwargs, fragment):
    with pytest.raises(InvalidArgumentError, match="plot_slice") as raised:
        plot_slice(several, SPACE, **kwargs)
    assert fragment in str(raised.value)


def test_objective_of_a_single_objective_search_may_only_be_0(trials):
    assert plot_slice(trials, SPACE, labels=["lr"], objective=0) is not None
    with pytest.raises(
        InvalidArgumentError, match="objective must be None or 0 for a search with one"
    ):
        plot_slice(trials, SPACE, objective=1)


def test_slice_bad_arguments_are_named(trials):
    with pytest.raises(InvalidArgumentError, match="columns must be an int >= 1; got columns=0"):
        plot_slice(trials, SPACE, columns=0)
    with pytest.raises(InvalidArgumentError, match="Did you mean 'units'"):
        plot_slice(trials, SPACE, labels=["unit"])


def test_slice_of_no_trials_or_only_failures_raises():
    with pytest.raises(AllTrialsFailedError, match="holds no trials"):
        plot_slice(Trials())
    with pytest.raises(AllTrialsFailedError, match="ValueError: always broken"):
        plot_slice(failed_run())


# -- plot_contour ----------------------------------------------------------------------------
def test_contour_fills_between_the_trials_and_marks_them_and_the_best(trials):
    figure = plot_contour(trials, "lr", "units", space=SPACE)
    ax = figure.axes[0]
    assert len(by_gid(ax, "contour")) == 1
    rows = ok_rows(trials, "lr", "units")
    (points,) = by_gid(ax, "trials")
    assert len(points.get_offsets()) == len(rows)
    losses = [t["result"]["loss"] for _, t in rows]
    best = rows[int(np.argmin(losses))][1]
    (star,) = by_gid(ax, "best")
    assert star.get_offsets()[0].tolist() == pytest.approx(
        [best["misc"]["vals"]["lr"][0], best["misc"]["vals"]["units"][0]]
    )
    assert figure.axes[1].get_ylabel() == "loss"  # the colour bar
    assert ax.get_title() == "loss over lr and units"


def test_contour_axes_are_log_for_log_priors_and_integer_for_integer_labels(trials):
    figure = plot_contour(trials, "lr", "units", space=SPACE)
    figure.canvas.draw()
    ax = figure.axes[0]
    assert (ax.get_xscale(), ax.get_yscale()) == ("log", "linear")
    assert all(float(t).is_integer() for t in ax.get_yticks())
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("lr", "units")


def test_contour_puts_choice_options_at_their_positions_and_names_them(trials):
    ax = plot_contour(trials, "act", "lr", space=SPACE).axes[0]
    assert tick_texts(ax.xaxis) == ["relu", "tanh", "gelu"]
    assert ax.get_xlim() == (-0.5, 2.5)
    assert ax.get_yscale() == "log"
    (points,) = by_gid(ax, "trials")
    rows = ok_rows(trials, "act", "lr")
    assert points.get_offsets()[:, 0].tolist() == [t["misc"]["vals"]["act"][0] for _, t in rows]


def test_contour_of_a_conditional_label_uses_the_trials_where_both_are_active(trials):
    ax = plot_contour(trials, "C", "lr", space=SPACE).axes[0]
    (points,) = by_gid(ax, "trials")
    assert len(points.get_offsets()) == len(ok_rows(trials, "C", "lr"))


def test_contour_with_too_few_points_draws_only_the_points():
    space = {"x": hp.uniform("x", 0, 1), "y": hp.uniform("y", 0, 1)}
    few = run(lambda p: p["x"] + p["y"], n=2, space=space)
    ax = plot_contour(few, "x", "y").axes[0]
    assert by_gid(ax, "contour") == [] and len(by_gid(ax, "trials")[0].get_offsets()) == 2
    assert "too few distinct points" in " ".join(t.get_text() for t in ax.texts)


def test_contour_of_several_objectives_colours_by_the_chosen_loss(several):
    figure = plot_contour(several, "lr", "units", space=SPACE, objective=0)
    assert figure.axes[1].get_ylabel() == "loss 0"
    with pytest.raises(InvalidArgumentError, match="plot_contour: the search has 2 objectives"):
        plot_contour(several, "lr", "units", space=SPACE)


@pytest.mark.parametrize(
    "args, kwargs, fragment",
    [
        (("lr", "lr"), {}, "x and y must be two different labels; got x='lr', y='lr'"),
        (("lr", "unit"), {}, "y must be a label of the trials; got y='unit'. Valid labels are"),
        (("lrr", "units"), {}, "Did you mean 'lr'?"),
        (("lr", "units"), {"levels": 1}, "levels must be an int >= 2; got levels=1"),
        (("lr", "units"), {"resolution": 1.5}, "resolution must be an int >= 2"),
    ],
)
def test_contour_bad_arguments_are_named(trials, args, kwargs, fragment):
    with pytest.raises(InvalidArgumentError, match="plot_contour") as raised:
        plot_contour(trials, *args, space=SPACE, **kwargs)
    assert fragment in str(raised.value)
