"""Failed trials, shown while fmin runs: counted in the bar, logged without flooding.

``FailureWatch`` sees every trial that finishes ``fail`` (the serial driver tells
it; the asynchronous driver finds them in each refresh) and makes them visible:

* the progress bar's postfix reads ``failed: N, last: ValueError: x is negat…``;
* a line on the ``"hopt"`` logger, rate-limited: the first failure at once, then
  at most one line every ``LOG_INTERVAL_SECS`` (saying how many failed since),
  and one closing line for the failures not logged yet.  The level is WARNING
  when no bar is drawn (``show_progressbar=False``, ``verbose=False``): Python
  prints a warning of an unconfigured logger on stderr, so the user sees it
  without setting up logging.  With a bar the postfix shows the failures, and
  the lines are INFO (seen when logging is configured so).

A trial the objective itself marked ``{"status": "fail"}`` is counted, not
logged: the objective decided it.  Failures hopt recorded (an exception, a bad
result, a lost worker) are logged.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterable, Mapping
from typing import Any

from ._types import JOB_STATE_DONE, STATUS_FAIL
from .results import recorded_error

logger = logging.getLogger("hopt")

#: at most one failure line per this many seconds (the first failure is logged at once)
LOG_INTERVAL_SECS = 10.0
#: the error shown in the bar's postfix is cut to this many characters
SHORT_ERROR_CHARS = 48


def short_error(error: Mapping[str, Any]) -> str:
    """``Type: message`` on one line, cut to ``SHORT_ERROR_CHARS``."""
    message = str(error.get("message", "")).strip().splitlines()
    text = f"{error.get('type')}: {message[0] if message else ''}".rstrip(": ")
    return text if len(text) <= SHORT_ERROR_CHARS else text[: SHORT_ERROR_CHARS - 1] + "…"


class FailureWatch:
    """Counts a run's failed trials and shows them (see the module docstring)."""

    def __init__(self, docs: Iterable[Mapping[str, Any]], bar_shown: bool) -> None:
        docs = list(docs)
        #: failed trials, those stored before this run included
        self.count = sum(1 for d in docs if _failed(d))
        self.last: str | None = None  # the latest recorded error, short
        #: trials already finished when the run started, or noted since
        self.seen = {d["tid"] for d in docs if d["state"] == JOB_STATE_DONE}
        self.level = logging.INFO if bar_shown else logging.WARNING
        self._unlogged = 0  # failures since the last line
        self._last_line = -math.inf

    def note(self, doc: Mapping[str, Any], quiet: bool = False) -> None:
        """The trial ``doc`` finished; count it when it failed, and log it unless ``quiet``
        (fmin is about to raise the failure itself)."""
        self.seen.add(doc["tid"])
        if not _failed(doc):
            return
        self.count += 1
        error = recorded_error(doc["result"])
        if error is None or quiet:
            return  # the objective's own "fail": counted, not logged
        self.last = short_error(error)
        self._unlogged += 1
        now = time.monotonic()
        if now - self._last_line < LOG_INTERVAL_SECS:
            return
        since = self._unlogged - 1
        more = f" ({since} more failed since the last such line)" if since else ""
        logger.log(
            self.level,
            "trial %s failed: %s: %s%s [%d failed so far]",
            doc["tid"],
            error["type"],
            error["message"],
            more,
            self.count,
        )
        self._unlogged = 0
        self._last_line = now

    def finished(self, docs: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
        """The finished trials among ``docs`` not seen before (each is returned once)."""
        return [d for d in docs if d["state"] == JOB_STATE_DONE and d["tid"] not in self.seen]

    def parts(self) -> list[str]:
        """The bar's postfix parts: ``failed: N`` and the last recorded error."""
        if not self.count:
            return []
        parts = [f"failed: {self.count}"]
        return [*parts, f"last: {self.last}"] if self.last else parts

    def close(self) -> None:
        """One line for the failures not logged yet (the rate limit held them back)."""
        if self._unlogged:
            logger.log(
                self.level,
                "%d more trial(s) failed since the last failure line (%d failed in all; "
                "the last: %s); their errors are in each trial's result['error'].",
                self._unlogged,
                self.count,
                self.last,
            )
            self._unlogged = 0


def _failed(doc: Mapping[str, Any]) -> bool:
    return doc["state"] == JOB_STATE_DONE and doc["result"].get("status") == STATUS_FAIL
