"""How fmin's loop gets its queued trials evaluated: in its own process, or by workers.

``FMinIter`` (hopt.fmin) asks the algorithm for trials and checks the stopping
rules; a driver does the rest of each pass:

* ``SerialDriver`` (``trials.asynchronous`` False): evaluates one queued trial per
  pass in fmin's process, through the storage contract's ``start_trial`` /
  ``finish_trial``, so every stopping rule sees every result;
* ``AsyncDriver`` (True): workers evaluate (MongoDB, a file's worker processes,
  Spark executors); each pass waits for progress and re-reads the trials.
"""

from __future__ import annotations

import collections
from typing import TYPE_CHECKING, Any

from ._types import (
    JOB_STATE_DONE,
    JOB_STATE_NEW,
    JOB_STATE_RUNNING,
    STATUS_OK,
    STATUS_PRUNED,
    TrialDoc,
)
from .results import exception_result, fatal_error, is_fatal
from .trials.ctrl import Ctrl
from .trials.documents import spec_from_misc, to_python

if TYPE_CHECKING:
    from .fmin import FMinIter


class SerialDriver:
    """Evaluates the queued trials in fmin's own process, in order."""

    def __init__(self, runner: FMinIter) -> None:
        self.runner = runner
        self.queue: collections.deque[TrialDoc] = collections.deque()
        self._scan_position = 0  # trials before this index were looked at
        self._scanned_tids: set = set()
        self._evaluated_since_report = 0
        self._pruned = sum(  # counted once here, then as trials finish (the bar reads it often)
            1 for t in runner.trials.trials if t["result"].get("status") == STATUS_PRUNED
        )

    def _refill(self) -> None:
        """Queue NEW trials not seen before (a serial run's trials only grow)."""
        docs = self.runner.trials.trials
        if len(docs) < self._scan_position:  # trials were removed meanwhile: scan them all
            self._scan_position = 0
        pending = [
            d
            for d in docs[self._scan_position :]
            if d["state"] == JOB_STATE_NEW and d["tid"] not in self._scanned_tids
        ]
        self._scanned_tids.update(d["tid"] for d in pending)
        self._scan_position = len(docs)
        self.queue.extend(pending)

    def queue_len(self) -> int:
        self._refill()
        return len(self.queue)

    def step(self) -> bool:
        """Evaluate one queued trial; True when none is left."""
        self._refill()
        if self.queue:
            self.evaluate_one(self.queue.popleft())
        return not self.queue

    def evaluate(self, n: int = -1) -> None:
        """Evaluate up to ``n`` queued trials (all by default), stopping when a rule says so."""
        self._refill()
        while self.queue and n != 0 and not self.runner._should_stop():
            n -= 1
            self.evaluate_one(self.queue.popleft())

    def evaluate_one(self, doc: TrialDoc) -> None:
        trials = self.runner.trials
        trials.start_trial(doc)
        ctrl = Ctrl(trials, current_trial=doc)
        try:
            result = self.runner.domain.evaluate(spec_from_misc(doc["misc"]), ctrl)
        except Exception as exc:
            caught = self.runner.catch_eval_exceptions
            self._finish(doc, exception_result(exc), quiet=not caught)
            if not caught:
                raise
            return
        except BaseException as exc:
            # Ctrl-C (or sys.exit) stopped the run, not the trial: it is recorded as
            # cancelled, its point queued again for the next fmin, and the run stops
            trials.interrupt_trial(doc, f"interrupted by {type(exc).__name__}")
            raise
        fatal = is_fatal(result)
        self._finish(doc, result, quiet=fatal)
        if fatal:  # a result that can never be a loss: a bug in the objective
            raise fatal_error(doc["result"], doc["tid"])

    def _finish(self, doc: TrialDoc, result: dict, quiet: bool = False) -> None:
        result = to_python(result)
        self.runner.trials.finish_trial(doc, result)
        self._evaluated_since_report += 1
        if result.get("status") == STATUS_OK:
            self.runner.note_result(result)
        elif result.get("status") == STATUS_PRUNED:
            self._pruned += 1
        self.runner.failures.note(doc, quiet=quiet)

    def take_unevaluated(self) -> list:
        """Empty the queue; the tids it held."""
        tids = [doc["tid"] for doc in self.queue]
        self.queue.clear()
        return tids

    def done_count(self, counted: int) -> int:
        done, self._evaluated_since_report = counted + self._evaluated_since_report, 0
        return done

    def status_parts(self) -> list[str]:
        parts = self.runner.failures.parts()
        return [*parts, f"pruned: {self._pruned}"] if self._pruned else parts


class AsyncDriver:
    """Workers evaluate the queued trials; each pass waits for them to make progress."""

    def __init__(self, runner: FMinIter) -> None:
        self.runner = runner

    def queue_len(self) -> int:
        # counted in the copy refreshed at the end of the last pass: a database
        # backend would otherwise scan its trials once more
        return self.runner.trials.count_by_state_synced(JOB_STATE_NEW)

    def step(self) -> bool:
        """Wait for progress and re-read the trials; True when none is unfinished."""
        trials = self.runner.trials
        trials.wait_for_progress(self.runner.poll_interval_secs)
        trials.refresh()  # the counts below read this copy, not the backend
        self.runner.update_best_from_trials()
        self._watch_failures()
        return trials.count_by_state_synced((JOB_STATE_NEW, JOB_STATE_RUNNING)) == 0

    def _watch_failures(self) -> None:
        """Show the trials that failed since the last pass; stop at a script bug.

        A worker cannot stop fmin, so fmin stops when it first reads such a result
        (a result stored before this run started is not this run's bug).
        """
        failures = self.runner.failures
        for doc in failures.finished(self.runner.trials.trials):
            fatal = is_fatal(doc["result"])
            failures.note(doc, quiet=fatal)
            if fatal:
                raise fatal_error(doc["result"], doc["tid"])

    def take_unevaluated(self) -> list:
        return []  # the backend cancels what it queued (detach_fmin)

    def done_count(self, counted: int) -> int:
        return self.runner.trials.count_by_state_synced(JOB_STATE_DONE)

    def status_parts(self) -> list[str]:
        """What the workers are doing (the copy was just refreshed)."""
        trials = self.runner.trials
        in_flight = trials.in_flight_counts()  # a backend that knows better than the states
        if in_flight is None:
            parts = [f"running: {trials.count_by_state_synced(JOB_STATE_RUNNING)}"]
        else:
            queued, running = in_flight
            parts = [f"queued: {queued}", f"running: {running}"]
        pruned = [r.get("status") for r in trials.results].count(STATUS_PRUNED)
        parts += self.runner.failures.parts()
        return [*parts, f"pruned: {pruned}"] if pruned else parts


def make_driver(runner: FMinIter) -> Any:
    return AsyncDriver(runner) if runner.asynchronous else SerialDriver(runner)
