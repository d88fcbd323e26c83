"""Several objectives in a search: ``HoptSearchCV(objectives=[...])``.

Each trial's loss is then a list, one entry per name in ``objectives``: minus
the mean test score of a scorer, or a mean time in seconds (``"fit_time"``,
``"score_time"``), so ``fmin`` minimises all of them jointly.  After the search,
``pareto_front_`` lists the rows of ``cv_results_`` no other trial beats on
every objective, and the best row (what ``refit`` refits) is the front's best
on the refit metric.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from ..exceptions import InvalidArgumentError
from ._objective import TIME_OBJECTIVES


def scorer_objectives(search: Any, scorers: Mapping) -> list[str]:
    """The scorers among ``search.objectives`` (checked), in its order."""
    return [name for name in checked_objectives(search, scorers) if name in scorers]


def checked_objectives(search: Any, scorers: Mapping) -> list[str]:
    """``search.objectives`` as a list of names, each a scorer's or a time, at least
    two and one of them a scorer; or an error naming the valid names."""
    where = type(search).__name__
    objectives = search.objectives
    valid = [*scorers, *TIME_OBJECTIVES]
    names = list(objectives) if isinstance(objectives, (list, tuple)) else None
    if names is None or len(names) < 2 or not all(isinstance(n, str) for n in names):
        raise InvalidArgumentError(
            f"{where}: objectives must be a list of at least two names, each one of "
            f"{valid!r} (the scorers of scoring, and the mean fit and score times); got "
            f"objectives={objectives!r:.200}."
        )
    for name in names:
        if name not in valid:
            near = difflib.get_close_matches(name, valid, n=1)
            hint = f" Did you mean {near[0]!r}?" if near else ""
            single = "; a single scoring is named 'score'" if "score" in scorers else ""
            raise InvalidArgumentError(
                f"{where}: objectives names {name!r}, which is neither a scorer of scoring "
                f"nor a time; the valid names are {valid!r}{single}.{hint}"
            )
    if len(set(names)) < len(names):
        raise InvalidArgumentError(
            f"{where}: objectives must name each objective once; got objectives={names!r}."
        )
    if not any(name in scorers for name in names):
        raise InvalidArgumentError(
            f"{where}: objectives must include a scorer, one of {list(scorers)!r}, besides "
            f"the times; got objectives={names!r}."
        )
    return names


def pareto_front(trials: Any, results: Mapping[str, Any], objectives: list[str]) -> list[dict]:
    """``pareto_front_``: the rows of ``cv_results_`` whose trials no other trial beats
    on every objective, in row order, each with its parameters and mean values."""
    row_of = {tid: row for row, tid in enumerate(results["tid"].tolist())}
    columns = [name if name in TIME_OBJECTIVES else f"test_{name}" for name in objectives]
    front = []
    for trial in trials.best_trials:
        row = row_of.get(trial["tid"])
        if row is None:
            continue
        entry: dict[str, Any] = {"index": row, "tid": trial["tid"]}
        entry["params"] = results["params"][row]
        for column in columns:
            entry[f"mean_{column}"] = float(results[f"mean_{column}"][row])
        front.append(entry)
    return sorted(front, key=lambda entry: entry["index"])


def best_on_front(front: list[dict], results: Mapping[str, Any], metric: str) -> int:
    """The row of ``front`` with the best mean test ``metric`` (the first of equals)."""
    means = results[f"mean_test_{metric}"]
    rows = [entry["index"] for entry in front]
    return min(rows, key=lambda row: (-means[row], row))
