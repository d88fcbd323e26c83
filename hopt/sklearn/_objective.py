"""One trial of a search: cross-validate one parameter setting of an estimator.

:class:`CrossValidationObjective` is the objective ``fmin`` minimises.  It holds
everything a trial needs (the estimator, the data, the folds, the scorers), so
the same object runs in process with ``Trials`` and, pickled, on Spark
executors or in ``hopt-worker`` processes.  It returns the fold scores and
times inside the trial's result, where the driver finds them to build
``cv_results_``; every value in that result is a plain float, int, str or list,
so any backend can store it (MongoDB included).
"""

from __future__ import annotations

import inspect
import math
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.utils import _safe_indexing
from sklearn.utils.metaestimators import _safe_split

from .._types import STATUS_FAIL, STATUS_OK
from .._validate import is_real
from ..exceptions import HoptError, InvalidSpaceError
from ..results import INVALID_LOSS_ERROR

#: Tracebacks kept in a trial's result are cut to this many characters.
MAX_TRACEBACK_CHARS = 4000

#: what ``HoptSearchCV(objectives=...)`` may name besides the scorers: the mean seconds
#: a fold took to fit, and to score (minimised as they are)
TIME_OBJECTIVES = ("fit_time", "score_time")


def describe_error(
    exc: BaseException, split: int | None = None, stage: str | None = None
) -> dict[str, Any]:
    """A storable record of an exception: type, message, traceback (fold and stage:
    ``"fit"`` or ``"score"``)."""
    tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    record: dict[str, Any] = {
        "type": type(exc).__name__,
        "message": str(exc),
        "traceback": tb[-MAX_TRACEBACK_CHARS:],
    }
    if split is not None:
        record["split"] = split
    if stage is not None:
        record["stage"] = stage
    return record


class ScorerReturnedDictError(HoptError, TypeError):
    """A single scorer returned several metrics: a setup error, raised at once (not scored
    as ``error_score``, which would let a whole search run for nothing)."""


def _fold_fit_params(fit_params: Mapping[str, Any], n_samples: int, indices: np.ndarray):
    """Fit parameters for one fold: per-sample arrays (sample_weight, ...) are indexed."""
    fold = {}
    for name, value in fit_params.items():
        per_sample = (
            value is not None
            and not isinstance(value, (str, bytes, Mapping))
            and hasattr(value, "__len__")
            and hasattr(value, "__getitem__")
            and len(value) == n_samples
        )
        fold[name] = _safe_indexing(value, indices) if per_sample else value
    return fold


def _as_score(name: str, value: Any) -> float:
    if isinstance(value, np.ndarray) and value.size == 1:
        value = value.reshape(()).item()
    if isinstance(value, Mapping):
        raise ScorerReturnedDictError(
            f"HoptSearchCV: the scorer {name!r} returned a dict of metrics "
            f"({sorted(value)!r:.120}); a callable scoring must return one number. For "
            "several metrics pass scoring as a dict of scorers, e.g. {'acc': 'accuracy', "
            "'f1': make_scorer(f1_score, average='macro')}, and name the one to optimise "
            "with refit='acc'."
        )
    if not is_real(value):
        raise TypeError(
            f"HoptSearchCV: the scorer {name!r} returned {type(value).__name__} {value!r:.80}; "
            "a scorer must return one number. For several metrics pass scoring as a dict "
            "(or list) of scorers."
        )
    return float(value)


def _score_fold(
    estimator, X, y, scorers, error_score, errors, split, weights=None, weighted=frozenset()
):
    """``{metric: score}`` on (X, y); a failing scorer gives ``error_score`` (or raises).

    ``weights``, when given, is passed as ``sample_weight`` to the scorers named in
    ``weighted`` (see ``weighted_scorers``), as scikit-learn's searches do with a
    fit's sample_weight.
    """
    scores = {}
    for name, scorer in scorers.items():
        try:
            if weights is not None and name in weighted:
                value = scorer(estimator, X, y, sample_weight=weights)
            else:
                value = scorer(estimator, X, y)
            scores[name] = _as_score(name, value)
        except ScorerReturnedDictError:
            raise
        except Exception as exc:
            if error_score == "raise":
                raise
            scores[name] = float(error_score)
            errors.append(describe_error(exc, split, stage="score"))
    return scores


def weighted_scorers(scorers: Mapping[str, Callable]) -> tuple[frozenset, list[str]]:
    """(names of the scorers that take ``sample_weight``, names of those that do not)."""
    taking: list[str] = []
    not_taking: list[str] = []
    for name, scorer in scorers.items():
        accept = getattr(scorer, "_accept_sample_weight", None)
        if accept is not None:
            takes = bool(accept())
        else:
            try:
                takes = "sample_weight" in inspect.signature(scorer).parameters
            except (TypeError, ValueError):  # a builtin without a signature
                takes = False
        (taking if takes else not_taking).append(name)
    return frozenset(taking), not_taking


def evaluate_fold(
    estimator: Any,
    X: Any,
    y: Any,
    train: np.ndarray,
    test: np.ndarray,
    split: int,
    fit_params: Mapping[str, Any],
    scorers: Mapping[str, Callable],
    error_score: Any,
    return_train_score: bool,
    weighted: frozenset = frozenset(),
) -> dict[str, Any]:
    """Fit ``estimator`` on one fold's train part and score it; never raises unless
    ``error_score == "raise"``.  A failed fit scores ``error_score`` everywhere.
    The scorers named in ``weighted`` get the fold's part of ``sample_weight``."""
    X_train, y_train = _safe_split(estimator, X, y, train)
    X_test, y_test = _safe_split(estimator, X, y, test, train)
    fold_params = _fold_fit_params(fit_params, _n_samples(X), train) if fit_params else {}
    fold: dict[str, Any] = {"test": {}, "train": {}, "errors": []}
    start = time.perf_counter()
    try:
        if y_train is None:
            estimator.fit(X_train, **fold_params)
        else:
            estimator.fit(X_train, y_train, **fold_params)
    except Exception as exc:
        if error_score == "raise":
            raise
        fold["fit_time"] = time.perf_counter() - start
        fold["score_time"] = 0.0
        fold["errors"].append(describe_error(exc, split, stage="fit"))
        failed = {name: float(error_score) for name in scorers}
        fold["test"] = failed
        if return_train_score:
            fold["train"] = dict(failed)
        return fold
    fold["fit_time"] = time.perf_counter() - start
    sample_weight = fit_params.get("sample_weight") if weighted else None

    def weights(indices: np.ndarray) -> Any:
        return None if sample_weight is None else _safe_indexing(sample_weight, indices)

    start = time.perf_counter()
    fold["test"] = _score_fold(
        estimator, X_test, y_test, scorers, error_score, fold["errors"], split,
        weights(test), weighted,
    )  # fmt: skip
    fold["score_time"] = time.perf_counter() - start
    if return_train_score:
        fold["train"] = _score_fold(
            estimator, X_train, y_train, scorers, error_score, fold["errors"], split,
            weights(train), weighted,
        )  # fmt: skip
    return fold


def _n_samples(X: Any) -> int:
    shape = getattr(X, "shape", None)
    if shape is not None and len(shape) > 0:
        return int(shape[0])
    return len(X)


class CrossValidationObjective:
    """The objective of one search: ``params -> result`` with the fold scores.

    ``metric`` names the scorer whose mean test score is maximised (the loss is
    minus that mean).  With ``objectives`` the loss is a list instead, one entry
    per name in order: minus a scorer's mean test score, or a mean time in seconds.  ``search_key`` identifies the data, folds and scoring, so
    a reused ``Trials`` holding another search's trials is noticed.
    """

    def __init__(
        self,
        estimator: Any,
        X: Any,
        y: Any,
        splits: Sequence[tuple[np.ndarray, np.ndarray]],
        scorers: Mapping[str, Callable],
        metric: str,
        fit_params: Mapping[str, Any],
        error_score: Any,
        return_train_score: bool,
        n_jobs: int | None,
        pre_dispatch: Any,
        search_key: str,
        weighted: frozenset = frozenset(),
        objectives: Sequence[str] | None = None,
    ) -> None:
        self.estimator = estimator
        self.X = X
        self.y = y
        self.splits = list(splits)
        self.scorers = dict(scorers)
        self.metric = metric
        self.fit_params = dict(fit_params)
        self.error_score = error_score
        self.return_train_score = return_train_score
        self.n_jobs = n_jobs
        self.pre_dispatch = pre_dispatch
        self.search_key = search_key
        #: scorers that get the folds' sample_weight (see ``weighted_scorers``)
        self.weighted = weighted
        #: with several objectives: the scorers (and "fit_time", "score_time") whose
        #: means make the trial's loss list, in order; None: one loss, ``metric``'s
        self.objectives = None if objectives is None else list(objectives)

    def configured_estimator(self, params: Any) -> Any:
        """A clone of the estimator with ``params`` set, or an error naming the fix."""
        if not isinstance(params, Mapping):
            raise InvalidSpaceError(
                f"HoptSearchCV: the space must give a dict of estimator parameters; got "
                f"{type(params).__name__} {params!r:.200}. Use a dict such as "
                "{'C': hp.loguniform('C', -3, 3)} (an hp.choice between such dicts works too)."
            )
        estimator = clone(self.estimator)
        try:
            estimator.set_params(**clone(dict(params), safe=False))
        except (ValueError, TypeError) as exc:
            valid = sorted(estimator.get_params(deep=True))
            raise InvalidSpaceError(
                f"HoptSearchCV: the space gave parameters {sorted(params)!r}, which "
                f"{type(estimator).__name__}.set_params refused ({exc}). Name parameters of "
                f"the estimator (nested ones as 'step__param'): {valid!r}."
            ) from exc
        return estimator

    def __call__(self, params: Any) -> dict[str, Any]:
        estimator = self.configured_estimator(params)
        parallel = Parallel(n_jobs=self.n_jobs, pre_dispatch=self.pre_dispatch)
        folds = parallel(
            delayed(evaluate_fold)(
                clone(estimator),
                self.X,
                self.y,
                train,
                test,
                split,
                self.fit_params,
                self.scorers,
                self.error_score,
                self.return_train_score,
                self.weighted,
            )  # fmt: skip
            for split, (train, test) in enumerate(self.splits)
        )
        return self.summarize(folds)

    def summarize(self, folds: list[dict[str, Any]]) -> dict[str, Any]:
        """The trial result: per-fold scores and times, the loss, any fold errors."""
        cv: dict[str, list[float]] = {
            "fit_time": [float(f["fit_time"]) for f in folds],
            "score_time": [float(f["score_time"]) for f in folds],
        }
        for name in self.scorers:
            cv[f"test_{name}"] = [f["test"][name] for f in folds]
            if self.return_train_score:
                cv[f"train_{name}"] = [f["train"][name] for f in folds]
        errors = [error for f in folds for error in f["errors"]]
        result: dict[str, Any] = {"cv": cv, "search_key": self.search_key}
        if errors:
            # the first error keeps its traceback; the others say where and what
            result["fold_errors"] = [errors[0]] + [
                {k: v for k, v in e.items() if k != "traceback"} for e in errors[1:]
            ]
        losses = self.losses(cv)
        not_finite = [name for name, loss in losses.items() if not math.isfinite(loss)]
        if not not_finite:
            result["status"] = STATUS_OK
            loss = list(losses.values())
            result["loss"] = loss if self.objectives is not None else loss[0]
            return result
        result["status"] = STATUS_FAIL
        if errors:
            first = errors[0]
            result["error"] = {
                "type": first["type"],
                "message": f"{len(errors)} of {len(folds)} folds failed; fold {first['split']}: "
                f"{first['message']}",
                "traceback": first["traceback"],
            }
        else:
            name = not_finite[0]
            what = name if name in TIME_OBJECTIVES else f"test {name}"
            result["error"] = {
                "type": INVALID_LOSS_ERROR,
                "message": f"the mean {what} over the folds is {losses[name]}, not a "
                "finite number, so this setting cannot be ranked.",
            }
        return result

    def losses(self, cv: Mapping[str, list[float]]) -> dict[str, float]:
        """``{name: loss}`` of a trial: minus the mean test score of each scorer, the
        mean seconds of a time (one entry, ``metric``'s, without ``objectives``)."""
        losses = {}
        for name in self.objectives or [self.metric]:
            if name in TIME_OBJECTIVES:
                losses[name] = float(np.mean(cv[name]))
            else:
                losses[name] = -float(np.mean(cv[f"test_{name}"]))
        return losses
