"""``python -m hopt.worker``: the same command as ``hopt-worker`` (see hopt.trials.mongo.cli)."""

from __future__ import annotations

from .trials.mongo.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
