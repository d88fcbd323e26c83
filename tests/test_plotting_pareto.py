"""hopt.plotting's plots of several objectives, drawn (Agg) from real fmin runs and checked
on the matplotlib artists."""

import math
import re

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from hopt import Trials, fmin, hp, rand  # noqa: E402
from hopt.exceptions import AllTrialsFailedError, InvalidArgumentError  # noqa: E402
from hopt.objectives import hypervolume_history, is_feasible, loss_tuple  # noqa: E402
from hopt.plotting import plot_hypervolume, plot_pareto_front  # noqa: E402
from hopt.plotting.fronts import DOMINATED_ALPHA  # noqa: E402

SPACE = {"x": hp.uniform("x", 0, 1), "y": hp.uniform("y", 0, 1), "z": hp.uniform("z", 0, 1)}
MAX_EVALS = 40


def two_losses(p):
    # a convex front in x (y only hurts); infeasible when x + y > 1.2
    x, y = p["x"], p["y"]
    return {"loss": [x, 1 - math.sqrt(x) + y], "constraints": [x + y - 1.2]}


def three_losses(p):
    x, y, z = p["x"], p["y"], p["z"]
    return {"loss": [x, y, 2 - x - y + z], "constraints": [x + y + z - 2.0]}


def four_losses(p):
    x, y, z = p["x"], p["y"], p["z"]
    return {"loss": [x, y, 1 - x, z + (1 - y)], "constraints": [z - 0.8]}


def search(fn, max_evals=MAX_EVALS):
    trials = Trials()
    fmin(fn, SPACE, algo=rand.suggest, max_evals=max_evals, trials=trials,
         rstate=np.random.default_rng(0), show_progressbar=False)  # fmt: skip
    return trials


@pytest.fixture(scope="module")
def two():
    return search(two_losses)


@pytest.fixture(scope="module")
def three():
    return search(three_losses)


@pytest.fixture(scope="module")
def four():
    return search(four_losses)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def groups(ax):
    """gid -> points drawn (rows of coordinates) of each scatter."""
    found = {}
    for c in ax.collections:
        offsets = getattr(c, "_offsets3d", None)
        found[c.get_gid()] = (
            np.column_stack(offsets) if offsets is not None else np.asarray(c.get_offsets())
        )
    return found


def expected_counts(trials):
    feasible = sum(is_feasible(t["result"]) for t in trials.trials)
    front = len(trials.best_trials)
    return front, feasible - front, len(trials.trials) - feasible


def legend_texts(ax):
    return [t.get_text() for t in ax.get_legend().texts]


# -- plot_pareto_front, two objectives ---------------------------------------------------
def test_front_dominated_and_infeasible_are_drawn_apart_and_counted(two):
    front, dominated, infeasible = expected_counts(two)
    assert min(front, dominated, infeasible) > 0  # the run has all three kinds
    ax = plot_pareto_front(two).axes[0]
    drawn = groups(ax)
    assert {gid: len(points) for gid, points in drawn.items()} == {
        "front": front,
        "dominated": dominated,
        "infeasible": infeasible,
    }
    best = sorted(loss_tuple(t["result"]) for t in two.best_trials)
    assert sorted(map(tuple, drawn["front"])) == best
    assert legend_texts(ax) == [
        f"Pareto front ({front})",
        f"dominated ({dominated})",
        f"infeasible ({infeasible})",
    ]
    (dominated_points,) = [c for c in ax.collections if c.get_gid() == "dominated"]
    assert dominated_points.get_alpha() == DOMINATED_ALPHA
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("loss 0", "loss 1")


def test_two_objective_front_is_joined_by_a_step_line_through_its_points(two):
    ax = plot_pareto_front(two).axes[0]
    (line,) = [ln for ln in ax.lines if ln.get_gid() == "front_line"]
    x, y = np.asarray(line.get_xdata()), np.asarray(line.get_ydata())
    assert line.get_drawstyle() == "steps-post"
    assert len(x) == len(two.best_trials)
    assert np.all(np.diff(x) >= 0) and np.all(np.diff(y) <= 0)


def test_names_label_the_axes_and_hidden_groups_are_not_drawn(two):
    figure, ax = plt.subplots()
    returned = plot_pareto_front(two, names=["error", "latency"], ax=ax, show_dominated=False,
                                 show_infeasible=False)  # fmt: skip
    assert returned is figure
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("error", "latency")
    assert list(groups(ax)) == ["front"]
    assert len(legend_texts(ax)) == 1


def test_a_search_with_no_feasible_trial_draws_the_infeasible_ones_and_says_so():
    trials = search(lambda p: {"loss": [p["x"], p["y"]], "constraints": [1.0]}, max_evals=10)
    ax = plot_pareto_front(trials).axes[0]
    assert {gid: len(points) for gid, points in groups(ax).items()} == {"infeasible": 10}
    assert not ax.lines
    assert any(t.get_text() == "no feasible trial yet" for t in ax.texts)


# -- three and more objectives --------------------------------------------------------------
def test_three_objectives_give_a_3d_scatter(three):
    front, dominated, infeasible = expected_counts(three)
    ax = plot_pareto_front(three, names=["a", "b", "c"]).axes[0]
    assert ax.name == "3d"
    drawn = groups(ax)
    assert [len(drawn[g]) for g in ("front", "dominated", "infeasible")] == [
        front,
        dominated,
        infeasible,
    ]
    assert drawn["front"].shape[1] == 3
    assert (ax.get_xlabel(), ax.get_ylabel(), ax.get_zlabel()) == ("a", "b", "c")
    assert not ax.lines  # no step line in 3-D
    assert legend_texts(ax)[0] == f"Pareto front ({front})"


def test_objectives_pick_which_to_show_of_four(four):
    names = ["w", "x", "y", "z"]
    ax = plot_pareto_front(four, objectives=(1, 3), names=names).axes[0]
    assert ax.name != "3d"
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("x", "z")
    best = sorted(tuple(loss_tuple(t["result"])[i] for i in (1, 3)) for t in four.best_trials)
    assert sorted(map(tuple, groups(ax)["front"])) == best
    # the front is over all four objectives, so no step line through a projection of it
    assert not ax.lines

    shown = plot_pareto_front(four, objectives=[3, 0, 2], names=names).axes[0]
    assert shown.name == "3d"
    assert (shown.get_xlabel(), shown.get_ylabel(), shown.get_zlabel()) == ("z", "w", "y")
    assert plot_pareto_front(four).axes[0].get_zlabel() == "loss 2"  # default: the first three


@pytest.mark.parametrize(
    "objectives", [(0,), (0, 4), (1, 1), (0, 1, 2, 3), (-1, 0), (0.0, 1), (True, 2), "01", 2]
)
def test_bad_objectives_are_named_with_the_valid_range(four, objectives):
    message = (
        "plot_pareto_front: objectives must be 2 or 3 distinct indices among the search's 4 "
        f"objectives (0 to 3); got objectives={objectives!r}."
    )
    with pytest.raises(InvalidArgumentError, match=f"^{re.escape(message)}$"):
        plot_pareto_front(four, objectives=objectives)


@pytest.mark.parametrize("names", [["only one"], "ab", ["a", "b", "c"]])
def test_names_need_one_per_objective(two, names):
    with pytest.raises(InvalidArgumentError, match=r"names must give one name per objective"):
        plot_pareto_front(two, names=names)


def test_an_axes_of_the_wrong_kind_is_refused(three, two):
    figure = plt.figure()
    with pytest.raises(InvalidArgumentError, match=r"ax must be a 3-D axes.*projection='3d'"):
        plot_pareto_front(three, ax=figure.add_subplot())
    with pytest.raises(InvalidArgumentError, match=r"ax must be a 2-D axes .*got a '3d' axes"):
        plot_pareto_front(two, ax=figure.add_subplot(projection="3d"))


# -- plot_hypervolume -----------------------------------------------------------------------
def test_hypervolume_steps_up_with_the_feasible_front_until_the_last_trial(two):
    reference = [1.1, 2.1]
    tids, volumes = hypervolume_history(two.trials, reference)
    ax = plot_hypervolume(two, reference).axes[0]
    (line,) = ax.lines
    x, y = np.asarray(line.get_xdata()), np.asarray(line.get_ydata())
    assert line.get_gid() == "hypervolume" and line.get_drawstyle() == "steps-post"
    assert x[: len(tids)].tolist() == tids.tolist()
    assert y[: len(tids)].tolist() == volumes.tolist()
    assert x[-1] == MAX_EVALS - 1  # carried on to the last trial
    assert np.all(np.diff(y) >= 0) and y[-1] > 0
    assert legend_texts(ax) == [f"hypervolume ({volumes[-1]:.4g})"]
    assert ax.get_xlabel() == "trial (tid)"


def test_hypervolume_of_three_objectives(three):
    ax = plot_hypervolume(three, [1.0, 1.0, 3.0]).axes[0]
    assert ax.lines[0].get_ydata()[-1] == hypervolume_history(three.trials, [1, 1, 3])[1][-1]


def test_a_reference_below_every_trial_gives_zero_and_says_why(two):
    ax = plot_hypervolume(two, [-1.0, -1.0]).axes[0]
    assert set(ax.lines[0].get_ydata()) == {0.0}
    assert any("below the reference point" in t.get_text() for t in ax.texts)


@pytest.mark.parametrize(
    "reference", [[1.0], [1.0, 2.0, 3.0], [[1.0, 2.0]], ["a", "b"], [1.0, math.nan], None]
)
def test_a_reference_without_one_finite_number_per_objective_is_refused(two, reference):
    message = (
        "plot_hypervolume: reference must have one finite number per objective (2); "
        f"got reference={reference!r}."
    )
    with pytest.raises(InvalidArgumentError, match=f"^{re.escape(message)}$"):
        plot_hypervolume(two, reference)


# -- nothing to plot ------------------------------------------------------------------------
PLOTS = [
    pytest.param(lambda trials: plot_pareto_front(trials), "plot_pareto_front", id="front"),
    pytest.param(lambda trials: plot_hypervolume(trials, [1, 1]), "plot_hypervolume", id="volume"),
]


@pytest.mark.parametrize("plot, name", PLOTS)
def test_no_trial_at_all_says_to_run_fmin(plot, name):
    with pytest.raises(AllTrialsFailedError, match=rf"^{name}: the trials object holds no trials"):
        plot(Trials())


@pytest.mark.parametrize("plot, name", PLOTS)
def test_no_ok_trial_is_an_error_quoting_the_first_failure(plot, name):
    def broken(p):
        raise ValueError("broken objective")

    trials = Trials()
    with pytest.raises(AllTrialsFailedError):
        fmin(broken, SPACE, algo=rand.suggest, max_evals=3, trials=trials, rstate=0,
             catch_eval_exceptions=True, show_progressbar=False)  # fmt: skip
    with pytest.raises(AllTrialsFailedError) as raised:
        plot(trials)
    message = str(raised.value)
    assert message.startswith(f"{name}: none of the 3 trials finished with status 'ok'")
    assert "(3 failed," in message and "tid 0: ValueError: broken objective" in message


@pytest.mark.parametrize("plot, name", PLOTS)
def test_a_single_objective_search_is_refused_pointing_to_plot_history(plot, name):
    trials = search(lambda p: p["x"], max_evals=5)
    with pytest.raises(InvalidArgumentError, match=rf"^{name}: needs a search with several "
                       r"objectives; got trials with 1 objective.*plot_history"):  # fmt: skip
        plot(trials)
