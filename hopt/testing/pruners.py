"""Trial documents for pruner tests, a simulated run, and ``PrunerConformance``.

Builders (``running``, ``completed``, ``pruned``) make the trial documents a
pruner reads, with reports at steps 0, 1, ... or at given steps.  ``simulate``
plays an asynchronous experiment (several trials running at once, reporting in
turn, each asked about after every report) and returns every decision.
``PrunerConformance`` is the kit: subclass it with ``make_pruner`` to check that
a pruner keeps the contract of :class:`hopt.pruners.Pruner`.
"""

from __future__ import annotations

import copy
import datetime
import pickle
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from .._types import JOB_STATE_DONE, JOB_STATE_RUNNING, STATUS_OK, STATUS_PRUNED
from ..pruners import Pruner

#: the time of trial documents made here: tid seconds after it
EPOCH = datetime.datetime(2024, 1, 1)


def _reports(values: Iterable[Any], tid: int) -> list[dict[str, Any]]:
    reports = []
    for i, item in enumerate(values):
        step, value = item if isinstance(item, tuple) else (i, item)
        time = EPOCH + datetime.timedelta(seconds=tid, microseconds=i)
        reports.append({"step": int(step), "value": float(value), "time": time})
    return reports


def running(tid: int, values: Iterable[Any] = ()) -> dict[str, Any]:
    """A running trial that reported ``values``: numbers (at steps 0, 1, ...) or (step, value)."""
    return {
        "tid": tid,
        "state": JOB_STATE_RUNNING,
        "result": {"status": "new"},
        "reports": _reports(values, tid),
        "book_time": EPOCH + datetime.timedelta(seconds=tid),
        "end_time": None,
    }


def completed(
    tid: int, values: Iterable[Any] = (), loss: float | None = None, end: float | None = None
) -> dict[str, Any]:
    """A completed trial (DONE, ok): loss defaults to the last value, end to ``tid`` seconds."""
    doc = running(tid, values)
    last = doc["reports"][-1]["value"] if doc["reports"] else 0.0
    doc["state"] = JOB_STATE_DONE
    doc["result"] = {"status": STATUS_OK, "loss": last if loss is None else loss}
    doc["end_time"] = EPOCH + datetime.timedelta(seconds=tid if end is None else end)
    return doc


def pruned(tid: int, values: Iterable[Any] = ()) -> dict[str, Any]:
    """A pruned trial (DONE, status pruned, loss its last value)."""
    doc = completed(tid, values)
    doc["result"]["status"] = STATUS_PRUNED
    return doc


def add_report(doc: dict[str, Any], step: int, value: float) -> None:
    """Append a report to ``doc`` as a backend does."""
    time = EPOCH + datetime.timedelta(seconds=doc["tid"], microseconds=len(doc["reports"]))
    doc["reports"].append({"step": step, "value": float(value), "time": time})


def curves(seed: int, n_trials: int, n_steps: int) -> list[list[float]]:
    """Random decreasing learning curves, some noisy and some crossing each other."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n_trials):
        final = rng.uniform(0, 1)
        rate = rng.uniform(0.02, 0.5)
        start = final + rng.uniform(0, 2)
        steps = np.arange(n_steps)
        curve = final + (start - final) * np.exp(-rate * steps)
        curve = curve + rng.normal(0, rng.choice([0.0, 0.02, 0.1]), n_steps)
        out.append([round(float(v), 3) for v in curve])  # rounding makes ties happen
    return out


Event = tuple[int, int, float, bool]  # (tid, step, value, pruned)


def simulate(
    ask: Callable[[dict[str, Any], list[dict[str, Any]]], bool],
    trial_curves: Sequence[Sequence[float]],
    n_workers: int = 3,
    seed: int = 0,
    step_of: Callable[[int, int], int] | None = None,
    on_finish: Callable[[dict[str, Any]], None] | None = None,
) -> tuple[list[Event], list[dict[str, Any]]]:
    """Play an experiment: ``n_workers`` trials run at once, a random one reports next.

    Trial ``tid`` reports ``trial_curves[tid]`` one value at a time (at step
    ``step_of(tid, i)``, default ``i``), and ``ask(doc, docs)`` is asked after
    each report; True marks the trial pruned and frees its worker.  A trial that
    reports its whole curve completes with its last value.  Returns every
    ``(tid, step, value, decision)`` and the final documents.
    """
    rng = np.random.default_rng(seed)
    docs: list[dict[str, Any]] = []
    active: list[dict[str, Any]] = []
    events: list[Event] = []
    clock = 0
    next_tid = 0
    while next_tid < len(trial_curves) or active:
        while len(active) < n_workers and next_tid < len(trial_curves):
            doc = running(next_tid)
            docs.append(doc)
            active.append(doc)
            next_tid += 1
        doc = active[int(rng.integers(len(active)))]
        tid = doc["tid"]
        i = len(doc["reports"])
        step = i if step_of is None else step_of(tid, i)
        value = trial_curves[tid][i]
        add_report(doc, step, value)
        decision = bool(ask(doc, docs))
        events.append((tid, step, value, decision))
        clock += 1
        finished = decision or len(doc["reports"]) == len(trial_curves[tid])
        if finished:
            doc["state"] = JOB_STATE_DONE
            doc["result"] = {"status": STATUS_PRUNED if decision else STATUS_OK, "loss": value}
            doc["end_time"] = EPOCH + datetime.timedelta(seconds=clock)
            active.remove(doc)
            if on_finish is not None:
                on_finish(doc)
    return events, docs


class PrunerConformance:
    """Mixin of pytest tests; define ``make_pruner(self)`` returning a fresh pruner.

    Example:
        ```python
        class TestMedianConformance(PrunerConformance):
            def make_pruner(self):
                return MedianPruner(n_startup_trials=2)
        ```
    """

    n_trials = 24

    def make_pruner(self) -> Pruner:
        """The pruner under test, new each call (subclasses override)."""
        raise NotImplementedError

    def _curves(self, seed: int) -> list[list[float]]:
        return curves(seed, self.n_trials, 20)

    def test_a_trial_without_reports_is_kept(self):
        pruner = self.make_pruner()
        docs = [completed(t, self._curves(0)[t]) for t in range(6)]
        trial = running(6)
        assert pruner.prune(trial, [*docs, trial]) is False

    def test_decisions_are_bools_and_documents_are_not_modified(self):
        pruner = self.make_pruner()

        def ask(doc, docs):
            before = copy.deepcopy(docs)
            decision = pruner.prune(doc, docs)
            assert docs == before
            assert isinstance(decision, bool)
            return decision

        simulate(ask, self._curves(1))

    def test_a_new_pruner_decides_as_the_one_that_saw_every_call(self):
        # Caches must not change decisions: a fresh pruner that sees the same
        # documents for the first time agrees with the long-lived one.
        pruner = self.make_pruner()
        disagreements = []

        def ask(doc, docs):
            decision = pruner.prune(doc, docs)
            if self.make_pruner().prune(doc, docs) != decision:
                disagreements.append((doc["tid"], len(doc["reports"])))
            return decision

        simulate(ask, self._curves(2))
        assert not disagreements

    def test_a_pickled_copy_decides_alike(self):
        pruner = self.make_pruner()
        _, docs = simulate(pruner.prune, self._curves(3))
        copy_ = pickle.loads(pickle.dumps(pruner))
        trial = running(len(docs), self._curves(4)[0][:10])
        assert copy_.prune(trial, [*docs, trial]) == pruner.prune(trial, [*docs, trial])

    def test_deleted_trials_are_forgotten(self):
        # delete_all, then a new experiment whose tids start at 0 again: the pruner
        # that saw the first run decides the second as a copy without caches does
        # (a pickled copy: it keeps what "auto" settings learnt, as the pruner does).
        pruner = self.make_pruner()
        simulate(pruner.prune, self._curves(5))
        clean = pickle.loads(pickle.dumps(pruner))
        events, _ = simulate(pruner.prune, self._curves(6))
        events_clean, _ = simulate(clean.prune, self._curves(6))
        assert events == events_clean
