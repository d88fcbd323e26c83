"""Trials as flat arrays for plotting, read only through the public ``Trials`` API.

Everything here goes through ``trials.trials`` (the list of trial documents),
which every backend provides, so plots of ``MongoTrials`` and ``SparkTrials``
need no special case.  Losses and parameter values become float arrays with NaN
where a value is missing (a failed trial's loss, a conditional parameter that
was not active), which lets the plots select rows with boolean masks.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._types import STATUS_FAIL, STATUS_OK
from .._validate import check_int, did_you_mean
from ..exceptions import AllTrialsFailedError, InvalidArgumentError
from ..objectives import loss_tuple, objective_count


def _as_float(value: Any) -> float:
    """A loss or a stored parameter value as a float; NaN when it is not a number."""
    if value is None or isinstance(value, (str, bytes)):
        return math.nan
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


@dataclass
class TrialTable:
    """One row per trial, in the order of ``trials.trials``."""

    tids: list
    statuses: list
    losses: np.ndarray  # float; NaN when the result has no numeric loss
    #: label -> float values, NaN where the label was not active in the trial
    values: dict[str, np.ndarray]
    first_error: str | None  # "tid 3: ValueError: ..." of the first failed trial
    #: what ``losses`` holds, for axis labels: "loss", or "loss 1" for one of several
    loss_label: str = "loss"

    def __len__(self) -> int:
        return len(self.tids)

    @property
    def positions(self) -> np.ndarray:
        return np.arange(len(self.tids))

    @property
    def ok(self) -> np.ndarray:
        """Finished with status ok and a finite loss: the trials a loss plot can place."""
        is_ok = np.array([s == STATUS_OK for s in self.statuses], dtype=bool)
        return is_ok & np.isfinite(self.losses)

    @property
    def failed(self) -> np.ndarray:
        return np.array([s == STATUS_FAIL for s in self.statuses], dtype=bool)

    @property
    def ok_without_finite_loss(self) -> np.ndarray:
        """Status ok but the loss is missing, NaN or infinite (written by hand or by old code)."""
        is_ok = np.array([s == STATUS_OK for s in self.statuses], dtype=bool)
        return is_ok & ~np.isfinite(self.losses)

    @property
    def labels(self) -> list[str]:
        return list(self.values)


def read_trials(trials: Any, where: str) -> TrialTable:
    """The table of ``trials``; raises if there is no trial at all."""
    docs = list(trials.trials)
    if not docs:
        raise AllTrialsFailedError(
            f"{where}: the trials object holds no trials, so there is nothing to plot. "
            "Run fmin with it first (for MongoTrials of a running experiment, call "
            "trials.refresh() to load what the workers finished)."
        )
    tids, statuses, losses = [], [], []
    labels: dict[str, None] = {}  # insertion-ordered set
    first_error = None
    for doc in docs:
        result = doc.get("result") or {}
        tids.append(doc.get("tid"))
        statuses.append(result.get("status"))
        losses.append(_as_float(result.get("loss")))
        for label in (doc.get("misc") or {}).get("vals") or {}:
            labels.setdefault(label, None)
        error = result.get("error")
        if first_error is None and result.get("status") == STATUS_FAIL and error:
            if isinstance(error, dict):
                error = f"{error.get('type', 'error')}: {error.get('message', '')}"
            first_error = f"tid {doc.get('tid')}: {error}"
    values = {label: np.full(len(docs), np.nan) for label in sorted(labels)}
    for row, doc in enumerate(docs):
        for label, stored in ((doc.get("misc") or {}).get("vals") or {}).items():
            # Hyperopt's layout: [value] when the label was active, [] when not
            if len(stored) > 0:
                values[label][row] = _as_float(stored[0])
    return TrialTable(tids, statuses, np.array(losses, dtype=float), values, first_error)


def read_objective(trials: Any, where: str, objective: Any) -> TrialTable:
    """The table of ``trials`` with ``losses`` holding the loss a plot shows.

    For one objective that is the loss (``objective`` must be None or 0); for
    several, ``objective`` must pick one by its position in the loss list, and a
    trial whose loss list has another length is treated as failed (as
    ``hopt.objectives`` does).
    """
    index = check_int(
        objective,
        "objective",
        where,
        minimum=0,
        allow_none=True,
        fix="It is the position of the loss to plot in the objective's loss list.",
    )
    table = read_trials(trials, where)
    docs = list(trials.trials)
    count = objective_count(docs)
    if count is None or count == 1:
        if index is not None and index > 0:
            raise InvalidArgumentError(
                f"{where}: objective must be None or 0 for a search with one objective "
                f"(each loss is one number); got objective={objective!r}."
            )
        return table
    if index is None or index >= count:
        raise InvalidArgumentError(
            f"{where}: the search has {count} objectives (each loss is a list), so objective "
            f"must pick the one to plot, 0 to {count - 1}; got objective={objective!r}. "
            "For example objective=0 plots the first loss."
        )
    losses = np.full(len(docs), np.nan)
    for row, doc in enumerate(docs):
        values = loss_tuple(doc.get("result") or {})
        if values is not None and len(values) == count:
            losses[row] = values[index]
    table.losses = losses
    table.loss_label = f"loss {index}"
    return table


def require_ok_trials(table: TrialTable, where: str) -> None:
    """Raise, saying what happened instead, when no trial has an ok status and a finite loss."""
    if table.ok.any():
        return
    failed = int(table.failed.sum())
    invalid = int(table.ok_without_finite_loss.sum())
    unfinished = len(table) - failed - invalid
    message = (
        f"{where}: none of the {len(table)} trials finished with status 'ok' and a finite "
        f"loss ({failed} failed, {invalid} ok with a missing/NaN/inf loss, {unfinished} not "
        "finished), so there is no loss to plot."
    )
    if table.first_error is not None:
        message += f" The first failure was {table.first_error}."
    message += " plot_history(trials) still shows the failed trials."
    raise AllTrialsFailedError(message)


def select_labels(requested: Sequence[str] | None, available: list[str], where: str) -> list[str]:
    """``requested`` checked against the labels the trials or the space know."""
    if requested is None:
        return list(available)
    if isinstance(requested, str):
        requested = [requested]
    chosen = list(requested)
    for label in chosen:
        if label not in available:
            hint = did_you_mean(str(label), available)
            raise InvalidArgumentError(
                f"{where}: unknown label; got labels=[..., {label!r}, ...]. Valid labels are "
                f"{available}.{hint}"
            )
    if not chosen:
        raise InvalidArgumentError(
            f"{where}: labels must name at least one hyperparameter; got labels=[]. Valid "
            f"labels are {available}."
        )
    return chosen
