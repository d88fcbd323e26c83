"""Hyperopt's ``main_plot_*`` functions, drawn by hopt's plots.

As in Hyperopt they draw into pyplot's current figure (so ``plt.figure()``,
then ``main_plot_history(trials, do_show=False)``, then ``plt.savefig(...)``
keeps working), call ``plt.show()`` only when ``do_show`` is true, and return
None.  Unlike Hyperopt they show failed trials, skip NaN/inf losses instead of
breaking the colour scale, and raise a clear error when there is nothing to plot.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..exceptions import InvalidArgumentError
from ._backend import pyplot
from .losses import plot_history, plot_loss_histogram
from .params import plot_params


def main_plot_history(
    trials: Any,
    do_show: bool = True,
    status_colors: Mapping[str, Any] | None = None,
    title: str = "Loss History",
) -> None:
    """Losses in trial order with the running best (see :func:`plot_history`)."""
    plt = pyplot("main_plot_history")
    plot_history(trials, ax=plt.gca(), status_colors=status_colors, title=title)
    if do_show:
        plt.show()


def main_plot_histogram(trials: Any, do_show: bool = True, title: str = "Loss Histogram") -> None:
    """Histogram of the ok trials' losses (see :func:`plot_loss_histogram`)."""
    plt = pyplot("main_plot_histogram")
    plot_loss_histogram(trials, ax=plt.gca(), title=title)
    if do_show:
        plt.show()


def main_plot_vars(
    trials: Any,
    do_show: bool = True,
    fontsize: float = 10,
    colorize_best: int | None = None,
    columns: int = 5,
    arrange_by_loss: bool = False,
    space: Any = None,
) -> None:
    """Each hyperparameter's values over the trials (see :func:`plot_params`).

    Hyperopt's meanings: one panel per label with the value over the trials;
    ``colorize_best=N`` marks the best N trials; ``arrange_by_loss=True`` sets
    the values against the loss instead (here with the value on x and the loss
    on y, the usual orientation).  ``space`` (a hopt addition) names choice
    options and sets log axes.
    """
    if colorize_best is not None and (isinstance(colorize_best, bool) or colorize_best < 0):
        raise InvalidArgumentError(
            "main_plot_vars: colorize_best must be None or an int >= 0; "
            f"got colorize_best={colorize_best!r}."
        )
    plt = pyplot("main_plot_vars")
    figure = plt.gcf()
    if not figure.axes:
        # Hyperopt drew its grid into pyplot's default 6.4 x 4.8 inch figure, where
        # panels overlap; an empty current figure is sized to the grid instead.
        n_labels = len({label for trial in trials.trials for label in trial["misc"]["vals"]})
        n_columns = max(1, min(columns, n_labels))
        n_rows = -(-n_labels // n_columns)
        figure.set_size_inches(3.4 * n_columns + 1.0, 3.0 * max(n_rows, 1))
        figure.set_layout_engine("constrained")
    plot_params(
        trials,
        space,
        versus="loss" if arrange_by_loss else "trial",
        columns=columns,
        highlight_best=colorize_best,
        figure=figure,
        fontsize=fontsize,
    )
    if do_show:
        plt.show()
