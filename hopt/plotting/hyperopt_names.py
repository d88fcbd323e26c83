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

from .._validate import check_int, check_number
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
    figure = plot_history(trials, ax=plt.gca(), status_colors=status_colors, title=title)
    if not figure.get_layout_engine():  # a plain pyplot figure: make room for the legend,
        figure.tight_layout()  # which sits right of the axes
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
    colorize_best = check_int(
        colorize_best, "colorize_best", "main_plot_vars", minimum=0, allow_none=True
    )
    columns = check_int(columns, "columns", "main_plot_vars", minimum=1)
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


def _attachment_array(blob: Any) -> Any:
    """An attachment as an array: bytes are unpickled (Hyperopt's format), others taken as is."""
    import pickle

    import numpy as np

    if isinstance(blob, (bytes, bytearray)):
        blob = pickle.loads(blob)
    return np.squeeze(np.asanyarray(blob))


def main_plot_1D_attachment(  # noqa: N802 (Hyperopt's name)
    trials: Any,
    attachment_name: str,
    do_show: bool = True,
    colorize_by_loss: bool = True,
    max_darkness: float = 0.5,
    num_trails: int | None = None,
    preprocessing_fn: Any = None,
    line_width: float = 0.1,
) -> None:
    """One line per trial for a 1-D attachment (a learning curve, say), shaded by loss.

    Hyperopt's signature, ``num_trails`` spelling included.  An attachment is
    unpickled when it is bytes (what Hyperopt stores) and used as an array
    otherwise; ``preprocessing_fn`` then maps the 1-D array before plotting.
    ``num_trails=N`` plots N trials evenly spread over the loss ranking.

    Unlike Hyperopt, the lowest loss is drawn darkest (``max_darkness``) and the
    highest at a tenth of it, where Hyperopt drew the best trial fully
    transparent; trials without a loss are drawn dashed, faintest; equal losses
    do not divide by zero; an attachment that is not 1-D is skipped with a
    warning naming the trial; a name no trial has raises an error that lists
    the names there are.  The legend appears whenever fewer than 10 lines are
    drawn, with ``do_show`` or not.
    """
    import math
    import warnings

    where = "main_plot_1D_attachment"
    max_darkness = check_number(max_darkness, "max_darkness", where, low=0, high=1, low_open=True)
    num_trails = check_int(
        num_trails, "num_trails", where, minimum=1, allow_none=True, fix="None plots every trial."
    )
    plt = pyplot("main_plot_1D_attachment")
    carriers, other_names = [], set()
    for trial in trials.trials:
        attachments = trials.trial_attachments(trial)
        if attachment_name in attachments:
            carriers.append((trial, attachments[attachment_name]))
        else:
            other_names.update(attachments)
    if not carriers:
        known = ", ".join(repr(n) for n in sorted(other_names)) or "none"
        raise InvalidArgumentError(
            f"main_plot_1D_attachment: no trial has an attachment named {attachment_name!r}; "
            f"the trials' attachment names: {known}. Store one per trial with "
            "ctrl.attachments[name] = pickle.dumps(array), or return it in the result "
            "under 'attachments'."
        )

    def loss_of(trial: dict) -> float | None:
        try:
            loss = float(trial["result"].get("loss"))
        except (TypeError, ValueError):  # no loss, or not a number
            return None
        return loss if math.isfinite(loss) else None

    if num_trails is not None:
        ranked = sorted(
            (c for c in carriers if loss_of(c[0]) is not None),
            key=lambda c: loss_of(c[0]),  # type: ignore[arg-type, return-value]
        )
        if not ranked:
            raise InvalidArgumentError(
                "main_plot_1D_attachment: num_trails picks trials by loss, and no trial "
                f"with an attachment named {attachment_name!r} has a finite loss; "
                "pass num_trails=None to plot them all."
            )
        if num_trails < len(ranked):  # evenly over the ranking, the best first
            step = len(ranked) / num_trails
            ranked = [ranked[int(i * step)] for i in range(num_trails)]
        carriers = ranked
    losses = [loss for loss in map(loss_of, (t for t, _ in carriers)) if loss is not None]
    low, high = (min(losses), max(losses)) if losses else (0.0, 0.0)
    ax = plt.gca()
    ax.set_title(attachment_name)
    drawn = 0
    for trial, blob in carriers:
        data = _attachment_array(blob)
        if data.ndim != 1:
            warnings.warn(
                f"main_plot_1D_attachment: trial {trial['tid']}'s attachment "
                f"{attachment_name!r} has shape {data.shape}, not 1-D; skipped.",
                stacklevel=2,
            )
            continue
        if preprocessing_fn is not None:
            data = preprocessing_fn(data)
        loss = loss_of(trial)
        style: dict[str, Any] = {"linewidth": line_width}
        if loss is None:
            style.update(linestyle="--", label="no loss")
            shade = max_darkness / 10
        else:
            style["label"] = f"loss: {loss:.5}"
            spread = (loss - low) / (high - low) if high > low else 0.0
            shade = max_darkness * (1.0 - 0.9 * spread)
        if colorize_by_loss:
            style["color"] = (0.0, 0.0, 0.0, shade)
        ax.plot(data, **style)
        drawn += 1
    if 0 < drawn < 10:
        ax.legend()
    if do_show:
        plt.show()
