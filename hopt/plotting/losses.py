"""Loss over the course of a search, and the distribution of losses."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ._axis_kinds import integer_ticks
from ._backend import DEFAULT_STATUS_COLORS, figure_and_axes
from ._trial_table import read_trials, require_ok_trials

#: failed trials have no loss; they are drawn at this height in axes coordinates
#: (just under the top edge) so they stay visible whatever the loss scale is
FAILED_MARKER_HEIGHT = 0.96


def plot_history(
    trials: Any,
    *,
    ax: Any = None,
    status_colors: Mapping[str, Any] | None = None,
    title: str = "Loss history",
) -> Any:
    """Each trial's loss in trial order, the best loss so far, and the failed trials.

    ``ok`` trials are points at their loss; a step line follows the running best.
    Failed trials (and ``ok`` trials whose loss is missing, NaN or inf) have no
    loss to place, so they are drawn as crosses along the top edge, at their
    position in the trial order.  Trials that are still queued or running are
    not drawn.  Returns the matplotlib Figure.
    """
    table = read_trials(trials, "plot_history")
    colors = {**DEFAULT_STATUS_COLORS, **(dict(status_colors) if status_colors else {})}
    figure, ax = figure_and_axes("plot_history", ax, (7.0, 4.0))
    x, losses, ok = table.positions, table.losses, table.ok

    if ok.any():
        ax.scatter(x[ok], losses[ok], s=18, color=colors["ok"], label=f"ok ({ok.sum()})")
        running_best = np.minimum.accumulate(losses[ok])
        # extended to the last trial so the line shows the best at the end of the search
        line_x, line_y = x[ok], running_best
        if line_x[-1] < x[-1]:
            line_x, line_y = np.append(line_x, x[-1]), np.append(line_y, line_y[-1])
        ax.plot(
            line_x,
            line_y,
            drawstyle="steps-post",
            color=colors["best"],
            linewidth=1.5,
            label=f"best so far ({running_best[-1]:.4g})",
            gid="running_best",
        )
    else:
        ax.text(0.5, 0.5, "no trial finished ok yet", ha="center", transform=ax.transAxes)

    top = ax.get_xaxis_transform()  # x in data (trial order), y in axes coordinates
    for mask, marker, color, name, gid in (
        (table.failed, "x", colors["fail"], "failed", "failed"),
        (table.ok_without_finite_loss, "^", colors["invalid_loss"], "loss NaN/inf", "nan_loss"),
    ):
        if mask.any():
            ax.plot(
                x[mask],
                np.full(int(mask.sum()), FAILED_MARKER_HEIGHT),
                linestyle="none",
                marker=marker,
                color=color,
                transform=top,
                label=f"{name} ({mask.sum()})",
                gid=gid,
            )
    # Markers in axes coordinates do not take part in autoscaling: show every trial,
    # and keep a free band at the top so failure markers never hide a loss.
    ax.set_xlim(-0.5, len(table) - 0.5)
    if ok.any() and (table.failed.any() or table.ok_without_finite_loss.any()):
        low, high = ax.get_ylim()
        ax.set_ylim(low, high + 0.1 * (high - low))
    ax.set_xlabel("trial (order of trials.trials)")
    integer_ticks(ax.xaxis)
    ax.set_ylabel("loss")
    ax.set_title(title)
    # outside the axes: inside it would cover the failure markers along the top
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
    return figure


def plot_loss_histogram(
    trials: Any,
    *,
    ax: Any = None,
    bins: Any = "auto",
    title: str = "Loss histogram",
) -> Any:
    """Histogram of the losses of the ``ok`` trials with a finite loss, and the best loss.

    Raises ``AllTrialsFailedError`` when no trial has such a loss.  Returns the Figure.
    """
    table = read_trials(trials, "plot_loss_histogram")
    require_ok_trials(table, "plot_loss_histogram")
    figure, ax = figure_and_axes("plot_loss_histogram", ax, (6.0, 4.0))
    losses = table.losses[table.ok]
    ax.hist(losses, bins=bins, color=DEFAULT_STATUS_COLORS["ok"], label=f"ok ({losses.size})")
    ax.axvline(
        losses.min(),
        color=DEFAULT_STATUS_COLORS["best"],
        linestyle="--",
        label=f"best ({losses.min():.4g})",
    )
    left_out = len(table) - losses.size
    if left_out:
        # an invisible entry, so the legend says what the histogram does not show
        ax.plot([], [], " ", label=f"{left_out} failed/unfinished/NaN not shown")
    ax.set_xlabel("loss")
    ax.set_ylabel("trials")
    integer_ticks(ax.yaxis)
    ax.set_title(title)
    ax.legend(fontsize="small")
    return figure
