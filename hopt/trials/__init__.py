"""Trial storage: documents, the ``Trials`` contract and the in-memory backend."""

from .._types import RecordedError, TrialDoc, TrialMisc, TrialReport, TrialResult
from .attachments import TrialAttachments
from .base import Trials, trials_from_docs
from .documents import (
    SONify,
    miscs_to_idxs_vals,
    miscs_update_idxs_vals,
    spec_from_misc,
    to_python,
    validate_trial,
)

__all__ = [
    "RecordedError",
    "SONify",
    "TrialAttachments",
    "TrialDoc",
    "TrialMisc",
    "TrialReport",
    "TrialResult",
    "Trials",
    "miscs_to_idxs_vals",
    "miscs_update_idxs_vals",
    "spec_from_misc",
    "to_python",
    "trials_from_docs",
    "validate_trial",
]
