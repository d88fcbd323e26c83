"""The dashboard's charts: hopt.plotting's figures, drawn on the server as SVG.

Why server-side matplotlib: it is already hopt's plotting dependency, so the
page looks exactly like the plots users call themselves and nothing new is
installed; the page shows each SVG in an ``<img>``, where a browser never runs
scripts, and needs no JavaScript chart library (nothing to ship or fetch).

Each view is a function of an in-memory ``Trials`` that returns a matplotlib
Figure, or raises ``ViewUnavailableError`` (or another ``HoptError`` from the plot, such as
"no trial finished yet") whose message the page shows in place of the chart.
Plots that other parts of hopt may not have yet (``plot_slice``,
``plot_timeline``, ``plot_param_importances``, ``hopt.importance``) are looked
up when drawn, so a hopt without them shows a note instead.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import io
import logging
import math
import sys
import threading
from collections.abc import Callable
from typing import Any

from .. import objectives
from ..exceptions import HoptError

logger = logging.getLogger("hopt.dashboard")

#: matplotlib's pyplot is not thread-safe, and plots may use it: one drawing at a time
RENDER_LOCK = threading.Lock()
FIGSIZE = (5.6, 3.6)


class ViewUnavailableError(HoptError, RuntimeError):
    """This view cannot be drawn for these trials; the message says why."""


@dataclasses.dataclass(frozen=True)
class Chart:
    """One view as drawn: the SVG, or the note shown instead."""

    name: str
    title: str
    svg: bytes | None
    note: str | None


def _matplotlib() -> Any:
    """matplotlib, with the Agg backend when pyplot is not loaded yet (no window ever)."""
    import matplotlib

    if "matplotlib.pyplot" not in sys.modules:
        matplotlib.use("Agg")
    return matplotlib


def _figure(size: tuple[float, float] = FIGSIZE) -> Any:
    """A Figure outside pyplot's registry (nothing to close, no global state)."""
    from matplotlib.figure import Figure

    return Figure(figsize=size, layout="constrained")


def _plotting() -> Any:
    return importlib.import_module("hopt.plotting")


def _optional_plot(name: str) -> Callable[..., Any]:
    plot = getattr(_plotting(), name, None)
    if plot is None:
        raise ViewUnavailableError(
            f"this hopt has no hopt.plotting.{name}, so this view is left out."
        )
    return plot


def _accepts(function: Callable[..., Any], name: str) -> bool:
    try:
        return name in inspect.signature(function).parameters
    except (TypeError, ValueError):
        return False


def _call(plot: Callable[..., Any], trials: Any, size: tuple[float, float], **options: Any) -> Any:
    """``plot(trials, ...)`` with those ``options`` it takes, drawn into a Figure of ours
    when it takes ``ax`` or ``figure`` (else into the one it makes)."""
    kwargs = {name: value for name, value in options.items() if _accepts(plot, name)}
    if _accepts(plot, "ax"):
        figure = _figure(size)
        plot(trials, ax=figure.add_subplot(), **kwargs)
        return figure
    if _accepts(plot, "figure"):
        return plot(trials, figure=_figure(size), **kwargs)
    return plot(trials, **kwargs)


def _labels(trials: Any) -> set[str]:
    return {label for doc in trials.trials for label in (doc["misc"].get("vals") or {})}


def _several_objectives(trials: Any) -> int | None:
    return objectives.objective_count(trials.trials)


def history(trials: Any) -> Any:
    if (_several_objectives(trials) or 1) > 1:
        raise ViewUnavailableError("the search has several objectives: see the Pareto front.")
    figure = _figure()
    _plotting().plot_history(trials, ax=figure.add_subplot())
    return figure


def parallel(trials: Any) -> Any:
    if (_several_objectives(trials) or 1) > 1:
        raise ViewUnavailableError(
            "parallel coordinates colour by one loss; the search has several."
        )
    figure = _figure((6.4, 3.6))
    # the best half rather than the plot's default tenth: a short run still shows lines
    _plotting().plot_parallel_coordinates(trials, ax=figure.add_subplot(), best_fraction=0.5)
    return figure


def importance(trials: Any) -> Any:
    several = (_several_objectives(trials) or 1) > 1
    first_loss = {"objective": 0, "title": "Importance for loss 1"} if several else {}
    size = (6.0, max(2.0, 1.0 + 0.35 * len(_labels(trials))))
    plot = getattr(_plotting(), "plot_param_importances", None)
    if plot is not None:
        return _call(plot, trials, size, **first_loss)
    try:
        from ..importance import param_importances
    except ImportError:
        raise ViewUnavailableError(
            "this hopt has no hopt.importance.param_importances, so this view is left out."
        ) from None
    options: dict[str, Any] = {"objective": 0} if several else {}
    scores = dict(param_importances(trials, **options))
    if not scores:
        raise ViewUnavailableError("no parameter has an importance yet.")
    figure = _figure(size)
    ax = figure.add_subplot()
    labels = sorted(scores, key=lambda label: float(scores[label]))  # the largest on top
    ax.barh(labels, [float(scores[label]) for label in labels], color="tab:blue")
    ax.set_xlabel("importance")
    ax.set_title(first_loss.get("title", "Parameter importance"))
    return figure


def slices(trials: Any) -> Any:
    labels = _labels(trials)
    columns = max(1, min(4, len(labels)))
    rows = max(1, math.ceil(len(labels) / columns))
    size = (2.9 * columns, 2.4 * rows)
    several = (_several_objectives(trials) or 1) > 1
    plot = getattr(_plotting(), "plot_slice", None)
    if plot is not None:
        first_loss = {"objective": 0} if several else {}
        return _call(plot, trials, size, columns=columns, fontsize=8, **first_loss)
    if several:
        raise ViewUnavailableError("slices show one loss; the search has several.")
    return _plotting().plot_params(trials, figure=_figure(size), columns=columns, fontsize=8)


def intermediate(trials: Any) -> Any:
    if not any(doc.get("reports") for doc in trials.trials):
        raise ViewUnavailableError(
            "no trial has reported intermediate values (hopt.report(value, step)) yet."
        )
    figure = _figure()
    _plotting().plot_intermediate_values(trials, ax=figure.add_subplot())
    return figure


def timeline(trials: Any) -> Any:
    workers = {doc.get("owner") for doc in trials.trials}
    return _call(_optional_plot("plot_timeline"), trials, (6.4, max(2.5, 1.2 + 0.5 * len(workers))))


def pareto(trials: Any) -> Any:
    count = _several_objectives(trials)
    if count is None:
        raise ViewUnavailableError("no trial has finished with a loss yet.")
    if count < 2:
        raise ViewUnavailableError("the search has one objective; a front needs several.")
    figure = _figure((6.4, 5.0) if count > 2 else FIGSIZE)
    ax = figure.add_subplot(projection="3d" if count > 2 else None)
    _plotting().plot_pareto_front(trials, ax=ax)
    return figure


#: (name, title, draw), in the page's order
VIEWS: list[tuple[str, str, Callable[[Any], Any]]] = [
    ("history", "History", history),
    ("parallel", "Parallel coordinates", parallel),
    ("importance", "Parameter importance", importance),
    ("slices", "Slices", slices),
    ("intermediate", "Intermediate values", intermediate),
    ("timeline", "Timeline", timeline),
    ("pareto", "Pareto front", pareto),
]
VIEW_NAMES = [name for name, _, _ in VIEWS]


def _svg(figure: Any) -> bytes:
    import matplotlib

    buffer = io.BytesIO()
    # no date and fixed element ids: the same trials give the same bytes
    with matplotlib.rc_context({"svg.hashsalt": "hopt-dashboard"}):
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()


def _close(figure: Any) -> None:
    """Forget a figure pyplot made (one of ours, made without pyplot, needs nothing)."""
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None and figure is not None:
        pyplot.close(figure)


def render(trials: Any, names: list[str] | None = None) -> list[Chart]:
    """Draw the views (all, or ``names``) of ``trials``; a view that cannot be drawn gets
    a note saying why instead of an SVG."""
    _matplotlib()
    charts = []
    with RENDER_LOCK:
        for name, title, draw in VIEWS:
            if names is not None and name not in names:
                continue
            figure = None
            try:
                if not trials.trials:
                    raise ViewUnavailableError("no trials in the store yet.")
                figure = draw(trials)
                charts.append(Chart(name, title, _svg(figure), None))
            except HoptError as exc:  # ViewUnavailableError, or the plot's own reason
                charts.append(Chart(name, title, None, str(exc)))
            except Exception as exc:  # a plot's bug must not stop the dashboard
                logger.warning("the %s view could not be drawn", name, exc_info=True)
                charts.append(
                    Chart(name, title, None, f"could not be drawn: {type(exc).__name__}: {exc}")
                )
            finally:
                _close(figure)
    return charts
