"""plot_edf and plot_timeline: what they draw from real fmin runs, read from the artists (Agg)."""

import datetime
import time

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.colors import to_rgba  # noqa: E402

import hopt  # noqa: E402
from hopt import STATUS_OK, FileTrials, Trials, fmin, hp, rand, tpe  # noqa: E402
from hopt._types import JOB_STATE_DONE, JOB_STATE_NEW, JOB_STATE_RUNNING  # noqa: E402
from hopt.exceptions import AllTrialsFailedError, InvalidArgumentError  # noqa: E402
from hopt.plotting import plot_edf, plot_timeline  # noqa: E402
from hopt.plotting.timeline import TIMELINE_COLORS  # noqa: E402

SPACE = {"x": hp.uniform("x", -2, 2), "y": hp.uniform("y", -2, 2)}


def quadratic(params):
    return params["x"] ** 2 + params["y"] ** 2


def run(fn, n=20, algo=rand.suggest, seed=0, trials=None):
    trials = Trials() if trials is None else trials
    fmin(fn, SPACE, algo=algo, max_evals=n, trials=trials, rstate=seed,
         catch_eval_exceptions=True, show_progressbar=False)  # fmt: skip
    return trials


def failed_run():
    def broken(params):
        raise ValueError("always broken")

    trials = Trials()
    with pytest.raises(AllTrialsFailedError):
        run(broken, n=3, trials=trials)
    return trials


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def ok_losses(trials, index=None):
    return sorted(
        t["result"]["loss"] if index is None else t["result"]["loss"][index]
        for t in trials.trials
        if t["result"]["status"] == STATUS_OK
    )


def edf_lines(ax):
    return {
        ln.get_gid()[len("edf:") :]: ln
        for ln in ax.lines
        if (ln.get_gid() or "").startswith("edf:")
    }


def legend_texts(ax):
    return [t.get_text() for t in ax.get_legend().get_texts()]


# -- plot_edf --------------------------------------------------------------------------------
def test_edf_steps_up_one_trial_at_a_time_through_the_sorted_losses():
    trials = run(quadratic)
    ax = plot_edf(trials).axes[0]
    (line,) = edf_lines(ax).values()
    losses = ok_losses(trials)
    assert line.get_xdata().tolist() == [losses[0], *losses]
    assert line.get_ydata().tolist() == pytest.approx([0.0, *np.arange(1, 21) / 20])
    assert line.get_drawstyle() == "steps-post"
    assert legend_texts(ax) == ["trials (20 ok)"]
    assert ax.get_xlabel() == "loss"


def test_edf_compares_searches_one_named_line_each():
    searches = {"random": run(quadratic), "tpe": run(quadratic, algo=tpe.suggest)}
    ax = plot_edf(searches).axes[0]
    lines = edf_lines(ax)
    assert list(lines) == ["random", "tpe"]
    for name, trials in searches.items():
        assert lines[name].get_xdata()[1:].tolist() == ok_losses(trials)
    assert legend_texts(ax) == ["random (20 ok)", "tpe (20 ok)"]


def test_edf_of_a_list_is_named_by_position_or_by_names():
    searches = [run(quadratic, n=5, seed=1), run(quadratic, n=7, seed=2)]
    assert list(edf_lines(plot_edf(searches).axes[0])) == ["trials 0", "trials 1"]
    ax = plot_edf(searches, names=["small", "large"]).axes[0]
    assert legend_texts(ax) == ["small (5 ok)", "large (7 ok)"]


def test_edf_leaves_out_failures_and_names_a_search_with_no_ok_trial():
    def sometimes(params):
        if params["x"] > 1:
            raise ValueError("x too big")
        return quadratic(params)

    partly = run(sometimes, n=20, seed=3)
    n_ok = len(ok_losses(partly))
    assert 0 < n_ok < 20
    ax = plot_edf({"partly": partly, "broken": failed_run()}, log_x=True).axes[0]
    assert list(edf_lines(ax)) == ["partly"]
    assert len(edf_lines(ax)["partly"].get_xdata()) == n_ok + 1
    assert legend_texts(ax) == [f"partly ({n_ok} ok)", "broken (no ok trial)"]
    assert ax.get_xscale() == "log"


def test_edf_with_nothing_to_plot_raises():
    with pytest.raises(AllTrialsFailedError, match="ValueError: always broken"):
        plot_edf(failed_run())
    with pytest.raises(AllTrialsFailedError, match="none of the 2 searches"):
        plot_edf([failed_run(), failed_run()])
    with pytest.raises(AllTrialsFailedError, match=r"plot_edf \('b'\): the trials object holds no"):
        plot_edf({"a": run(quadratic, n=2), "b": Trials()})


def test_edf_of_several_objectives_uses_the_chosen_loss():
    trials = run(lambda p: {"loss": [p["x"], p["y"]], "status": STATUS_OK}, n=10)
    ax = plot_edf(trials, objective=1).axes[0]
    assert edf_lines(ax)["trials"].get_xdata()[1:].tolist() == ok_losses(trials, 1)
    assert ax.get_xlabel() == "loss 1"
    with pytest.raises(InvalidArgumentError, match="plot_edf: the search has 2 objectives"):
        plot_edf(trials)


@pytest.mark.parametrize(
    "trials, kwargs, fragment",
    [
        ([], {}, "trials must be a Trials object, a non-empty list of them, or a dict"),
        ("trials", {}, "got trials='trials'"),
        ([1, 2], {}, "got trials=[1, 2]"),
        (
            None,
            {"names": ["a", "b"]},
            "names must give one name per search (1); got names=['a', 'b']",
        ),
        (None, {"names": "ab"}, "got names='ab'"),
    ],
)
def test_edf_bad_arguments_are_named(trials, kwargs, fragment):
    trials = run(quadratic, n=2) if trials is None else trials
    with pytest.raises(InvalidArgumentError, match="plot_edf") as raised:
        plot_edf(trials, **kwargs)
    assert fragment in str(raised.value)


# -- plot_timeline ---------------------------------------------------------------------------
def bars_of(ax, status):
    return [p for p in ax.patches if p.get_gid() == f"trial:{status}"]


def all_bars(ax):
    return [p for p in ax.patches if (p.get_gid() or "").startswith("trial:")]


def row_labels(ax):
    return [t.get_text() for t in ax.get_yticklabels()]


def sleepy(params):
    time.sleep(0.02)
    if params["x"] > 1:
        raise ValueError("x too big")
    if params["x"] < -1:
        raise hopt.TrialPruned()
    return quadratic(params)


@pytest.fixture(scope="module")
def in_memory():
    trials = Trials()
    run(sleepy, n=12, seed=7, trials=trials)
    statuses = trials.statuses()
    assert {"ok", "fail", "pruned"} <= set(statuses)
    return trials


def test_timeline_of_in_memory_trials_is_one_row_of_bars_coloured_by_status(in_memory):
    ax = plot_timeline(in_memory).axes[0]
    (label,) = row_labels(ax)
    assert label.startswith(in_memory.trials[0]["owner"] + " (")
    statuses = in_memory.statuses()
    for status in ("ok", "fail", "pruned"):
        drawn = bars_of(ax, status)
        assert len(drawn) == statuses.count(status)
        assert all(bar.get_facecolor() == to_rgba(TIMELINE_COLORS[status]) for bar in drawn)
    assert len(all_bars(ax)) == 12
    assert legend_texts(ax) == [f"{s} ({statuses.count(s)})" for s in ("ok", "pruned", "fail")]
    assert ax.get_title() == "Timeline: 12 trials on 1 worker"


def test_timeline_bars_run_from_book_time_to_end_time(in_memory):
    ax = plot_timeline(in_memory).axes[0]
    origin = in_memory.trials[0]["book_time"]
    expected = sorted(
        (
            (t["book_time"] - origin).total_seconds(),
            (t["end_time"] - t["book_time"]).total_seconds(),
        )
        for t in in_memory.trials
    )
    drawn = sorted((bar.get_x(), bar.get_width()) for bar in all_bars(ax))
    assert np.allclose(drawn, expected, atol=1e-6)
    assert all(width >= 0.015 for _, width in drawn)  # each trial slept 20 ms
    assert ax.get_xlabel() == "time since the first trial started (s)"


def test_timeline_of_file_trials_has_a_row_per_worker_process(tmp_path):
    trials = FileTrials(str(tmp_path / "search.db"), parallelism=2)
    run(sleepy, n=10, seed=5, trials=trials)
    owners = {t["owner"] for t in trials.trials}
    assert len(owners) == 2
    ax = plot_timeline(trials).axes[0]
    labels = row_labels(ax)
    assert sorted(label.split(" (")[0] for label in labels) == sorted(owners)
    assert all(label.endswith("% busy)") for label in labels)
    for row, label in enumerate(labels):
        owner = label.split(" (")[0]
        in_row = [b for b in all_bars(ax) if abs(b.get_y() + b.get_height() / 2 - row) < 0.5]
        assert len(in_row) == sum(t["owner"] == owner for t in trials.trials)
    assert ax.get_title() == "Timeline: 10 trials on 2 workers"


def test_a_running_trial_extends_to_now_and_a_queued_one_is_only_counted():
    trials = Trials()
    run(quadratic, n=3, trials=trials)
    docs = trials.new_trial_docs([100, 101], [None, None], [{"status": "new"}] * 2, [
        {"tid": tid, "cmd": None, "workdir": None, "idxs": {}, "vals": {}} for tid in (100, 101)
    ])  # fmt: skip
    trials.insert_trial_docs(docs)
    trials.refresh()
    running = trials.trials[3]
    trials.start_trial(running)  # the storage contract's way to mark a trial running
    assert running["state"] == JOB_STATE_RUNNING and trials.trials[4]["state"] == JOB_STATE_NEW
    now = running["book_time"] + datetime.timedelta(seconds=5)
    ax = plot_timeline(trials, now=now).axes[0]
    (bar,) = bars_of(ax, "running")
    origin = trials.trials[0]["book_time"]
    assert bar.get_x() + bar.get_width() == pytest.approx((now - origin).total_seconds())
    (now_line,) = [ln for ln in ax.lines if ln.get_gid() == "now"]
    assert now_line.get_xdata()[0] == pytest.approx((now - origin).total_seconds())
    assert ax.get_title() == "Timeline: 4 trials on 1 worker, 1 not started"


def doc(tid, owner, start, end, status="ok", state=JOB_STATE_DONE):
    """A hand-made trial document: times in seconds after an arbitrary origin."""
    origin = datetime.datetime(2024, 1, 1)
    return {
        "tid": tid,
        "owner": owner,
        "state": state,
        "result": {"status": status},
        "book_time": origin + datetime.timedelta(seconds=start),
        "end_time": None if end is None else origin + datetime.timedelta(seconds=end),
        "refresh_time": None,
    }


def test_timeline_says_how_busy_each_worker_was_and_stacks_overlapping_trials():
    docs = [
        doc(0, "a:1", 0, 10),
        doc(1, "b:2", 0, 30),
        doc(2, "a:1", 20, 30, "fail"),
        doc(3, "b:2", 5, 15, "pruned"),  # b runs two trials at once: a second lane
        doc(4, ["c", 3], 15, 30),  # Hyperopt's (host, pid) owner
    ]
    ax = plot_timeline(docs).axes[0]
    assert row_labels(ax) == ["a:1 (67% busy)", "b:2 (100% busy)", "c:3 (50% busy)"]
    in_b = [b for b in all_bars(ax) if 0.5 < b.get_y() + b.get_height() / 2 < 1.5]
    assert sorted(b.get_y() for b in in_b) == pytest.approx([0.6, 1.0])
    assert [b.get_height() for b in in_b] == pytest.approx([0.4, 0.4])
    assert ax.get_ylim() == (2.5, -0.5)  # the first worker to start on top


def test_timeline_picks_minutes_or_hours_for_long_searches():
    ax = plot_timeline([doc(0, "a", 0, 600), doc(1, "a", 600, 1800)]).axes[0]
    assert ax.get_xlabel() == "time since the first trial started (min)"
    assert sorted(b.get_x() + b.get_width() for b in all_bars(ax)) == [10.0, 30.0]
    ax = plot_timeline([doc(0, "a", 0, 3 * 3600)]).axes[0]
    assert ax.get_xlabel().endswith("(h)")


def test_timeline_colours_may_be_overridden(in_memory):
    ax = plot_timeline(in_memory, colors={"ok": "black"}).axes[0]
    assert all(b.get_facecolor() == to_rgba("black") for b in bars_of(ax, "ok"))


def test_timeline_with_nothing_started_raises():
    with pytest.raises(AllTrialsFailedError, match="holds no trials"):
        plot_timeline(Trials())
    queued = [doc(0, None, 0, None, "new", JOB_STATE_NEW)]
    with pytest.raises(AllTrialsFailedError, match="none of the 1 trials has started"):
        plot_timeline(queued)


@pytest.mark.parametrize("now", ["soon", True, float("nan")])
def test_timeline_bad_now_is_named(in_memory, now):
    with pytest.raises(InvalidArgumentError, match="plot_timeline: now must be None, a datetime"):
        plot_timeline(in_memory, now=now)
