"""Slice plot: one panel per hyperparameter, its value against the loss, coloured by
when the trial ran, so that the plot shows where the search went over time."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .._validate import check_int
from ..exceptions import InvalidArgumentError
from ._axis_kinds import axis_kinds, style_value_axis, value_coordinates
from ._backend import pyplot
from ._trial_table import read_objective, require_ok_trials, select_labels
from .params import STRIP_JITTER

WHERE = "plot_slice"


def plot_slice(
    trials: Any,
    space: Any = None,
    *,
    labels: Sequence[str] | None = None,
    objective: int | None = None,
    columns: int = 4,
    figure: Any = None,
    cmap: str = "Blues",
    fontsize: float = 10,
) -> Any:
    """A panel per label: each ``ok`` trial's value on x against its loss on y,
    coloured by the trial's position in ``trials.trials`` (light early, dark late).

    With ``space``, log priors get a log x axis, whole-number priors (``randint``,
    ``uniformint``, ``q=1``) ticks at whole numbers, and ``hp.choice`` /
    ``hp.pchoice`` / ``hp.randint`` labels one jittered strip per option, named
    after the option.  ``labels`` picks and orders the panels.  A conditional
    label is drawn from the trials where it was active, and its title says in
    how many.  For a search with several objectives, ``objective`` (required
    then) picks the loss by its position in the loss list.  Draws into
    ``figure`` when given, otherwise into a new one; returns the Figure.
    """
    check_int(columns, "columns", WHERE, minimum=1)
    table = read_objective(trials, WHERE, objective)
    require_ok_trials(table, WHERE)
    order, kinds = axis_kinds(space, table)
    if not order:
        raise InvalidArgumentError(f"{WHERE}: the trials hold no hyperparameter values to plot.")
    chosen = select_labels(labels, order, WHERE)
    plt = pyplot(WHERE)
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize

    n_columns = min(columns, len(chosen))
    n_rows = math.ceil(len(chosen) / n_columns)
    if figure is None:
        figure = plt.figure(figsize=(3.4 * n_columns + 1.0, 3.0 * n_rows), layout="constrained")
    # light to dark over the whole search, so a panel's colours compare with the others'
    norm = Normalize(0, max(len(table) - 1, 1))
    n_ok = int(table.ok.sum())
    panels = []
    for index, label in enumerate(chosen):
        ax = figure.add_subplot(n_rows, n_columns, index + 1)
        ax.set_label(f"slice:{label}")  # tells panels from the colour bar
        kind = kinds[label]
        coordinates = value_coordinates(kind, table.values[label])
        active = table.ok & np.isfinite(coordinates)
        if kind.categorical:
            # a fixed seed: the same trials give the same picture every time
            spread = np.random.default_rng(0).uniform(-STRIP_JITTER, STRIP_JITTER, len(table))
            coordinates = coordinates + spread
        if active.any():
            ax.scatter(
                coordinates[active],
                table.losses[active],
                c=table.positions[active],
                cmap=cmap,
                norm=norm,
                s=16,
                edgecolors="0.3",
                linewidths=0.3,
                gid="trials",
            )
        else:
            ax.text(0.5, 0.5, "not active in any ok trial", ha="center", transform=ax.transAxes)
        style_value_axis(ax, "x", kind, table.values[label][active])
        ax.set_xlabel(label)
        ax.set_ylabel(table.loss_label)
        title = label + (f" [{kind.kind}]" if kind.kind else "")
        if int(active.sum()) < n_ok:
            title += f"\nactive in {int(active.sum())} of {n_ok} ok trials"
        ax.set_title(title, fontsize=fontsize)
        panels.append(ax)
    figure.colorbar(ScalarMappable(norm=norm, cmap=cmap), ax=panels, label="trial")
    return figure
