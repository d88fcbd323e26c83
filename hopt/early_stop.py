"""Stopping rules for ``fmin(early_stop_fn=...)``."""

from __future__ import annotations

import math
import weakref
from typing import Any

from ._types import STATUS_OK
from ._validate import check_int, check_number
from .objectives import FrontArchive, is_feasible, loss_tuple, objective_count


def no_progress_loss(iteration_stop_count: int | float = 20, percent_increase: float = 0.0):
    """Stop after ``iteration_stop_count`` finished trials without enough improvement.

    A trial counts as progress when its loss is below ``best - |best| * percent_increase
    / 100``.  Failed, running and queued trials are not progress (Hyperopt raised
    ``KeyError: 'loss'`` on them).  With several objectives, a trial is progress
    when it joins the front: no earlier feasible trial dominates it
    (``percent_increase`` does not apply there); with constraints, only feasible
    trials can be progress.
    """
    where = "no_progress_loss"
    # whole_float: 5.0 is taken as 5, as Hyperopt took it
    iteration_stop_count = check_int(
        iteration_stop_count, "iteration_stop_count", where, minimum=1, whole_float=True
    )
    percent_increase = check_number(percent_increase, "percent_increase", where, low=0)

    # How many finished trials each Trials object has been counted up to.  Kept here,
    # not in the state fmin hands back, so the state keeps Hyperopt's shape,
    # [best_loss, iteration_no_progress], which wrappers unpack; Hyperopt looked only
    # at the newest trial, and so missed trials that finished together.
    seen_by_trials: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def stop_fn(trials: Any, best_loss: Any = None, iteration_no_progress: int = 0):
        # best_loss: the best loss, or with several objectives a FrontArchive
        finished = [t for t in trials.trials if t["result"].get("status") in (STATUS_OK, "fail")]
        if best_loss is None and iteration_no_progress == 0:
            # a new count (a new fmin call): as in Hyperopt it starts at the newest
            # result, so a resumed run is not stopped by the plateau of an earlier one
            seen = max(len(finished) - 1, 0)
        else:
            seen = seen_by_trials.get(trials, 0)
        count = objective_count(finished)  # that of the first ok trial, as readers take it
        for trial in finished[seen:]:
            result = trial["result"]
            losses = loss_tuple(result) if is_feasible(result) else None
            if losses is not None and len(losses) != count:
                losses = None  # a stray count (a queue worker's): no progress, as if failed
            if losses is not None and len(losses) > 1:
                # several objectives: the state holds the front; as with one, the
                # first result counts as a trial without progress
                first = best_loss is None
                if first:
                    best_loss = FrontArchive()
                joined = best_loss.add(losses)
                iteration_no_progress = 0 if joined and not first else iteration_no_progress + 1
                continue
            loss = losses[0] if losses is not None else None
            if loss is not None and math.isfinite(loss):
                if best_loss is None:
                    # The first result counts as one trial without progress (Hyperopt's count).
                    best_loss, iteration_no_progress = loss, iteration_no_progress + 1
                    continue
                if loss < best_loss - abs(best_loss) * percent_increase / 100.0:
                    best_loss, iteration_no_progress = loss, 0
                    continue
            iteration_no_progress += 1
        seen_by_trials[trials] = len(finished)
        stop = iteration_no_progress >= iteration_stop_count
        return stop, [best_loss, iteration_no_progress]

    return stop_fn
