"""Pruners: decide from a running trial's reports whether it should stop early.

``hopt.report(value, step)`` records a trial's intermediate loss and
``hopt.should_prune()`` asks the experiment's pruner.  Each pruner is a pure rule
over trial documents (:class:`Pruner`); the names and rules are Optuna's, for
minimisation, and each class says where and why hopt's reading differs.
"""

from __future__ import annotations

from .base import (
    NopPruner,
    Pruner,
    best_value,
    completed_trials,
    completion_order,
    due_check,
    first_completed_trial,
    is_check_step,
    is_completed,
    is_pruned,
    last_step,
    value_at_step,
    values_by_step,
)
from .hyperband import HyperbandPruner
from .patient import PatientPruner
from .percentile import MedianPruner, PercentilePruner
from .successive_halving import SuccessiveHalvingPruner
from .threshold import ThresholdPruner
from .wilcoxon import WilcoxonPruner

__all__ = [
    "HyperbandPruner",
    "MedianPruner",
    "NopPruner",
    "PatientPruner",
    "PercentilePruner",
    "Pruner",
    "SuccessiveHalvingPruner",
    "ThresholdPruner",
    "WilcoxonPruner",
    "best_value",
    "completed_trials",
    "completion_order",
    "due_check",
    "first_completed_trial",
    "is_check_step",
    "is_completed",
    "is_pruned",
    "last_step",
    "value_at_step",
    "values_by_step",
]
