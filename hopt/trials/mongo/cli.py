"""The ``hopt-worker`` command lives in hopt.trials.queue.cli (it serves any queue)."""

from __future__ import annotations

from ..queue.cli import DEFAULT_MONGO, build_parser, main, request_shutdown, serve

__all__ = ["DEFAULT_MONGO", "build_parser", "main", "request_shutdown", "serve"]
