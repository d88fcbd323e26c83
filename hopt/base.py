"""Hyperopt's ``hyperopt.base`` names, for code that imports them from there."""

from __future__ import annotations

from ._types import (
    JOB_STATE_CANCEL,
    JOB_STATE_DONE,
    JOB_STATE_ERROR,
    JOB_STATE_NEW,
    JOB_STATE_RUNNING,
    JOB_STATES,
    JOB_VALID_STATES,
    STATUS_FAIL,
    STATUS_NEW,
    STATUS_OK,
    STATUS_RUNNING,
    STATUS_STRINGS,
    STATUS_SUSPENDED,
    TRIAL_KEYS,
    TRIAL_MISC_KEYS,
)
from ._validate import check_loss_threshold, check_timeout
from .domain import Domain
from .exceptions import (
    AllTrialsFailed,
    DuplicateLabel,
    InvalidLoss,
    InvalidResultStatus,
    InvalidTrial,
)
from .space.stochastic import recursive_set_rng_kwarg
from .trials import (
    SONify,
    Trials,
    miscs_to_idxs_vals,
    miscs_update_idxs_vals,
    spec_from_misc,
    trials_from_docs,
)
from .trials.ctrl import Ctrl


def validate_timeout(timeout) -> None:
    """Hyperopt's check: raise (InvalidArgumentError) unless None or a positive number."""
    check_timeout(timeout, where="validate_timeout")


def validate_loss_threshold(loss_threshold) -> None:
    """Hyperopt's check: raise (InvalidArgumentError) unless None or a number."""
    check_loss_threshold(loss_threshold, where="validate_loss_threshold")


__all__ = [
    "JOB_STATES",
    "JOB_STATE_CANCEL",
    "JOB_STATE_DONE",
    "JOB_STATE_ERROR",
    "JOB_STATE_NEW",
    "JOB_STATE_RUNNING",
    "JOB_VALID_STATES",
    "STATUS_FAIL",
    "STATUS_NEW",
    "STATUS_OK",
    "STATUS_RUNNING",
    "STATUS_STRINGS",
    "STATUS_SUSPENDED",
    "TRIAL_KEYS",
    "TRIAL_MISC_KEYS",
    "Ctrl",
    "Domain",
    "SONify",
    "Trials",
    "miscs_to_idxs_vals",
    "miscs_update_idxs_vals",
    "recursive_set_rng_kwarg",
    "AllTrialsFailed",
    "DuplicateLabel",
    "InvalidLoss",
    "InvalidResultStatus",
    "InvalidTrial",
    "spec_from_misc",
    "trials_from_docs",
    "validate_loss_threshold",
    "validate_timeout",
]
