"""Timeline: when each trial ran, one row per worker, so idle workers show as gaps."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

import numpy as np

from .._types import (
    JOB_STATE_ERROR,
    JOB_STATE_NEW,
    JOB_STATE_RUNNING,
    STATUS_FAIL,
    STATUS_OK,
    STATUS_PRUNED,
    STATUS_RUNNING,
)
from .._utils import utcnow
from .._validate import is_real
from ..exceptions import AllTrialsFailedError, InvalidArgumentError
from ._backend import figure_and_axes
from .curves import CURVE_COLORS

WHERE = "plot_timeline"
#: bar colours by how a trial ended; "other" is a cancelled or suspended trial
TIMELINE_COLORS = {**CURVE_COLORS, "other": "tab:purple"}
STATUS_ORDER = ("ok", "pruned", "fail", "running", "other")
#: a trial shorter than this fraction of the whole timeline is drawn this wide
MIN_BAR_FRACTION = 0.002
NO_OWNER = "(no owner)"


def _seconds(value: Any) -> float | None:
    """A stored time as seconds since the epoch: naive datetimes are UTC (every backend
    writes them so), numbers are taken as seconds, ISO strings are parsed."""
    if isinstance(value, str):
        try:
            value = datetime.datetime.fromisoformat(value)
        except ValueError:
            return None
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.timezone.utc)
        return value.timestamp()
    if is_real(value) and np.isfinite(float(value)):
        return float(value)
    return None


def _status(trial: Mapping[str, Any]) -> str:
    status = (trial.get("result") or {}).get("status")
    if trial.get("state") == JOB_STATE_RUNNING or status == STATUS_RUNNING:
        return "running"
    if status in (STATUS_OK, STATUS_PRUNED):
        return str(status)
    if status == STATUS_FAIL or trial.get("state") == JOB_STATE_ERROR:
        return "fail"
    return "other"


def _owner_name(owner: Any) -> str:
    if owner is None or owner == "":
        return NO_OWNER
    if isinstance(owner, (list, tuple)):  # Hyperopt's workers stored (host, pid)
        return ":".join(str(part) for part in owner)
    return str(owner)


def _lanes(intervals: list[tuple[float, float]]) -> tuple[list[int], int]:
    """A lane per interval such that intervals in one lane do not overlap (a worker
    that runs several trials at once, such as a Spark executor with several slots)."""
    lane_ends: list[float] = []
    lanes = []
    for start, end in intervals:  # sorted by start
        free = [i for i, lane_end in enumerate(lane_ends) if lane_end <= start]
        if free:
            lane = free[0]
            lane_ends[lane] = end
        else:
            lane = len(lane_ends)
            lane_ends.append(end)
        lanes.append(lane)
    return lanes, max(len(lane_ends), 1)


def _busy_time(intervals: list[tuple[float, float]]) -> float:
    """How long at least one trial ran: the length of the union of the intervals."""
    total, reach = 0.0, -np.inf
    for start, end in sorted(intervals):
        if end > reach:
            total += end - max(start, reach)
            reach = end
    return total


def _unit(span: float) -> tuple[float, str]:
    if span < 120:
        return 1.0, "s"
    if span < 2 * 3600:
        return 60.0, "min"
    return 3600.0, "h"


def _now_seconds(now: Any) -> float:
    if now is None:
        return utcnow().replace(tzinfo=datetime.timezone.utc).timestamp()
    seconds = _seconds(now) if isinstance(now, datetime.datetime) or is_real(now) else None
    if seconds is None:
        raise InvalidArgumentError(
            f"{WHERE}: now must be None, a datetime (naive means UTC) or seconds since the "
            f"epoch; got now={now!r}."
        )
    return seconds


def plot_timeline(
    trials: Any,
    *,
    now: Any = None,
    ax: Any = None,
    colors: Mapping[str, Any] | None = None,
    title: str = "Timeline",
) -> Any:
    """Each trial as a horizontal bar from its ``book_time`` to its ``end_time``
    (else ``refresh_time``), one row per worker (the trial's ``owner``: ``host:pid``
    for in-process, FileTrials and MongoDB workers, the executor for SparkTrials).

    Gaps in a row are a worker's idle time, and each row's label says how busy it
    was over the whole timeline.  Trials a worker ran at the same time get lanes
    side by side in its row.  Bars are coloured by status: ``ok`` blue, ``pruned``
    grey, ``fail`` red, ``running`` green (extended to ``now``, by default the
    current time, with a dashed line there), anything else purple; ``colors``
    overrides by those keys.  Queued trials, which have not started, are counted
    in the title only.  x is the time since the first trial started.  Reads
    ``trials.trials`` (or a list of trial documents), so it works on every backend
    and while the search runs.  Raises ``AllTrialsFailedError`` when no trial has
    started.  Returns the matplotlib Figure.
    """
    docs = list(getattr(trials, "trials", trials))
    if not docs:
        raise AllTrialsFailedError(
            f"{WHERE}: the trials object holds no trials, so there is nothing to plot. "
            "Run fmin with it first (for MongoTrials, call trials.refresh() to load them)."
        )
    palette = {**TIMELINE_COLORS, **(dict(colors) if colors else {})}
    now_at = _now_seconds(now)
    bars: list[tuple[str, str, float, float]] = []  # owner, status, start, end
    for trial in docs:
        start = _seconds(trial.get("book_time"))
        if trial.get("state") == JOB_STATE_NEW or start is None:
            continue  # queued (or queued again after its worker was lost): not running
        status = _status(trial)
        end = now_at if status == "running" else _seconds(trial.get("end_time"))
        if end is None:
            end = _seconds(trial.get("refresh_time"))
        end = start if end is None else max(end, start)
        bars.append((_owner_name(trial.get("owner")), status, start, end))
    if not bars:
        raise AllTrialsFailedError(
            f"{WHERE}: none of the {len(docs)} trials has started (no book_time), so there "
            "is no timeline to draw yet."
        )
    origin = min(start for _, _, start, _ in bars)
    span = max(end for _, _, _, end in bars) - origin
    scale, unit = _unit(span)
    first_start: dict[str, float] = {}
    for owner, _, start, _ in bars:
        first_start[owner] = min(start, first_start.get(owner, start))
    owners = sorted(first_start, key=lambda owner: (first_start[owner], owner))

    figure, ax = figure_and_axes(WHERE, ax, (8.0, 1.2 + 0.45 * len(owners)))
    drawn: dict[str, list[tuple[float, float, float, float]]] = {s: [] for s in STATUS_ORDER}
    row_labels = []
    for row, owner in enumerate(owners):
        mine = sorted((b for b in bars if b[0] == owner), key=lambda b: b[2])
        intervals = [(start, end) for _, _, start, end in mine]
        lanes, n_lanes = _lanes(intervals)
        height = 0.8 / n_lanes
        for (_, status, start, end), lane in zip(mine, lanes):
            centre = row - 0.4 + (lane + 0.5) * height
            width = max((end - start) / scale, MIN_BAR_FRACTION * span / scale)
            drawn[status].append((centre, height, (start - origin) / scale, width))
        busy = _busy_time(intervals) / span if span > 0 else 1.0
        row_labels.append(f"{owner} ({100 * busy:.0f}% busy)")
    for status in STATUS_ORDER:
        if drawn[status]:
            y, heights, lefts, widths = (list(column) for column in zip(*drawn[status]))
            ax.barh(y, widths, left=lefts, height=heights, color=palette[status],
                    edgecolor="white", linewidth=0.5, gid=f"trial:{status}",
                    label=f"{status} ({len(y)})")  # fmt: skip
    if drawn["running"]:
        ax.axvline((now_at - origin) / scale, color=palette["running"], linestyle="--",
                   linewidth=1.0, gid="now")  # fmt: skip
    ax.set_yticks(list(range(len(owners))), labels=row_labels)
    ax.set_ylim(len(owners) - 0.5, -0.5)  # the first worker on top
    ax.set_xlabel(f"time since the first trial started ({unit})")
    queued = len(docs) - len(bars)
    where_ran = f"{len(owners)} worker{'s' if len(owners) != 1 else ''}"
    title += f": {len(bars)} trials on {where_ran}" + (f", {queued} not started" if queued else "")
    ax.set_title(title)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
    return figure
