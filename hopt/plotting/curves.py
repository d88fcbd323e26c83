"""Intermediate values: each trial's reports (``hopt.report``) against their steps."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .._types import STATUS_OK, STATUS_PRUNED
from ..exceptions import InvalidArgumentError
from ._backend import DEFAULT_STATUS_COLORS, figure_and_axes

#: colours by how a trial ended; running trials are drawn too (a live view)
CURVE_COLORS = {
    "ok": DEFAULT_STATUS_COLORS["ok"],
    "pruned": "tab:gray",
    "running": "tab:green",
    "fail": DEFAULT_STATUS_COLORS["fail"],
}


def _ending(trial: Mapping[str, Any]) -> str:
    status = (trial.get("result") or {}).get("status")
    if status in (STATUS_OK, STATUS_PRUNED):
        return str(status)
    if status in (None, "new", "running"):
        return "running"
    return "fail"


def plot_intermediate_values(
    trials: Any,
    *,
    ax: Any = None,
    colors: Mapping[str, Any] | None = None,
    log_y: bool = False,
    title: str = "Intermediate values",
) -> Any:
    """One line per trial through its reports (step on x, value on y).

    Completed trials are drawn in blue, pruned ones in grey ending with a cross
    at the step where they were stopped, running ones in green and failed ones in
    red; the legend counts each.  Trials without reports are left out; a search
    with no report at all raises ``InvalidArgumentError`` saying how to make them.
    Reads ``trials.trials`` (or a list of trial documents), so it works on every
    backend and while the search runs.  Returns the matplotlib Figure.
    """
    docs = list(getattr(trials, "trials", trials))
    reporting = [t for t in docs if t.get("reports")]
    if not reporting:
        raise InvalidArgumentError(
            "plot_intermediate_values: no trial has reports; call hopt.report(value, step) "
            "in the objective (for example once per epoch)."
        )
    palette = {**CURVE_COLORS, **(dict(colors) if colors else {})}
    figure, ax = figure_and_axes("plot_intermediate_values", ax, (7.0, 4.0))
    counts: dict[str, int] = {}
    for trial in reporting:
        ending = _ending(trial)
        steps = [r["step"] for r in trial["reports"]]
        values = [r["value"] for r in trial["reports"]]
        first = ending not in counts
        counts[ending] = counts.get(ending, 0) + 1
        ax.plot(
            steps,
            values,
            color=palette[ending],
            linewidth=1.0,
            alpha=0.8,
            marker="." if len(steps) == 1 else None,
            gid=f"trial-{trial['tid']}",
            label=ending if first else None,
        )
        if ending == "pruned":
            ax.plot(steps[-1], values[-1], linestyle="none", marker="x", color=palette["pruned"],
                    gid=f"pruned-{trial['tid']}")  # fmt: skip
    for line in ax.get_legend_handles_labels()[0]:
        name = line.get_label()
        line.set_label(f"{name} ({counts[name]})")
    if log_y:
        ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("reported value")
    ax.set_title(title)
    ax.legend(loc="best", fontsize="small")
    return figure
