"""SuccessiveHalvingPruner: asynchronous successive halving (ASHA), rungs derived from reports."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import Any

from .._validate import check_int, fail, is_int
from ._index import RungValues
from .base import Pruner, first_completed_trial, last_step

__all__ = ["SuccessiveHalvingPruner"]


def check_min_resource(value: Any, where: str, allow_auto: bool = True) -> int | str:
    """``min_resource`` as an int >= 1, or "auto" where allowed."""
    if allow_auto and value == "auto" and isinstance(value, str):
        return "auto"
    if is_int(value) and value >= 1:
        return int(value)
    rule = (
        'min_resource must be an int >= 1 or "auto"'
        if allow_auto
        else "min_resource must be an int >= 1"
    )
    fail(
        where,
        rule,
        "min_resource",
        value,
        "It is the step of the first rung (e.g. 1 epoch).",
    )


class SuccessiveHalvingPruner(Pruner):
    """Asynchronous successive halving: at each rung keep the best 1/``reduction_factor``.

    Rung ``r`` (r = 0, 1, ...) is at step ``min_resource * reduction_factor **
    (min_early_stopping_rate + r)``.  A trial *reaches* a rung with its first
    report (in the order made) whose step is at least the rung's step, and the
    value of that report is *its value at the rung*, for good: later reports at
    the same step do not change it.  This is what Optuna records in the trial's
    system attributes when ``should_prune`` is asked after each report; here it is
    read back from the reports, so no pruner state is shared between processes.

    When the trial's latest report reaches one or more rungs, each is judged in
    turn with that report's value ``v``: the competitors are the values at the
    rung of every other trial that reached it (in any state: running, completed,
    pruned, failed, as in Optuna) plus ``v``; with ``n`` of them and ``k =
    max(n // reduction_factor, 1)``, the trial goes on when ``v`` is among the
    ``k`` lowest (``v <= sorted(values)[k - 1]``; ties go on), and is pruned
    otherwise.  With ``bootstrap_count`` > 0 the trial is pruned while ``n <=
    bootstrap_count`` (Optuna's rule: it cannot wait at the rung for company).
    A rung reached by an earlier report was judged then and is not judged again:
    ask after every report, as ``hopt.should_prune()`` does.

    ``min_resource="auto"`` (Optuna's heuristic): no pruning until a trial
    completes; then ``max(its largest step // 100, 1)``, taken from the first
    completed trial (earliest ``end_time``) and kept for good.  Optuna takes the
    largest over the trials completed at its first check afterwards: the same
    trial in a sequential run.  The decisions differ from Optuna's in the runs'
    first trials, on purpose: Optuna records a rung value only at a check made
    once min_resource is known, so the trials that ran before (the first to
    complete, and those running then) have no rung values and never compete,
    and a trial running then is judged at its next report, with that report's
    value, at every rung it had passed.  Here every report counts at the rungs
    it reached, so the second trial already competes with the first, and a rung
    is judged only when a report reaches it (measured: 99.5% of decisions agree,
    tests/pruners/test_optuna_agreement.py; with an int min_resource, all do).

    Cache: every trial's value at each rung, per rung in sorted order, read once
    per new report (see ``hopt.pruners._index``).
    """

    def __init__(
        self,
        min_resource: int | str = "auto",
        reduction_factor: int = 4,
        min_early_stopping_rate: int = 0,
        bootstrap_count: int = 0,
    ) -> None:
        where = "SuccessiveHalvingPruner"
        self._min_resource_setting = check_min_resource(min_resource, where)
        self._reduction_factor = check_int(
            reduction_factor,
            "reduction_factor",
            where,
            minimum=2,
            fix="It is how many trials compete for one place at each rung (4: the best quarter).",
        )
        self._min_early_stopping_rate = check_int(
            min_early_stopping_rate,
            "min_early_stopping_rate",
            where,
            minimum=0,
            fix="Use 0 for the first rung at min_resource steps.",
        )
        self._bootstrap_count = check_int(
            bootstrap_count,
            "bootstrap_count",
            where,
            minimum=0,
            fix="Use 0 to promote trials from the first one that reaches a rung.",
        )
        if self._bootstrap_count > 0 and self._min_resource_setting == "auto":
            fail(
                where,
                'bootstrap_count > 0 needs an explicit min_resource, not "auto"',
                "bootstrap_count",
                bootstrap_count,
                "Give min_resource as an int, or leave bootstrap_count at 0.",
            )
        self._min_resource: int | None = (
            self._min_resource_setting if isinstance(self._min_resource_setting, int) else None
        )
        self._rungs: RungValues | None = None
        self._lock = threading.Lock()
        if self._min_resource is not None:
            self._rungs = RungValues(self.rung_step)

    def __repr__(self) -> str:
        return (
            f"SuccessiveHalvingPruner(min_resource={self._min_resource_setting!r}, "
            f"reduction_factor={self._reduction_factor}, "
            f"min_early_stopping_rate={self._min_early_stopping_rate}, "
            f"bootstrap_count={self._bootstrap_count})"
        )

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        del state["_lock"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    @property
    def min_resource(self) -> int | None:
        """The first rung's base step: the setting, or the "auto" value once known (else None)."""
        return self._min_resource

    def rung_step(self, rung: int) -> int:
        """The step of rung ``rung`` (0, 1, ...); needs ``min_resource`` known."""
        if self._min_resource is None:
            raise RuntimeError("SuccessiveHalvingPruner: min_resource is not known yet.")
        return self._min_resource * self._reduction_factor ** (self._min_early_stopping_rate + rung)

    def _resolve(self, trials: Sequence[Mapping[str, Any]]) -> RungValues | None:
        if self._rungs is None:
            first = first_completed_trial(trials)
            if first is None:
                return None
            self._min_resource = max(int(last_step(first) or 0) // 100, 1)
            self._rungs = RungValues(self.rung_step)
        return self._rungs

    def prune(self, trial: Mapping[str, Any], trials: Sequence[Mapping[str, Any]]) -> bool:
        """Whether the trial, at a rung its latest report reached, is not among the best."""
        reports = trial.get("reports")
        if not reports:
            return False
        latest = reports[-1]
        step = int(latest["step"])
        reached_before = max((int(r["step"]) for r in reports[:-1]), default=-1)
        if step <= reached_before:
            return False  # the latest report reached no new step, so no new rung
        value = float(latest["value"])
        tid = trial.get("tid")
        with self._lock:
            rungs = self._resolve(trials)
            if rungs is None:
                return False
            rung = 0
            while self.rung_step(rung) <= reached_before:
                rung += 1
            if self.rung_step(rung) > step:
                return False
            with rungs.locked():
                rungs.sync(trials)
                while self.rung_step(rung) <= step:
                    others, better = rungs.rank(rung, value, tid)
                    n_competing = others + 1
                    if n_competing <= self._bootstrap_count:
                        return True
                    # the trial goes on when fewer than max(n // eta, 1) values beat it
                    if better > max(n_competing // self._reduction_factor - 1, 0):
                        return True
                    rung += 1
        return False
