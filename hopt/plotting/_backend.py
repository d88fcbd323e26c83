"""matplotlib, imported only when a plot is drawn.

``import hopt`` (and ``import hopt.plotting``) must not import matplotlib: it
is an optional extra, it is slow to import, and importing pyplot too early
fixes the backend before a user or a test can choose one.
"""

from __future__ import annotations

from typing import Any

from .._utils import install_hint
from ..exceptions import MissingDependencyError

#: colours of trial statuses; Hyperopt's status_colors argument may override them
DEFAULT_STATUS_COLORS = {
    "ok": "tab:blue",
    "fail": "tab:red",
    "invalid_loss": "tab:orange",  # status ok, but the loss is missing, NaN or inf
    "best": "black",
}


def pyplot(where: str) -> Any:
    """``matplotlib.pyplot``, or a MissingDependencyError that says what to install."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as error:
        raise MissingDependencyError(
            f"{where} needs matplotlib; install it with: {install_hint('plot', 'matplotlib')}."
        ) from error
    return plt


def figure_and_axes(
    where: str, ax: Any, figsize: tuple[float, float], projection: str | None = None
) -> tuple[Any, Any]:
    """The figure and axes to draw into: the caller's ``ax``, or a new pyplot figure
    (with ``projection="3d"``, a 3-D one)."""
    plt = pyplot(where)
    if ax is not None:
        return ax.figure, ax
    # pyplot (not a bare Figure) so that plt.show() and notebooks display the result
    figure = plt.figure(figsize=figsize, layout="constrained")
    return figure, figure.add_subplot(projection=projection)
