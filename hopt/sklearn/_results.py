"""``cv_results_`` from trial documents, in scikit-learn's format.

The driver reads each finished trial's result (written by
:class:`~hopt.sklearn._objective.CrossValidationObjective`, wherever it ran)
and lays the fold scores and times out as ``GridSearchCV`` does: one row per
trial (in trial id order), ``param_<name>`` masked arrays, ``split<k>_*``,
``mean_*``, ``std_*`` and ``rank_test_*`` columns.  A trial whose objective
raised has no fold scores; its row holds NaN.

A trial a pruner stopped (status ``"pruned"``) has NaN for the folds it did not
reach; its means and standard deviations are over the folds it ran, and it ranks
after every completed trial (see :func:`pruning_ranks`).  With pruning, two more
columns say which rows were pruned (``pruned``) and how many steps each ran
(``n_steps``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.ma import MaskedArray
from scipy.stats import rankdata

from .._types import JOB_STATE_DONE, STATUS_PRUNED
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

    @property
    def pruned(self) -> bool:
        """True when a pruner stopped the trial (it has the scores of the steps it ran)."""
        return self.evaluated and self.result.get("status") == STATUS_PRUNED

    def n_steps(self, n_splits: int) -> int:
        """How many steps (folds, or training rounds) the trial ran: 0 when its objective
        raised; ``n_splits`` for a trial of a search without a pruner."""
        if not self.evaluated:
            return 0
        steps = self.result.get("n_steps")
        return int(steps) if steps is not None else n_splits

    def n_fits(self) -> int:
        """How many folds the trial fitted (the ones it did not reach have no fit time)."""
        times = np.asarray(self.result["cv"].get("fit_time", ()), dtype=np.float64)
        return int(np.isfinite(times).sum())


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


def pruning_ranks(means: np.ndarray, pruned: np.ndarray, n_steps: np.ndarray) -> np.ndarray:
    """Ranks when some rows were pruned: completed rows first, by mean (1 the best); then
    pruned rows, the furthest first, then by mean; NaN means last, tied.  Equal keys
    share the lowest rank, as ``rankdata(method="min")`` gives."""
    keys: list[tuple[int, float, float]] = []
    for mean, stopped, steps in zip(means, pruned, n_steps):
        if np.isnan(mean):
            keys.append((2, 0.0, 0.0))
        elif stopped:
            keys.append((1, -float(steps), -float(mean)))
        else:
            keys.append((0, 0.0, -float(mean)))
    ordered = sorted(keys)
    first: dict[tuple[int, float, float], int] = {}
    for position, key in enumerate(ordered):
        first.setdefault(key, position + 1)
    return np.array([first[key] for key in keys], dtype=np.int32)


def build_cv_results(
    candidates: Sequence[Candidate],
    n_splits: int,
    metrics: Sequence[str],
    return_train_score: bool,
    pruning_columns: bool = False,
) -> dict[str, Any]:
    """The ``cv_results_`` dict of a search (keys in ``GridSearchCV``'s order).

    ``pruning_columns`` adds ``pruned`` and ``n_steps`` (a search with a pruner; they
    are added too whenever a row was pruned).
    """
    pruned = np.array([c.pruned for c in candidates], dtype=bool)
    n_steps = np.array([c.n_steps(n_splits) for c in candidates], dtype=np.int64)
    # the folds each pruned row ran: those with a fit time
    ran = np.isfinite(_matrix(candidates, "fit_time", n_splits)) if pruned.any() else None

    results: dict[str, Any] = {}

    def store(key: str, *, splits: bool = False, rank: bool = False) -> None:
        array = _matrix(candidates, key, n_splits)
        if splits:
            for k in range(n_splits):
                results[f"split{k}_{key}"] = array[:, k]
        with np.errstate(invalid="ignore"):
            means = array.mean(axis=1)
            stds = array.std(axis=1)
        if ran is not None:  # a pruned row: over the folds it ran
            for i in np.flatnonzero(pruned):
                row = array[i, ran[i]]
                means[i] = row.mean() if row.size else np.nan
                stds[i] = row.std() if row.size else np.nan
        results[f"mean_{key}"] = means
        results[f"std_{key}"] = stds
        if rank:
            results[f"rank_{key}"] = (
                pruning_ranks(means, pruned, n_steps) if pruned.any() else _ranks(means)
            )

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
    if pruning_columns or pruned.any():
        results["pruned"] = pruned
        results["n_steps"] = n_steps
    return results


def _matrix(candidates: Sequence[Candidate], key: str, n_splits: int) -> np.ndarray:
    """``cv[key]`` of every candidate, one row each; NaN rows where it has none."""
    rows = []
    for candidate in candidates:
        cv = candidate.result.get("cv") if candidate.evaluated else None
        row = cv.get(key) if cv is not None else None
        rows.append(row if row is not None else [np.nan] * n_splits)
    return np.array(rows, dtype=np.float64).reshape(len(candidates), n_splits)
