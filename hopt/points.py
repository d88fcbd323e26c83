"""``points_to_evaluate``: configurations a search evaluates first, checked against the space.

A point is ``{label: value}`` with choices as option indices (as fmin returns
them); it is checked against the space (labels, ranges, active branches) before
anything is queued, and a point the trials already hold (a rerun) is not queued
again.
"""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

from ._validate import did_you_mean_each, is_int
from .distributions import RandInt, Uniform
from .domain import Domain
from .exceptions import InvalidArgumentError
from .trials import Trials
from .trials.documents import config_key, spec_from_misc

__all__ = ["checked_points", "generate_trials_to_calculate", "insert_points"]


def generate_trials_to_calculate(points: Sequence[Mapping[str, Any]]) -> Trials:
    """A ``Trials`` whose first trials are the given points, e.g. known good settings."""
    trials = Trials()
    insert_points(trials, checked_points(points, domain=None))
    return trials


def checked_points(points: Any, domain: Domain | None) -> list[dict]:
    """``points_to_evaluate`` as configurations, each checked against the space if given."""
    if isinstance(points, Mapping) or not isinstance(points, Sequence):
        raise InvalidArgumentError(
            "points_to_evaluate must be a list of {label: value} dicts; "
            f"got points_to_evaluate={points!r}."
        )
    configs = []
    for i, point in enumerate(points):
        if not isinstance(point, Mapping):
            raise InvalidArgumentError(
                f"points_to_evaluate[{i}] must be a dict of label -> value; got {point!r}."
            )
        configs.append(dict(point) if domain is None else _check_point(domain, i, point))
    return configs


def insert_points(trials: Trials, configs: list[dict]) -> None:
    # The same points given again to the same trials (a rerun) are not evaluated twice.
    known = {config_key(spec_from_misc(t["misc"])) for t in trials.trials}
    configs = [c for c in configs if config_key(c) not in known]
    tids = trials.new_trial_ids(len(configs))
    miscs = []
    for tid, config in zip(tids, configs):
        miscs.append(
            {
                "tid": tid,
                "cmd": ("domain_attachment", "FMinIter_Domain"),
                "workdir": None,
                "idxs": {label: [tid] for label in config},
                "vals": {label: [value] for label, value in config.items()},
            }
        )
    docs = trials.new_trial_docs(tids, [None] * len(tids), [{"status": "new"}] * len(tids), miscs)
    trials.insert_trial_docs(docs)
    trials.refresh()


def _check_point(domain: Domain, i: int, point: Mapping[str, Any]) -> dict[str, Any]:
    params = domain.compiled.params
    unknown = sorted(set(point) - set(params), key=str)
    if unknown:
        labels = sorted(params)
        raise InvalidArgumentError(
            f"points_to_evaluate[{i}]: labels {unknown!r} are not in the space; "
            f"its labels are {labels!r}.{did_you_mean_each(unknown, labels)}"
        )
    config = {}
    for label, value in point.items():
        param = params[label]
        dist = param.distribution
        if dist.is_categorical:
            if isinstance(value, float) and value.is_integer():
                value = int(value)  # 2.0: a whole number all the same (Hyperopt took it)
            if not is_int(value) or not (
                dist.low <= value < dist.high  # type: ignore[attr-defined]
            ):
                if isinstance(dist, RandInt):
                    raise InvalidArgumentError(
                        f"points_to_evaluate[{i}]: {label!r} (hp.randint) takes a whole "
                        f"number in [{dist.low}, {dist.high}); got {label}={value!r}."
                    )
                raise InvalidArgumentError(
                    f"points_to_evaluate[{i}]: {label!r} takes an option index in "
                    f"[{dist.low}, {dist.high}); got {label}={value!r}. "  # type: ignore[attr-defined]
                    "Give hp.choice values as indices, as fmin returns them."
                )
        elif isinstance(dist, Uniform) and isinstance(value, numbers.Real):
            low, high = dist.value_bounds()
            if not low <= float(value) <= high:
                # Hyperopt accepts it, and a user may mean it; most often it is a typo
                warnings.warn(
                    f"points_to_evaluate[{i}]: {label}={value!r} is outside the range of "
                    f"hp.{param.hp_kind}({label!r}), [{low:g}, {high:g}]. It is evaluated as "
                    "given; the algorithms only suggest values inside the range.",
                    UserWarning,
                    stacklevel=4,
                )
        config[label] = param.to_python(value)
    if domain.compiled.exact:
        active = domain.compiled.active_labels(config)
        inactive = [label for label in config if label not in active]
        missing = [label for label in active if label not in config]
        if missing:
            raise InvalidArgumentError(
                f"points_to_evaluate[{i}]: no value for {missing!r}, which this point's "
                "choices make active; give every active label."
            )
        for label in inactive:
            del config[label]
    return config
