"""The trial running in this thread: ``hopt.report`` and ``hopt.should_stop``.

An objective reports intermediate losses without changing its signature:
``Domain.evaluate`` makes the trial's ``Ctrl`` current while it calls the
objective, on every backend (in-memory, FileTrials and MongoDB workers, Spark
executors), and these functions reach it.  A context variable rather than a
global: threads and asyncio tasks running other trials keep their own.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import threading
from collections.abc import Iterator
from typing import Any

logger = logging.getLogger("hopt")

_current: contextvars.ContextVar[Any] = contextvars.ContextVar("hopt_current_ctrl", default=None)
_warned_outside = threading.Event()


@contextlib.contextmanager
def running_trial(ctrl: Any) -> Iterator[None]:
    """Make ``ctrl`` the current trial's control while the objective runs."""
    token = _current.set(ctrl)
    try:
        yield
    finally:
        _current.reset(token)


def current_ctrl() -> Any:
    """The running trial's ``Ctrl``, or None outside a trial."""
    return _current.get()


def report(value: float, step: int) -> None:
    """Record the intermediate loss ``value`` at ``step`` (an epoch, a boosting round).

    Lower is better, as for the final loss.  Other processes see the report while
    the trial runs (plots, the dashboard, pruners).  Called outside a trial run by
    fmin (the objective called by hand, or from a thread the objective started),
    nothing is recorded and a warning says so once.
    """
    ctrl = _current.get()
    if ctrl is None:
        if not _warned_outside.is_set():
            _warned_outside.set()
            logger.warning(
                "hopt.report(%r, %r) was called outside a trial run by fmin; nothing is "
                "recorded. Call it from the objective's own thread.",
                value,
                step,
            )
        return
    ctrl.report(value, step)


def should_stop() -> bool:
    """Whether someone asked the running trial to stop (``trials.request_stop(tid)``).

    An objective that checks it between epochs can return its best loss so far.
    Always False outside a trial.
    """
    ctrl = _current.get()
    return bool(ctrl is not None and ctrl.should_stop)
