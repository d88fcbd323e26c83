"""What the page shows, as plain JSON-ready data: the run summary and the trial table.

Built from a ``Snapshot`` (store.py) through the public ``Trials`` API and the
read side of ``hopt.objectives``, so the summary's best trial and front are the
ones ``trials.best_trial`` and ``trials.best_trials`` give.  Values a user wrote
(labels, parameter values, error messages, attachment names) stay data here;
the page puts them into the document as text, never as markup.
"""

from __future__ import annotations

import datetime
import math
import numbers
from collections.abc import Mapping
from typing import Any

from .. import objectives
from .._types import (
    JOB_STATE_DONE,
    JOB_STATE_NEW,
    JOB_STATE_RUNNING,
    STATUS_FAIL,
)
from ..results import recorded_error
from .store import Snapshot

STATE_NAMES = {JOB_STATE_NEW: "new", JOB_STATE_RUNNING: "running", JOB_STATE_DONE: "done"}
#: an error message longer than this is cut in the table (the page says so)
MAX_MESSAGE_CHARS = 2000


def json_number(value: Any) -> float | int | str | None:
    """A number JSON can carry: NaN and infinities become the strings "nan", "inf", "-inf"."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        number = float(value)
        return number if math.isfinite(number) else str(number)
    return None


def json_value(value: Any) -> Any:
    """A parameter value or loss as JSON: numbers as numbers, lists of them, else text."""
    if isinstance(value, (list, tuple)):
        return [json_value(v) for v in value]
    if value is None or isinstance(value, (bool, numbers.Real)):
        return json_number(value)
    if isinstance(value, str):
        return value
    return str(value)


def _seconds(start: Any, end: Any) -> float | None:
    if isinstance(start, datetime.datetime) and isinstance(end, datetime.datetime):
        return round((end - start).total_seconds(), 3)
    return None


def _iso(moment: Any) -> str | None:
    return moment.isoformat(timespec="seconds") if isinstance(moment, datetime.datetime) else None


def _error_of(doc: Mapping[str, Any]) -> tuple[str | None, str | None]:
    result = doc.get("result") or {}
    error = recorded_error(result)
    if error is not None:
        return str(error["type"]), str(error["message"])[:MAX_MESSAGE_CHARS]
    stored = (doc.get("misc") or {}).get("error")
    if isinstance(stored, (list, tuple)) and len(stored) == 2:  # Hyperopt's (type, message)
        return str(stored[0]), str(stored[1])[:MAX_MESSAGE_CHARS]
    if result.get("status") == STATUS_FAIL:
        return "failed", None
    return None, None


def trial_row(doc: Mapping[str, Any], attachments: list[str]) -> dict[str, Any]:
    """One row of the trial table."""
    result = doc.get("result") or {}
    error_type, error_message = _error_of(doc)
    params = {}
    for label, stored in ((doc.get("misc") or {}).get("vals") or {}).items():
        params[str(label)] = json_value(stored[0]) if len(stored) > 0 else None
    reports = doc.get("reports") or []
    state = doc.get("state")
    return {
        "tid": json_value(doc.get("tid")),
        "state": STATE_NAMES[state] if state in STATE_NAMES else str(state),
        "status": None if result.get("status") is None else str(result.get("status")),
        "loss": json_value(result.get("loss")),
        "feasible": result.get("feasible") if isinstance(result.get("feasible"), bool) else None,
        "params": params,
        "error_type": error_type,
        "error_message": error_message,
        "duration": _seconds(doc.get("book_time"), doc.get("end_time")),
        "started": _iso(doc.get("book_time")),
        "owner": None if doc.get("owner") is None else str(doc.get("owner")),
        "reports": len(reports),
        "last_report": json_value(reports[-1].get("value")) if reports else None,
        "attachments": sorted(attachments),
    }


def summary(snapshot: Snapshot) -> dict[str, Any]:
    """Trial counts by state and by status, the best trial, and the front's size."""
    docs = snapshot.trials.trials
    states = {name: 0 for name in STATE_NAMES.values()}
    statuses: dict[str, int] = {}
    for doc in docs:
        state = doc.get("state")
        name = STATE_NAMES[state] if state in STATE_NAMES else str(state)
        states[name] = states.get(name, 0) + 1
        status = (doc.get("result") or {}).get("status")
        if status is not None:
            statuses[str(status)] = statuses.get(str(status), 0) + 1
    states["cancelled"] = snapshot.cancelled
    states["error"] = snapshot.errored
    count = objectives.objective_count(docs)
    best = objectives.best_of(docs)
    return {
        "trials": len(docs),
        "states": states,
        "statuses": dict(sorted(statuses.items())),
        "objectives": count,
        "best": None
        if best is None
        else {
            "tid": json_value(best.get("tid")),
            "loss": json_value(best["result"].get("loss")),
            "params": trial_row(best, [])["params"],
        },
        "front_size": len(objectives.front_of(docs)) if count is not None and count > 1 else None,
    }


def page_data(snapshot: Snapshot) -> dict[str, Any]:
    """Everything but the charts: summary, parameter labels and the trial rows."""
    docs = snapshot.trials.trials
    labels: dict[str, None] = {}
    for doc in docs:
        for label in (doc.get("misc") or {}).get("vals") or {}:
            labels.setdefault(str(label), None)
    return {
        "version": snapshot.version,
        "read_at": _iso(snapshot.read_at),
        "summary": summary(snapshot),
        "labels": sorted(labels),
        "trials": [trial_row(doc, snapshot.attachments.get(doc["tid"], [])) for doc in docs],
    }
