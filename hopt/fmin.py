"""``fmin``: the optimization loop.

Each iteration asks the suggest algorithm for new trials, has them evaluated
(in process for serial backends; by workers for asynchronous ones, while fmin
waits), then checks the stopping rules.  The loop talks to storage only
through the ``Trials`` contract, so every backend runs the same loop.
"""

from __future__ import annotations

import collections
import functools
import inspect
import logging
import math
import numbers
import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from . import objectives
from ._types import (
    JOB_STATE_DONE,
    JOB_STATE_RUNNING,
    STATUS_PRUNED,
    TrialDoc,
)
from ._utils import SEED_BOUND, as_generator
from ._validate import check_int, check_loss_threshold, check_timeout
from .algos.protocol import SuggestAlgorithm, handles_several_objectives
from .domain import Domain, space_eval
from .drivers import SerialDriver, make_driver
from .exceptions import (
    AllTrialsFailedError,
    InvalidAnnotatedParameterError,
    InvalidArgumentError,
)
from .failures import FailureWatch
from .points import checked_points, generate_trials_to_calculate, insert_points
from .progress import no_progress_callback, progress_factory, tqdm_progress_callback
from .space.nodes import Apply
from .trials import Trials
from .trials.persistence import load, save_atomically

logger = logging.getLogger("hopt")

#: Save trials at most this often (seconds) while running; always at the end.
SAVE_INTERVAL_SECS = 1.0
#: Trials drawn per call from an algorithm that ignores history, in serial runs.
HISTORY_FREE_BATCH = 256
#: Trials kept queued per worker for such an algorithm, in asynchronous runs.
HISTORY_FREE_AHEAD = 4

__all__ = [
    "FMinIter",
    "fmin",
    "fmin_pass_expr_memo_ctrl",
    "generate_trials_to_calculate",
    "partial",
    "space_eval",
]

partial = functools.partial


def fmin_pass_expr_memo_ctrl(f: Callable) -> Callable:
    """Mark ``f`` to be called as ``f(expr=..., memo=..., ctrl=...)``."""
    f.fmin_pass_expr_memo_ctrl = True  # type: ignore[attr-defined]
    return f


def _check_args(fn, max_evals, timeout, loss_threshold, max_queue_len, early_stop_fn) -> None:
    if not callable(fn):
        raise InvalidArgumentError(f"fmin: fn must be callable; got fn={fn!r}.")
    check_int(max_evals, "max_evals", "fmin", minimum=0, allow_none=True)
    check_timeout(timeout)
    check_loss_threshold(loss_threshold)
    check_int(max_queue_len, "max_queue_len", "fmin", minimum=1)
    if early_stop_fn is not None and not callable(early_stop_fn):
        raise InvalidArgumentError(
            f"fmin: early_stop_fn must be callable or None; got early_stop_fn={early_stop_fn!r}."
        )


def _annotated_space(fn: Callable) -> tuple[Callable, dict]:
    annotations = dict(inspect.getfullargspec(fn).annotations)
    annotations.pop("return", None)
    for name, annotation in annotations.items():
        if not isinstance(annotation, Apply):
            raise InvalidAnnotatedParameterError(
                f"fmin(space='annotated'): parameter {name!r} is annotated with "
                f"{annotation!r}, not an hp expression; annotate it like x: hp.uniform('x', 0, 1)."
            )

    @functools.wraps(fn)
    def call_with_keywords(params: dict) -> Any:
        return fn(**params)

    return call_with_keywords, annotations


class FMinIter:
    """The loop behind :func:`fmin` (usable directly, as in Hyperopt)."""

    catch_eval_exceptions = False
    poll_interval_secs = 1.0

    def __init__(
        self,
        algo: SuggestAlgorithm,
        domain: Domain,
        trials: Trials,
        rstate: Any,
        asynchronous: bool | None = None,
        max_queue_len: int = 1,
        poll_interval_secs: float = 1.0,
        max_evals: int = sys.maxsize,
        timeout: float | None = None,
        loss_threshold: float | None = None,
        verbose: bool = False,
        show_progressbar: Any = True,
        early_stop_fn: Callable | None = None,
        trials_save_file: str = "",
    ) -> None:
        self.algo = algo
        self.domain = domain
        self.trials = trials
        self.rng = as_generator(rstate)
        self.asynchronous = trials.asynchronous if asynchronous is None else asynchronous
        self.max_queue_len = max_queue_len
        self.poll_interval_secs = poll_interval_secs
        self.max_evals = max_evals
        self.timeout = timeout
        self.loss_threshold = loss_threshold
        self.early_stop_fn = early_stop_fn
        self.early_stop_args: list = []
        self.trials_save_file = trials_save_file
        self.progress = progress_factory(show_progressbar, verbose)
        #: failed trials, shown in the bar's postfix and (rate-limited) logged
        self.failures = FailureWatch(
            trials.trials, bar_shown=self.progress is not no_progress_callback
        )
        self.start_time = time.monotonic()
        self.best_loss = math.inf
        #: with several objectives: the feasible loss vectors no other one dominates
        self.front = objectives.FrontArchive()
        self._threshold_ignored = False  # warned that loss_threshold cannot apply
        self.stop_reason: str | None = None
        self._last_save = 0.0
        self._counted_done = 0
        self._queued_tids: set = set()
        self._held: collections.deque[TrialDoc] = collections.deque()  # drawn, not yet stored
        self.driver = make_driver(self)

    # -- stopping rules ---------------------------------------------------------------
    def _time_is_up(self) -> bool:
        return self.timeout is not None and time.monotonic() - self.start_time >= self.timeout

    def _threshold_reached(self) -> bool:
        return self.loss_threshold is not None and self.best_loss <= self.loss_threshold

    def _should_stop(self) -> bool:
        if self._time_is_up():
            self.stop_reason = f"timeout of {self.timeout} s reached"
        elif self._threshold_reached():
            self.stop_reason = f"loss_threshold {self.loss_threshold} reached"
        elif self.trials.cancelled_reason:
            self.stop_reason = self.trials.cancelled_reason
        return self.stop_reason is not None

    # -- serial evaluation (Hyperopt's names; the work is the driver's) -----------------
    def serial_evaluate(self, N: int = -1) -> None:
        """Evaluate queued trials in this process, in order (all of them by default)."""
        driver = self.driver if isinstance(self.driver, SerialDriver) else SerialDriver(self)
        driver.evaluate(N)

    def _cancel_unevaluated(self) -> None:
        """Trials this run queued but never evaluated (it stopped early) are removed.

        A run stopped by a timeout or a stopping rule leaves no phantom NEW trials.
        """
        unevaluated = [tid for tid in self.driver.take_unevaluated() if tid in self._queued_tids]
        self._held.clear()  # drawn but never stored
        if unevaluated:
            self.trials.discard_new_trials(unevaluated)

    def note_loss(self, loss: float) -> None:
        """A trial finished ok with this (single) loss."""
        if loss < self.best_loss:
            self.best_loss = loss

    def note_result(self, result: Mapping[str, Any]) -> None:
        """A trial finished: keep the best loss (one objective) or the front (several)."""
        losses = objectives.loss_tuple(result)
        if losses is None or not objectives.is_feasible(result):
            return
        if len(losses) == 1:
            self.note_loss(losses[0])
            return
        if not handles_several_objectives(self.algo):
            raise InvalidArgumentError(several_objectives_refused(self.algo, len(losses)))
        if self.loss_threshold is not None and not self._threshold_ignored:
            self._threshold_ignored = True
            logger.warning(
                "fmin: loss_threshold is ignored: the results have %d losses, and it stops at "
                "one (pass n_objectives=%d to have fmin refuse it up front).",
                len(losses),
                len(losses),
            )
        self.front.add(losses)

    # -- the loop -----------------------------------------------------------------------
    def _queue_capacity(self) -> int:
        """How many queued trials to aim for.

        A serial run of an algorithm that ignores results (``ignores_history``, as
        random search does) draws many trials per call: the draws do not depend on
        each other, and one vectorised call is far cheaper than many small ones.
        An asynchronous run fills the backend's free slots too, in one batch; for
        such an algorithm it also keeps a few trials ready per worker, so a worker
        that finishes never waits for fmin to notice (drawing ahead costs such an
        algorithm nothing; what is left queued at a stop is cancelled).
        """
        history_free = getattr(self.algo, "ignores_history", False)
        if not self.asynchronous:
            return (
                max(self.max_queue_len, HISTORY_FREE_BATCH) if history_free else self.max_queue_len
            )
        idle = self.trials.idle_slots()
        capacity = self.max_queue_len + idle
        if history_free:
            workers = idle + self.trials.count_by_state_synced(JOB_STATE_RUNNING)
            capacity += HISTORY_FREE_AHEAD * workers
        return capacity

    def _enqueue(self, n_queued: int, N: int, queue_len: int) -> tuple[int, bool]:
        """Ask the algorithm for trials until the queue is full; return (n_queued, stopped)."""
        capacity = self._queue_capacity()
        if not self.asynchronous and queue_len > 0:
            return n_queued, False  # serial runs refill only an empty queue
        if self._held:
            # Drawn earlier in a batch; stored only now, so the trials object never
            # shows more queued trials than max_queue_len (Hyperopt's view of a run).
            count = min(len(self._held), self.max_queue_len)
            self._insert([self._held.popleft() for _ in range(count)])
            return n_queued, False
        # A serial batch beyond max_queue_len is held back and stored bit by bit; an
        # asynchronous backend gets its idle slots' trials at once, to start together.
        held_back = not self.asynchronous and capacity > self.max_queue_len
        while queue_len < capacity and n_queued < N:
            n_to_enqueue = min(capacity - queue_len, N - n_queued)
            # the trials are fresh: refreshed at the end of the last pass (or before the
            # first) and after each insert, so the algorithm sees every result but those
            # of the last few milliseconds
            new_ids = self.trials.new_trial_ids(n_to_enqueue)
            seed = int(self.rng.integers(SEED_BOUND))
            new_trials = self.algo(new_ids, self.domain, self.trials, seed)
            if new_trials is None or len(new_trials) == 0:
                return n_queued, True
            n_queued += len(new_trials)
            if held_back:
                self._held.extend(new_trials[self.max_queue_len :])
                new_trials = new_trials[: self.max_queue_len]
            self._insert(new_trials)
            queue_len += len(new_trials)
            if held_back:
                break
        return n_queued, False

    def _insert(self, docs: list) -> None:
        self._queued_tids.update(self.trials.insert_trial_docs(docs))
        self.trials.refresh()

    def update_best_from_trials(self) -> None:
        """Take the best ``ok`` loss (or the front) among the stored trials."""
        self.front = objectives.FrontArchive()  # rebuilt: trials may finish out of order
        # scored(): only results with the search's number of losses (a queue worker that
        # had not seen the first result may have stored another count; readers skip it)
        for trial, _ in objectives.scored(self.trials.trials):
            self.note_result(trial["result"])

    def _maybe_save(self, force: bool = False) -> None:
        if not self.trials_save_file:
            return
        now = time.monotonic()
        if force or now - self._last_save >= SAVE_INTERVAL_SECS:
            save_atomically(self.trials, self.trials_save_file)
            self._last_save = now

    def run(self, N: int, block_until_done: bool = True) -> None:
        """Queue up to ``N`` new trials and evaluate them (or wait for workers)."""
        trials = self.trials
        n_queued = 0
        if self.asynchronous:
            trials.refresh()  # each pass reads this copy; every pass ends with a refresh
        self._counted_done = trials.count_by_state_synced(JOB_STATE_DONE)
        self.update_best_from_trials()
        total = None if self.max_evals >= sys.maxsize else max(self.max_evals, len(trials))
        # by keyword, as Hyperopt calls a show_progressbar callable; hopt's own bar
        # starts with a resumed run's best loss and failures (not "best loss: ?")
        first = {"postfix": self._postfix_text()} if self.progress is tqdm_progress_callback else {}
        with self.progress(initial=self._counted_done, total=total, **first) as bar:
            self._show_postfix(bar, refresh=True)  # a callable of the user's, too
            try:
                while not self._should_stop():
                    queue_len = self.driver.queue_len()
                    n_queued, stopped = self._enqueue(n_queued, N, queue_len)
                    # serial: one trial per pass, so every stopping rule sees every result;
                    # trials drawn in a batch but not stored yet are unfinished too
                    all_done = self.driver.step() and not self._held
                    self._report(bar)
                    self._maybe_save()
                    if self._early_stop():
                        break
                    # a serial run evaluates what it drew before returning (a batch of
                    # random draws is drawn at once); only workers may be left running
                    wait = block_until_done or not self.asynchronous
                    if (stopped or n_queued >= N) and (all_done or not wait):
                        break
            finally:
                self._cancel_unevaluated()
                self._maybe_save(force=True)
                self.failures.close()
        if self.stop_reason:
            logger.info("fmin stopped: %s", self.stop_reason)

    def _report(self, bar: Any) -> None:
        done = self.driver.done_count(self._counted_done)
        progressed = done > self._counted_done
        if progressed or self.asynchronous:
            # the text first: a bar of Hyperopt's protocol shows its postfix on update()
            self._show_postfix(bar, refresh=not progressed)  # update() redraws
        if progressed:
            bar.update(done - self._counted_done)
            self._counted_done = done

    def _postfix_text(self) -> str:
        """The bar's text: the best loss (or the front's size), then the driver's parts."""
        parts = [f"best loss: {self.best_loss:.6g}"] if math.isfinite(self.best_loss) else []
        if len(self.front):
            parts = [f"front: {len(self.front)} trials"]
        parts += self.driver.status_parts()  # failures; workers: what they are doing
        return ", ".join(parts)

    def _show_postfix(self, bar: Any, refresh: bool) -> None:
        text = self._postfix_text()
        if not text:
            return
        if hasattr(bar, "set_postfix_str"):
            bar.set_postfix_str(text, refresh=refresh)
        else:  # Hyperopt's progress protocol: update(n) and a postfix attribute
            bar.postfix = text

    def _early_stop(self) -> bool:
        if self.early_stop_fn is None or self._counted_done == 0:
            return False
        stop, args = self.early_stop_fn(self.trials, *self.early_stop_args)
        self.early_stop_args = list(args)
        if stop:
            self.stop_reason = "early_stop_fn asked to stop"
        return bool(stop)

    @property
    def rstate(self) -> np.random.Generator:
        """The generator seeds are drawn from (Hyperopt's attribute name)."""
        return self.rng

    def __iter__(self) -> FMinIter:
        return self

    def __next__(self) -> Trials:
        """Hyperopt's iteration: one more trial per step, until ``max_evals`` or a stop."""
        self.trials.refresh()
        if self.stop_reason or len(self.trials) >= self.max_evals:
            raise StopIteration
        self.run(1, block_until_done=self.asynchronous)
        return self.trials

    def exhaust(self) -> FMinIter:
        """Run until ``max_evals`` trials exist (counting those already there)."""
        self.trials.refresh()
        self.run(max(self.max_evals - len(self.trials), 0))
        return self


def fmin(
    fn: Callable,
    space: Any,
    algo: SuggestAlgorithm | None = None,
    max_evals: int | None = None,
    timeout: float | None = None,
    loss_threshold: float | None = None,
    trials: Trials | None = None,
    rstate: Any = None,
    allow_trials_fmin: bool = True,
    pass_expr_memo_ctrl: bool | None = None,
    catch_eval_exceptions: bool = False,
    verbose: bool = True,
    return_argmin: bool = True,
    points_to_evaluate: Sequence[Mapping[str, Any]] | None = None,
    max_queue_len: int = 1,
    show_progressbar: Any = True,
    early_stop_fn: Callable | None = None,
    trials_save_file: str = "",
    *,
    pruner: Any = None,
    n_objectives: int | None = None,
) -> Any:
    """Minimize ``fn`` over ``space``; return the best point found.

    The arguments, their order and their meaning follow Hyperopt 0.3.0's ``fmin``
    (see docs/fmin.md); differences are listed in docs/migrating-from-hyperopt.md.
    ``allow_trials_fmin`` is accepted for compatibility: backends hook into this
    loop instead of replacing it.  ``pruner`` (hopt's own, from ``hopt.pruners``)
    decides when ``hopt.should_prune()`` tells a trial to stop early (docs/pruning.md).
    ``n_objectives`` declares how many losses every result has (docs/multi-objective.md);
    without it the first result fixes the number.
    """
    if isinstance(max_evals, float) and max_evals.is_integer():
        max_evals = int(max_evals)  # max_evals=1e3: Hyperopt took it
    _check_args(fn, max_evals, timeout, loss_threshold, max_queue_len, early_stop_fn)
    if isinstance(space, str) and space == "annotated":
        fn, space = _annotated_space(fn)
    if algo is None:
        from . import tpe

        logger.warning("fmin: no algo given; using tpe.suggest.")
        algo = tpe.suggest
    if not callable(algo):
        raise InvalidArgumentError(
            f"fmin: algo must be a suggest function such as tpe.suggest; got algo={algo!r}."
        )
    if trials is None:
        if trials_save_file and os.path.exists(trials_save_file):
            trials = load(trials_save_file)
        else:
            trials = Trials()
    if pruner is not None and not callable(getattr(pruner, "prune", None)):
        raise InvalidArgumentError(
            f"fmin: pruner must be a pruner from hopt.pruners (such as MedianPruner()) or None; "
            f"got pruner={pruner!r}."
        )
    domain = Domain(fn, space, pass_expr_memo_ctrl=pass_expr_memo_ctrl)
    domain.pruner = pruner  # before attach_fmin: workers get it with the objective
    _fix_objectives(domain, trials, algo, n_objectives, loss_threshold)
    points = checked_points(points_to_evaluate, domain) if points_to_evaluate else []
    # Attached before anything is queued: a MongoDB worker may take a point the moment
    # it is stored, and must find this run's objective, not none or an earlier run's.
    trials.attach_fmin(
        domain, {"max_queue_len": max_queue_len, "timeout": timeout, "max_evals": max_evals}
    )
    runner = None
    try:
        if points:  # points already in the trials (a resumed run's) are skipped
            insert_points(trials, points)
        trials.refresh()
        if (
            isinstance(rstate, numbers.Integral)
            and not isinstance(rstate, bool)
            and len(trials) > 0
        ):
            # Resuming with the same seed must not replay the first run's draws.
            as_generator(rstate)  # a bad seed (negative) gets the usual clear error first
            rstate = np.random.default_rng([int(rstate), len(trials)])
        runner = FMinIter(
            algo,
            domain,
            trials,
            rstate=rstate,
            max_queue_len=max_queue_len,
            max_evals=sys.maxsize if max_evals is None else max_evals,
            timeout=timeout,
            loss_threshold=loss_threshold,
            verbose=verbose,
            show_progressbar=show_progressbar,
            early_stop_fn=early_stop_fn,
            trials_save_file=trials_save_file,
        )
        runner.catch_eval_exceptions = catch_eval_exceptions
        runner.exhaust()
    except BaseException as exc:
        # Ctrl-C or an error: the backend cancels what this run queued, saying why
        reason = runner.stop_reason if runner is not None else None
        trials.detach_fmin(
            reason or f"fmin stopped by {type(exc).__name__}",
            interrupted=isinstance(exc, KeyboardInterrupt),
        )
        raise
    trials.detach_fmin(runner.stop_reason)
    trials.refresh()
    if return_argmin:
        if len(trials) == 0 and runner.stop_reason:
            raise AllTrialsFailedError(
                f"fmin: no trial finished before the run stopped ({runner.stop_reason}), so "
                "there is no argmin; allow more time or pass return_argmin=False."
            )
        if len(trials) == 0:
            raise AllTrialsFailedError(
                "fmin: there are no trials, so there is no argmin; give max_evals > 0."
            )
        return _best_vals(trials)
    if len(trials) == 0:
        return None
    return space_eval(space, _best_vals(trials))


def several_objectives_refused(algo: Any, count: int) -> str:
    while isinstance(algo, functools.partial):
        algo = algo.func
    module = getattr(algo, "__module__", None) or ""
    name = f"{module.rsplit('.', 1)[-1]}.{getattr(algo, '__name__', 'suggest')}"
    return (
        f"fmin: {name} optimises one loss, but this search has {count} objectives; use "
        "tpe.suggest or rand.suggest for several objectives, or return one loss. (A "
        "wrapper or algorithm of your own that handles them says so with "
        "suggest.several_objectives = True.)"
    )


def _fix_objectives(domain: Domain, trials: Trials, algo: Any, declared: Any, threshold) -> None:
    """Give ``domain`` the search's numbers of losses and constraints (declared, or fixed
    by the stored trials of a resumed run) before any worker gets it; refuse what
    cannot work with several objectives."""
    check_int(declared, "n_objectives", "fmin", minimum=1, allow_none=True)
    first = objectives.first_scored(trials.trials)
    stored = None if first is None else len(first[1])
    if declared is not None and first is not None and declared != stored:
        raise InvalidArgumentError(
            f"fmin: n_objectives={declared}, but the trials already hold results with "
            f"{stored} loss{'es' if stored != 1 else ''} (tid {first[0]['tid']}); pass "
            f"n_objectives={stored}, or start from new trials."
        )
    count = declared if declared is not None else stored
    domain.n_objectives = count
    if first is not None:
        domain.fix_shape(first[0]["result"])
    if count is not None and count > 1:
        if not handles_several_objectives(algo):
            raise InvalidArgumentError(several_objectives_refused(algo, count))
        if threshold is not None:
            raise InvalidArgumentError(
                f"fmin: loss_threshold stops at one loss, but this search has {count} "
                "objectives; leave it out (use max_evals, timeout or early_stop_fn)."
            )


def _best_vals(trials: Trials) -> dict[str, Any]:
    """``trials.argmin``; when every trial was pruned, the one that got furthest (then
    lowest), with a warning: a pruned trial is not a failure."""
    try:
        return trials.argmin
    except AllTrialsFailedError:
        pruned = [t for t in trials.trials if t["result"].get("status") == STATUS_PRUNED]
        if not pruned:
            raise
        best = min(pruned, key=_pruned_rank)
        logger.warning(
            "fmin: no trial completed (%d were pruned); returning the pruned trial that got "
            "furthest, tid %s. Give the pruner more startup trials, or run more trials.",
            len(pruned),
            best["tid"],
        )
        vals = best["misc"]["vals"]
        return {label: v[0] for label, v in vals.items() if len(v) > 0}


def _pruned_rank(trial: Mapping[str, Any]) -> tuple[float, float]:
    reports = trial.get("reports") or []
    if not reports:
        return (math.inf, math.inf)
    last = reports[-1]
    return (-float(last["step"]), float(last["value"]))
