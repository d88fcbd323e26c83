"""Watching a search while it runs, for tests of a backend: wait for a condition,
find the running trial, run fmin in a thread and get its outcome back."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from .._types import JOB_STATE_RUNNING
from ..fmin import fmin


def wait_for(condition: Callable[[], Any], timeout: float, what: str) -> Any:
    """Poll ``condition()`` every 50 ms until it is truthy and return its value; after
    ``timeout`` seconds fail the test, saying ``what`` never happened."""
    import pytest

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    pytest.fail(f"timed out after {timeout} s waiting for {what}")


def running_trial(trials: Any) -> dict | None:
    """The first trial whose state is RUNNING, or None (reads the live documents)."""
    return next((t for t in list(trials._dynamic_trials) if t["state"] == JOB_STATE_RUNNING), None)


def fmin_in_thread(**fmin_args: Any) -> Callable[..., Any]:
    """Start ``fmin(**fmin_args)`` (no progress bar) in a thread; return ``join``.

    ``join(timeout=120)`` waits for it, fails the test if it is still running, re-raises
    its exception, and returns what fmin returned.
    """
    outcome: dict = {}

    def target() -> None:
        try:
            outcome["best"] = fmin(show_progressbar=False, **fmin_args)
        except BaseException as exc:  # noqa: BLE001 - handed to the test by join
            outcome["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()

    def join(timeout: float = 120) -> Any:
        thread.join(timeout)
        assert not thread.is_alive(), f"fmin still running after {timeout} s"
        if "error" in outcome:
            raise outcome["error"]
        return outcome.get("best")

    return join
