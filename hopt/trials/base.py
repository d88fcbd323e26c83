"""``Trials``: the record of an experiment, held in memory.

It implements the storage contract (``contract.TrialStore``, whose docstring
states the consistency rules) and is Hyperopt's facade: ``FileTrials``,
``MongoTrials`` and ``SparkTrials`` subclass it (so ``isinstance(t, Trials)``
holds) and override storage and the hooks fmin calls around its loop:

* ``asynchronous``: False means fmin evaluates new trials itself, in process;
  True means someone else does, and fmin waits with ``wait_for_progress``.
* ``attach_fmin(domain, settings)`` / ``detach_fmin(stop_reason)``: called once
  before and after the loop (a backend may publish the domain or start
  dispatching; on detach it may cancel what still runs, saying why).
* ``idle_slots()``: how many more trials the backend could start right now;
  fmin asks the algorithm for that many beyond ``max_queue_len``, in one batch.
* ``in_flight_counts()``: ``(queued, running)`` for the progress bar, when a
  RUNNING trial may still be waiting for its worker (SparkTrials); None otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any, cast

import numpy as np

from .. import objectives
from .._types import (
    JOB_STATE_CANCEL,
    JOB_STATE_DONE,
    JOB_STATE_NEW,
    JOB_STATE_RUNNING,
    JOB_VALID_STATES,
    STATUS_NEW,
    STATUS_OK,
    TrialDoc,
    TrialMisc,
    TrialResult,
)
from .._utils import utcnow, worker_name
from ..exceptions import AllTrialsFailedError, InvalidArgumentError
from ..results import TRIAL_CANCELLED_ERROR, failed_result, recorded_error
from .attachments import TrialAttachments, attachment_name
from .contract import TrialStore, checked_report
from .documents import (
    miscs_to_idxs_vals,
    new_misc,
    new_trial_doc,
    to_python,
    validate_trial,
)


class Trials(TrialStore):
    """All trials of one experiment, held in memory.

    Args:
        exp_key: the experiment these trials belong to; None (the default) for
            trials of any experiment.  New documents get this ``exp_key``.
        refresh: read the store at once (``refresh()``); False leaves ``trials``
            empty until the first ``refresh()``.

    ``trials`` holds the documents (``TrialDoc``); ``results``, ``losses()``,
    ``best_trial`` and ``argmin`` read them.  Documents are plain dicts.
    """

    asynchronous = False

    def __init__(self, exp_key: str | None = None, refresh: bool = True) -> None:
        self._ids: set = set()
        # a one-element list so that views share it with their parent (no repeated ids)
        self._tid_counter = [0]
        self._dynamic_trials: list[dict] = []
        self._trials: list[dict] = []
        self._exp_key = exp_key
        self.attachments: dict[str, Any] = {}
        if refresh:
            self.refresh()

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        if "_tid_counter" not in state:
            # pickled by Hyperopt (loaded through hopt.compat), which numbered new
            # trials from len(_ids): go on after the highest tid it handed out
            tids = [t for t in self._ids if isinstance(t, int)]
            tids += [t["tid"] for t in self._dynamic_trials if isinstance(t.get("tid"), int)]
            self._tid_counter = [max(tids) + 1 if tids else 0]

    # -- running trials in process ---------------------------------------------------------
    def start_trial(self, trial: TrialDoc, owner: str | None = None) -> None:
        """Mark a NEW trial RUNNING in this process, owned by ``owner`` (this process)."""
        trial["state"] = JOB_STATE_RUNNING
        trial["owner"] = owner or worker_name()
        trial["book_time"] = trial["refresh_time"] = utcnow()

    def finish_trial(self, trial: TrialDoc, result: Mapping[str, Any]) -> None:
        """Record a running trial's ``result``: DONE, ``end_time``, ``misc['error']``."""
        error = recorded_error(result)
        if error is not None:
            trial["misc"]["error"] = (error["type"], error["message"])
        trial["result"] = cast(TrialResult, dict(result))
        trial["state"] = JOB_STATE_DONE
        trial["refresh_time"] = trial["end_time"] = utcnow()

    def interrupt_trial(self, trial: TrialDoc, reason: str) -> int:
        """A trial running in this process was interrupted (Ctrl-C): it did not fail.

        It is recorded as cancelled (``JOB_STATE_CANCEL``, error ``TrialCancelledError``
        saying ``reason``), so it does not count toward ``max_evals``, and its point is
        queued again as a NEW trial (``misc["from_tid"]`` names the interrupted one),
        which the next fmin on these trials evaluates before anything new, as a queue
        gives back the trial of a worker that stopped.  Returns the new trial's tid.
        """
        tid = self.new_trial_ids(1)[0]
        message = f"{reason}; its point is queued again as trial {tid}, run first on resume"
        result = failed_result(TRIAL_CANCELLED_ERROR, message)
        trial["misc"]["error"] = (TRIAL_CANCELLED_ERROR, message)
        trial["result"] = cast(TrialResult, result)
        trial["state"] = JOB_STATE_CANCEL
        trial["refresh_time"] = trial["end_time"] = utcnow()
        self.queue_point_again(trial, tid)
        return tid

    def queue_point_again(self, trial: TrialDoc, tid: int | None = None) -> int:
        """Queue ``trial``'s point again as a NEW trial (``misc["from_tid"]`` names it),
        which the next fmin on these trials evaluates before anything new; returns its
        tid (``tid``, or a fresh one).  For a trial that was stopped, not failed."""
        if tid is None:
            tid = self.new_trial_ids(1)[0]
        misc = trial["misc"]
        vals = {label: list(values) for label, values in misc["vals"].items()}
        idxs = {label: [tid] if values else [] for label, values in vals.items()}
        again = self.source_trial_docs(
            [tid], [trial.get("spec")], [{"status": STATUS_NEW}],
            [new_misc(tid, idxs, vals, misc.get("workdir"))], [trial],
        )  # fmt: skip
        self.insert_trial_docs(again)
        self.refresh()
        return tid

    def add_report(self, trial: TrialDoc, value: float, step: int) -> None:
        """Append ``{"step", "value", "time"}`` to the trial's ``reports``."""
        value, step = checked_report(value, step)
        trial.setdefault("reports", []).append({"step": step, "value": value, "time": utcnow()})
        trial["refresh_time"] = utcnow()

    def request_stop(self, tid: int) -> bool:
        """Ask the running trial ``tid`` to stop; False if no such trial is running."""
        for trial in self._dynamic_trials:
            if trial["tid"] == tid and trial["state"] == JOB_STATE_RUNNING:
                trial["stop_requested"] = True
                return True
        return False

    def stop_requested(self, trial: Mapping[str, Any]) -> bool:
        """Whether a stop was requested for this running trial."""
        return bool(trial.get("stop_requested"))

    # -- views ---------------------------------------------------------------------------
    def view(self, exp_key: str | None = None, refresh: bool = True) -> Trials:
        """The same store seen through another ``exp_key`` (trials and ids are shared)."""
        other = object.__new__(type(self))
        other.__dict__.update(self.__dict__)
        other._exp_key = exp_key
        if refresh:
            other.refresh()
        return other

    def refresh(self) -> None:
        """Rebuild the visible trials: valid states (new, running, done) of this exp_key."""
        exp_key = self._exp_key
        if exp_key is None:
            self._trials = [t for t in self._dynamic_trials if t["state"] in JOB_VALID_STATES]
        else:
            self._trials = [
                t
                for t in self._dynamic_trials
                if t["state"] in JOB_VALID_STATES and t["exp_key"] == exp_key
            ]

    @property
    def trials(self) -> list[TrialDoc]:
        """The trial documents as of the last ``refresh()``, oldest first."""
        # stored as plain dicts; TrialDoc names their keys for the reader (no copy)
        return cast("list[TrialDoc]", self._trials)

    @property
    def tids(self) -> list[int]:
        """The trial ids, one per trial."""
        return [t["tid"] for t in self._trials]

    @property
    def specs(self) -> list[Any]:
        """Each trial's ``spec`` (Hyperopt's field; None for trials hopt made)."""
        return [t["spec"] for t in self._trials]

    @property
    def results(self) -> list[TrialResult]:
        """Each trial's ``result``: what its objective returned (``status``, ``loss``...)."""
        return [t["result"] for t in self._trials]

    @property
    def miscs(self) -> list[TrialMisc]:
        """Each trial's ``misc``: its sampled values as ``idxs`` and ``vals``."""
        return [t["misc"] for t in self._trials]

    @property
    def idxs_vals(self) -> tuple[dict[str, list], dict[str, list]]:
        """``(idxs, vals)``: per label, the tids where it is active and their values."""
        return miscs_to_idxs_vals(self.miscs)

    @property
    def idxs(self) -> dict[str, list]:
        """Per label, the tids of the trials where it is active."""
        return self.idxs_vals[0]

    @property
    def vals(self) -> dict[str, list]:
        """Per label, its values in the trials where it is active (in ``idxs`` order)."""
        return self.idxs_vals[1]

    def __iter__(self) -> Iterator[TrialDoc]:
        return iter(self.trials)

    def __len__(self) -> int:
        return len(self._trials)

    def __getitem__(self, index: int) -> TrialDoc:
        return self.trials[index]

    def losses(self, bandit: Any = None) -> list[Any]:
        """Each trial's loss (None where it has none); ``bandit.loss(result)`` if given."""
        if bandit is None:
            return [r.get("loss") for r in self.results]
        return [bandit.loss(r) for r in self.results]

    def statuses(self, bandit: Any = None) -> list[Any]:
        """Each trial's result status; ``bandit.status(result)`` if given."""
        if bandit is None:
            return [r.get("status") for r in self.results]
        return [bandit.status(r) for r in self.results]

    # -- best trial ------------------------------------------------------------------------
    @property
    def best_trial(self) -> TrialDoc:
        """The finished ``ok`` trial with the lowest loss (the earliest of equals).

        With constraints, the best feasible trial (the least infeasible when none is
        feasible).  With several objectives, the Pareto-optimal trial lowest in the
        first loss (ties broken by the next): one end of the front; ``best_trials``
        gives the whole front.
        """
        best = objectives.best_of(self.trials)
        if best is None:
            raise AllTrialsFailedError(self._no_success_message())
        return best  # type: ignore[return-value]

    @property
    def best_trials(self) -> list[TrialDoc]:
        """The feasible ``ok`` trials that no other feasible trial dominates (the Pareto
        front), in trial order; with one objective, every trial with the lowest loss.

        Empty when no trial finished ``ok`` and feasible.
        """
        return objectives.front_of(self.trials)  # type: ignore[return-value]

    def _no_success_message(self) -> str:
        if not self._trials:
            return "no trials have finished yet, so there is no best trial; run fmin first."
        failed = [t for t in self._trials if t["result"].get("status") not in (STATUS_OK, None)]
        message = f"all {len(self._trials)} trials failed or have no valid loss"
        recorded = ((t, recorded_error(t["result"])) for t in failed)
        first, error = next(((t, e) for t, e in recorded if e is not None), (None, None))
        if first is not None and error is not None:
            message += (
                f"; the first failure (tid {first['tid']}): {error['type']}: {error['message']}"
            )
            if error.get("traceback"):
                message += "\n" + error["traceback"]
        return message if message.endswith(".") else message + "."

    @property
    def argmin(self) -> dict[str, Any]:
        """``{label: value}`` of the best trial (choices as option indices)."""
        vals = self.best_trial["misc"]["vals"]
        return {label: v[0] for label, v in vals.items() if len(v) > 0}

    def average_best_error(self, bandit: Any = None) -> float:
        """Expected true loss of the best trial, given each trial's loss variance."""
        results = [r for r in self.results if r.get("status") == STATUS_OK]
        if any(isinstance(r.get("loss"), (list, tuple)) for r in results):
            raise InvalidArgumentError(
                "average_best_error: the trials have several objectives, and an expected "
                "best loss needs one; read trials.best_trials for the Pareto front."
            )
        if bandit is not None:
            losses = np.array([bandit.loss(r) for r in results], dtype=float)
            variances = np.array([bandit.loss_variance(r) for r in results], dtype=float)
            true_losses = np.array([bandit.true_loss(r) for r in results], dtype=float)
        else:
            losses = np.array([r["loss"] for r in results], dtype=float)
            variances = np.array([r.get("loss_variance", 0.0) for r in results], dtype=float)
            true_losses = np.array([r.get("true_loss", r["loss"]) for r in results], dtype=float)
        finite = np.isfinite(losses)
        if not finite.any():
            raise AllTrialsFailedError(self._no_success_message())
        losses, variances, true_losses = losses[finite], variances[finite], true_losses[finite]
        if np.all(variances == 0):
            return float(true_losses[np.argmin(losses)])
        # Probability that each trial is truly the best, by sampling its noisy loss.
        cutoff = losses.min() + 3 * np.sqrt(variances[np.argmin(losses)])
        keep = losses <= cutoff
        rng = np.random.default_rng(0)
        draws = rng.normal(losses[keep], np.sqrt(variances[keep]), size=(1000, int(keep.sum())))
        p_best = np.bincount(draws.argmin(axis=1), minlength=int(keep.sum())) / 1000.0
        return float(np.dot(p_best, true_losses[keep]))

    # -- inserting trials ------------------------------------------------------------------
    def new_trial_ids(self, n: int) -> list[int]:
        """``n`` fresh trial ids, never handed out before in this object."""
        start = self._tid_counter[0]
        ids = list(range(start, start + n))
        self._tid_counter[0] = start + n
        self._ids.update(ids)
        return ids

    def new_trial_docs(
        self,
        tids: Iterable[int],
        specs: Iterable[Any],
        results: Iterable[Any],
        miscs: Iterable[Any],
    ) -> list[TrialDoc]:
        """NEW trial documents, one per tid, from parallel lists (not stored yet)."""
        tids, specs, results, miscs = map(list, (tids, specs, results, miscs))
        if not len(tids) == len(specs) == len(results) == len(miscs):
            raise InvalidArgumentError(
                "Trials.new_trial_docs: tids, specs, results and miscs must have one entry "
                f"per trial; got lengths {len(tids)}, {len(specs)}, {len(results)}, {len(miscs)}."
            )
        return [
            new_trial_doc(tid, misc, result, spec, self._exp_key)
            for tid, spec, result, misc in zip(tids, specs, results, miscs)
        ]

    def source_trial_docs(
        self,
        tids: Iterable[int],
        specs: Iterable[Any],
        results: Iterable[Any],
        miscs: Iterable[Any],
        sources: Iterable[Mapping[str, Any]],
    ) -> list[TrialDoc]:
        """Like ``new_trial_docs``, each recording in ``misc['from_tid']`` its source trial."""
        docs = self.new_trial_docs(tids, specs, results, miscs)
        for doc, source in zip(docs, sources):
            doc["misc"]["from_tid"] = source["tid"]
        return docs

    def assert_valid_trial(self, trial: Mapping[str, Any]) -> None:
        """Raise ``InvalidTrialError`` if ``trial`` is not a valid document for this store."""
        validate_trial(trial, self._exp_key)

    def _insert_trial_docs(self, docs: Iterable[dict]) -> list[int]:
        """Store documents without validation (backends override this)."""
        docs = list(docs)
        self._dynamic_trials.extend(docs)
        tids = [doc["tid"] for doc in docs]
        self._ids.update(tids)
        int_tids = [tid for tid in tids if isinstance(tid, int)]
        if int_tids:
            self._tid_counter[0] = max(self._tid_counter[0], max(int_tids) + 1)
        return tids

    def insert_trial_doc(self, doc: Mapping[str, Any]) -> int:
        """Validate and store one new document; return its tid."""
        stored = to_python(doc)
        self.assert_valid_trial(stored)
        return self._insert_trial_docs([stored])[0]

    def insert_trial_docs(self, docs: Iterable[Mapping[str, Any]]) -> list[int]:
        """Validate and store new documents; return their tids."""
        stored = [to_python(doc) for doc in docs]
        for doc in stored:
            self.assert_valid_trial(doc)
        return self._insert_trial_docs(stored)

    def discard_new_trials(self, tids: Iterable[int]) -> int:
        """Remove trials that are still NEW (queued, never run); return how many."""
        drop = set(tids)
        keep = [
            t
            for t in self._dynamic_trials
            if not (t["tid"] in drop and t["state"] == JOB_STATE_NEW)
        ]
        removed = len(self._dynamic_trials) - len(keep)
        if removed:
            self._dynamic_trials[:] = keep  # in place: views share this list
            self.refresh()
        return removed

    def delete_all(self) -> None:
        """Delete every trial and attachment; on a view, only those of its exp_key.

        The trial list, the tid set and the attachments are changed in place, since
        views share them with the object they were made from.
        """
        if self._exp_key is None:
            self._dynamic_trials.clear()
            self._ids.clear()
            self._tid_counter[0] = 0
            self.attachments.clear()
        else:
            mine: list[dict] = []
            others: list[dict] = []
            for t in self._dynamic_trials:
                (mine if t["exp_key"] == self._exp_key else others).append(t)
            self._dynamic_trials[:] = others
            gone = {t["tid"] for t in mine}
            self._ids.difference_update(gone)  # the counter goes on: tids stay unique
            prefixes = tuple(attachment_name(t, "") for t in mine)
            for key in [k for k in self.attachments if prefixes and k.startswith(prefixes)]:
                del self.attachments[key]
        self.refresh()

    # -- counting --------------------------------------------------------------------------
    def count_by_state_synced(
        self, arg: int | Iterable[int], trials: Iterable[TrialDoc] | None = None
    ) -> int:
        """Trials in state(s) ``arg`` among ``trials`` (default: those of the last refresh)."""
        states = {arg} if isinstance(arg, int) else set(arg)
        pool = self._trials if trials is None else trials
        return sum(1 for t in pool if t["state"] in states)

    def count_by_state_unsynced(self, arg: int | Iterable[int]) -> int:
        """Trials in state(s) ``arg`` in the store now, refreshed or not."""
        states = {arg} if isinstance(arg, int) else set(arg)
        exp_key = self._exp_key
        return sum(
            1
            for t in self._dynamic_trials
            if t["state"] in states and (exp_key is None or t["exp_key"] == exp_key)
        )

    # -- attachments -----------------------------------------------------------------------
    def aname(self, trial: Mapping[str, Any], name: str) -> str:
        """The key under which ``trial``'s attachment ``name`` is stored."""
        return attachment_name(trial, name)

    def trial_attachments(self, trial: Mapping[str, Any]) -> TrialAttachments:
        """A dict-like view of one trial's attachments (name -> bytes)."""
        return TrialAttachments(self.attachments, trial)

    # -- the fmin method (Hyperopt's trials.fmin) -----------------------------------------
    def fmin(self, fn, space, algo=None, max_evals=None, timeout=None, loss_threshold=None,
             max_queue_len=1, rstate=None, verbose=False, pass_expr_memo_ctrl=None,
             catch_eval_exceptions=False, return_argmin=True, show_progressbar=True,
             early_stop_fn=None, trials_save_file=""):  # fmt: skip
        """Run :func:`hopt.fmin` on these trials."""
        from ..fmin import fmin  # the loop sits above storage; imported on use

        return fmin(
            fn, space, algo=algo, max_evals=max_evals, timeout=timeout,
            loss_threshold=loss_threshold, trials=self, rstate=rstate,
            allow_trials_fmin=False, pass_expr_memo_ctrl=pass_expr_memo_ctrl,
            catch_eval_exceptions=catch_eval_exceptions, verbose=verbose,
            return_argmin=return_argmin, max_queue_len=max_queue_len,
            show_progressbar=show_progressbar, early_stop_fn=early_stop_fn,
            trials_save_file=trials_save_file,
        )  # fmt: skip


def trials_from_docs(
    docs: Iterable[Mapping[str, Any]], validate: bool = True, **kwargs: Any
) -> Trials:
    """A ``Trials`` holding copies of existing documents."""
    trials = Trials(**kwargs)
    if validate:
        trials.insert_trial_docs(docs)
    else:
        trials._insert_trial_docs(cast("Iterable[dict]", docs))  # stored as given
    trials.refresh()
    return trials
