"""Pruning inside one cross-validation trial (``HoptSearchCV(pruner=...)``).

:class:`PruningCrossValidationObjective` runs a trial in steps the run's pruner
can cut short, reporting a loss after each step with ``hopt.report``:

- ``pruning="folds"``: the folds one after another; after fold ``k`` the mean loss
  of folds ``0..k`` (what MedianPruner, SuccessiveHalvingPruner, HyperbandPruner,
  ThresholdPruner and PatientPruner compare across trials at the same step).
- ``pruning="fold_losses"``: the same, but each report is that fold's own loss
  (what WilcoxonPruner pairs with the best trial's fold by fold).
- ``pruning="rounds"``: every fold's model trains in ``n_rounds`` rounds, in
  lockstep (a ``partial_fit`` epoch, or a ``warm_start`` growth step of
  ``n_estimators``); after each round, the mean validation loss over the folds.

The loss is the one the search minimises: minus the optimised metric's score.
A stopped trial returns status ``"pruned"`` with the fold scores it has, so the
driver can show it in ``cv_results_``.  Without a pruner the search uses the plain
:class:`~hopt.sklearn._objective.CrossValidationObjective`, unchanged.
"""

from __future__ import annotations

import difflib
import inspect
import math
import time
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from sklearn.base import clone
from sklearn.utils import _safe_indexing
from sklearn.utils.metaestimators import _safe_split

from .._types import STATUS_PRUNED
from .._validate import check_int
from ..exceptions import InvalidArgumentError
from ..running import report, should_prune
from ._objective import (
    CrossValidationObjective,
    _fold_fit_params,
    _n_samples,
    _score_fold,
    describe_error,
    evaluate_fold,
)

#: the values of ``HoptSearchCV(pruning=...)``
PRUNING_MODES = ("folds", "fold_losses", "rounds")


#: words users may try for a pruning mode, and the mode they mean
_PRUNING_SYNONYMS = {
    "epochs": ["rounds"],
    "epoch": ["rounds"],
    "iterations": ["rounds"],
    "round": ["rounds"],
    "iter": ["rounds"],
    "partial_fit": ["rounds"],
    "warm_start": ["rounds"],
    "fold": ["folds"],
    "cv": ["folds"],
    "wilcoxon": ["fold_losses"],
}


def check_pruning(search: Any) -> None:
    """Check a search's pruner, pruning and n_rounds (in fit, as scikit-learn checks)."""
    where = f"{type(search).__name__}"
    if search.pruner is not None and not callable(getattr(search.pruner, "prune", None)):
        raise InvalidArgumentError(
            f"{where}: pruner must be a pruner from hopt.pruners (such as MedianPruner()) "
            f"or None; got pruner={search.pruner!r}."
        )
    if not isinstance(search.pruning, str) or search.pruning not in PRUNING_MODES:
        near = _PRUNING_SYNONYMS.get(str(search.pruning).lower()) or difflib.get_close_matches(
            str(search.pruning), PRUNING_MODES, n=1
        )
        hint = f" Did you mean {near[0]!r}?" if near else ""
        raise InvalidArgumentError(
            f"{where}: pruning must be one of {list(PRUNING_MODES)!r}; got "
            f"pruning={search.pruning!r}.{hint}"
        )
    check_int(
        search.n_rounds,
        "n_rounds",
        where,
        minimum=1,
        allow_none=True,
        fix="It is the number of training rounds per fold with pruning='rounds'.",
    )
    if search.pruner is None:
        given = "pruning" if search.pruning != "folds" else "n_rounds"
        if search.pruning != "folds" or search.n_rounds is not None:
            raise InvalidArgumentError(
                f"{where}: {given} takes effect only with a pruner; got pruner=None, "
                f"{given}={getattr(search, given)!r}. Pass a pruner such as "
                f"pruner=MedianPruner() (from hopt.pruners), or drop {given}."
            )
        return
    if search.pruning == "rounds":
        if search.n_rounds is None:
            raise InvalidArgumentError(
                f"{where}: pruning='rounds' needs n_rounds, the number of training "
                "rounds per fold (partial_fit epochs, or warm_start growth steps); got "
                "n_rounds=None. Pass e.g. n_rounds=20."
            )
        if round_kind(search.estimator) is None:
            raise InvalidArgumentError(rounds_message(where, search.estimator))
    elif search.n_rounds is not None:
        raise InvalidArgumentError(
            f"{where}: n_rounds counts training rounds only with pruning='rounds'; got "
            f"n_rounds={search.n_rounds!r} with pruning={search.pruning!r}. Pass "
            "pruning='rounds', or drop n_rounds."
        )
    if search.n_jobs is not None and search.n_jobs != 1:
        warnings.warn(
            f"{where}: n_jobs={search.n_jobs!r} is not used with a pruner: the folds of a "
            "trial run one after another, so the pruner can stop between them. Run trials "
            "in parallel instead (SparkTrials, hopt-worker).",
            UserWarning,
            stacklevel=4,
        )


def round_kind(estimator: Any) -> str | None:
    """How ``estimator`` trains in rounds: ``"partial_fit"`` (one epoch a round), the name
    of the ``warm_start`` parameter that grows (``"n_estimators"``; ``"max_iter"`` for
    HistGradientBoosting), or None when it cannot."""
    if hasattr(estimator, "partial_fit"):
        return "partial_fit"
    try:
        params = estimator.get_params(deep=False)
    except Exception:
        return None
    if "warm_start" not in params:
        return None
    if "n_estimators" in params:
        return "n_estimators"
    if type(estimator).__name__.startswith("HistGradientBoosting") and "max_iter" in params:
        return "max_iter"  # HistGradientBoosting counts its trees in max_iter
    return None


def rounds_message(where: str, estimator: Any) -> str:
    """Why ``estimator`` cannot use ``pruning="rounds"``, and what to do instead."""
    return (
        f"{where}: pruning='rounds' needs an estimator that trains in rounds: one with "
        "partial_fit (SGDClassifier, SGDRegressor, MLPClassifier with solver 'sgd' or "
        "'adam', ...) or with warm_start and n_estimators (GradientBoostingClassifier, "
        f"RandomForestClassifier, ...); got estimator={estimator!r:.200}. Use "
        "pruning='folds', which works with any estimator."
    )


def round_plan(estimator: Any, kind: str, n_rounds: int) -> Sequence[int | None]:
    """One entry a round: None for a partial_fit epoch; for warm_start, the size the
    growing parameter reaches after the round (up to the estimator's own value, so
    the last round gives the model ``fit`` would; fewer rounds when it is smaller)."""
    if kind == "partial_fit":
        return [None] * n_rounds
    total = int(estimator.get_params(deep=False)[kind])
    sizes = {max(1, -(-total * (r + 1) // n_rounds)) for r in range(n_rounds)}
    return sorted(sizes)


def partial_fit_classes(estimator: Any, y: Any) -> Any:
    """Every class of ``y`` when the estimator's partial_fit takes ``classes`` (a fold
    may lack some, and the first call must name them all); else None."""
    if y is None:
        return None
    try:
        takes = "classes" in inspect.signature(estimator.partial_fit).parameters
    except (TypeError, ValueError):
        takes = False
    return np.unique(np.asarray(y)) if takes else None


def train_round(
    estimator: Any,
    kind: str,
    size: int | None,
    X: Any,
    y: Any,
    fit_params: Mapping[str, Any],
    classes: Any,
    first: bool,
) -> None:
    """Train ``estimator`` one more round on (X, y)."""
    if kind == "partial_fit":
        kwargs = dict(fit_params)
        if first and classes is not None:
            kwargs["classes"] = classes
        if y is None:
            estimator.partial_fit(X, **kwargs)
        else:
            estimator.partial_fit(X, y, **kwargs)
        return
    estimator.set_params(warm_start=True, **{kind: size})
    if y is None:
        estimator.fit(X, **fit_params)
    else:
        estimator.fit(X, y, **fit_params)


def fit_in_rounds(estimator: Any, X: Any, y: Any, fit_params: Mapping[str, Any], n_rounds: int):
    """Train ``estimator`` on all of (X, y) as each fold was trained (the refit of a search
    with ``pruning="rounds"``); its ``warm_start`` is left as it was given."""
    kind = round_kind(estimator)
    if kind is None:
        raise InvalidArgumentError(rounds_message("HoptSearchCV", estimator))
    warm_start = estimator.get_params(deep=False).get("warm_start")
    classes = partial_fit_classes(estimator, y) if kind == "partial_fit" else None
    for index, size in enumerate(round_plan(estimator, kind, n_rounds)):
        train_round(estimator, kind, size, X, y, fit_params, classes, index == 0)
    if kind != "partial_fit":
        estimator.set_params(warm_start=warm_start)
    return estimator


def _not_run(scorers: Mapping[str, Any]) -> dict[str, Any]:
    """The record of a fold the trial did not reach: NaN everywhere."""
    nan = {name: math.nan for name in scorers}
    return {
        "fit_time": math.nan,
        "score_time": math.nan,
        "test": nan,
        "train": dict(nan),
        "errors": [],
    }


class PruningCrossValidationObjective(CrossValidationObjective):
    """A :class:`CrossValidationObjective` whose trials report after each step (a fold, or
    a training round) and stop when the run's pruner says so.

    ``pruning`` is one of :data:`PRUNING_MODES`; ``n_rounds`` the number of training
    rounds with ``"rounds"``.  The result of a pruned trial has status
    ``"pruned"``, its loss is minus the mean score of what it ran, ``n_steps`` the
    steps it ran, ``pruned_step`` the last one, and NaN fold scores for folds it did
    not reach.
    """

    def __init__(
        self, *args: Any, pruning: str = "folds", n_rounds: int | None = None, **kwargs: Any
    ):
        super().__init__(*args, **kwargs)
        self.pruning = pruning
        self.n_rounds = n_rounds

    def __call__(self, params: Any) -> dict[str, Any]:
        estimator = self.configured_estimator(params)
        if self.pruning == "rounds":
            return self._run_rounds(estimator)
        return self._run_folds(estimator, each_fold=self.pruning == "fold_losses")

    # -- one step a fold ---------------------------------------------------------------
    def _run_folds(self, estimator: Any, each_fold: bool) -> dict[str, Any]:
        folds: list[dict[str, Any]] = []
        losses: list[float] = []
        pruned = False
        last = len(self.splits) - 1
        for split, (train, test) in enumerate(self.splits):
            fold = evaluate_fold(
                clone(estimator), self.X, self.y, train, test, split, self.fit_params,
                self.scorers, self.error_score, self.return_train_score, self.weighted,
            )  # fmt: skip
            folds.append(fold)
            losses.append(-fold["test"][self.metric])
            mean = float(np.mean(losses))
            if not math.isfinite(mean):
                break  # a non-finite fold makes the mean, so the trial, fail: stop now
            report(losses[-1] if each_fold else mean, split)
            if split < last and should_prune():
                pruned = True
                break
        n_run = len(folds)
        folds += [_not_run(self.scorers) for _ in range(len(self.splits) - n_run)]
        result = self.summarize(folds)
        result["n_steps"] = n_run
        if pruned:
            _mark_pruned(result, float(np.mean(losses)), n_run - 1)
        return result

    # -- one step a training round of every fold -----------------------------------------
    def _run_rounds(self, estimator: Any) -> dict[str, Any]:
        kind = round_kind(estimator)
        if kind is None:  # the space may have swapped in another estimator
            raise InvalidArgumentError(rounds_message("HoptSearchCV", estimator))
        plan = round_plan(estimator, kind, int(self.n_rounds or 1))
        classes = partial_fit_classes(estimator, self.y) if kind == "partial_fit" else None
        folds = [
            self._fold_state(estimator, split, tr, te) for split, (tr, te) in enumerate(self.splits)
        ]
        only_metric = {self.metric: self.scorers[self.metric]}
        pruned = False
        n_run = 0
        value = math.nan
        for step, size in enumerate(plan):
            for fold in folds:
                if not fold["failed"]:
                    self._train_and_score(fold, kind, size, classes, step == 0, only_metric)
            n_run = step + 1
            value = float(np.mean([-f["test"][self.metric] for f in folds]))
            if not math.isfinite(value):
                break
            report(value, step)
            if step < len(plan) - 1 and should_prune():
                pruned = True
                break
        records = [self._final_scores(fold, only_metric) for fold in folds]
        result = self.summarize(records)
        result["n_steps"] = n_run
        if pruned:
            _mark_pruned(result, value, n_run - 1)
        return result

    def _fold_state(self, estimator: Any, split: int, train: Any, test: Any) -> dict[str, Any]:
        X_train, y_train = _safe_split(estimator, self.X, self.y, train)
        X_test, y_test = _safe_split(estimator, self.X, self.y, test, train)
        n = _n_samples(self.X)
        weight = self.fit_params.get("sample_weight") if self.weighted else None
        return {
            "split": split,
            "model": clone(estimator),
            "train_data": (X_train, y_train),
            "test_data": (X_test, y_test),
            "fit_params": _fold_fit_params(self.fit_params, n, train) if self.fit_params else {},
            "weights": (
                None
                if weight is None
                else (_safe_indexing(weight, train), _safe_indexing(weight, test))
            ),
            "fit_time": 0.0,
            "score_time": 0.0,
            "test": {},
            "train": {},
            "fit_errors": [],
            "score_errors": [],
            "failed": False,
        }

    def _train_and_score(
        self, fold: dict[str, Any], kind: str, size: int | None, classes: Any, first: bool,
        scorers: Mapping[str, Any],
    ) -> None:  # fmt: skip
        X_train, y_train = fold["train_data"]
        start = time.perf_counter()
        try:
            train_round(
                fold["model"], kind, size, X_train, y_train, fold["fit_params"], classes, first
            )
        except Exception as exc:
            if self.error_score == "raise":
                raise
            fold["fit_time"] += time.perf_counter() - start
            fold["failed"] = True  # no more rounds; every score is error_score from now on
            fold["fit_errors"].append(describe_error(exc, fold["split"], stage="fit"))
            fold["test"] = {name: float(self.error_score) for name in self.scorers}
            fold["train"] = dict(fold["test"])
            return
        fold["fit_time"] += time.perf_counter() - start
        X_test, y_test = fold["test_data"]
        weights = None if fold["weights"] is None else fold["weights"][1]
        start = time.perf_counter()
        fold["score_errors"] = []  # a round's scoring errors replace the previous round's
        fold["test"] = _score_fold(
            fold["model"], X_test, y_test, scorers, self.error_score, fold["score_errors"],
            fold["split"], weights, self.weighted,
        )  # fmt: skip
        fold["score_time"] += time.perf_counter() - start

    def _final_scores(self, fold: dict[str, Any], scored: Mapping[str, Any]) -> dict[str, Any]:
        """The fold's record once its rounds are over: the other metrics, and the train
        scores, of the model as it stands."""
        record = {
            "fit_time": fold["fit_time"],
            "score_time": fold["score_time"],
            "test": dict(fold["test"]),
            "train": dict(fold["train"]),
        }
        if not fold["failed"]:
            model = fold["model"]
            (X_train, y_train), (X_test, y_test) = fold["train_data"], fold["test_data"]
            train_weights, test_weights = fold["weights"] or (None, None)
            others = {name: s for name, s in self.scorers.items() if name not in scored}
            errors = fold["score_errors"]
            start = time.perf_counter()
            if others:
                record["test"].update(_score_fold(
                    model, X_test, y_test, others, self.error_score, errors, fold["split"],
                    test_weights, self.weighted,
                ))  # fmt: skip
            if self.return_train_score:
                record["train"] = _score_fold(
                    model, X_train, y_train, self.scorers, self.error_score, errors,
                    fold["split"], train_weights, self.weighted,
                )  # fmt: skip
            record["score_time"] += time.perf_counter() - start
        record["errors"] = fold["fit_errors"] + fold["score_errors"]
        return record


def _mark_pruned(result: dict[str, Any], loss: float, step: int) -> None:
    result["status"] = STATUS_PRUNED
    result["loss"] = loss
    result["pruned_step"] = step
    result.pop("error", None)
