"""One panel per hyperparameter: its values against the loss (or over the trials)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .._validate import check_int
from ..exceptions import InvalidArgumentError
from ._axis_kinds import (
    AxisKind,
    axis_kinds,
    integer_ticks,
    style_value_axis,
    value_coordinates,
)
from ._backend import pyplot
from ._trial_table import TrialTable, read_trials, require_ok_trials, select_labels

#: half the width of the random horizontal spread of points in one category strip
STRIP_JITTER = 0.2
VERSUS_CHOICES = ("loss", "trial")


def _check_arguments(versus: str, columns: Any, highlight_best: Any) -> None:
    if versus not in VERSUS_CHOICES:
        raise InvalidArgumentError(
            f"plot_params: versus must be one of {list(VERSUS_CHOICES)}; got versus={versus!r}."
        )
    check_int(columns, "columns", "plot_params", minimum=1)
    check_int(
        highlight_best,
        "highlight_best",
        "plot_params",
        minimum=0,
        allow_none=True,
        fix="It is how many of the best trials to ring.",
    )


def plot_params(
    trials: Any,
    space: Any = None,
    *,
    labels: Sequence[str] | None = None,
    versus: str = "loss",
    columns: int = 4,
    highlight_best: int | None = 1,
    figure: Any = None,
    fontsize: float = 10,
    cmap: str = "viridis",
) -> Any:
    """A panel per label with the ``ok`` trials' values, coloured by loss.

    ``versus="loss"`` puts the value on x and the loss on y; ``versus="trial"``
    puts the trial order on x and the value on y (Hyperopt's ``main_plot_vars``).
    With ``space``, log priors get a log value axis and ``hp.choice`` /
    ``hp.pchoice`` / ``hp.randint`` labels get one jittered strip per option,
    named after the option.  A conditional label is drawn from the trials where
    it was active only, and its panel title says in how many.  The best
    ``highlight_best`` trials are ringed.  Draws into ``figure`` when given,
    otherwise into a new one; returns the Figure.
    """
    where = "plot_params"
    _check_arguments(versus, columns, highlight_best)
    table = read_trials(trials, where)
    require_ok_trials(table, where)
    order, kinds = axis_kinds(space, table)
    if not order:
        raise InvalidArgumentError(f"{where}: the trials hold no hyperparameter values to plot.")
    chosen = select_labels(labels, order, where)
    plt = pyplot(where)
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize

    n_columns = min(columns, len(chosen))
    n_rows = math.ceil(len(chosen) / n_columns)
    if figure is None:
        figure = plt.figure(figsize=(3.4 * n_columns, 3.0 * n_rows), layout="constrained")
    ok_losses = table.losses[table.ok]
    norm = Normalize(ok_losses.min(), ok_losses.max())
    best_rows = np.zeros(len(table), dtype=bool)
    if highlight_best:
        ok_rows = np.flatnonzero(table.ok)
        best_rows[ok_rows[np.argsort(ok_losses, kind="stable")[:highlight_best]]] = True
    panels = []
    for index, label in enumerate(chosen):
        ax = figure.add_subplot(n_rows, n_columns, index + 1)
        ax.set_label(f"param:{label}")  # lets callers and tests tell panels from colorbars
        style = {"cmap": cmap, "norm": norm, "fontsize": fontsize}
        _draw_panel(ax, label, kinds[label], table, versus, best_rows, style)
        panels.append(ax)
    if versus == "trial":  # the loss is only in the colour then, so it needs a scale
        figure.colorbar(ScalarMappable(norm=norm, cmap=cmap), ax=panels, label="loss")
    return figure


def _draw_panel(
    ax: Any,
    label: str,
    kind: AxisKind,
    table: TrialTable,
    versus: str,
    best_rows: np.ndarray,
    style: dict,
) -> None:
    coordinates = value_coordinates(kind, table.values[label])
    active = table.ok & np.isfinite(coordinates)
    if kind.categorical:
        # a fixed seed: the same trials give the same picture every time
        spread = np.random.default_rng(0).uniform(-STRIP_JITTER, STRIP_JITTER, len(table))
        coordinates = coordinates + spread
    if versus == "loss":
        x, y, value_axis = coordinates, table.losses, ax.xaxis
        ax.set_ylabel("loss")
    else:
        x, y, value_axis = table.positions.astype(float), coordinates, ax.yaxis
        ax.set_xlabel("trial")
        integer_ticks(ax.xaxis)
    value_axis.set_label_text(label)
    if active.any():
        ax.scatter(
            x[active],
            y[active],
            c=table.losses[active],
            cmap=style["cmap"],
            norm=style["norm"],
            s=14,
            label="trials",
            gid="trials",
        )
    else:
        ax.text(0.5, 0.5, "not active in any ok trial", ha="center", transform=ax.transAxes)
    ringed = active & best_rows
    if ringed.any():
        ax.scatter(
            x[ringed],
            y[ringed],
            s=70,
            facecolors="none",
            edgecolors="red",
            linewidths=1.5,
            label="best",
            gid="best",
        )
    style_value_axis(ax, "x" if versus == "loss" else "y", kind, table.values[label][active])
    title = label + (f" [{kind.kind}]" if kind.kind else "")
    n_ok, n_active = int(table.ok.sum()), int(active.sum())
    if n_active < n_ok:
        title += f"\nactive in {n_active} of {n_ok} ok trials"
    ax.set_title(title, fontsize=style["fontsize"])
