"""The plots every example saves (shared by the example scripts; needs matplotlib)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hopt import plotting


def save_plots(trials: Any, space: Any, directory: str) -> None:
    """Loss history, each parameter against loss and the best trials, as PNG files."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    plotting.plot_history(trials).savefig(out / "history.png")
    plotting.plot_params(trials, space).savefig(out / "parameters.png")
    plotting.plot_parallel_coordinates(trials, space).savefig(out / "best_trials.png")
    print(f"plots saved in {out}/")
