"""``param_importances``: check the arguments, read the trials, run one evaluator."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .._validate import did_you_mean
from ..exceptions import InvalidArgumentError
from ._fanova import fanova_scores
from ._ped_anova import ped_anova_scores
from ._scales import label_scales
from ._trials import read_trial_values

WHERE = "param_importances"
#: the evaluator names param_importances accepts
EVALUATORS = ("ped-anova", "fanova")
#: each evaluator's own options and their defaults
DEFAULTS: dict[str, dict[str, Any]] = {
    "ped-anova": {"target_quantile": 0.1, "region_quantile": 1.0},
    "fanova": {"n_trees": 64, "max_depth": 64},
}


def _check_evaluator(evaluator: Any) -> str:
    if isinstance(evaluator, str) and evaluator in EVALUATORS:
        return evaluator
    hint = did_you_mean(evaluator, EVALUATORS)
    raise InvalidArgumentError(
        f"{WHERE}: unknown evaluator; got evaluator={evaluator!r}. Valid evaluators are "
        f"{list(EVALUATORS)}.{hint}"
    )


def _options(evaluator: str, given: dict[str, Any]) -> dict[str, Any]:
    """The chosen evaluator's options, defaults filled in; another evaluator's is an error."""
    for name, value in given.items():
        if value is not None and name not in DEFAULTS[evaluator]:
            owner = next(e for e, names in DEFAULTS.items() if name in names)
            raise InvalidArgumentError(
                f"{WHERE}: {name} is an option of evaluator={owner!r}, not of "
                f"evaluator={evaluator!r}; got {name}={value!r}. Leave it out, or pass "
                f"evaluator={owner!r}."
            )
    options = dict(DEFAULTS[evaluator])
    options.update({k: v for k, v in given.items() if v is not None and k in options})
    return options


def _check_quantiles(target: Any, region: Any) -> tuple[float, float]:
    for name, value in (("target_quantile", target), ("region_quantile", region)):
        if isinstance(value, bool) or not isinstance(value, (int, float, np.floating)):
            raise InvalidArgumentError(
                f"{WHERE}: {name} must be a number in (0, 1]; got {name}={value!r}."
            )
    target, region = float(target), float(region)
    if not (0.0 < target < region <= 1.0):
        raise InvalidArgumentError(
            f"{WHERE}: the quantiles must satisfy 0 < target_quantile < region_quantile <= 1; "
            f"got target_quantile={target!r}, region_quantile={region!r}. target_quantile=0.1 "
            "asks what the best 10% of trials have in common."
        )
    return target, region


def _check_count(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise InvalidArgumentError(f"{WHERE}: {name} must be an int >= 1; got {name}={value!r}.")
    return int(value)


def _check_seed(seed: Any) -> int | None:
    if seed is None or (isinstance(seed, (int, np.integer)) and not isinstance(seed, bool)):
        if seed is not None and not 0 <= seed < 2**32:
            raise InvalidArgumentError(
                f"{WHERE}: seed must be in [0, 2**32) or None; got seed={seed!r}."
            )
        return None if seed is None else int(seed)
    raise InvalidArgumentError(f"{WHERE}: seed must be an int or None; got seed={seed!r}.")


def _select(params: Any, available: list[str]) -> list[str]:
    if params is None:
        return list(available)
    requested = [params] if isinstance(params, str) else list(params)
    if not requested:
        raise InvalidArgumentError(
            f"{WHERE}: params must name at least one label; got params=[]. Valid labels are "
            f"{available}."
        )
    chosen: list[str] = []
    for label in requested:
        if label not in available:
            hint = did_you_mean(label, available)
            raise InvalidArgumentError(
                f"{WHERE}: unknown label in params; got params=[..., {label!r}, ...]. Valid "
                f"labels (those the usable trials recorded) are {available}.{hint}"
            )
        if label not in chosen:
            chosen.append(label)
    return chosen


def _finish(scores: dict[str, float], order: list[str], normalize: bool) -> dict[str, float]:
    """Largest first (ties in label order); shares of 1 when ``normalize``."""
    ranked = sorted(order, key=lambda label: -scores[label])  # stable: ties keep ``order``
    values = {label: max(float(scores[label]), 0.0) for label in ranked}
    if not normalize:
        return values
    total = math.fsum(values.values())
    if total > 0.0:
        return {label: value / total for label, value in values.items()}
    return {label: 1.0 / len(values) for label in values}  # nothing told them apart


def param_importances(
    trials: Any,
    *,
    evaluator: str = "ped-anova",
    objective: int | None = None,
    params: Sequence[str] | str | None = None,
    normalize: bool = True,
    seed: int | None = 0,
    space: Any = None,
    target_quantile: float | None = None,
    region_quantile: float | None = None,
    n_trees: int | None = None,
    max_depth: int | None = None,
) -> dict[str, float]:
    """How much each hyperparameter mattered to the loss, most important first.

    Computed from finished trials alone (no objective is run): the trials that
    finished ``ok`` with a finite loss and, when the objective returns
    ``constraints``, only the feasible ones (an infeasible trial's loss is not
    one the search could keep).  At least 20 such trials are needed.

    Args:
        trials: a ``Trials`` (or any backend, or an object whose ``.trials`` is
            the list of trial documents).
        evaluator: ``"ped-anova"`` (default; fast, no model) compares where the
            best ``target_quantile`` of trials lie along each label with where
            all of them (the best ``region_quantile``) lie; ``"fanova"`` fits a
            random forest to the losses and gives each label's share of its
            variance (needs scikit-learn: ``pip install 'hopt[importance]'``).
            See docs/importance.md.
        objective: with several objectives (a list-valued ``loss``), the index
            of the one to explain; required then.  ``None`` or 0 with one.
        params: labels to score (default: every label the usable trials
            recorded).  The others are still part of a fANOVA forest's model.
        normalize: scale the scores to sum to 1.  If every score is 0 (no label
            made a difference the trials can show), each gets an equal share.
            Without it, PED-ANOVA gives the variance of the "is among the best"
            indicator explained by each label, fANOVA the fraction of the
            loss variance.
        seed: seeds the random forest (fANOVA); PED-ANOVA is deterministic.
        space: the search space (or a ``Domain``) the trials ran with.  It tells
            ``hp.choice``/``hp.pchoice``/``hp.randint`` labels (compared as
            options) from numbers, and log priors (compared on a log scale).
            Without it every label is a number on a linear scale, so a choice
            index counts as an ordinal number.
        target_quantile: PED-ANOVA: the share of best trials whose spread is
            examined (default 0.1; at least 2 trials must fall in it).
        region_quantile: PED-ANOVA: the share of best trials it is compared
            with (default 1.0: all of them).
        n_trees: fANOVA: trees in the forest (default 64).
        max_depth: fANOVA: the trees' largest depth (default 64).

    A conditional label (one inside an ``hp.choice`` branch) is scored over the
    trials where it was active, weighted by how much of the variance happens
    there; whether its branch was taken is credited to the label that chose it.

    Returns:
        A dict label -> score, largest first; labels with equal scores keep the
        space's order (or alphabetical order without a space).

    Raises:
        InvalidArgumentError: no usable trials or fewer than 20, an unknown
            evaluator or label, a missing or out-of-range ``objective``, bad
            quantiles, or an option of the other evaluator.
        MissingDependencyError: ``evaluator="fanova"`` without scikit-learn.

    Example:
        ``param_importances(trials, space=space)`` after ``fmin(objective, space,
        algo=rand.suggest, max_evals=300, trials=trials)``; docs/importance.md runs
        one end to end.
    """
    name = _check_evaluator(evaluator)
    options = _options(
        name,
        {
            "target_quantile": target_quantile,
            "region_quantile": region_quantile,
            "n_trees": n_trees,
            "max_depth": max_depth,
        },
    )
    seed_value = _check_seed(seed)
    if name == "ped-anova":
        target, region = _check_quantiles(options["target_quantile"], options["region_quantile"])
    else:
        trees = _check_count("n_trees", options["n_trees"])
        depth = _check_count("max_depth", options["max_depth"])
    data = read_trial_values(trials, objective, WHERE)
    order, scales = label_scales(space, list(data.values))
    chosen = _select(params, order)
    model_values = {label: scales[label].model_values(data.values[label]) for label in order}
    if name == "ped-anova":
        n_target = math.ceil(target * len(data.losses))
        if n_target < 2:
            raise InvalidArgumentError(
                f"{WHERE}: target_quantile selects {n_target} of the {len(data.losses)} usable "
                f"trials, and a density needs at least 2; got target_quantile={target!r}. "
                f"Use target_quantile >= {2 / len(data.losses):.3g} or run more trials."
            )
        scores = ped_anova_scores(data.losses, model_values, scales, chosen, target, region)
    else:
        forest_options = {
            "n_estimators": trees,
            "max_depth": depth,
            "min_samples_split": 2,
            "min_samples_leaf": 1,
            "random_state": seed_value,
        }
        scores = fanova_scores(
            data.losses, model_values, scales, chosen, order, forest_options, WHERE
        )
    return _finish(scores, [label for label in order if label in chosen], bool(normalize))
