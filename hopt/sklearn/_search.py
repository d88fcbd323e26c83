"""``HoptSearchCV``: a scikit-learn search estimator driven by ``fmin``.

``fit`` computes the cross-validation folds once, wraps the estimator, the data,
the folds and the scorers in a :class:`CrossValidationObjective` and lets
``fmin`` minimise minus its mean test score over ``space`` with any algorithm
and any ``Trials`` backend.  The driver then reads the fold scores back from
the trial results (wherever the trials ran) into ``cv_results_``, picks the
best trial and refits.  Prediction, scoring and ``classes_`` come from
scikit-learn's ``BaseSearchCV``, as for ``GridSearchCV``.
"""

from __future__ import annotations

import difflib
import time
import warnings
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from joblib import hash as joblib_hash
from sklearn.base import clone, is_classifier
from sklearn.exceptions import FitFailedWarning
from sklearn.metrics import check_scoring, get_scorer, get_scorer_names
from sklearn.model_selection import check_cv
from sklearn.model_selection._search import BaseSearchCV
from sklearn.utils import indexable

from .._types import JOB_STATE_DONE, STATUS_FAIL, STATUS_OK, STATUS_PRUNED
from .._validate import check_int, is_int, is_real
from ..exceptions import AllTrialsFailedError, HoptError, InvalidArgumentError
from ..fmin import fmin
from ..space.nodes import Apply
from ..trials import Trials
from ._objective import CrossValidationObjective, weighted_scorers
from ._pruning import PruningCrossValidationObjective, check_pruning, fit_in_rounds
from ._results import Candidate, build_cv_results, finished_candidates
from ._several import best_on_front, checked_objectives, pareto_front, scorer_objectives


class TrialFailedError(HoptError, RuntimeError):
    """A trial's objective raised in another process (a Spark executor, a hopt-worker)."""


class AllFitsFailedError(AllTrialsFailedError, ValueError):
    """No trial of a search scored; a ValueError too, as scikit-learn's searches raise."""


#: attributes a fit sets (trials_ excepted: warm_start continues it)
_FIT_ATTRIBUTES = (
    "best_estimator_", "best_index_", "best_params_", "best_score_", "cv_results_",
    "feature_names_in_", "multimetric_", "n_splits_", "pareto_front_", "refit_time_",
    "scorer_",
)  # fmt: skip


class HoptSearchCV(BaseSearchCV):
    """Search an hp space for the best parameters of a scikit-learn estimator.

    Each trial cross-validates ``clone(estimator).set_params(**params)``, with
    ``params`` drawn from ``space`` by ``algo``; the search minimises minus the
    mean test score.  With a ``pruner``, trials report after each fold (or training
    round, ``pruning="rounds"``) and stop when it says so.  With ``objectives`` (names
    of scorers, ``"fit_time"``, ``"score_time"``) it optimises several jointly, keeps
    the Pareto front in ``pareto_front_`` and refits the front's best on the refit
    metric.  See docs/sklearn.md for every parameter and attribute.

    The positional order of the first parameters is that of Hyperopt's
    ``hyperopt.sklearn.HyperoptSearchCV``, so code written for it runs unchanged.
    """

    _required_parameters = ["estimator", "space"]

    def __init__(
        self,
        estimator: Any,
        space: Any,
        max_evals: int | None = 10,
        trials: Any = None,
        algo: Callable | None = None,
        warm_start: bool = False,
        scoring: Any = None,
        n_jobs: int | None = None,
        refit: Any = True,
        cv: Any = None,
        verbose: int = 0,
        pre_dispatch: Any = "2*n_jobs",
        random_state: Any = None,
        error_score: Any = np.nan,
        return_train_score: bool = False,
        *,
        timeout: float | None = None,
        loss_threshold: float | None = None,
        early_stop_fn: Callable | None = None,
        pruner: Any = None,
        pruning: str = "folds",
        n_rounds: int | None = None,
        objectives: Any = None,
    ) -> None:
        super().__init__(
            estimator=estimator,
            scoring=scoring,
            n_jobs=n_jobs,
            refit=refit,
            cv=cv,
            verbose=verbose,
            pre_dispatch=pre_dispatch,
            error_score=error_score,
            return_train_score=return_train_score,
        )
        self.space = space
        self.max_evals = max_evals
        self.trials = trials
        self.algo = algo
        self.warm_start = warm_start
        self.random_state = random_state
        self.timeout = timeout
        self.loss_threshold = loss_threshold
        self.early_stop_fn = early_stop_fn
        self.pruner = pruner
        self.pruning = pruning
        self.n_rounds = n_rounds
        self.objectives = objectives

    # -- validation (scikit-learn style: in fit, not in __init__) -------------------------
    def _check_params(self) -> None:
        where = f"{type(self).__name__}"
        if not hasattr(self.estimator, "fit"):
            raise InvalidArgumentError(
                f"{where}: estimator must be a scikit-learn estimator with a fit method; "
                f"got estimator={self.estimator!r}."
            )
        if not isinstance(self.space, (Mapping, Apply)):
            raise InvalidArgumentError(
                f"{where}: space must be a dict of estimator parameter name -> hp expression "
                f"(or an hp.choice between such dicts); got space={self.space!r:.200}."
            )
        stops = (self.timeout, self.loss_threshold, self.early_stop_fn)
        if self.max_evals is None and all(s is None for s in stops):
            raise InvalidArgumentError(
                f"{where}: max_evals=None needs another stopping rule; give max_evals, "
                "timeout, loss_threshold or early_stop_fn."
            )
        check_int(
            self.max_evals,
            "max_evals",
            where,
            minimum=1,
            allow_none=True,
            fix="It is the number of trials to run.",
        )
        if self.algo is not None and not callable(self.algo):
            raise InvalidArgumentError(
                f"{where}: algo must be a suggest function such as tpe.suggest or "
                f"rand.suggest; got algo={self.algo!r}."
            )
        if self.error_score != "raise" and not is_real(self.error_score):
            raise InvalidArgumentError(
                f"{where}: error_score must be 'raise' or a number (np.nan by default); "
                f"got error_score={self.error_score!r}."
            )
        if not (isinstance(self.refit, (bool, str)) or callable(self.refit)):
            raise InvalidArgumentError(
                f"{where}: refit must be True, False, a metric name or a callable; "
                f"got refit={self.refit!r}."
            )
        check_int(self.n_jobs, "n_jobs", where, allow_none=True)
        check_pruning(self)
        if self.objectives is not None:
            for name, value in (("pruner", self.pruner), ("loss_threshold", self.loss_threshold)):
                if value is not None:
                    raise InvalidArgumentError(
                        f"{where}: {name} works on one loss, but objectives={self.objectives!r} "
                        f"makes several; leave out {name}, or objectives for one metric."
                    )
        for name in ("warm_start", "return_train_score"):
            if not isinstance(getattr(self, name), (bool, np.bool_)):
                raise InvalidArgumentError(
                    f"{where}: {name} must be True or False; got {name}={getattr(self, name)!r}."
                )

    def _scorers(self) -> tuple[dict[str, Callable], bool, str]:
        """``({name: scorer}, multimetric, metric to optimise)``."""
        scoring = self.scoring
        if scoring is None or isinstance(scoring, str) or callable(scoring):
            if isinstance(scoring, str):
                _check_scorer_name(scoring)
            if isinstance(self.refit, str):
                raise InvalidArgumentError(
                    f"{type(self).__name__}: refit may name a metric only when scoring has "
                    f"several (a list or dict); got refit={self.refit!r} with "
                    f"scoring={scoring!r}. For several metrics pass scoring as a dict of "
                    "scorers (a callable scoring must return one number); else use "
                    "refit=True."
                )
            return {"score": check_scoring(self.estimator, scoring=scoring)}, False, "score"
        if isinstance(scoring, (list, tuple, set)):
            names = list(scoring)
            if (
                not names
                or not all(isinstance(n, str) for n in names)
                or len(set(names)) < len(names)
            ):
                raise InvalidArgumentError(
                    f"{type(self).__name__}: a list of scoring must hold distinct scorer "
                    f"names; got scoring={scoring!r}."
                )
            scorers = {name: _check_scorer_name(name) for name in names}
        elif isinstance(scoring, Mapping) and scoring:
            scorers = {}
            for name, value in scoring.items():
                if isinstance(value, str):
                    _check_scorer_name(value)
                elif not callable(value):
                    raise InvalidArgumentError(
                        f"{type(self).__name__}: scoring[{name!r}] must be a scorer name or "
                        f"a callable scorer(estimator, X, y); got {value!r}."
                    )
                scorers[str(name)] = check_scoring(self.estimator, scoring=value)
        else:
            raise InvalidArgumentError(
                f"{type(self).__name__}: scoring must be None, a scorer name, a callable, "
                f"or a list or dict of them; got scoring={scoring!r}."
            )
        if isinstance(self.refit, str):
            if self.refit not in scorers:
                raise InvalidArgumentError(
                    f"{type(self).__name__}: with several metrics, refit must name the one "
                    f"the search optimises, one of {sorted(scorers)!r}; got "
                    f"refit={self.refit!r}."
                )
            return scorers, True, self.refit
        if self.refit is True:
            if self.objectives is not None:  # the first scorer the search optimises
                return scorers, True, scorer_objectives(self, scorers)[0]
            raise InvalidArgumentError(
                f"{type(self).__name__}: with several metrics, refit=True cannot tell which "
                f"to refit on; name it, one of {sorted(scorers)!r}, or pass refit=False "
                "(the search then optimises the first)."
            )
        # refit=False or a callable: the search must still optimise one metric; as
        # scikit-learn's searches have no such choice to make, it is the first one
        return scorers, True, next(iter(scorers))

    def _trials_for_fit(self) -> Trials:
        previous = getattr(self, "trials_", None)
        if self.warm_start and previous is not None:
            return previous
        given = self.trials
        if given is None:
            return Trials()
        if isinstance(given, Trials):
            return given
        if callable(given):
            made = given()
            if isinstance(made, Trials):
                return made
            raise InvalidArgumentError(
                f"{type(self).__name__}: trials() must return a Trials object; it "
                f"returned {made!r:.200}."
            )
        raise InvalidArgumentError(
            f"{type(self).__name__}: trials must be None, a Trials object (Trials, SparkTrials, "
            f"MongoTrials) or a function returning a fresh one; got trials={given!r:.200}."
        )

    # -- fit -----------------------------------------------------------------------------
    def fit(self, X: Any, y: Any = None, groups: Any = None, **fit_params: Any):
        """Search ``space`` with cross-validation on (X, y); then refit the best if asked.

        ``groups`` goes to the cv splitter (also positionally, as Hyperopt's
        HyperoptSearchCV took it); ``fit_params`` go to the estimator's ``fit``
        (per-sample arrays such as ``sample_weight`` are split by fold), and
        ``sample_weight`` also to the scorers that take it, as scikit-learn's
        searches do.
        """
        self._check_params()
        scorers, multimetric, metric = self._scorers()
        objectives = None if self.objectives is None else checked_objectives(self, scorers)
        weighted: frozenset = frozenset()
        if fit_params.get("sample_weight") is not None:
            weighted, unweighted = weighted_scorers(scorers)
            for name in unweighted:
                warnings.warn(
                    f"{type(self).__name__}: the scoring {name}={scorers[name]} does not "
                    "take sample_weight, so its scores ignore the weights given to fit.",
                    UserWarning,
                    stacklevel=2,
                )
        for name in _FIT_ATTRIBUTES:  # nothing stale from an earlier fit survives a new one
            self.__dict__.pop(name, None)
        X, y, groups = indexable(X, y, groups)
        splitter = check_cv(self.cv, y, classifier=is_classifier(self.estimator))
        splits = [(np.asarray(tr), np.asarray(te)) for tr, te in splitter.split(X, y, groups)]
        if not splits:
            raise InvalidArgumentError(
                f"{type(self).__name__}: cv gave no train/test splits; got cv={self.cv!r}."
            )
        n_splits = len(splits)
        rounds = self.pruner is not None and self.pruning == "rounds"
        # scores of models trained in rounds are not those of fit: another search
        training: tuple | None = ("rounds", self.n_rounds) if rounds else None
        if objectives is not None:  # losses of another shape: another search
            training = ("objectives", tuple(objectives))
        search_key = _search_key(X, y, splits, scorers, self.estimator, training)
        settings: dict[str, Any] = dict(
            estimator=self.estimator, X=X, y=y, splits=splits, scorers=scorers, metric=metric,
            fit_params=fit_params, error_score=self.error_score,
            return_train_score=bool(self.return_train_score), n_jobs=self.n_jobs,
            pre_dispatch=self.pre_dispatch, search_key=search_key, weighted=weighted,
        )  # fmt: skip
        if objectives is not None:  # (a pruner is refused with objectives)
            settings["objectives"] = objectives
        if self.pruner is None:
            objective = CrossValidationObjective(**settings)
        else:  # folds one after another: n_jobs is not used
            objective = PruningCrossValidationObjective(
                **settings, pruning=self.pruning, n_rounds=self.n_rounds
            )
        trials = self._trials_for_fit()
        trials.refresh()
        _check_reused_trials(trials, search_key, type(self).__name__)
        earlier = set(trials.tids)
        if self.verbose > 0:
            print(
                f"{type(self).__name__}: fitting {n_splits} folds for each of "
                f"{self.max_evals} trials"
            )
        self.trials_ = trials
        self._run_fmin(objective, trials, earlier)
        trials.refresh()

        candidates = finished_candidates(trials, self.space)
        _raise_for_failed_objectives(
            [c for c in candidates if c.tid not in earlier], type(self).__name__
        )
        _check_failed_fits(candidates, earlier, self.error_score, n_splits, type(self).__name__)
        metrics = list(scorers)
        results = build_cv_results(
            candidates, n_splits, metrics, bool(self.return_train_score), self.pruner is not None
        )
        if not any(c.result.get("status") == STATUS_OK for c in candidates):
            if not any(c.pruned for c in candidates):
                raise AllFitsFailedError(_all_failed_message(type(self).__name__, candidates))
            warnings.warn(
                f"{type(self).__name__}: no candidate completed (the pruner stopped "
                f"{sum(c.pruned for c in candidates)}); the best is the pruned one that got "
                "furthest. Give the pruner more startup trials, or run more trials.",
                UserWarning,
                stacklevel=2,
            )

        self.multimetric_ = multimetric
        self.n_splits_ = n_splits
        self.scorer_ = scorers if multimetric else scorers["score"]
        self.cv_results_ = results
        if objectives is not None:
            self.pareto_front_ = pareto_front(trials, results, objectives)
        if multimetric and self.refit is False:
            return self  # as scikit-learn's searches: no best_* without a metric to refit on
        self.best_index_ = self._pick_best(results, metric, objectives)
        if not callable(self.refit):
            self.best_score_ = float(results[f"mean_test_{metric}"][self.best_index_])
        self.best_params_ = results["params"][self.best_index_]
        if self.refit:
            self.best_estimator_ = clone(self.estimator).set_params(
                **clone(self.best_params_, safe=False)
            )
            start = time.perf_counter()
            if rounds:  # trained as its folds were, so its scores describe it
                fit_in_rounds(self.best_estimator_, X, y, fit_params, self.n_rounds or 1)
            elif y is None:
                self.best_estimator_.fit(X, **fit_params)
            else:
                self.best_estimator_.fit(X, y, **fit_params)
            self.refit_time_ = time.perf_counter() - start
            if hasattr(self.best_estimator_, "feature_names_in_"):
                self.feature_names_in_ = self.best_estimator_.feature_names_in_
        return self

    def _run_fmin(self, objective: CrossValidationObjective, trials: Trials, earlier: set) -> None:
        algo = self.algo
        if algo is None:
            from .. import tpe

            algo = tpe.suggest
        user_stop = self.early_stop_fn

        def early_stop(trials: Any, *args: Any):
            # an objective that raised on another process stops the search at once
            if any(_objective_raised(t) for t in trials.trials if t["tid"] not in earlier):
                return True, list(args)
            if user_stop is None:
                return False, list(args)
            return user_stop(trials, *args)

        try:
            fmin(
                objective,
                self.space,
                algo=algo,
                max_evals=self.max_evals,
                timeout=self.timeout,
                loss_threshold=self.loss_threshold,
                trials=trials,
                rstate=self.random_state,
                verbose=self.verbose > 0,
                show_progressbar=self.verbose > 0,
                early_stop_fn=early_stop if (trials.asynchronous or user_stop) else None,
                return_argmin=False,
                pruner=self.pruner,
                n_objectives=None if self.objectives is None else len(self.objectives),
            )
        except AllTrialsFailedError:
            pass  # fit reports it, with the search's own message, from the trials

    def _pick_best(self, results: dict[str, Any], metric: str, objectives: Any = None) -> int:
        if callable(self.refit):
            best = self.refit(results)
            if not is_int(best) or not 0 <= best < len(results["params"]):
                raise InvalidArgumentError(
                    f"{type(self).__name__}: refit(cv_results_) must return the index of the "
                    f"best row, an int in [0, {len(results['params'])}); got {best!r}."
                )
            return int(best)
        if objectives is not None:
            return best_on_front(self.pareto_front_, results, metric)
        return int(np.argmin(results[f"rank_test_{metric}"]))


def _check_scorer_name(name: str) -> Callable:
    try:
        return get_scorer(name)
    except (ValueError, KeyError):
        names = sorted(get_scorer_names())
        near = difflib.get_close_matches(name, names, n=3)
        hint = f" Did you mean {' or '.join(repr(n) for n in near)}?" if near else ""
        raise InvalidArgumentError(
            f"HoptSearchCV: {name!r} is not a scikit-learn scorer name; see "
            f"sklearn.metrics.get_scorer_names().{hint}"
        ) from None


def _scorer_identity(scorer: Any) -> str:
    """What a scorer computes, the same in every process: scikit-learn's scorers say it
    in their repr (``make_scorer(log_loss, ...)``, ``LogisticRegression.score``); for
    another callable, its module and qualified name (a repr may hold an address)."""
    text = repr(scorer)
    if " at 0x" not in text:
        return text
    kind = scorer if callable(scorer) and hasattr(scorer, "__qualname__") else type(scorer)
    return f"{getattr(kind, '__module__', '')}.{getattr(kind, '__qualname__', repr(kind))}"


def _search_key(
    X: Any, y: Any, splits: list, scorers: Mapping, estimator: Any, training: Any = None
) -> str:
    """A digest of what makes trials comparable: data, folds, metrics, estimator type
    (and ``training`` when the folds are not trained by ``fit``).

    Each metric counts by name and by what it computes: a single metric is always
    named "score", so its name alone would not tell accuracy from log loss.
    """
    metrics = [(name, _scorer_identity(scorers[name])) for name in sorted(scorers)]
    parts = [X, y, splits, metrics, type(estimator).__qualname__]
    if training is not None:
        parts.append(training)
    try:
        return joblib_hash(parts)
    except Exception:  # data joblib cannot hash: no reuse check then
        return "unhashable"


def _objective_raised(trial: Mapping) -> bool:
    """A finished trial whose objective raised (it has no fold scores)."""
    result = trial.get("result") or {}
    return (
        trial.get("state") == JOB_STATE_DONE
        and result.get("status") == STATUS_FAIL
        and "cv" not in result
    )


def _check_reused_trials(trials: Trials, search_key: str, where: str) -> None:
    if search_key == "unhashable":
        return
    foreign = [
        t
        for t in trials.trials
        if t["state"] == JOB_STATE_DONE
        and not _objective_raised(t)
        and t["result"].get("search_key") != search_key
    ]
    if foreign:
        raise InvalidArgumentError(
            f"{where}: trials already holds {len(foreign)} finished trials of another search "
            "(other data, folds, scoring or estimator; or trials from a plain fmin), whose "
            "scores cannot be ranked with this one's. Pass a fresh Trials, trials=None, or "
            "the same X, y and cv to continue that search."
        )


def _raise_for_failed_objectives(new: list[Candidate], where: str) -> None:
    """An objective that raised elsewhere (or in process, caught by a backend) is an error
    here, as in scikit-learn: a bad space, error_score='raise', an unpicklable estimator."""
    for candidate in new:
        if candidate.evaluated or candidate.result.get("status") != STATUS_FAIL:
            continue
        error = candidate.result.get("error") or {}
        message = (
            f"{where}: trial {candidate.tid} (params {candidate.params!r:.300}) raised "
            f"{error.get('type', 'an error')}: {error.get('message', '')}"
        )
        if error.get("traceback"):
            message += "\n" + error["traceback"]
        raise TrialFailedError(message)


def _check_failed_fits(
    candidates: list[Candidate], earlier: set, error_score: Any, n_splits: int, where: str
) -> None:
    """Warn when some fits of this fit's trials failed; raise when every one did.

    With a numeric ``error_score`` a failed fit still scores, so its trial is ok;
    scikit-learn's searches raise all the same when no fit succeeded, and so does
    this one rather than pick a "best" setting among error scores.
    """
    new = [c for c in candidates if c.tid not in earlier]
    errors = [e for c in new for e in c.result.get("fold_errors", ())]
    if not errors:
        return
    # a scorer that fails is not a failed fit (records from before "stage" were fits)
    fit_errors = [e for e in errors if e.get("stage", "fit") == "fit"]
    first = (fit_errors or errors)[0]
    # a numeric error_score: the trials scored (a pruned one too)
    scored = any(c.result.get("status") in (STATUS_OK, STATUS_PRUNED) for c in new)
    # the folds fitted (a pruned trial skips some)
    fitted = sum(c.n_fits() if c.evaluated else n_splits for c in new)
    if scored and len(fit_errors) >= fitted:
        raise AllFitsFailedError(
            f"{where}: all {len(fit_errors)} fits failed (error_score={error_score!r} "
            f"scored them). The first (fold {first.get('split')}): {first['type']}: "
            f"{first['message']}\nFix the estimator or the space."
        )
    n_score = len(errors) - len(fit_errors)
    what = " and ".join(
        f"{n} {noun}{'' if n == 1 else 's'}"
        for n, noun in ((len(fit_errors), "fit"), (n_score, "scoring"))
        if n
    )
    warnings.warn(
        f"HoptSearchCV: {what} failed; their scores are error_score={error_score!r}. "
        f"The first (fold {first.get('split')}): {first['type']}: {first['message']}",
        FitFailedWarning,
        stacklevel=3,
    )


def _all_failed_message(where: str, candidates: list[Candidate]) -> str:
    if not candidates:
        return (
            f"{where}: no trial finished, so there is no best setting; raise max_evals or timeout."
        )
    message = f"{where}: all {len(candidates)} trials failed"
    first = next((c for c in candidates if c.result.get("error")), None)
    if first is not None:
        error = first.result["error"]
        message += f"; the first (trial {first.tid}): {error.get('type')}: {error.get('message')}"
        if error.get("traceback"):
            message += "\n" + error["traceback"]
    return message + "\nFix the estimator or the space, or set error_score to a number."
