"""The views: drawn as SVG from hopt.plotting, or a note that says why not."""

from __future__ import annotations

import pytest
from dashboard_support import run_search, two_losses

import hopt.plotting
from hopt import Trials
from hopt.dashboard import charts
from hopt.dashboard.app import Dashboard
from hopt.dashboard.model import page_data
from hopt.dashboard.store import open_store


@pytest.fixture(scope="module")
def one_loss(tmp_path_factory):
    return run_search(tmp_path_factory.mktemp("charts") / "one.pkl", 10)


@pytest.fixture(scope="module")
def several(tmp_path_factory):
    return run_search(tmp_path_factory.mktemp("charts") / "two.pkl", 10, fn=two_losses)


def by_name(drawn):
    return {chart.name: chart for chart in drawn}


def test_every_view_is_drawn_or_has_a_note(one_loss):
    drawn = by_name(charts.render(one_loss))
    assert list(drawn) == charts.VIEW_NAMES
    for name in ("history", "parallel", "slices", "intermediate"):
        assert drawn[name].svg.startswith(b"<?xml") and drawn[name].note is None, name
    assert "one objective" in drawn["pareto"].note
    for chart in drawn.values():
        assert (chart.svg is None) != (chart.note is None)


def test_the_same_trials_draw_the_same_bytes(one_loss):
    assert charts.render(one_loss, ["history"]) == charts.render(one_loss, ["history"])


def test_several_objectives_draw_the_front_instead_of_one_loss_views(several):
    drawn = by_name(charts.render(several))
    assert drawn["pareto"].svg is not None
    assert "several objectives" in drawn["history"].note
    assert "no trial has reported" in drawn["intermediate"].note


def test_three_objectives_draw_a_3d_front():
    from hopt import STATUS_OK, fmin, hp, rand

    trials = Trials()
    fmin(
        lambda x: {"loss": [x, 1 - x, (x - 0.5) ** 2], "status": STATUS_OK},
        hp.uniform("x", 0, 1), algo=rand.suggest, max_evals=6, trials=trials, rstate=0,
        show_progressbar=False,
    )  # fmt: skip
    assert by_name(charts.render(trials, ["pareto"]))["pareto"].svg is not None


def test_an_empty_store_has_notes_only():
    drawn = charts.render(Trials())
    assert all(chart.svg is None and "no trials" in chart.note for chart in drawn)


def test_plots_other_parts_of_hopt_may_lack_are_left_out_with_a_note(one_loss, monkeypatch):
    monkeypatch.delattr(hopt.plotting, "plot_timeline", raising=False)
    note = by_name(charts.render(one_loss, ["timeline"]))["timeline"].note
    assert note == "this hopt has no hopt.plotting.plot_timeline, so this view is left out."


def test_a_plot_present_in_hopt_plotting_is_used(one_loss, monkeypatch):
    calls = []

    def plot_timeline(trials):
        calls.append(len(trials.trials))
        figure = charts._figure()
        figure.add_subplot().plot([0, 1], [1, 0])
        return figure

    monkeypatch.setattr(hopt.plotting, "plot_timeline", plot_timeline, raising=False)
    assert by_name(charts.render(one_loss, ["timeline"]))["timeline"].svg is not None
    assert calls == [10]


def test_a_plot_that_breaks_becomes_a_note_not_a_dead_dashboard(one_loss, monkeypatch):
    def plot_timeline(trials):
        raise KeyError("book_time")

    monkeypatch.setattr(hopt.plotting, "plot_timeline", plot_timeline, raising=False)
    note = by_name(charts.render(one_loss, ["timeline"]))["timeline"].note
    assert note == "could not be drawn: KeyError: 'book_time'"


def test_importance_without_hopt_importance_is_a_note(one_loss, monkeypatch):
    import sys

    monkeypatch.delattr(hopt.plotting, "plot_param_importances", raising=False)
    monkeypatch.setitem(sys.modules, "hopt.importance", None)  # import fails
    note = by_name(charts.render(one_loss, ["importance"]))["importance"].note
    assert "no hopt.importance.param_importances" in note


def test_importance_bars_from_param_importances_when_there_is_no_plot(one_loss, monkeypatch):
    import sys
    import types

    module = types.ModuleType("hopt.importance")
    module.param_importances = lambda trials: {"x": 0.8, "lr": 0.2}
    monkeypatch.delattr(hopt.plotting, "plot_param_importances", raising=False)
    monkeypatch.setitem(sys.modules, "hopt.importance", module)
    monkeypatch.setattr(hopt, "importance", module, raising=False)
    chart = by_name(charts.render(one_loss, ["importance"]))["importance"]
    assert chart.svg is not None and chart.note is None


def test_the_summary_names_the_best_trial_or_the_front(one_loss, several, tmp_path):
    summary = page_data(open_store(_saved(one_loss, tmp_path / "a.pkl")).snapshot())["summary"]
    assert summary["best"]["tid"] == one_loss.best_trial["tid"]
    assert summary["best"]["loss"] == one_loss.best_trial["result"]["loss"]
    statuses = [result["status"] for result in one_loss.results]
    assert summary["statuses"] == {s: statuses.count(s) for s in sorted(set(statuses))}
    assert summary["statuses"]["fail"] > 0  # the search has failures to show
    assert summary["states"]["done"] == 10 and summary["front_size"] is None
    summary = page_data(open_store(_saved(several, tmp_path / "b.pkl")).snapshot())["summary"]
    assert summary["objectives"] == 2
    assert summary["front_size"] == len(several.best_trials)


def test_drawing_waits_for_the_interval_and_a_change(one_loss, tmp_path):
    clock = [100.0]
    dashboard = Dashboard(
        open_store(_saved(one_loss, tmp_path / "a.pkl")), "t", 5.0, clock=lambda: clock[0]
    )
    dashboard.draw_now()
    assert dashboard._chart_version == 1
    dashboard._maybe_draw(dashboard.watcher.snapshot())  # same version: nothing to draw
    assert not dashboard._drawing


def _saved(trials, path):
    from hopt.trials.persistence import save_atomically

    save_atomically(trials, str(path))
    return path
