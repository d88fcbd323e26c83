"""``python -m hopt.worker``: the same command as ``hopt-worker`` (see hopt.trials.queue.cli)."""

from __future__ import annotations

from .trials.queue.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
