"""What TPE learns from: finished losses, failures and trials still in flight."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..._types import JOB_STATE_DONE, JOB_STATE_NEW, JOB_STATE_RUNNING, STATUS_OK


@dataclass
class History:
    """Trials as rows: a loss per row (inf for failed or in-flight) and label columns."""

    losses: np.ndarray  # finite for ok trials; +inf for failed and pending ones
    pending: np.ndarray  # bool: queued or running (their loss is unknown)
    values: dict[str, np.ndarray]  # label -> value per row (nan where inactive)
    active: dict[str, np.ndarray]  # label -> bool per row
    configs: set  # hashable configurations already evaluated or in flight

    @property
    def n_ok(self) -> int:
        return int(np.isfinite(self.losses).sum())


def config_key(config: dict[str, Any]) -> tuple:
    return tuple(sorted(config.items()))


def collect(domain: Any, trials: Any, exclude_tids: set) -> History:
    """Rows for every trial of ``trials`` (ordered by tid, oldest first)."""
    labels = list(domain.compiled.params)
    losses, pending = [], []
    columns: dict[str, list] = {label: [] for label in labels}
    configs = set()
    for trial in trials.trials:
        if trial["tid"] in exclude_tids:
            continue
        state = trial["state"]
        result = trial["result"]
        if state in (JOB_STATE_NEW, JOB_STATE_RUNNING):
            losses.append(math.inf)
            pending.append(True)
        elif state == JOB_STATE_DONE:
            loss = result.get("loss") if result.get("status") == STATUS_OK else None
            ok = loss is not None and math.isfinite(loss)
            losses.append(float(loss) if ok else math.inf)  # type: ignore[arg-type]
            pending.append(False)
        else:
            continue
        vals = trial["misc"]["vals"]
        config = {}
        for label in labels:
            v = vals.get(label)
            if v:
                columns[label].append(v[0])
                config[label] = v[0]
            else:
                columns[label].append(math.nan)
        configs.add(config_key(config))
    values = {label: np.asarray(col, dtype=float) for label, col in columns.items()}
    active = {label: ~np.isnan(col) for label, col in values.items()}
    return History(
        np.asarray(losses, dtype=float), np.asarray(pending, dtype=bool), values, active, configs
    )


def split_below(losses: np.ndarray, gamma: float, max_below: int = 25) -> np.ndarray:
    """Rows of the good group: the ``ceil(gamma * n)`` best finished trials, at most 25.

    Hyperopt used ``gamma * sqrt(n)``, which leaves 3 good trials out of 100; a
    fixed fraction (Optuna's rule, and the better one in Watanabe 2023's
    ablations) gave clearly lower regret in our runs (docs/algorithms.md).
    """
    finite = np.isfinite(losses)
    n_ok = int(finite.sum())
    n_below = min(int(math.ceil(gamma * n_ok)), max_below, n_ok)
    below = np.zeros(len(losses), dtype=bool)
    if n_below > 0:
        order = np.argsort(np.where(finite, losses, np.inf), kind="stable")
        below[order[:n_below]] = True
    return below
