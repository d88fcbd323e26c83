"""Searches with several objectives: the Pareto front, and its hypervolume over the trials.

Losses, feasibility and the front come from ``hopt.objectives``, the read side
that ``trials.best_trials`` uses too, so the plot highlights exactly those trials.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .._types import STATUS_NEW, STATUS_OK, STATUS_RUNNING
from ..exceptions import AllTrialsFailedError, InvalidArgumentError
from ..objectives import front_of, hypervolume_history, is_feasible, scored
from ._axis_kinds import integer_ticks
from ._backend import DEFAULT_STATUS_COLORS, figure_and_axes
from ._trial_table import read_trials

FRONT_COLOR = DEFAULT_STATUS_COLORS["ok"]
#: dominated feasible trials: the front's colour, lighter
DOMINATED_ALPHA = 0.3
INFEASIBLE_COLOR = "tab:gray"


def _scored_trials(trials: Any, where: str) -> tuple[list, list[tuple[Mapping[str, Any], tuple]]]:
    """The trial documents, and (trial, losses) of the ``ok`` ones; raises when there are
    none, or when the search has one objective."""
    table = read_trials(trials, where)  # raises when there is no trial at all
    docs = list(trials.trials)
    rows = scored(docs)
    if not rows:
        failed = int(table.failed.sum())
        invalid = table.statuses.count(STATUS_OK)
        message = (
            f"{where}: none of the {len(table)} trials finished with status 'ok' and valid "
            f"losses ({failed} failed, {invalid} ok with a missing/NaN loss, "
            f"{len(table) - failed - invalid} not finished), so there is nothing to plot."
        )
        if table.first_error is not None:
            message += f" The first failure was {table.first_error}."
        raise AllTrialsFailedError(message)
    if len(rows[0][1]) < 2:
        raise InvalidArgumentError(
            f"{where}: needs a search with several objectives; got trials with 1 objective "
            "(each loss is one number). Return {'loss': [a, b, ...]} from the objective for "
            "several; plot_history shows a single loss."
        )
    return docs, rows


def _shown_objectives(picked: Any, count: int) -> tuple[int, ...]:
    if picked is None:
        return (0, 1) if count == 2 else (0, 1, 2)
    indices = tuple(picked) if isinstance(picked, Sequence) and not isinstance(picked, str) else ()
    valid = (
        len(indices) in (2, 3)
        and len(set(indices)) == len(indices)
        and all(
            isinstance(i, (int, np.integer)) and not isinstance(i, bool) and 0 <= i < count
            for i in indices
        )
    )
    if not valid:
        raise InvalidArgumentError(
            f"plot_pareto_front: objectives must be 2 or 3 distinct indices among the "
            f"search's {count} objectives (0 to {count - 1}); got objectives={picked!r}."
        )
    return tuple(int(i) for i in indices)


def _axis_names(names: Any, count: int) -> list[str]:
    if names is None:
        return [f"loss {i}" for i in range(count)]
    if isinstance(names, str) or not isinstance(names, Sequence) or len(names) != count:
        raise InvalidArgumentError(
            f"plot_pareto_front: names must give one name per objective of the search "
            f"({count}); got names={names!r}."
        )
    return [str(name) for name in names]


def plot_pareto_front(
    trials: Any,
    *,
    objectives: Sequence[int] | None = None,
    names: Sequence[str] | None = None,
    ax: Any = None,
    show_dominated: bool = True,
    show_infeasible: bool = True,
    title: str = "Pareto front",
) -> Any:
    """The ``ok`` trials of a search with several objectives, one point per trial.

    Two objectives give a 2-D scatter, three a 3-D one.  With more, ``objectives``
    picks the 2 or 3 to show, as indices into the loss list (default: the first
    three).  The Pareto-optimal feasible trials (``trials.best_trials``) are
    highlighted and, when the search has exactly two objectives, joined by a step
    line; dominated feasible trials are drawn lighter (``show_dominated``),
    infeasible ones (a constraint above 0) as grey crosses (``show_infeasible``).
    The legend counts each group.  Optimality is over all the search's
    objectives, so with a subset shown a front trial may look dominated.
    ``names`` gives one axis name per objective (default ``loss 0``, ``loss 1``...).
    ``ax``, when given, must be a 3-D axes for three objectives.  Raises
    ``AllTrialsFailedError`` when no trial finished ``ok`` and
    ``InvalidArgumentError`` for a single-objective search.  Returns the Figure.
    """
    docs, rows = _scored_trials(trials, "plot_pareto_front")
    count = len(rows[0][1])
    shown = _shown_objectives(objectives, count)
    labels = _axis_names(names, count)
    three_d = len(shown) == 3
    if ax is not None and (getattr(ax, "name", "") == "3d") != three_d:
        raise InvalidArgumentError(
            f"plot_pareto_front: ax must be a {'3-D' if three_d else '2-D'} axes to show "
            f"{len(shown)} objectives; got a {getattr(ax, 'name', type(ax).__name__)!r} axes."
            + (" Make one with figure.add_subplot(projection='3d')." if three_d else "")
        )
    figure, ax = figure_and_axes(
        "plot_pareto_front", ax, (6.0, 5.0), projection="3d" if three_d else None
    )
    points = np.array([losses for _, losses in rows], dtype=float)[:, list(shown)]
    feasible = np.array([is_feasible(trial["result"]) for trial, _ in rows], dtype=bool)
    front_tids = {trial["tid"] for trial in front_of(docs)}
    on_front = np.array([trial["tid"] in front_tids for trial, _ in rows], dtype=bool)

    groups = [
        ("front", "Pareto front", on_front, {"color": FRONT_COLOR, "s": 30, "zorder": 3}),
    ]
    if show_dominated:
        style = {"color": FRONT_COLOR, "alpha": DOMINATED_ALPHA, "s": 16, "zorder": 2}
        groups.append(("dominated", "dominated", feasible & ~on_front, style))
    if show_infeasible:
        style = {"color": INFEASIBLE_COLOR, "marker": "x", "s": 20, "zorder": 1}
        groups.append(("infeasible", "infeasible", ~feasible, style))
    # in 3-D, depth shading would blur the front's colour into the dominated trials' one
    flat = {"depthshade": False} if three_d else {}
    for gid, name, mask, style in groups:
        if mask.any():
            ax.scatter(*points[mask].T, gid=gid, label=f"{name} ({mask.sum()})", **style, **flat)
    if on_front.any() and count == 2:
        front = points[on_front]
        order = np.lexsort((front[:, 1], front[:, 0]))
        # the edge of the region the front dominates: along, then down to the next point
        ax.plot(*front[order].T, drawstyle="steps-post", color=FRONT_COLOR, linewidth=1.0,
                gid="front_line")  # fmt: skip
    if not feasible.any():
        write = ax.text2D if three_d else ax.text  # a 3-D axes' text takes x, y, z
        write(0.5, 0.5, "no feasible trial yet", ha="center", transform=ax.transAxes)

    ax.set_xlabel(labels[shown[0]])
    ax.set_ylabel(labels[shown[1]])
    if three_d:
        ax.set_zlabel(labels[shown[2]])
    ax.set_title(title)
    if ax.collections:
        ax.legend(loc="best", fontsize="small")
    return figure


def plot_hypervolume(
    trials: Any,
    reference: Sequence[float],
    *,
    ax: Any = None,
    title: str = "Hypervolume",
) -> Any:
    """The hypervolume of the feasible Pareto front after each finished trial, by tid.

    ``reference`` is a point with one loss per objective, worse than every loss
    that should count (for example a little above the worst loss of each
    objective); the hypervolume is the volume between the front and it.  A
    trial not below the reference in every objective adds nothing.  The line
    steps at each feasible ``ok`` trial and runs on to the last finished trial;
    the legend gives the final value.  Raises ``InvalidArgumentError`` when
    ``reference`` does not have one finite number per objective, or the search
    has one objective, and ``AllTrialsFailedError`` when no trial finished ``ok``.
    Returns the Figure.
    """
    docs, rows = _scored_trials(trials, "plot_hypervolume")
    count = len(rows[0][1])
    try:
        point = np.asarray(reference, dtype=float)
    except (TypeError, ValueError):
        point = np.array([np.nan])
    if point.shape != (count,) or not np.isfinite(point).all():
        raise InvalidArgumentError(
            f"plot_hypervolume: reference must have one finite number per objective "
            f"({count}); got reference={reference!r}."
        )
    tids, volumes = hypervolume_history(docs, point)
    figure, ax = figure_and_axes("plot_hypervolume", ax, (7.0, 4.0))
    if len(tids):
        finished = [
            t["tid"]
            for t in docs
            if (t.get("result") or {}).get("status") not in (None, STATUS_NEW, STATUS_RUNNING)
        ]
        x, y = tids, volumes
        if max(finished) > x[-1]:  # carried to the last finished trial
            x, y = np.append(x, max(finished)), np.append(y, y[-1])
        ax.plot(x, y, drawstyle="steps-post", color=FRONT_COLOR, gid="hypervolume",
                label=f"hypervolume ({volumes[-1]:.4g})")  # fmt: skip
        ax.legend(loc="lower right", fontsize="small")
    if volumes.size == 0 or volumes[-1] == 0.0:
        text = "no feasible trial" + (" below the reference point" if len(tids) else "") + " yet"
        ax.text(0.5, 0.5, text, ha="center", transform=ax.transAxes)
    ax.set_xlabel("trial (tid)")
    integer_ticks(ax.xaxis)
    ax.set_ylabel("hypervolume of the feasible front")
    ax.set_title(title)
    return figure
