"""Empirical distribution function of the losses, one line per search, to compare searches."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..exceptions import AllTrialsFailedError, InvalidArgumentError
from ._backend import figure_and_axes
from ._trial_table import TrialTable, read_objective, require_ok_trials

WHERE = "plot_edf"


def _named_searches(trials: Any, names: Any) -> list[tuple[str, Any]]:
    """(name, Trials) pairs from one Trials, a sequence of them or a mapping name -> Trials."""
    if hasattr(trials, "trials"):
        searches = [trials]
        defaults = ["trials"]
    elif isinstance(trials, Mapping):
        searches = list(trials.values())
        defaults = [str(name) for name in trials]
    elif isinstance(trials, Sequence) and not isinstance(trials, str):
        searches = list(trials)
        defaults = [f"trials {i}" for i in range(len(searches))]
    else:
        searches, defaults = [], []
    if not searches or not all(hasattr(search, "trials") for search in searches):
        raise InvalidArgumentError(
            f"{WHERE}: trials must be a Trials object, a non-empty list of them, or a dict "
            f"name -> Trials; got trials={trials!r}."
        )
    if names is None:
        return list(zip(defaults, searches))
    if isinstance(names, str) or not isinstance(names, Sequence) or len(names) != len(searches):
        raise InvalidArgumentError(
            f"{WHERE}: names must give one name per search ({len(searches)}); got names={names!r}."
        )
    return [(str(name), search) for name, search in zip(names, searches)]


def plot_edf(
    trials: Any,
    *,
    names: Sequence[str] | None = None,
    objective: int | None = None,
    log_x: bool = False,
    ax: Any = None,
    title: str = "Empirical distribution of the losses",
) -> Any:
    """For each search, the fraction of its ``ok`` trials whose loss is at most x.

    ``trials`` is one ``Trials`` object, a list of them, or a dict name -> Trials.
    Each search is one step line, named in the legend (by ``names``, the dict's
    keys, or ``trials 0``, ``trials 1``...) with its count of ``ok`` trials.  A
    line further left and higher means more trials with a low loss: the better
    search for the same budget.  Failed trials and those with a NaN/inf loss are
    left out.  ``log_x`` puts the loss on a log axis.  For searches with several
    objectives, ``objective`` (required then) picks the loss by its position in
    the loss list.  Raises ``AllTrialsFailedError`` when no search has an ``ok``
    trial with a finite loss.  Returns the matplotlib Figure.
    """
    searches = _named_searches(trials, names)
    tables: list[tuple[str, TrialTable]] = []
    for name, search in searches:
        where = WHERE if len(searches) == 1 else f"{WHERE} ({name!r})"
        tables.append((name, read_objective(search, where, objective)))
    if len(tables) == 1:
        require_ok_trials(tables[0][1], WHERE)
    elif not any(table.ok.any() for _, table in tables):
        raise AllTrialsFailedError(
            f"{WHERE}: none of the {len(tables)} searches "
            f"({', '.join(repr(name) for name, _ in tables)}) has a trial that finished with "
            "status 'ok' and a finite loss, so there is no loss to plot."
        )
    figure, ax = figure_and_axes(WHERE, ax, (6.5, 4.0))
    for name, table in tables:
        losses = np.sort(table.losses[table.ok])
        if losses.size == 0:
            # an empty entry, so the legend says that this search has nothing to show
            ax.plot([], [], " ", label=f"{name} (no ok trial)")
            continue
        fractions = np.arange(1, losses.size + 1) / losses.size
        # from 0 at the lowest loss, up one step per trial
        ax.step(np.append(losses[0], losses), np.append(0.0, fractions), where="post",
                gid=f"edf:{name}", label=f"{name} ({losses.size} ok)")  # fmt: skip
    if log_x:
        ax.set_xscale("log")
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel(tables[0][1].loss_label)
    ax.set_ylabel("fraction of ok trials with a loss <= x")
    ax.set_title(title)
    ax.legend(loc="lower right", fontsize="small")
    return figure
