"""HyperbandPruner: several successive-halving brackets, each trial in one of them."""

from __future__ import annotations

import math
import threading
import zlib
from collections.abc import Mapping, Sequence
from typing import Any

from .._validate import check_int, fail, is_int
from .base import Pruner, first_completed_trial, last_step
from .successive_halving import SuccessiveHalvingPruner, check_min_resource

__all__ = ["HyperbandPruner"]


def count_brackets(min_resource: int, max_resource: int, reduction_factor: int) -> int:
    """``floor(log_eta(max_resource / min_resource)) + 1``, in exact integer arithmetic.

    That is the number of rungs ``min_resource * eta**s <= max_resource``, s >= 0,
    and at least 1.  (Optuna computes the logarithm in floating point, which gives
    one bracket less when the ratio is an exact power that rounds down, such as
    ``math.log(243, 3) = 4.999...``.)
    """
    n = 1
    while min_resource * reduction_factor**n <= max_resource:
        n += 1
    return n


def bracket_budgets(n_brackets: int, reduction_factor: int) -> list[int]:
    """The share of trials each bracket gets (Optuna's and Hyperband's ``n``).

    Bracket ``b`` starts pruning at rung ``s = b`` of the ladder; the paper gives
    the bracket that stops earliest the most trials: ``ceil(n_brackets * eta**s'
    / (s' + 1))`` with ``s' = n_brackets - 1 - b``.
    """
    budgets = []
    for bracket in range(n_brackets):
        s = n_brackets - 1 - bracket
        budgets.append(math.ceil(n_brackets * reduction_factor**s / (s + 1)))
    return budgets


class HyperbandPruner(Pruner):
    """Hyperband: trials spread over brackets of successive halving with different patience.

    There are ``n = floor(log_eta(max_resource / min_resource)) + 1`` brackets
    (``eta = reduction_factor``).  Bracket ``b`` is a
    :class:`SuccessiveHalvingPruner` with ``min_early_stopping_rate=b``: bracket 0
    judges trials from ``min_resource`` steps on, the last bracket only at
    ``max_resource``.  A trial competes only with the trials of its own bracket.

    A trial's bracket depends only on its ``tid`` (:meth:`bracket_of`): the CRC-32
    of ``str(tid)`` modulo the sum of the bracket budgets (:func:`bracket_budgets`)
    picks a bracket with probability proportional to its budget, as Optuna does
    (Optuna hashes ``"{study_name}_{number}"``, so the brackets of given trial
    numbers differ; the weights are the same).  CRC-32, not ``hash()``: Python
    salts string hashes per process, and every process must agree.

    ``max_resource="auto"``: no pruning until a trial completes; then the largest
    step the first completed trial (earliest ``end_time``) reported, plus one, kept
    for good (Optuna takes the trials completed at its first check afterwards).
    As with ``SuccessiveHalvingPruner(min_resource="auto")``, the trials that ran
    before then count at the rungs they reached, where Optuna has no rung values
    for them: the first decisions can differ from Optuna's.
    """

    def __init__(
        self,
        min_resource: int = 1,
        max_resource: int | str = "auto",
        reduction_factor: int = 3,
        bootstrap_count: int = 0,
    ) -> None:
        where = "HyperbandPruner"
        self._min_resource = int(check_min_resource(min_resource, where, allow_auto=False))
        if isinstance(max_resource, str) and max_resource == "auto":
            self._max_resource_setting: int | str = "auto"
        elif is_int(max_resource) and int(max_resource) >= self._min_resource:
            self._max_resource_setting = int(max_resource)
        else:
            fail(
                where,
                f'max_resource must be "auto" or an int >= min_resource ({self._min_resource})',
                "max_resource",
                max_resource,
                "It is the largest step a trial runs to (e.g. the number of epochs).",
            )
        self._reduction_factor = check_int(
            reduction_factor,
            "reduction_factor",
            where,
            minimum=2,
            fix="It is how many trials compete for one place at each rung (3: the best third).",
        )
        self._bootstrap_count = check_int(
            bootstrap_count,
            "bootstrap_count",
            where,
            minimum=0,
            fix="Use 0 to promote trials from the first one that reaches a rung.",
        )
        if self._bootstrap_count > 0 and self._max_resource_setting == "auto":
            fail(
                where,
                'bootstrap_count > 0 needs an explicit max_resource, not "auto"',
                "bootstrap_count",
                bootstrap_count,
                "Give max_resource as an int, or leave bootstrap_count at 0.",
            )
        self._lock = threading.Lock()
        self._brackets: list[SuccessiveHalvingPruner] = []
        self._budgets: list[int] = []
        self._bracket_by_tid: dict[Any, int] = {}  # bracket_of's memo: a CRC per tid once
        if isinstance(self._max_resource_setting, int):
            self._build(self._max_resource_setting)

    def __repr__(self) -> str:
        return (
            f"HyperbandPruner(min_resource={self._min_resource}, "
            f"max_resource={self._max_resource_setting!r}, "
            f"reduction_factor={self._reduction_factor}, "
            f"bootstrap_count={self._bootstrap_count})"
        )

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        del state["_lock"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def _build(self, max_resource: int) -> None:
        self._max_resource = max_resource
        n_brackets = count_brackets(self._min_resource, max_resource, self._reduction_factor)
        self._budgets = bracket_budgets(n_brackets, self._reduction_factor)
        self._brackets = [
            SuccessiveHalvingPruner(
                min_resource=self._min_resource,
                reduction_factor=self._reduction_factor,
                min_early_stopping_rate=bracket,
                bootstrap_count=self._bootstrap_count,
            )
            for bracket in range(n_brackets)
        ]

    def _resolve(self, trials: Sequence[Mapping[str, Any]] | None) -> bool:
        with self._lock:
            if not self._brackets and trials is not None:
                first = first_completed_trial(trials)
                if first is not None:
                    self._build(int(last_step(first) or 0) + 1)
            return bool(self._brackets)

    @property
    def max_resource(self) -> int | None:
        """The largest step: the setting, or the "auto" value once known (else None)."""
        return self._max_resource if self._brackets else None

    @property
    def n_brackets(self) -> int | None:
        """How many brackets there are, or None while ``max_resource="auto"`` is unknown."""
        return len(self._brackets) if self._brackets else None

    @property
    def budgets(self) -> list[int]:
        """Each bracket's share of trials (empty while the brackets are unknown)."""
        return list(self._budgets)

    def bracket_of(self, tid: int, trials: Sequence[Mapping[str, Any]] | None = None) -> int | None:
        """The bracket (0 .. n_brackets - 1) of trial ``tid``, a function of ``tid`` only.

        None while the brackets are unknown (``max_resource="auto"`` before a trial
        completed); pass ``trials`` to let it look for the first completed trial.
        """
        if not self._brackets and not self._resolve(trials):
            return None
        bracket = self._bracket_by_tid.get(tid)
        if bracket is None:
            n = zlib.crc32(str(tid).encode()) % sum(self._budgets)
            bracket = 0
            while n >= self._budgets[bracket]:
                n -= self._budgets[bracket]
                bracket += 1
            self._bracket_by_tid[tid] = bracket
        return bracket

    def prune(self, trial: Mapping[str, Any], trials: Sequence[Mapping[str, Any]]) -> bool:
        """Whether the trial's bracket's successive halving, among its trials, prunes it."""
        if not trial.get("reports"):
            return False
        if not self._brackets and not self._resolve(trials):
            return False
        bracket = self.bracket_of(trial["tid"])
        assert bracket is not None
        members = [t for t in trials if self.bracket_of(t.get("tid", -1)) == bracket]
        return self._brackets[bracket].prune(trial, members)
