"""What TPE learns from: finished losses, failures and trials still in flight."""

from __future__ import annotations

import math
import weakref
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..._types import JOB_STATE_DONE, JOB_STATE_NEW, JOB_STATE_RUNNING, STATUS_OK
from ...trials.documents import config_key


class SeenConfigs:
    """Configurations already evaluated or in flight, as a view over a few sets.

    The cached set of a long history is shared, not copied, on every call.
    """

    def __init__(self, *parts: set) -> None:
        self._parts = parts

    def __contains__(self, key: Any) -> bool:
        return any(key in part for part in self._parts)

    def plus(self, key: Any) -> SeenConfigs:
        return SeenConfigs(*self._parts, {key})


@dataclass
class History:
    """Trials as rows: a loss per row (inf for failed or in-flight) and label columns."""

    losses: np.ndarray  # finite for ok trials; +inf for failed and pending ones
    pending: np.ndarray  # bool: queued or running (their loss is unknown)
    values: dict[str, np.ndarray]  # label -> value per row (nan where inactive)
    active: dict[str, np.ndarray]  # label -> bool per row
    configs: SeenConfigs  # configurations already evaluated or in flight

    @property
    def n_ok(self) -> int:
        return int(np.isfinite(self.losses).sum())


class _Rows:
    """Rows extracted from trial documents, as Python lists (cheap to extend)."""

    def __init__(self, labels: list[str]) -> None:
        self.losses: list[float] = []
        self.pending: list[bool] = []
        self.columns: dict[str, list] = {label: [] for label in labels}
        self.configs: set = set()
        self._arrays: tuple | None = None  # the rows so far as arrays, extended on demand

    def arrays(self) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
        """(losses, pending, columns) as arrays; only rows added since the last call convert."""
        done = 0 if self._arrays is None else len(self._arrays[0])
        if self._arrays is None or done < len(self.losses):
            fresh = (
                np.asarray(self.losses[done:], dtype=float),
                np.asarray(self.pending[done:], dtype=bool),
                {k: np.asarray(col[done:], dtype=float) for k, col in self.columns.items()},
            )
            if self._arrays is None:
                self._arrays = fresh
            else:
                old_losses, old_pending, old_columns = self._arrays
                self._arrays = (
                    np.concatenate([old_losses, fresh[0]]),
                    np.concatenate([old_pending, fresh[1]]),
                    {k: np.concatenate([old_columns[k], fresh[2][k]]) for k in self.columns},
                )
        return self._arrays

    def add(self, trial: dict, labels: list[str]) -> bool:
        """Append one trial; False when its state makes it irrelevant (error, cancel)."""
        state = trial["state"]
        result = trial["result"]
        if state in (JOB_STATE_NEW, JOB_STATE_RUNNING):
            self.losses.append(math.inf)
            self.pending.append(True)
        elif state == JOB_STATE_DONE:
            loss = result.get("loss") if result.get("status") == STATUS_OK else None
            ok = loss is not None and math.isfinite(loss)
            self.losses.append(float(loss) if ok else math.inf)  # type: ignore[arg-type]
            self.pending.append(False)
        else:
            return False
        vals = trial["misc"]["vals"]
        config = {}
        for label in labels:
            v = vals.get(label)
            if v:
                self.columns[label].append(v[0])
                config[label] = v[0]
            else:
                self.columns[label].append(math.nan)
        self.configs.add(config_key(config))
        return True


class _PrefixCache:
    """Rows of the leading trials that were finished when last seen.

    Finished trials never change, so each call only reads the trials after this
    prefix (in a serial run: the newest one or two) instead of the whole history.
    """

    def __init__(self, labels: list[str]) -> None:
        self.labels = labels
        self.rows = _Rows(labels)
        self.length = 0  # trials covered
        self.last_tid: Any = None

    def matches(self, docs: list) -> bool:
        return self.length == 0 or (
            len(docs) >= self.length and docs[self.length - 1]["tid"] == self.last_tid
        )


_caches: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def collect(domain: Any, trials: Any, exclude_tids: set) -> History:
    """Rows for every trial of ``trials`` (in storage order, oldest first)."""
    labels = list(domain.compiled.params)
    docs = trials.trials
    try:
        per_trials = _caches.setdefault(trials, {})
    except TypeError:  # not weak-referenceable: no cache
        per_trials = {}
    cache = per_trials.get(id(domain.compiled))
    if cache is None or cache.labels != labels or not cache.matches(docs):
        cache = per_trials[id(domain.compiled)] = _PrefixCache(labels)
    # extend the cached prefix over trials that have finished since
    while cache.length < len(docs):
        trial = docs[cache.length]
        if trial["state"] in (JOB_STATE_NEW, JOB_STATE_RUNNING) or trial["tid"] in exclude_tids:
            break
        cache.rows.add(trial, labels)
        cache.length += 1
        cache.last_tid = trial["tid"]
    tail = _Rows(labels)
    for trial in docs[cache.length :]:
        if trial["tid"] not in exclude_tids:
            tail.add(trial, labels)
    head_losses, head_pending, head_values = cache.rows.arrays()
    values = {
        label: np.concatenate([head_values[label], np.asarray(tail.columns[label], dtype=float)])
        for label in labels
    }
    active = {label: ~np.isnan(col) for label, col in values.items()}
    return History(
        np.concatenate([head_losses, np.asarray(tail.losses, dtype=float)]),
        np.concatenate([head_pending, np.asarray(tail.pending, dtype=bool)]),
        values,
        active,
        SeenConfigs(cache.rows.configs, tail.configs),
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
        ranked = np.where(finite, losses, np.inf)
        if n_below < len(losses):  # only the best few are needed, not a full sort
            ranked_rows = np.argpartition(ranked, n_below - 1)[:n_below]
        else:
            ranked_rows = np.arange(len(losses))
        below[ranked_rows] = True
    return below
