"""hopt.plotting: what each plot draws, checked on the matplotlib artists (Agg backend)."""

import json
import math
import pickle
import re
import subprocess
import sys

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.colors import to_rgba  # noqa: E402

from hopt import STATUS_FAIL, STATUS_OK, Trials, fmin, generate_trials_to_calculate, hp, rand  # noqa: E402
from hopt._types import JOB_STATE_DONE  # noqa: E402
from hopt.exceptions import (  # noqa: E402
    AllTrialsFailedError,
    InvalidArgumentError,
    MissingDependencyError,
)
from hopt.plotting import (  # noqa: E402
    main_plot_1D_attachment,
    main_plot_histogram,
    main_plot_history,
    main_plot_vars,
    plot_history,
    plot_loss_histogram,
    plot_parallel_coordinates,
    plot_params,
)
from hopt.plotting._backend import DEFAULT_STATUS_COLORS  # noqa: E402
from hopt.plotting.parallel import INACTIVE_HEIGHT  # noqa: E402

SPACE = {
    "lr": hp.loguniform("lr", math.log(1e-4), 0.0),
    "act": hp.choice("act", ["relu", "tanh", "gelu"]),
    "model": hp.choice(
        "model",
        [{"kind": "svm", "C": hp.uniform("C", 0.0, 10.0)}, {"kind": "tree", "depth": 3}],
    ),
}


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def trials_from_rows(rows):
    """Trials from (status, loss, vals) rows; vals maps label -> value, None = inactive."""
    trials = Trials()
    docs = []
    for tid, (status, loss, vals) in enumerate(rows):
        result = {"status": status}
        if loss is not None:
            result["loss"] = loss
        misc = {
            "tid": tid,
            "cmd": None,
            "workdir": None,
            "idxs": {k: ([] if v is None else [tid]) for k, v in vals.items()},
            "vals": {k: ([] if v is None else [v]) for k, v in vals.items()},
        }
        (doc,) = trials.new_trial_docs([tid], [None], [result], [misc])
        doc["state"] = JOB_STATE_DONE
        docs.append(doc)
    trials.insert_trial_docs(docs)
    trials.refresh()
    return trials


def point(lr, act, model, C=None):
    return {"lr": lr, "act": act, "model": model, "C": C if model == 0 else None}


# 8 trials: 5 ok, 2 failed, 1 ok with an infinite loss; "C" active only when model == 0
ROWS = [
    (STATUS_OK, 5.0, point(1e-3, 0, 0, 1.0)),
    (STATUS_FAIL, None, point(1e-2, 1, 1)),
    (STATUS_OK, 3.0, point(1e-1, 2, 1)),
    (STATUS_OK, 4.0, point(1e-4, 1, 0, 2.0)),
    (STATUS_FAIL, None, point(0.5, 0, 0, 3.0)),
    (STATUS_OK, 1.0, point(2e-2, 0, 0, 4.0)),
    (STATUS_OK, float("inf"), point(1e-3, 1, 1)),
    (STATUS_OK, 2.0, point(3e-3, 2, 1)),
]
OK_LOSSES = [5.0, 3.0, 4.0, 1.0, 2.0]


@pytest.fixture
def trials():
    return trials_from_rows(ROWS)


def panels(figure):
    return {
        ax.get_label()[len("param:") :]: ax
        for ax in figure.axes
        if ax.get_label().startswith("param:")
    }


def collection(ax, gid):
    (found,) = [c for c in ax.collections if c.get_gid() == gid]
    return found


def line(ax, gid):
    (found,) = [ln for ln in ax.lines if ln.get_gid() == gid]
    return found


# -- loss history -------------------------------------------------------------------------
def test_history_plots_one_point_per_ok_trial_at_its_loss(trials):
    ax = plot_history(trials).axes[0]
    offsets = np.asarray(ax.collections[0].get_offsets())
    assert offsets[:, 1].tolist() == OK_LOSSES
    assert offsets[:, 0].tolist() == [0, 2, 3, 5, 7]  # positions in trial order


def test_history_running_best_never_increases_and_ends_at_the_best_loss(trials):
    best = line(plot_history(trials).axes[0], "running_best")
    y = np.asarray(best.get_ydata())
    assert np.all(np.diff(y) <= 0)
    assert y[-1] == min(OK_LOSSES)
    assert best.get_xdata()[-1] == len(ROWS) - 1  # carried to the last trial


def test_history_draws_failed_and_infinite_loss_trials_separately_along_the_top(trials):
    ax = plot_history(trials).axes[0]
    failed, infinite = line(ax, "failed"), line(ax, "nan_loss")
    assert list(failed.get_xdata()) == [1, 4]
    assert list(infinite.get_xdata()) == [6]
    # y in axes coordinates, so the markers sit at the top whatever the loss range
    assert failed.get_transform() == ax.get_xaxis_transform()
    assert set(failed.get_ydata()) == {0.96}
    # failed trials in the fail colour, the ok ones (the scatter) in the ok colour
    assert to_rgba(failed.get_color()) == to_rgba(DEFAULT_STATUS_COLORS["fail"])
    assert tuple(ax.collections[0].get_facecolor()[0]) == to_rgba(DEFAULT_STATUS_COLORS["ok"])


def test_history_status_colors_override_the_failed_colour(trials):
    ax = plot_history(trials, status_colors={"fail": "magenta"}).axes[0]
    assert line(ax, "failed").get_color() == "magenta"


def test_history_of_only_failed_trials_still_shows_the_failures():
    trials = trials_from_rows([(STATUS_FAIL, None, {"x": 1.0})] * 3)
    ax = plot_history(trials).axes[0]
    assert len(line(ax, "failed").get_xdata()) == 3
    assert not ax.collections
    assert any("no trial finished ok" in t.get_text() for t in ax.texts)


def test_history_draws_into_given_axes(trials):
    figure, ax = plt.subplots()
    assert plot_history(trials, ax=ax) is figure
    assert len(ax.collections) == 1


# -- histogram ------------------------------------------------------------------------------
def test_histogram_counts_exactly_the_ok_finite_losses(trials):
    ax = plot_loss_histogram(trials).axes[0]
    assert sum(patch.get_height() for patch in ax.patches) == len(OK_LOSSES)
    best = [ln for ln in ax.lines if list(ln.get_xdata()) == [1.0, 1.0]]
    assert len(best) == 1  # the vertical line at the best loss
    assert any("3 failed/unfinished/NaN not shown" in t.get_text() for t in ax.get_legend().texts)


# -- nothing to plot ------------------------------------------------------------------------
PLOTS = [plot_history, plot_loss_histogram, plot_params, plot_parallel_coordinates]


@pytest.mark.parametrize("plot", PLOTS, ids=lambda f: f.__name__)
def test_empty_trials_raise_a_named_error_saying_to_run_fmin(plot):
    with pytest.raises(
        AllTrialsFailedError, match=rf"{plot.__name__}: the trials object holds no trials.*fmin"
    ):
        plot(Trials())


@pytest.mark.parametrize("plot", PLOTS[1:], ids=lambda f: f.__name__)
def test_all_failed_trials_raise_and_quote_the_first_failure(plot):
    result = {"status": STATUS_FAIL, "error": {"type": "ValueError", "message": "bad lr"}}
    trials = trials_from_rows([(STATUS_FAIL, None, {"x": 1.0})])
    trials.trials[0]["result"] = result
    with pytest.raises(AllTrialsFailedError) as raised:
        plot(trials)
    message = str(raised.value)
    assert "none of the 1 trials finished with status 'ok'" in message
    assert "1 failed" in message and "tid 0: ValueError: bad lr" in message


# -- parameters against loss ------------------------------------------------------------
def test_params_draw_one_panel_per_label_in_space_order(trials):
    figure = plot_params(trials, SPACE)
    assert list(panels(figure)) == ["lr", "act", "model", "C"]


def test_params_plot_each_ok_trial_where_the_label_is_active(trials):
    shown = panels(plot_params(trials, SPACE))
    assert len(collection(shown["lr"], "trials").get_offsets()) == len(OK_LOSSES)
    # C is active in ok trials 0, 3 and 5 only
    c_points = np.asarray(collection(shown["C"], "trials").get_offsets())
    assert sorted(c_points[:, 1].tolist()) == [1.0, 4.0, 5.0]
    assert sorted(c_points[:, 0].tolist()) == [1.0, 2.0, 4.0]
    assert "active in 3 of 5 ok trials" in shown["C"].get_title()
    assert "active in" not in shown["lr"].get_title()


def test_params_categorical_panels_are_strips_named_after_the_options(trials):
    shown = panels(plot_params(trials, SPACE))
    act = shown["act"]
    assert [t.get_text() for t in act.get_xticklabels()] == ["relu", "tanh", "gelu"]
    assert [t.get_text() for t in shown["model"].get_xticklabels()] == ["svm", "tree"]
    x = np.asarray(collection(act, "trials").get_offsets())[:, 0]
    options = np.array([0, 2, 1, 0, 2])  # act of the ok trials
    assert np.all(np.abs(x - options) <= 0.2)  # jittered around the option's slot
    assert not np.all(x == options)


def test_params_use_a_log_axis_for_log_priors_only(trials):
    shown = panels(plot_params(trials, SPACE))
    assert shown["lr"].get_xscale() == "log"
    assert shown["C"].get_xscale() == "linear"


def test_params_without_space_guess_choices_from_whole_number_values(trials):
    shown = panels(plot_params(trials))
    assert sorted(shown) == ["C", "act", "lr", "model"]
    assert [t.get_text() for t in shown["act"].get_xticklabels()] == ["0", "1", "2"]
    assert shown["lr"].get_xscale() == "linear"


def test_params_versus_trial_put_values_on_y_with_a_loss_colorbar(trials):
    figure = plot_params(trials, SPACE, versus="trial")
    act = panels(figure)["act"]
    assert [t.get_text() for t in act.get_yticklabels()] == ["relu", "tanh", "gelu"]
    x = np.asarray(collection(act, "trials").get_offsets())[:, 0]
    assert x.tolist() == [0, 2, 3, 5, 7]
    assert len(figure.axes) == 4 + 1  # panels and the colorbar


def test_params_ring_the_best_trials(trials):
    shown = panels(plot_params(trials, SPACE, highlight_best=2))
    rings = np.asarray(collection(shown["lr"], "best").get_offsets())
    assert sorted(rings[:, 1].tolist()) == [1.0, 2.0]


def test_params_labels_selects_panels(trials):
    assert list(panels(plot_params(trials, SPACE, labels=["C", "lr"]))) == ["C", "lr"]


def test_unknown_label_lists_the_valid_ones_and_the_near_miss(trials):
    with pytest.raises(InvalidArgumentError) as raised:
        plot_params(trials, SPACE, labels=["lr", "ac"])
    message = str(raised.value)
    assert "plot_params: unknown label" in message and "'ac'" in message
    assert "['lr', 'act', 'model', 'C']" in message and "Did you mean 'act'?" in message


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        ({"versus": "time"}, "versus must be one of ['loss', 'trial']; got versus='time'"),
        ({"columns": 0}, "columns must be an int >= 1; got columns=0"),
        (
            {"highlight_best": -1},
            "plot_params: highlight_best must be None or an int >= 0; got highlight_best=-1. "
            "It is how many of the best trials to ring.",
        ),
    ],
)
def test_params_bad_arguments_are_named(trials, kwargs, fragment):
    with pytest.raises(InvalidArgumentError, match=re.escape(fragment)):
        plot_params(trials, SPACE, **kwargs)


# -- parallel coordinates -------------------------------------------------------------------
def trial_lines(ax):
    return [ln for ln in ax.lines if str(ln.get_gid()).startswith("trial:")]


def test_parallel_coordinates_have_one_axis_per_label_and_one_line_per_best_trial(trials):
    ax = plot_parallel_coordinates(trials, SPACE, top_k=3).axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["lr", "act", "model", "C"]
    lines = trial_lines(ax)
    assert sorted(ln.get_gid() for ln in lines) == ["trial:2", "trial:5", "trial:7"]
    assert all(len(ln.get_ydata()) == 4 for ln in lines)
    # the best trial is drawn last, on top, and thickest
    assert lines[-1].get_gid() == "trial:5"
    assert lines[-1].get_linewidth() > lines[0].get_linewidth()


def test_parallel_coordinates_best_fraction_rounds_up(trials):
    ax = plot_parallel_coordinates(trials, SPACE, best_fraction=0.3).axes[0]
    assert len(trial_lines(ax)) == math.ceil(0.3 * len(OK_LOSSES))


def test_parallel_coordinates_scale_axes_to_unit_range_log_for_log_priors(trials):
    ax = plot_parallel_coordinates(trials, SPACE, top_k=5).axes[0]
    heights = {ln.get_gid(): np.asarray(ln.get_ydata()) for ln in trial_lines(ax)}
    # lr of ok trials spans 1e-4 .. 1e-1; trial 0 has lr=1e-3: one of three decades
    assert heights["trial:0"][0] == pytest.approx(1 / 3)
    # act: relu, tanh, gelu at 0, 0.5, 1; trial 2 chose gelu
    assert heights["trial:2"][1] == 1.0
    # C is inactive in trial 2, so its line passes below the axis
    assert heights["trial:2"][3] == INACTIVE_HEIGHT
    assert all(np.all(((h >= 0) & (h <= 1)) | (h == INACTIVE_HEIGHT)) for h in heights.values())


def test_parallel_coordinates_name_the_options_on_categorical_axes(trials):
    ax = plot_parallel_coordinates(trials, SPACE, top_k=5).axes[0]
    texts = [t.get_text() for t in ax.texts]
    assert {"relu", "tanh", "gelu", "svm", "tree", "inactive"} <= set(texts)


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        (
            {"best_fraction": 0},
            "best_fraction must be a number in (0, 1]; got best_fraction=0. Use top_k=N",
        ),
        (
            {"best_fraction": "half"},
            "best_fraction must be a number in (0, 1]; got best_fraction='half'",
        ),
        ({"top_k": 0}, "top_k must be an int >= 1; got top_k=0"),
        ({"labels": ["nope"]}, "unknown label"),
    ],
)
def test_parallel_coordinates_bad_arguments_are_named(trials, kwargs, fragment):
    with pytest.raises(InvalidArgumentError, match=re.escape(fragment)):
        plot_parallel_coordinates(trials, SPACE, **kwargs)


# -- Hyperopt's names ------------------------------------------------------------------------
@pytest.fixture
def show_calls(monkeypatch):
    calls = []
    monkeypatch.setattr(plt, "show", lambda *a, **k: calls.append(1))
    return calls


@pytest.mark.parametrize("do_show", [True, False])
def test_main_plot_functions_draw_into_the_current_figure_and_show_on_request(
    trials, show_calls, do_show
):
    for function in (main_plot_history, main_plot_histogram, main_plot_vars):
        figure = plt.figure()
        assert function(trials, do_show=do_show) is None
        assert figure.axes  # drawn into pyplot's current figure
    assert len(show_calls) == (3 if do_show else 0)


def test_main_plot_vars_keeps_hyperopt_meanings(trials, show_calls):
    plt.figure()
    main_plot_vars(trials, do_show=False, colorize_best=2, columns=2, space=SPACE)
    shown = panels(plt.gcf())
    lr = shown["lr"]
    assert lr.get_xlabel() == "trial" and lr.get_yscale() == "log"  # value over the trials
    assert len(collection(lr, "best").get_offsets()) == 2
    assert lr.get_subplotspec().get_gridspec().ncols == 2
    plt.figure()
    main_plot_vars(trials, do_show=False, arrange_by_loss=True)
    assert panels(plt.gcf())["lr"].get_ylabel() == "loss"


def test_counts_may_be_numpy_ints_and_errors_name_the_function_called(trials, show_calls):
    plt.figure()
    main_plot_vars(trials, do_show=False, colorize_best=np.int64(2), columns=np.int64(2))
    assert len(collection(panels(plt.gcf())["lr"], "best").get_offsets()) == 2
    with pytest.raises(InvalidArgumentError, match=r"^main_plot_vars: colorize_best must"):
        main_plot_vars(trials, do_show=False, colorize_best=-1)
    with pytest.raises(InvalidArgumentError, match=r"^main_plot_vars: columns must"):
        main_plot_vars(trials, do_show=False, columns=0)


def test_main_plot_history_passes_title(trials, show_calls):
    plt.figure()
    main_plot_history(trials, do_show=False, title="mine")
    assert plt.gca().get_title() == "mine"


# -- dependencies ----------------------------------------------------------------------------
def test_missing_matplotlib_says_what_to_install(trials, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(
        MissingDependencyError,
        match=re.escape("pip install 'hopt[plot]' (in a hopt checkout: pip install -e '.[plot]')"),
    ):
        plot_history(trials)


def test_importing_hopt_plotting_does_not_import_matplotlib():
    code = "import sys, json, hopt.plotting; print(json.dumps('matplotlib' in sys.modules))"
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert json.loads(output.stdout) is False


# -- a real search ---------------------------------------------------------------------------
NESTED_SPACE = {
    "lr": hp.loguniform("lr", -8, 0),
    "model": hp.choice(
        "model",
        [
            {"kind": "svm", "C": hp.lognormal("C", 0, 1)},
            {
                "kind": "forest",
                "trees": hp.choice("trees", [{"n": 10}, {"n": hp.randint("n", 20, 25)}]),
            },
        ],
    ),
}


def objective(params):
    model = params["model"]
    if model["kind"] == "forest" and model["trees"]["n"] == 24:
        raise ValueError("24 trees are unlucky")
    return {"loss": abs(math.log(params["lr"]) + 3) + model.get("C", 1.0), "status": STATUS_OK}


def test_plots_of_a_real_fmin_run_with_a_nested_conditional_space():
    trials = Trials()
    fmin(objective, NESTED_SPACE, algo=rand.suggest, max_evals=40, trials=trials, rstate=3,
         catch_eval_exceptions=True, show_progressbar=False)  # fmt: skip
    statuses = trials.statuses()
    n_ok, n_failed = statuses.count(STATUS_OK), statuses.count(STATUS_FAIL)
    assert n_ok > 0 and n_failed > 0

    history = plot_history(trials).axes[0]
    assert len(history.collections[0].get_offsets()) == n_ok
    assert len(line(history, "failed").get_xdata()) == n_failed

    shown = panels(plot_params(trials, NESTED_SPACE))
    assert list(shown) == ["lr", "model", "C", "trees", "n"]
    assert [t.get_text() for t in shown["model"].get_xticklabels()] == ["svm", "forest"]
    assert [t.get_text() for t in shown["trees"].get_xticklabels()] == ["n=10", "n=<n>"]
    assert [t.get_text() for t in shown["n"].get_xticklabels()] == ["20", "21", "22", "23", "24"]
    for label in ("C", "trees", "n"):
        active_ok = sum(
            1
            for t in trials.trials
            if t["result"]["status"] == STATUS_OK and t["misc"]["vals"][label]
        )
        drawn = [c for c in shown[label].collections if c.get_gid() == "trials"]
        assert sum(len(c.get_offsets()) for c in drawn) == active_ok
        assert f"active in {active_ok} of {n_ok} ok trials" in shown[label].get_title()

    parallel = plot_parallel_coordinates(trials, NESTED_SPACE).axes[0]
    assert len(parallel.get_xticks()) == 5
    assert len(trial_lines(parallel)) == math.ceil(0.1 * n_ok)


# -- 1-D attachments (Hyperopt's main_plot_1D_attachment) ---------------------------------
def curve_trials(n=6):
    """fmin over x; each trial attaches a pickled learning curve of 5 points ending at x**2."""

    def objective(x):
        curve = pickle.dumps(np.linspace(10.0, x * x, 5))
        return {"loss": x * x, "status": STATUS_OK, "attachments": {"curve": curve}}

    trials = Trials()
    fmin(objective, hp.uniform("x", -2, 2), algo=rand.suggest, max_evals=n, trials=trials,
         rstate=np.random.default_rng(0), show_progressbar=False)  # fmt: skip
    return trials


def test_1d_attachment_draws_each_trials_curve_darkest_for_the_lowest_loss():
    trials = curve_trials()
    main_plot_1D_attachment(trials, "curve", do_show=False)
    ax = plt.gca()
    assert ax.get_title() == "curve"
    assert len(ax.lines) == 6
    losses = [t["result"]["loss"] for t in trials.trials]
    for trial, ln in zip(trials.trials, ax.lines):
        np.testing.assert_allclose(ln.get_ydata(), np.linspace(10.0, trial["result"]["loss"], 5))
    alphas = [ln.get_color()[3] for ln in ax.lines]
    assert alphas[int(np.argmin(losses))] == pytest.approx(0.5)
    assert alphas[int(np.argmax(losses))] == pytest.approx(0.05)
    assert ax.get_legend() is not None  # fewer than 10 lines


def test_1d_attachment_num_trails_spreads_over_the_loss_ranking_and_preprocesses():
    trials = curve_trials(n=12)
    main_plot_1D_attachment(
        trials, "curve", do_show=False, num_trails=3, preprocessing_fn=lambda a: a[-2:]
    )
    ranked = sorted(t["result"]["loss"] for t in trials.trials)
    ends = [ln.get_ydata()[-1] for ln in plt.gca().lines]
    assert ends == pytest.approx([ranked[0], ranked[4], ranked[8]])
    assert all(len(ln.get_ydata()) == 2 for ln in plt.gca().lines)


def test_1d_attachment_num_trails_beyond_the_trials_plots_each_once():
    trials = curve_trials(n=3)
    main_plot_1D_attachment(
        trials, "curve", do_show=False, num_trails=np.int64(10)
    )  # numpy counts work too
    ends = [ln.get_ydata()[-1] for ln in plt.gca().lines]
    assert ends == pytest.approx(sorted(t["result"]["loss"] for t in trials.trials))


def test_1d_attachment_num_trails_needs_a_trial_with_a_loss():
    trials = curve_trials(n=2)
    for trial in trials.trials:
        trial["result"] = {"status": STATUS_FAIL}
    with pytest.raises(InvalidArgumentError, match="no trial with an attachment named 'curve' has"):
        main_plot_1D_attachment(trials, "curve", do_show=False, num_trails=1)


def test_1d_attachment_equal_losses_and_failed_trials_do_not_break_the_shading():
    trials = Trials()
    fmin(lambda x: {"status": STATUS_OK, "loss": 1.0, "attachments": {"c": np.arange(3.0)}},
         hp.uniform("x", 0, 1), algo=rand.suggest, max_evals=3, trials=trials,
         rstate=np.random.default_rng(0), show_progressbar=False)  # fmt: skip
    trials.trials[1]["result"] = {"status": STATUS_FAIL}
    main_plot_1D_attachment(trials, "c", do_show=False)
    styles = [(ln.get_linestyle(), ln.get_color()[3]) for ln in plt.gca().lines]
    assert styles == [("-", 0.5), ("--", pytest.approx(0.05)), ("-", 0.5)]


def test_1d_attachment_unknown_name_lists_the_names_there_are():
    with pytest.raises(
        InvalidArgumentError, match=r"no trial has an attachment named 'loss_curve'.*'curve'"
    ):
        main_plot_1D_attachment(curve_trials(n=2), "loss_curve", do_show=False)


def test_1d_attachment_skips_a_2d_attachment_with_a_warning_naming_the_trial():
    trials = curve_trials(n=2)
    trials.trial_attachments(trials.trials[0])["curve"] = pickle.dumps(np.ones((2, 3)))
    with pytest.warns(UserWarning, match=r"trial 0's attachment 'curve' has shape \(2, 3\)"):
        main_plot_1D_attachment(trials, "curve", do_show=False)
    assert len(plt.gca().lines) == 1


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        ({"max_darkness": 0}, "max_darkness"),
        ({"num_trails": 0}, "num_trails"),
        ({"num_trails": 2.5}, "num_trails"),
    ],  # fmt: skip
)
def test_1d_attachment_bad_arguments_are_named(kwargs, fragment):
    with pytest.raises(InvalidArgumentError, match=fragment):
        main_plot_1D_attachment(curve_trials(n=2), "curve", do_show=False, **kwargs)


def test_a_space_label_no_trial_recorded_is_left_out_of_the_plots():
    space = {"x": hp.uniform("x", -1, 1),
             "m": hp.choice("m", [{"y": hp.loguniform("y", -3, 3)}, {"k": "b"}])}  # fmt: skip
    trials = generate_trials_to_calculate([{"x": 0.5, "m": 1}, {"x": 0.1, "m": 1}])
    fmin(lambda p: p["x"] ** 2, space, algo=rand.suggest, max_evals=2, trials=trials,
         show_progressbar=False)  # fmt: skip
    titles = [ax.get_title() for ax in plot_params(trials, space).axes]
    assert [t.split()[0] for t in titles] == ["x", "m"]  # "y" was never drawn by a trial
    axes = plot_parallel_coordinates(trials, space).axes[0]
    assert "y" not in [label.get_text() for label in axes.get_xticklabels()]


def test_main_plot_history_on_a_plain_figure_keeps_its_legend_inside(trials):
    figure = plt.figure()  # Hyperopt's workflow: draw into the current figure, then save
    main_plot_history(trials, do_show=False)
    figure.canvas.draw()
    legend = figure.axes[0].get_legend().get_window_extent()
    assert legend.x1 <= figure.bbox.x1 and legend.y1 <= figure.bbox.y1
    plt.close(figure)


def _reporting_trials():
    import hopt

    class AboveFive:
        def prune(self, trial, trials):
            return trial["reports"][-1]["value"] > 5

    def epochs(params):
        for epoch in range(4):
            hopt.report(params["x"] + epoch, step=epoch)
            if hopt.should_prune():
                raise hopt.TrialPruned()
        return params["x"]

    trials = Trials()
    fmin(epochs, {"x": hp.uniform("x", 0, 4)}, algo=rand.suggest, max_evals=3, trials=trials,
         points_to_evaluate=[{"x": 3.0}, {"x": 0.5}, {"x": 1.0}], rstate=0,
         show_progressbar=False, pruner=AboveFive())  # fmt: skip
    return trials


def test_intermediate_values_draw_one_line_per_trial_and_mark_the_pruned_ones():
    from hopt.plotting import plot_intermediate_values

    trials = _reporting_trials()
    figure = plot_intermediate_values(trials)
    ax = figure.axes[0]
    lines = {line.get_gid(): line for line in ax.get_lines()}
    by_x = {t["misc"]["vals"]["x"][0]: t for t in trials.trials}
    # x=3: 3, 4, 5, 6 -> 6 > 5 at step 3: pruned there; x=0.5 and x=1 complete 4 steps
    pruned = lines[f"trial-{by_x[3.0]['tid']}"]
    assert list(pruned.get_xdata()) == [0, 1, 2, 3] and list(pruned.get_ydata()) == [3, 4, 5, 6]
    assert to_rgba(pruned.get_color()) == to_rgba("tab:gray")
    cross = lines[f"pruned-{by_x[3.0]['tid']}"]
    assert (list(cross.get_xdata()), list(cross.get_ydata())) == ([3], [6])
    done = lines[f"trial-{by_x[0.5]['tid']}"]
    assert list(done.get_ydata()) == [0.5, 1.5, 2.5, 3.5]
    assert to_rgba(done.get_color()) == to_rgba(DEFAULT_STATUS_COLORS["ok"])
    labels = sorted(t.get_text() for t in ax.get_legend().get_texts())
    assert labels == ["ok (2)", "pruned (1)"]
    plt.close(figure)


def test_intermediate_values_without_reports_say_how_to_make_them():
    from hopt.plotting import plot_intermediate_values

    trials = Trials()
    fmin(lambda p: p["x"], {"x": hp.uniform("x", 0, 1)}, algo=rand.suggest, max_evals=2,
         trials=trials, rstate=0, show_progressbar=False)  # fmt: skip
    with pytest.raises(InvalidArgumentError, match=r"call hopt.report\(value, step\)"):
        plot_intermediate_values(trials)
