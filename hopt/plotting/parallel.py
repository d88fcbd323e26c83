"""Parallel coordinates of the best trials: where in the space the good region lies."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .._validate import check_int, check_number
from ..exceptions import InvalidArgumentError
from ._axis_kinds import AxisKind, axis_kinds, value_coordinates
from ._backend import figure_and_axes
from ._trial_table import read_trials, require_ok_trials, select_labels

#: height of a trial whose label was not active (a conditional branch not taken)
INACTIVE_HEIGHT = -0.12


def _how_many(n_ok: int, best_fraction: Any, top_k: Any) -> int:
    where = "plot_parallel_coordinates"
    if top_k is not None:
        return min(check_int(top_k, "top_k", where, minimum=1), n_ok)
    best_fraction = check_number(
        best_fraction,
        "best_fraction",
        where,
        low=0,
        high=1,
        low_open=True,
        fix="Use top_k=N for a number of trials.",
    )
    return min(n_ok, max(1, math.ceil(best_fraction * n_ok)))


def _scaled(kind: AxisKind, values: np.ndarray, reference: np.ndarray) -> tuple[np.ndarray, Any]:
    """Values mapped to [0, 1] on one axis, and the (low, high) used (None for categories).

    Numeric axes span the values of all ok trials (``reference``), not only the
    selected ones, so a line's height says where it lies in the explored range.
    """
    if kind.categorical:
        positions = kind.option_positions(values)
        last = len(kind.option_values) - 1
        return (positions / last if last > 0 else np.where(np.isnan(positions), np.nan, 0.5)), None
    transform = np.log10 if kind.log else (lambda v: v)
    with np.errstate(divide="ignore", invalid="ignore"):
        moved, reference = transform(values), transform(reference)
    reference = reference[np.isfinite(reference)]
    low, high = float(reference.min()), float(reference.max())
    if high == low:
        return np.where(np.isfinite(moved), 0.5, np.nan), (low, high)
    return (moved - low) / (high - low), (low, high)


def plot_parallel_coordinates(
    trials: Any,
    space: Any = None,
    *,
    labels: Sequence[str] | None = None,
    best_fraction: float = 0.1,
    top_k: int | None = None,
    ax: Any = None,
    cmap: str = "viridis",
    title: str = "Best trials",
) -> Any:
    """One line per best trial across one vertical axis per label, coloured by loss.

    The best ``top_k`` trials, or else the best ``best_fraction`` of the ``ok``
    trials (at least one), are drawn.  Each axis is scaled to [0, 1] over the
    values all ok trials took (in log10 for log priors when ``space`` is given);
    categorical axes put their options evenly and name them.  Where a label was
    not active in a trial, its line passes through an "inactive" slot below the
    axis.  The best trial is drawn last and thicker.  Returns the Figure.
    """
    where = "plot_parallel_coordinates"
    table = read_trials(trials, where)
    require_ok_trials(table, where)
    n_ok = int(table.ok.sum())
    count = _how_many(n_ok, best_fraction, top_k)
    order, kinds = axis_kinds(space, table)
    if not order:
        raise InvalidArgumentError(f"{where}: the trials hold no hyperparameter values to plot.")
    chosen = select_labels(labels, order, where)
    ok_rows = np.flatnonzero(table.ok)
    best_rows = ok_rows[np.argsort(table.losses[ok_rows], kind="stable")[:count]]

    figure, ax = figure_and_axes(where, ax, (max(6.0, 1.3 * len(chosen) + 2), 4.5))
    from matplotlib import colormaps
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize

    heights = np.empty((len(best_rows), len(chosen)))
    for column, label in enumerate(chosen):
        values = table.values[label]
        reference = values[table.ok & np.isfinite(value_coordinates(kinds[label], values))]
        if reference.size == 0:  # never active in an ok trial: nothing to scale by
            heights[:, column] = INACTIVE_HEIGHT
            _label_axis(ax, column, AxisKind(), None, True)
            continue
        scaled, bounds = _scaled(kinds[label], values[best_rows], reference)
        heights[:, column] = np.where(np.isnan(scaled), INACTIVE_HEIGHT, scaled)
        _label_axis(ax, column, kinds[label], bounds, bool(np.isnan(scaled).any()))

    losses = table.losses[best_rows]
    norm = Normalize(losses.min(), losses.max())
    colour_of = colormaps[cmap]
    x = np.arange(len(chosen))
    # worst first, so the best lines end up on top
    for rank in reversed(range(len(best_rows))):
        row = best_rows[rank]
        ax.plot(
            x,
            heights[rank],
            color=colour_of(norm(losses[rank])),
            linewidth=2.5 if rank == 0 else 1.0,
            alpha=1.0 if rank == 0 else 0.7,
            gid=f"trial:{table.tids[row]}",
            zorder=3 if rank == 0 else 2,
        )
    for axis_x in range(len(chosen)):
        ax.axvline(axis_x, color="0.6", linewidth=0.8, zorder=1)
    ax.set_xticks(x, labels=chosen, rotation=30 if len(chosen) > 4 else 0)
    ax.set_yticks([])
    ax.set_xlim(-0.35, len(chosen) - 0.65)
    ax.set_ylim(INACTIVE_HEIGHT - 0.08, 1.08)
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    ax.set_title(f"{title}: {len(best_rows)} of {n_ok} ok trials")
    figure.colorbar(ScalarMappable(norm=norm, cmap=cmap), ax=ax, label="loss")
    return figure


#: the axes' text (option names, bounds) is drawn above every line, on a light box,
#: so that the lines through an option never hide its name
TEXT_ZORDER = 5
TEXT_BOX = {"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none", "alpha": 0.85}


def _label_axis(ax: Any, column: int, kind: AxisKind, bounds: Any, has_inactive: bool) -> None:
    """Text ticks on one vertical axis: option names, or the low and high values."""
    style = {
        "fontsize": "small",
        "ha": "left",
        "va": "center",
        "color": "0.25",
        "zorder": TEXT_ZORDER,
        "bbox": TEXT_BOX,
    }
    if kind.categorical:
        last = max(len(kind.option_values) - 1, 1)
        for index, name in enumerate(kind.option_names):
            height = index / last if len(kind.option_values) > 1 else 0.5
            ax.text(column + 0.03, height, name, gid="tick", **style)
    elif bounds is not None:
        low, high = bounds
        if kind.log:
            low, high = 10.0**low, 10.0**high
        spell = (lambda v: str(int(round(v)))) if kind.integer else (lambda v: f"{v:.3g}")
        ax.text(column + 0.03, 0.0, spell(low), gid="tick", **style)
        ax.text(column + 0.03, 1.0, spell(high), gid="tick", **style)
    if has_inactive:
        ax.text(column + 0.03, INACTIVE_HEIGHT, "inactive", gid="tick", **style)
