"""``cv_results_`` from trial documents, in scikit-learn's format.

The driver reads each finished trial's result (written by
:class:`~hopt.sklearn._objective.CrossValidationObjective`, wherever it ran)
and lays the fold scores and times out as ``GridSearchCV`` does: one row per
trial (in trial id order), ``param_<name>`` masked arrays, ``split<k>_*``,
``mean_*``, ``std_*`` and ``rank_test_*`` columns.  A trial whose objective
raised has no fold scores; its row holds NaN.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.ma import MaskedArray
from scipy.stats import rankdata

from .._types import JOB_STATE_DONE
from ..domain import Domain
from ..trials.documents import spec_from_misc


@dataclass
class Candidate:
    """One finished trial: its id, the estimator parameters it tried, its result."""

    tid: Any
    params: dict[str, Any]
    result: dict[str, Any]

    @property
    def evaluated(self) -> bool:
        """True when the objective returned fold scores (it did not raise)."""
        return isinstance(self.result.get("cv"), Mapping)


def finished_candidates(trials: Any, space: Any) -> list[Candidate]:
    """The finished trials of ``trials``, with their parameters, in trial id order."""
    domain = Domain(lambda params: params, space)
    done = [t for t in trials.trials if t["state"] == JOB_STATE_DONE]
    done.sort(key=lambda t: (str(type(t["tid"])), t["tid"]))
    candidates = []
    for trial in done:
        params = domain.point(spec_from_misc(trial["misc"]))
        candidates.append(Candidate(trial["tid"], dict(params), dict(trial["result"])))
    return candidates


def _param_columns(params: Sequence[Mapping[str, Any]]) -> dict[str, MaskedArray]:
    """``param_<name>``: one masked array per parameter, masked where a trial lacks it."""
    n = len(params)
    values: dict[str, dict[int, Any]] = {}
    for i, setting in enumerate(params):
        for name, value in setting.items():
            values.setdefault(name, {})[i] = value
    columns = {}
    for name, by_index in values.items():
        try:
            probe = np.array(list(by_index.values()))
            dtype = probe.dtype if probe.ndim == 1 and probe.dtype.kind not in "UO" else object
        except ValueError:  # ragged sequences
            dtype = np.dtype(object)
        column = MaskedArray(np.empty(n, dtype=dtype), mask=True)
        for i, value in by_index.items():
            column[i] = value
        columns[f"param_{name}"] = column
    return columns


def _ranks(means: np.ndarray) -> np.ndarray:
    """1 for the best mean; NaN means tie with the worst, as in scikit-learn."""
    if len(means) == 0:
        return np.zeros(0, dtype=np.int32)
    if np.isnan(means).all():
        return np.ones(len(means), dtype=np.int32)
    filled = np.where(np.isnan(means), np.nanmin(means) - 1, means)
    return rankdata(-filled, method="min").astype(np.int32)


def build_cv_results(
    candidates: Sequence[Candidate],
    n_splits: int,
    metrics: Sequence[str],
    return_train_score: bool,
) -> dict[str, Any]:
    """The ``cv_results_`` dict of a search (keys in ``GridSearchCV``'s order)."""
    n = len(candidates)

    def matrix(key: str) -> np.ndarray:
        rows = []
        for candidate in candidates:
            cv = candidate.result.get("cv") if candidate.evaluated else None
            row = cv.get(key) if cv is not None else None
            rows.append(row if row is not None else [np.nan] * n_splits)
        return np.array(rows, dtype=np.float64).reshape(n, n_splits)

    results: dict[str, Any] = {}

    def store(key: str, *, splits: bool = False, rank: bool = False) -> None:
        array = matrix(key)
        if splits:
            for k in range(n_splits):
                results[f"split{k}_{key}"] = array[:, k]
        with np.errstate(invalid="ignore"):
            means = array.mean(axis=1)
            results[f"mean_{key}"] = means
            results[f"std_{key}"] = array.std(axis=1)
        if rank:
            results[f"rank_{key}"] = _ranks(means)

    store("fit_time")
    store("score_time")
    params = [c.params for c in candidates]
    results.update(_param_columns(params))
    results["params"] = params
    for metric in metrics:
        store(f"test_{metric}", splits=True, rank=True)
        if return_train_score:
            store(f"train_{metric}", splits=True)
    results["tid"] = np.array([c.tid for c in candidates])
    return results
