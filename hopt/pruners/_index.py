"""Caches that keep pruners fast with many trials (10,000 trials of 100 reports).

A pruner is asked after every report, and reading every report of every trial
each time costs a second at that size.  These caches read a trial's reports once
and afterwards only check, per trial, how many reports it has: reports are
append-only (the storage contract), so a trial with as many reports as before has
the same reports.  A trial with more reports is read again (from where the cache
stopped); a cached trial missing from the documents (deleted) makes the cache
start over, and so does a known tid whose reports do not continue the ones read
(a tid reused after ``delete_all``; the deletion is normally caught first, as the
next call sees fewer trials than the cache knows).  Each call still walks the
list of documents once, reading a few keys of each: that walk is what a call
costs (about 1-3 ms at 10,000 trials).

Both caches hold a lock (``should_prune`` may be asked from several threads of
one process) and are dropped when a pruner is pickled: a copy starts empty.
"""

from __future__ import annotations

import bisect
import math
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

from .._types import JOB_STATE_DONE, STATUS_OK

_NOTHING: Mapping[str, Any] = {}


class _Locked:
    """A lock that a pickled copy does not carry (a fresh one is made on load)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.clear()

    def clear(self) -> None:
        """Forget everything."""

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the cache's lock."""
        with self._lock:
            yield

    def __getstate__(self) -> dict[str, Any]:
        return {}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__()  # type: ignore[misc]


class CompletedValues(_Locked):
    """Values of the completed trials (DONE, status ok) at each step, and a statistic of them.

    ``sync(trials)`` brings it up to date; ``statistic(step)`` is ``(number of
    completed trials that reported at step, statistic of their values)``, the
    statistic computed once per step until a completed trial adds a value there.
    """

    def __init__(self, statistic: Callable[[np.ndarray], float]) -> None:
        self._statistic = statistic
        super().__init__()

    def clear(self) -> None:
        """Forget everything."""
        self._n_reports: dict[Any, int] = {}  # tid -> how many reports were read
        self._by_step: dict[int, list[float]] = {}
        self._stats: dict[int, tuple[int, float]] = {}

    def __getstate__(self) -> dict[str, Any]:
        return {"statistic": self._statistic}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["statistic"])  # type: ignore[misc]

    def sync(self, trials: Sequence[Mapping[str, Any]]) -> int:
        """Take in completed trials not seen yet; return how many trials are completed."""
        done = completed_documents(trials)
        fresh = self._fresh(done)
        # Every known trial is still there exactly when the completed trials that are
        # not fresh are as many as the known ones (fresh ones have new tids, below).
        if len(done) - len(fresh) != len(self._n_reports) or any(
            t.get("tid") in self._n_reports for t in fresh
        ):
            self.clear()
            fresh = self._fresh(done)
        for trial in fresh:
            tid = trial.get("tid")
            if tid in self._n_reports:
                continue  # two documents of one trial: count it once
            self._n_reports[tid] = len(trial.get("reports") or ())
            for step, value in _last_value_by_step(trial).items():
                if math.isfinite(value):  # as Optuna's nanpercentile: NaN does not count
                    self._by_step.setdefault(step, []).append(value)
                    self._stats.pop(step, None)
        return len(done)

    def _fresh(self, done: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
        known = self._n_reports.get
        return [t for t in done if known(t.get("tid")) != len(t.get("reports") or ())]

    def statistic(self, step: int) -> tuple[int, float]:
        """``(count, statistic)`` of the completed trials' values at ``step`` (NaN if none)."""
        cached = self._stats.get(step)
        if cached is None:
            values = self._by_step.get(step)
            if not values:
                cached = (0, math.nan)
            else:
                cached = (len(values), self._statistic(np.asarray(values, dtype=float)))
            self._stats[step] = cached
        return cached


def completed_documents(trials: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The completed trials (DONE, status ok), in one comprehension: the walk over every
    document is most of a call's cost, and a loop calling ``is_completed`` is twice as slow."""
    return [
        t
        for t in trials
        if t.get("state") == JOB_STATE_DONE
        and (t.get("result") or _NOTHING).get("status") == STATUS_OK
    ]


def _last_value_by_step(trial: Mapping[str, Any]) -> dict[int, float]:
    return {int(r["step"]): float(r["value"]) for r in trial.get("reports") or ()}


class _TrialRungs:
    """What the rung cache knows of one trial: the reports read, the rungs reached."""

    __slots__ = ("last_value", "max_step", "values")

    def __init__(self) -> None:
        self.last_value: Any = None  # the value of the last report read
        self.max_step = -1
        self.values: list[float] = []  # values[r]: the trial's value at rung r


class RungValues(_Locked):
    """Every trial's value at each rung of a successive-halving ladder, kept sorted per rung.

    A trial's value at rung ``r`` is the value of its first report (in the order
    made) whose step is at least ``rung_steps(r)``: the report at which the trial
    reached the rung.  Reports are append-only, so once reached a rung value never
    changes, and ``sync`` only reads the reports that are new since the last call.
    """

    def __init__(self, rung_step: Callable[[int], int]) -> None:
        self._rung_step = rung_step
        super().__init__()

    def clear(self) -> None:
        """Forget everything."""
        self._trials: dict[Any, _TrialRungs] = {}
        self._n_read: dict[Any, int] = {}  # tid -> how many of its reports were read
        self._sorted: list[list[float]] = []  # per rung, every trial's value there, sorted

    def __getstate__(self) -> dict[str, Any]:
        return {"rung_step": self._rung_step}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["rung_step"])  # type: ignore[misc]

    def sync(self, trials: Sequence[Mapping[str, Any]]) -> None:
        """Read the reports made since the last call, in every trial with reports."""
        reporting = [t for t in trials if t.get("reports")]
        # Each trial read has an entry, so more entries than trials with reports means
        # some trial was deleted: start over.
        if len(self._n_read) > len(reporting):
            self.clear()
        n_read = self._n_read.get
        for trial in [t for t in reporting if n_read(t.get("tid")) != len(t["reports"])]:
            tid = trial.get("tid")
            entry = self._trials.get(tid)
            if entry is None:
                entry = self._trials[tid] = _TrialRungs()
            self._read(entry, trial["reports"], self._n_read.get(tid, 0))
            self._n_read[tid] = len(trial["reports"])

    def _read(self, entry: _TrialRungs, reports: Sequence[Mapping[str, Any]], start: int) -> None:
        # Append-only: the reports read before are still the first ones, unless the list
        # is shorter now or differs where reading stopped (a new trial under an old
        # tid, or two documents of one tid); then read it all again.
        if start > len(reports) or (start and reports[start - 1]["value"] != entry.last_value):
            self._forget(entry)
            start = 0
        next_rung_step = self._rung_step(len(entry.values))  # once, not per report
        for report in reports[start:]:
            step = report["step"]
            if step <= entry.max_step:
                continue
            entry.max_step = step
            while next_rung_step <= step:
                self._add(len(entry.values), float(report["value"]))
                entry.values.append(float(report["value"]))
                next_rung_step = self._rung_step(len(entry.values))
        if reports:
            entry.last_value = reports[-1]["value"]

    def _add(self, rung: int, value: float) -> None:
        while len(self._sorted) <= rung:
            self._sorted.append([])
        bisect.insort(self._sorted[rung], value)

    def _forget(self, entry: _TrialRungs) -> None:
        for rung, value in enumerate(entry.values):
            column = self._sorted[rung]
            del column[bisect.bisect_left(column, value)]
        entry.values = []
        entry.max_step = -1
        entry.last_value = None

    def rank(self, rung: int, value: float, tid: Any) -> tuple[int, int]:
        """``(others, better)``: how many trials other than ``tid`` have a value at ``rung``,
        and how many of those values are strictly lower than ``value``."""
        column = self._sorted[rung] if rung < len(self._sorted) else []
        others = len(column)
        better = bisect.bisect_left(column, value)
        entry = self._trials.get(tid)
        if entry is not None and rung < len(entry.values):
            # the trial's own value (from its document in ``trials``) is not a competitor
            others -= 1
            if entry.values[rung] < value:
                better -= 1
        return others, better
