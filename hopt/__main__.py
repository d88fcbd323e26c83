"""``python -m hopt``: the ``hopt`` command (see hopt.cli)."""

from __future__ import annotations

from .cli import main

if __name__ == "__main__":
    raise SystemExit(main())
