"""Hyperparameter importances as horizontal bars, the most important on top."""

from __future__ import annotations

import inspect
import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from .._validate import check_int, is_real
from ..exceptions import InvalidArgumentError, MissingDependencyError
from ._backend import DEFAULT_STATUS_COLORS, figure_and_axes
from ._trial_table import read_objective, require_ok_trials

WHERE = "plot_param_importances"


def _computed(trials: Any, evaluator: Any, objective: Any, space: Any) -> Mapping[str, Any]:
    """``hopt.importance.param_importances`` of ``trials``, imported only now."""
    # the same checks as the loss plots: trials to score, objective= for several losses
    require_ok_trials(read_objective(trials, WHERE, objective), WHERE)
    try:
        from ..importance import param_importances
    except ImportError as error:
        raise MissingDependencyError(
            f"{WHERE}: computing importances from trials needs hopt.importance, which this "
            "installation of hopt does not have; pass a mapping label -> importance instead."
        ) from error
    given = {"evaluator": evaluator, "objective": objective, "space": space}
    options = {name: value for name, value in given.items() if value is not None}
    accepted = inspect.signature(param_importances).parameters
    for name, value in options.items():
        if name not in accepted:
            raise InvalidArgumentError(
                f"{WHERE}: hopt.importance.param_importances takes no {name}; got "
                f"{name}={value!r}. Compute the importances yourself and pass them."
            )
    return param_importances(trials, **options)


def _scores(importances: Mapping[str, Any]) -> tuple[list[str], np.ndarray]:
    """Labels and scores, checked: every score a finite number."""
    labels, scores = [], []
    for label, score in importances.items():
        if not is_real(score) or not math.isfinite(float(score)):
            raise InvalidArgumentError(
                f"{WHERE}: every importance must be a finite number; got importances"
                f"[{label!r}]={score!r}."
            )
        labels.append(str(label))
        scores.append(float(score))
    if not labels:
        raise InvalidArgumentError(
            f"{WHERE}: importances must hold at least one label; got importances={{}}."
        )
    return labels, np.array(scores)


def plot_param_importances(
    importances: Any,
    *,
    evaluator: Any = None,
    objective: int | None = None,
    space: Any = None,
    top: int | None = None,
    ax: Any = None,
    color: Any = DEFAULT_STATUS_COLORS["ok"],
    title: str = "Hyperparameter importances",
) -> Any:
    """One horizontal bar per label, sorted with the most important on top, each
    bar labelled with its score.

    ``importances`` is a mapping label -> score (for instance what
    ``hopt.importance.param_importances`` returns; any order), or a ``Trials``
    object, whose importances are then computed with
    ``hopt.importance.param_importances(trials, evaluator=evaluator,
    objective=objective, space=space)`` (each passed only when given; pass the
    search ``space`` so that choices count as options and log priors on a log
    scale).  For a search with several objectives, ``objective`` picks the loss,
    by its position in the loss list; it is required then.  ``top`` keeps only
    the ``top`` most important labels.  Raises ``InvalidArgumentError`` for a
    score that is not a finite number, an empty mapping, or ``evaluator``,
    ``objective`` or ``space`` given with a mapping, and ``AllTrialsFailedError``
    for trials where nothing finished ``ok``.  Returns the matplotlib Figure.
    """
    check_int(top, "top", WHERE, minimum=1, allow_none=True)
    if isinstance(importances, Mapping):
        only_for_trials = {"evaluator": evaluator, "objective": objective, "space": space}
        for name, value in only_for_trials.items():
            if value is not None:
                raise InvalidArgumentError(
                    f"{WHERE}: {name} applies only when importances are computed from "
                    f"trials; got {name}={value!r} with a mapping of importances. Pass the "
                    "Trials object instead, or leave it out."
                )
        scores_of = importances
    elif hasattr(importances, "trials"):
        scores_of = _computed(importances, evaluator, objective, space)
    else:
        raise InvalidArgumentError(
            f"{WHERE}: importances must be a mapping label -> score or a Trials object; got "
            f"importances={importances!r}."
        )
    labels, scores = _scores(scores_of)
    # most important first; equal scores keep the mapping's order
    order = np.argsort(-scores, kind="stable")
    shown = order if top is None else order[:top]
    figure, ax = figure_and_axes(WHERE, ax, (6.0, 1.0 + 0.35 * len(shown)))
    # the most important at the top: the highest y position
    positions = np.arange(len(shown))[::-1]
    bars = ax.barh(positions, scores[shown], color=color, gid="importances")
    ax.bar_label(bars, labels=[f"{scores[i]:.3g}" for i in shown], padding=3, fontsize="small")
    ax.set_yticks(positions, labels=[labels[i] for i in shown])
    low, high = min(0.0, float(scores.min())), max(0.0, float(scores.max()))
    # room on the right for the value labels
    ax.set_xlim(low - 0.05 * (high - low) if low < 0 else 0.0, high + 0.18 * (high - low or 1.0))
    ax.set_xlabel("importance")
    if len(shown) < len(labels):
        title += f" (top {len(shown)} of {len(labels)})"
    ax.set_title(title)
    return figure
