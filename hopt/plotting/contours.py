"""Contour plot: the loss over two hyperparameters, interpolated between the trials."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._validate import check_int, did_you_mean
from ..exceptions import InvalidArgumentError
from ._axis_kinds import AxisKind, axis_kinds, style_value_axis, value_coordinates
from ._backend import DEFAULT_STATUS_COLORS, figure_and_axes
from ._trial_table import read_objective, require_ok_trials

WHERE = "plot_contour"


def _check_label(name: str, label: Any, available: list[str]) -> str:
    if not isinstance(label, str) or label not in available:
        hint = did_you_mean(str(label), available)
        raise InvalidArgumentError(
            f"{WHERE}: {name} must be a label of the trials; got {name}={label!r}. Valid "
            f"labels are {available}.{hint}"
        )
    return label


def _surface_coordinates(kind: AxisKind, values: np.ndarray) -> np.ndarray:
    """Where the interpolation works: option index, log10 for log priors, else the value."""
    coordinates = value_coordinates(kind, values)
    if kind.log and not kind.categorical:
        with np.errstate(divide="ignore", invalid="ignore"):
            coordinates = np.where(coordinates > 0, np.log10(coordinates), np.nan)
    return coordinates


def _interpolated(points: np.ndarray, losses: np.ndarray, resolution: int) -> Any:
    """(grid x, grid y, loss) linearly interpolated inside the trials' convex hull
    (NaN outside), or None when the trials do not span an area."""
    from scipy.interpolate import griddata
    from scipy.spatial import QhullError

    # trials at the same point (two categories, a repeated value) count once, by their mean
    unique, inverse = np.unique(points, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    means = np.bincount(inverse, weights=losses) / np.bincount(inverse)
    if len(unique) < 3 or np.ptp(unique[:, 0]) == 0 or np.ptp(unique[:, 1]) == 0:
        return None
    grid_x, grid_y = np.meshgrid(
        np.linspace(unique[:, 0].min(), unique[:, 0].max(), resolution),
        np.linspace(unique[:, 1].min(), unique[:, 1].max(), resolution),
    )
    try:
        surface = griddata(unique, means, (grid_x, grid_y), method="linear", rescale=True)
    except (QhullError, ValueError):  # all points on one line
        return None
    if not np.isfinite(surface).any():
        return None
    return grid_x, grid_y, surface


def plot_contour(
    trials: Any,
    x: str,
    y: str,
    *,
    space: Any = None,
    objective: int | None = None,
    levels: int = 12,
    resolution: int = 100,
    ax: Any = None,
    cmap: str = "viridis",
    title: str | None = None,
) -> Any:
    """The loss over labels ``x`` and ``y``: filled contours interpolated between
    the ``ok`` trials where both were active, the trials as points and the best
    one as a red star.

    The surface is a linear interpolation over a ``resolution`` x ``resolution``
    grid, drawn with ``levels`` contour levels, inside the area the trials span
    (blank outside); trials at the same point count once with their mean loss.
    With ``space``, a log prior's axis is log-scaled (and interpolated in log10),
    a whole-number prior's axis gets whole-number ticks and an ``hp.choice``
    label's axis puts its options at 0, 1, 2... and names them.  With fewer than
    three distinct points, or all of them on one line, only the points are drawn.
    For a search with several objectives, ``objective`` (required then) picks the
    loss by its position in the loss list.  Returns the matplotlib Figure.
    """
    levels = check_int(levels, "levels", WHERE, minimum=2)
    resolution = check_int(resolution, "resolution", WHERE, minimum=2)
    table = read_objective(trials, WHERE, objective)
    require_ok_trials(table, WHERE)
    order, kinds = axis_kinds(space, table)
    x, y = _check_label("x", x, order), _check_label("y", y, order)
    if x == y:
        raise InvalidArgumentError(
            f"{WHERE}: x and y must be two different labels; got x={x!r}, y={y!r}."
        )
    kind_x, kind_y = kinds[x], kinds[y]
    surface_x = _surface_coordinates(kind_x, table.values[x])
    surface_y = _surface_coordinates(kind_y, table.values[y])
    rows = table.ok & np.isfinite(surface_x) & np.isfinite(surface_y)
    figure, ax = figure_and_axes(WHERE, ax, (6.0, 5.0))
    loss_label = table.loss_label
    if not rows.any():
        ax.text(0.5, 0.5, f"{x} and {y} are never active together in an ok trial",
                ha="center", transform=ax.transAxes)  # fmt: skip
    points = np.column_stack([surface_x[rows], surface_y[rows]])
    losses = table.losses[rows]
    surface = _interpolated(points, losses, resolution) if rows.any() else None

    def drawn(kind: AxisKind, coordinates: np.ndarray) -> np.ndarray:
        """Back from the interpolation's coordinates to the axis's data coordinates."""
        return 10.0**coordinates if kind.log and not kind.categorical else coordinates

    if surface is not None:
        grid_x, grid_y, values = surface
        filled = ax.contourf(drawn(kind_x, grid_x), drawn(kind_y, grid_y), values,
                             levels=levels, cmap=cmap)  # fmt: skip
        filled.set_gid("contour")
        figure.colorbar(filled, ax=ax, label=loss_label)
    elif rows.any():
        ax.text(0.5, 0.02, "too few distinct points to interpolate", ha="center",
                fontsize="small", transform=ax.transAxes)  # fmt: skip
    if rows.any():
        ax.scatter(drawn(kind_x, points[:, 0]), drawn(kind_y, points[:, 1]), s=12,
                   color="black", alpha=0.6, gid="trials", label=f"trials ({rows.sum()})")  # fmt: skip
        best = int(np.argmin(losses))
        ax.scatter(drawn(kind_x, points[best : best + 1, 0]),
                   drawn(kind_y, points[best : best + 1, 1]), s=160, marker="*",
                   color=DEFAULT_STATUS_COLORS["fail"], edgecolors="white", zorder=3,
                   gid="best", label=f"best ({losses[best]:.4g})")  # fmt: skip
        ax.legend(loc="upper left", bbox_to_anchor=(0.0, -0.12), ncols=2, fontsize="small")
    for which, label, kind in (("x", x, kind_x), ("y", y, kind_y)):
        style_value_axis(ax, which, kind, table.values[label][rows])
        if kind.categorical:
            (ax.set_xlim if which == "x" else ax.set_ylim)(-0.5, len(kind.option_values) - 0.5)
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    ax.set_title(title if title is not None else f"{loss_label} over {x} and {y}")
    return figure
