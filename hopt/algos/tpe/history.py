"""What TPE learns from: finished losses, pruned trials, failures and trials in flight."""

from __future__ import annotations

import math
import weakref
from typing import Any, NamedTuple

import numpy as np

from ..._types import (
    JOB_STATE_DONE,
    JOB_STATE_NEW,
    JOB_STATE_RUNNING,
    STATUS_OK,
    STATUS_PRUNED,
)
from ...objectives import violation
from ...trials.documents import config_key
from .several import ranking_keys


class _cached:  # noqa: N801 (used as a decorator, like functools.cached_property)
    """``functools.cached_property`` without its lock (Python 3.11 takes one per first read).

    A History is built and read by one thread; the first read stores the value in
    the instance, which later reads find before this descriptor.
    """

    def __init__(self, compute: Any) -> None:
        self.compute = compute
        self.name = compute.__name__
        self.__doc__ = compute.__doc__

    def __get__(self, instance: Any, owner: Any = None) -> Any:
        if instance is None:
            return self
        value = instance.__dict__[self.name] = self.compute(instance)
        return value


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


class PrunedRows(NamedTuple):
    """How far each pruned trial got, per row of a History (nan steps: not pruned)."""

    steps: np.ndarray  # the step it reached (-inf: unknown, it made no report)
    values: np.ndarray  # its value there (inf: none)
    counts: np.ndarray  # how much it counts in the good group's n (see ``progress``)

    def take(self, rows: np.ndarray) -> PrunedRows:
        return PrunedRows(self.steps[rows], self.values[rows], self.counts[rows])

    def counted_whole(self) -> PrunedRows:
        """Each pruned trial counted as one trial in n (Optuna's rule)."""
        return self._replace(counts=np.where(self.steps == self.steps, 1.0, np.nan))


def progress(steps: np.ndarray, run_length: float) -> np.ndarray:
    """The fraction of a full run each pruned trial trained: ``(step + 1) / run_length``.

    ``run_length`` is the number of steps of the longest run seen: the highest step
    any completed or pruned trial reported, plus one.  A pruned trial with no report
    counts 0; rows not pruned stay nan.
    """
    with np.errstate(invalid="ignore"):  # nan steps stay nan
        return np.minimum((np.maximum(steps, -1.0) + 1.0) / max(run_length, 1.0), 1.0)


class History:
    """Trials as rows: a loss per row (inf unless completed) and a value per label.

    ``matrix`` is (labels, rows), nan where a label was inactive: the joint
    model takes all labels of a set of rows with one indexing call.  ``pruned``
    is None when no row was pruned (the usual case, which then costs nothing).
    ``several``: the trials have several losses (``losses`` then holds ranking keys,
    see several.py).
    """

    several = False
    #: repeated configurations got the same loss again, and none got another: a repeat
    #: would teach nothing (False also while nothing was repeated)
    exact = False

    def __init__(
        self,
        labels: list[str],
        losses: np.ndarray,
        pending: np.ndarray,
        matrix: np.ndarray,
        configs: SeenConfigs,
        pruned: PrunedRows | None = None,
    ) -> None:
        self.labels = labels
        self.losses = losses  # finite for completed trials; +inf for all others
        self.pending = pending  # bool: queued or running (their loss is unknown)
        self.matrix = matrix
        self.configs = configs  # configurations already evaluated or in flight
        self.pruned = pruned  # how far each pruned trial got (None: no trial was pruned)

    @_cached
    def values(self) -> dict[str, np.ndarray]:
        """label -> value per row (nan where inactive)."""
        return dict(zip(self.labels, self.matrix))

    @_cached
    def active(self) -> dict[str, np.ndarray]:
        """label -> bool per row."""
        return dict(zip(self.labels, ~np.isnan(self.matrix)))

    @_cached
    def n_ok(self) -> int:
        """Finished trials with a loss (``count_nonzero``: a bool ``sum`` casts through a buffer)."""
        return int(np.count_nonzero(np.isfinite(self.losses)))

    @_cached
    def n_pruned(self) -> int:
        """Pruned trials (``steps == steps`` is False exactly at nan)."""
        if self.pruned is None:
            return 0
        steps = self.pruned.steps
        return int(np.count_nonzero(steps == steps))

    @_cached
    def n_ranked(self) -> int:
        """Trials the good/bad split ranks: completed and pruned ones (counted whole)."""
        return self.n_ok + self.n_pruned

    @_cached
    def n_pending(self) -> int:
        """Trials queued or running."""
        return int(np.count_nonzero(self.pending))


class _Rows:
    """Rows extracted from trial documents: Python lists (cheap to extend) and arrays.

    The arrays live in buffers that grow by doubling; only rows added since the
    last call are converted.  Rows are never rewritten, so the read-only views
    handed out stay valid.  The pruned trials' steps and values become arrays
    only once a pruned trial has been seen.
    """

    def __init__(self, labels: list[str]) -> None:
        self.labels = labels
        self.losses: list[float] = []
        self.pending: list[bool] = []
        self.values: list[list[float]] = []  # per row, a value per label (nan: inactive)
        self.steps: list[float] = []  # per row, the step a pruned trial reached (nan: not pruned)
        self.last: list[float] = []  # per row, a pruned trial's value at that step (inf: none)
        self.n_pruned = 0
        self.top_step = -math.inf  # the highest step any finished trial reported
        self.configs: set = set()
        # several losses or constraints (see several.py); kept per row once one is seen
        self.vectors: list[tuple | None] = []  # per row, an ok trial's losses (None: one loss)
        self.violations: list[float] = []  # per row, its total violation (nan: none)
        self.shaped = False  # a row had several losses or constraints
        # repeats of completed configurations: does the objective give the same loss again?
        self.first_loss: dict = {}
        self.exact_repeats = 0
        self.noisy_repeats = 0
        self._shaped_done = 0
        self._vectors = np.empty((0, 0))
        self._violations = np.empty(0)
        self._done = 0
        self._losses = np.empty(0)
        self._pending = np.empty(0, dtype=bool)
        self._matrix = np.empty((len(labels), 0))
        self._pruned_done = 0
        self._steps = np.empty(0)
        self._last = np.empty(0)

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(losses, pending, matrix) of the rows so far, as read-only views."""
        n, done = len(self.losses), self._done
        if done < n:
            if n > len(self._losses):
                capacity = max(n, 2 * len(self._losses), 64)
                self._losses = _grown(self._losses, capacity, done)
                self._pending = _grown(self._pending, capacity, done)
                self._matrix = _grown(self._matrix, capacity, done)
            self._losses[done:n] = self.losses[done:]
            self._pending[done:n] = self.pending[done:]
            fresh = np.array(self.values[done:], dtype=float).reshape(n - done, len(self.labels))
            self._matrix[:, done:n] = fresh.T
            self._done = n
        views = (self._losses[:n], self._pending[:n], self._matrix[:, :n])
        for view in views:
            view.flags.writeable = False
        return views

    def pruned_arrays(self, always: bool = False) -> tuple[np.ndarray, np.ndarray] | None:
        """(steps, values) of the rows so far as read-only views; None if none was pruned
        (unless ``always``)."""
        if not (self.n_pruned or always):
            return None
        n, done = len(self.steps), self._pruned_done
        if done < n:
            if n > len(self._steps):
                capacity = max(n, 2 * len(self._steps), 64)
                self._steps = _grown(self._steps, capacity, done)
                self._last = _grown(self._last, capacity, done)
            self._steps[done:n] = self.steps[done:]
            self._last[done:n] = self.last[done:]
            self._pruned_done = n
        steps, values = self._steps[:n], self._last[:n]
        steps.flags.writeable = values.flags.writeable = False
        return steps, values

    def _note_repeat(self, key: Any, loss: Any) -> None:
        """Remember a completed configuration's loss; a repeat tells whether the
        objective is exact (the same loss again) or noisy."""
        first = self.first_loss.setdefault(key, loss)
        if first is not loss:
            if first == loss:
                self.exact_repeats += 1
            else:
                self.noisy_repeats += 1

    def loss_count(self) -> int | None:
        """The number of losses of the first row that has several (None: no such row)."""
        return next((len(v) for v in self.vectors if v is not None), None)

    def shaped_arrays(self, count: int | None) -> tuple[np.ndarray, np.ndarray]:
        """(vectors, violations) of the rows so far: (rows, count) losses, a nan row where
        a row has none or another number of them; total violations, nan without
        constraints.  Only the rows added since the last call are converted."""
        width = count or 0
        n, done = len(self.vectors), self._shaped_done
        if self._vectors.shape[1] != width:  # the first call, or the count became known
            self._vectors, done = np.empty((0, width)), 0
            self._violations = np.empty(0)
        if done < n:
            nan_row = (math.nan,) * width
            fresh = [
                v if v is not None and len(v) == width else nan_row for v in self.vectors[done:]
            ]
            self._vectors = np.concatenate(
                [self._vectors[:done], np.array(fresh, dtype=float).reshape(n - done, width)]
            )
            self._violations = np.concatenate(
                [self._violations[:done], np.array(self.violations[done:], dtype=float)]
            )
            self._shaped_done = n
        return self._vectors, self._violations

    def add(self, trial: dict, labels: list[str]) -> bool:
        """Append one trial; False when its state makes it irrelevant (error, cancel)."""
        state = trial["state"]
        result = trial["result"]
        step, last = math.nan, math.inf
        vector, amount = None, math.nan
        if state in (JOB_STATE_NEW, JOB_STATE_RUNNING):
            self.losses.append(math.inf)
            self.pending.append(True)
        elif state == JOB_STATE_DONE:
            status = result.get("status")
            loss = result.get("loss") if status == STATUS_OK else None
            if isinstance(loss, (list, tuple)):  # several losses: ranked by several.py
                vector, loss = tuple(loss), 0.0
                self.shaped = True
            if status == STATUS_OK and "constraints" in result:
                amount = violation(result)
                self.shaped = True
            ok = loss is not None and math.isfinite(loss)
            self.losses.append(float(loss) if ok else math.inf)  # type: ignore[arg-type]
            self.pending.append(False)
            if status == STATUS_PRUNED:
                step, last = pruned_at(trial)
                self.n_pruned += 1
                self.top_step = max(self.top_step, step)
            elif ok and trial.get("reports"):  # how long a full run is
                self.top_step = max(self.top_step, max(r["step"] for r in trial["reports"]))
        else:
            return False
        self.steps.append(step)
        self.last.append(last)
        self.vectors.append(vector)
        self.violations.append(amount)
        vals = trial["misc"]["vals"]
        config = {}
        row = []
        for label in labels:
            v = vals.get(label)
            if v:
                row.append(v[0])
                config[label] = v[0]
            else:
                row.append(math.nan)
        self.values.append(row)
        key = config_key(config)
        self.configs.add(key)
        if state == JOB_STATE_DONE and self.losses[-1] != math.inf:
            self._note_repeat(key, self.losses[-1] if vector is None else vector)
        return True


def pruned_at(trial: dict) -> tuple[float, float]:
    """(step, value): how far a pruned trial got, and its value there.

    From its result (``pruned_step``, ``loss``) or else its last report; a step
    of -inf when unknown (no reports), a value of inf when there is none.  It
    depends on the trial alone, so it is read once, when the row is added.
    """
    result = trial["result"]
    step, value = result.get("pruned_step"), result.get("loss")
    if step is None or value is None:
        reports = trial.get("reports") or ()
        if reports:
            last = max(reports, key=lambda report: report["step"])
            step = last["step"] if step is None else step
            value = last["value"] if value is None else value
    step = -math.inf if step is None else float(step)
    value = math.inf if value is None or not math.isfinite(value) else float(value)
    return step, value


def _grown(array: np.ndarray, capacity: int, keep: int) -> np.ndarray:
    """A copy of ``array`` with room for ``capacity`` rows (last axis); the first ``keep`` kept."""
    bigger = np.empty(array.shape[:-1] + (capacity,), dtype=array.dtype)
    bigger[..., :keep] = array[..., :keep]
    return bigger


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
    losses, pending, matrix = cache.rows.arrays()
    steps_values = cache.rows.pruned_arrays() if cache.rows.n_pruned else None
    if tail.losses:  # trials in flight (or after one): copies, not views
        tail_losses, tail_pending, tail_matrix = tail.arrays()
        losses = np.concatenate([losses, tail_losses])
        pending = np.concatenate([pending, tail_pending])
        matrix = np.concatenate([matrix, tail_matrix], axis=1)
        if steps_values is not None or tail.n_pruned:
            head, rest = cache.rows.pruned_arrays(always=True), tail.pruned_arrays(always=True)
            assert head is not None and rest is not None  # (always=True)
            steps_values = (
                np.concatenate([head[0], rest[0]]),
                np.concatenate([head[1], rest[1]]),
            )
    pruned = None
    if steps_values is not None:
        steps, values = steps_values
        run_length = max(cache.rows.top_step, tail.top_step) + 1.0
        pruned = PrunedRows(steps, values, progress(steps, run_length))
    configs = SeenConfigs(cache.rows.configs, tail.configs)
    # (the tail's repeats are not counted: finished trials reach the cached prefix)
    exact = cache.rows.exact_repeats > 0 and cache.rows.noisy_repeats == 0
    several = False
    if cache.rows.shaped or tail.shaped:
        count = cache.rows.loss_count() or tail.loss_count()
        several = count is not None
        head_vectors, head_amounts = cache.rows.shaped_arrays(count)
        tail_vectors, tail_amounts = tail.shaped_arrays(count)
        amounts = np.concatenate([head_amounts, tail_amounts])
        losses = ranking_keys(
            losses,
            None if count is None else np.concatenate([head_vectors, tail_vectors]),
            None if np.isnan(amounts).all() else amounts,
        )
    history = History(labels, losses, pending, matrix, configs, pruned)
    history.several = several
    history.exact = exact
    return history


def split_below(
    losses: np.ndarray, gamma: float, max_below: int = 25, pruned: PrunedRows | None = None
) -> np.ndarray:
    """Rows of the good group: the best ``ceil(gamma * n)`` trials, at most 25.

    Trials rank as in the TPE literature (Optuna's rule): completed trials first,
    by loss; then pruned ones (``pruned``), the furthest first, then by their
    value there; then failed and pending ones.  ``n`` counts each completed trial
    as one and each pruned trial as ``pruned.counts`` (by default the fraction of
    a full run it trained, ``progress``): a trial pruned after 1 step of 27 says
    little, and counting it whole made the good group take in every completed
    trial once most trials were pruned (docs/algorithms.md, "Pruned trials").

    Hyperopt used ``gamma * sqrt(n)``, which leaves 3 good trials out of 100; a
    fixed fraction (Optuna's rule, and the better one in Watanabe 2023's
    ablations) gave clearly lower regret in our runs (docs/algorithms.md).
    """
    finite = np.isfinite(losses)
    n_ok = int(np.count_nonzero(finite))
    n: float = n_ok
    n_ranked = n_ok
    if pruned is not None:
        pruned_rows = np.flatnonzero(pruned.steps == pruned.steps)  # not nan: pruned
        n_ranked += len(pruned_rows)
        counted = float(pruned.counts[pruned_rows].sum())
        whole = round(counted)  # a sum of fractions that should be whole, made whole
        n += whole if abs(counted - whole) < 1e-9 else counted
    n_below = min(int(math.ceil(gamma * n)), max_below, n_ranked)
    below = np.zeros(len(losses), dtype=bool)
    if n_below > n_ok:  # every completed trial, then the pruned ones that got furthest
        below[finite] = True
        steps = pruned.steps[pruned_rows]  # type: ignore[union-attr]
        values = pruned.values[pruned_rows]  # type: ignore[union-attr]
        furthest = np.lexsort((values, -steps))[: n_below - n_ok]  # stable: older first on ties
        below[pruned_rows[furthest]] = True
    elif n_below > 0:
        # failed, pruned and pending trials rank after completed ones (a nan loss too)
        ranked = losses if n_ok == len(losses) else np.where(finite, losses, np.inf)
        if n_below < len(losses):  # only the best few are needed, not a full sort
            ranked_rows = ranked.argpartition(n_below - 1)[:n_below]
        else:
            ranked_rows = np.arange(len(losses))
        below[ranked_rows] = True
    return below
