"""The trials an importance is computed from, as flat arrays.

Only trials that finished ``ok`` with a finite value of the chosen objective
count, and with constraints only the feasible ones: an infeasible trial's loss
says how good a point would be if it were allowed, which is not what a user
asks about.  Everything is read through ``trials.trials``, which every backend
provides.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..exceptions import InvalidArgumentError
from ..objectives import is_feasible, scored

#: fewer usable trials than this is an error: at the default target_quantile of 0.1
#: PED-ANOVA's top set would hold one trial, and a forest would have next to nothing
#: to split, so any ranking would be noise
MIN_TRIALS = 20


@dataclass
class TrialValues:
    """One row per usable trial."""

    losses: np.ndarray  # the chosen objective
    #: label -> stored values as floats, NaN where the label was not active
    values: dict[str, np.ndarray]
    n_objectives: int


def _documents(trials: Any, where: str) -> list[Mapping[str, Any]]:
    docs = getattr(trials, "trials", None)
    if docs is None or isinstance(trials, (str, bytes)):
        raise InvalidArgumentError(
            f"{where}: trials must be a hopt Trials (or an object whose .trials is the list "
            f"of trial documents); got trials={type(trials).__name__}."
        )
    return list(docs)


def _choose_objective(objective: Any, n_objectives: int, where: str) -> int:
    choices = f"an int from 0 to {n_objectives - 1}"
    if objective is None:
        if n_objectives == 1:
            return 0
        raise InvalidArgumentError(
            f"{where}: the trials have {n_objectives} objectives, so objective must pick one "
            f"({choices}); got objective=None. Compute one importance per objective, e.g. "
            "param_importances(trials, objective=0)."
        )
    if isinstance(objective, bool) or not isinstance(objective, (int, np.integer)):
        raise InvalidArgumentError(
            f"{where}: objective must be {choices} (the trials have {n_objectives} "
            f"objective{'s' if n_objectives > 1 else ''}); got objective={objective!r}."
        )
    if not 0 <= int(objective) < n_objectives:
        raise InvalidArgumentError(
            f"{where}: objective is out of range: the trials have {n_objectives} "
            f"objective{'s' if n_objectives > 1 else ''}, so it must be {choices}; got "
            f"objective={objective!r}."
        )
    return int(objective)


def read_trial_values(trials: Any, objective: Any, where: str) -> TrialValues:
    """The usable trials of ``trials`` with the loss of ``objective``; raises if too few."""
    docs = _documents(trials, where)
    rows = scored(docs)
    if not rows:
        raise InvalidArgumentError(
            f"{where}: no trial finished with status 'ok' and a numeric loss (the trials "
            f"hold {len(docs)} trial{'' if len(docs) == 1 else 's'}); got trials with nothing "
            "to learn from. Run fmin with these trials first (for MongoTrials of a running "
            "experiment, call trials.refresh() to load what the workers finished)."
        )
    n_objectives = len(rows[0][1])
    chosen = _choose_objective(objective, n_objectives, where)
    feasible = [(doc, losses) for doc, losses in rows if is_feasible(doc["result"])]
    usable = [(doc, losses[chosen]) for doc, losses in feasible if math.isfinite(losses[chosen])]
    if len(usable) < MIN_TRIALS:
        dropped = []
        if len(feasible) < len(rows):
            dropped.append(f"{len(rows) - len(feasible)} infeasible")
        if len(usable) < len(feasible):
            dropped.append(f"{len(feasible) - len(usable)} with an infinite loss")
        detail = f" ({', '.join(dropped)} left out)" if dropped else ""
        raise InvalidArgumentError(
            f"{where}: needs at least {MIN_TRIALS} finished 'ok' trials with a finite loss"
            f"{' that are feasible' if len(feasible) < len(rows) else ''}; got "
            f"{len(usable)} of {len(docs)} trials{detail}. With fewer, the top 10% of trials "
            "that PED-ANOVA looks at is a single trial and a random forest has almost nothing "
            "to split, so a ranking would be noise. Run more trials."
        )
    labels: dict[str, None] = {}
    for doc, _ in usable:
        for label in (doc.get("misc") or {}).get("vals") or {}:
            labels.setdefault(label, None)
    values = {label: np.full(len(usable), np.nan) for label in labels}
    for row, (doc, _) in enumerate(usable):
        for label, stored in ((doc.get("misc") or {}).get("vals") or {}).items():
            # Hyperopt's layout: [value] when the label was active, [] when not
            if len(stored) > 0:
                values[label][row] = _as_float(stored[0])
    losses = np.array([loss for _, loss in usable], dtype=float)
    return TrialValues(losses, values, n_objectives)


def _as_float(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan
