"""``TrialStore``: the storage contract every Trials backend keeps.

``fmin``, the suggest algorithms, the plots and the scikit-learn estimator use
only the methods declared here (and the read-only views ``Trials`` builds on
them), never a backend's private state.  The in-memory ``Trials`` implements it;
``FileTrials``, ``MongoTrials`` and ``SparkTrials`` subclass ``Trials`` (so
``isinstance(t, Trials)`` holds for all, as in Hyperopt) and override storage.
``hopt.testing.storage`` checks these rules on every backend.

Consistency rules
-----------------
1. **A trial document is written whole.**  A reader sees a trial as it was
   before a write or after it, never half of one: in memory there is one
   writer per document at a time; FileTrials writes a document in one SQLite
   transaction; MongoDB updates one document atomically.
2. **Trial ids are unique and never reused** within a store, also across
   processes (``new_trial_ids`` allocates them atomically) and after
   ``delete_all`` on a view of one ``exp_key``.
3. **Reads are snapshots.**  ``trials`` (and ``tids``, ``results``, ... built on it)
   is what the store held at the last ``refresh()``; a backend shared between
   processes does not change it behind the reader's back.  (In memory the
   documents are the stored objects themselves, so an in-process evaluation shows
   in them at once.)
4. **States move one way.**  NEW -> RUNNING -> DONE, or NEW -> CANCEL (a stopped
   fmin withdrew it), or RUNNING -> CANCEL (fmin stopped while it ran: Ctrl-C in
   an in-process objective, which queues the point again as a new trial; a
   timeout on Spark).  RUNNING -> NEW only when a worker gives the trial back
   (stopping) or its lease expired with attempts left.  DONE and CANCEL are final.
5. **A vanished worker's trial comes back.**  A worker holds a trial under a
   lease it renews while the objective runs.  When it stops renewing (killed,
   cut off), the trial returns to NEW once the lease has expired, counted as an
   attempt; after ``max_attempts`` lost attempts it is DONE with a failed result
   whose error type is ``WorkerLostError``.  A result, report or attachment written by
   a worker after it lost the lease is discarded, so a trial is recorded once.
6. **Intermediate reports** (``add_report``) are appended in order to the
   trial's ``reports`` list as ``{"step", "value", "time"}``; another process
   reading the store while the trial runs sees a prefix of them.
7. **A stop request** (``request_stop``) is a sticky flag on the trial.  The
   running objective sees it through its ``Ctrl`` (``ctrl.should_stop``): at
   once in process, within a lease renewal (a third of the lease) on a queue.
8. **Losses may be vectors.**  A result's ``loss`` is stored as given (a number,
   or a list of numbers for several objectives); readers decide what it means.
9. **Times and workers.**  A trial records ``book_time`` (started),
   ``refresh_time`` (last written), ``end_time`` (finished) as naive UTC
   datetimes, and ``owner``, the worker that ran it (``host:pid...``).
"""

from __future__ import annotations

import abc
import math
import numbers
import time
from collections.abc import Iterable, Mapping, MutableMapping
from typing import TYPE_CHECKING, Any

from .._types import TrialDoc
from ..exceptions import InvalidArgumentError

if TYPE_CHECKING:  # annotations only: storage never imports the layers above it
    from ..domain import Domain


class TrialStore(abc.ABC):
    """The methods a Trials backend provides; see the module docstring for the rules."""

    #: False: fmin evaluates trials in its own process (``start_trial`` /
    #: ``finish_trial``); True: workers do, and fmin waits (``wait_for_progress``).
    asynchronous: bool = False

    # -- reading --------------------------------------------------------------------------
    @abc.abstractmethod
    def refresh(self) -> None:
        """Re-read the store: ``trials`` then holds every valid trial of this exp_key."""

    @property
    @abc.abstractmethod
    def trials(self) -> list[TrialDoc]:
        """The trial documents as of the last ``refresh()``, in tid order."""

    @abc.abstractmethod
    def count_by_state_synced(
        self, arg: int | Iterable[int], trials: Iterable[TrialDoc] | None = None
    ) -> int:
        """Trials in state(s) ``arg`` among those read at the last refresh."""

    @abc.abstractmethod
    def count_by_state_unsynced(self, arg: int | Iterable[int]) -> int:
        """Trials in state(s) ``arg`` in the store now (may cost a read)."""

    # -- writing --------------------------------------------------------------------------
    @abc.abstractmethod
    def new_trial_ids(self, n: int) -> list[int]:
        """``n`` trial ids never handed out before in this store (rule 2)."""

    @abc.abstractmethod
    def insert_trial_docs(self, docs: Iterable[Mapping[str, Any]]) -> list[int]:
        """Validate and store new trial documents; return their tids."""

    @abc.abstractmethod
    def discard_new_trials(self, tids: Iterable[int]) -> int:
        """Remove the given trials that are still NEW; return how many."""

    @abc.abstractmethod
    def delete_all(self) -> None:
        """Delete every trial and attachment (only this exp_key's on a view)."""

    # -- running a trial in process (serial fmin) -----------------------------------------
    @abc.abstractmethod
    def start_trial(self, trial: TrialDoc, owner: str | None = None) -> None:
        """Mark a NEW trial RUNNING in this process (``book_time``, ``owner``)."""

    @abc.abstractmethod
    def finish_trial(self, trial: TrialDoc, result: Mapping[str, Any]) -> None:
        """Record a running trial's result: DONE, ``end_time``, ``misc['error']``."""

    @abc.abstractmethod
    def interrupt_trial(self, trial: TrialDoc, reason: str) -> int:
        """Record a RUNNING trial of this process as CANCEL (Ctrl-C stopped the run, not
        the trial) and queue its point again as a NEW trial; return the new tid."""

    # -- what a running trial says, and hears --------------------------------------------
    @abc.abstractmethod
    def add_report(self, trial: TrialDoc, value: float, step: int) -> None:
        """Append an intermediate ``value`` at ``step`` to a running trial (rule 6)."""

    @abc.abstractmethod
    def request_stop(self, tid: int) -> bool:
        """Ask the trial ``tid`` to stop (rule 7); False if no such trial is running."""

    @abc.abstractmethod
    def stop_requested(self, trial: Mapping[str, Any]) -> bool:
        """Whether a stop was requested for this running trial."""

    # -- attachments ----------------------------------------------------------------------
    @abc.abstractmethod
    def trial_attachments(self, trial: Mapping[str, Any]) -> MutableMapping[str, Any]:
        """A dict-like view of one trial's attachments."""

    # -- hooks fmin calls around its loop (optional: doing nothing is a valid default) ------
    def attach_fmin(self, domain: Domain, settings: Mapping[str, Any]) -> None:  # noqa: B027
        """Called by fmin before its loop (publish the objective, start workers)."""

    def detach_fmin(  # noqa: B027
        self, stop_reason: str | None = None, *, interrupted: bool = False
    ) -> None:
        """Called by fmin after its loop, also on an error (cancel, stop workers).

        ``interrupted``: Ctrl-C (KeyboardInterrupt) stopped fmin.  A trial a backend
        then cancels while its objective runs did not fail: it is recorded as
        cancelled and its point queued again, so a resumed run evaluates it first
        (as ``interrupt_trial`` does for a trial run in this process).
        """

    def idle_slots(self) -> int:
        """Trials the backend could start at once beyond those queued."""
        return 0

    def in_flight_counts(self) -> tuple[int, int] | None:
        """Unfinished trials as ``(queued, running)``, when the states do not say it.

        ``running``: trials whose objective is being evaluated now; ``queued``: the
        other unfinished ones (waiting for a worker, or handed to one that has not
        started them).  None (the default): a RUNNING trial is running, a NEW one queued.
        """
        return None

    def wait_for_progress(self, seconds: float) -> None:
        """Block until trials may have changed, at most ``seconds`` (asynchronous only)."""
        time.sleep(seconds)

    @property
    def cancelled_reason(self) -> str | None:
        """Why the backend stopped accepting trials (e.g. its own timeout), or None."""
        return None


def checked_report(value: Any, step: Any, where: str = "report") -> tuple[float, int]:
    """``(value, step)`` of an intermediate report as stored, or a clear error."""
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not math.isfinite(float(value))
    ):
        raise InvalidArgumentError(
            f"{where}: value must be a finite number (the intermediate loss); got value={value!r}."
        )
    if isinstance(step, float) and step.is_integer():
        step = int(step)
    if isinstance(step, bool) or not isinstance(step, numbers.Integral) or step < 0:
        raise InvalidArgumentError(
            f"{where}: step must be a whole number >= 0 (an epoch, a boosting round); "
            f"got step={step!r}."
        )
    return float(value), int(step)
