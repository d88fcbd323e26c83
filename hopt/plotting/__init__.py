"""Plots of a search: loss history, loss histogram, parameters, parallel coordinates,
intermediate values, and for several objectives the Pareto front and its hypervolume.

Needs matplotlib (``pip install 'hopt[plot]'``), imported only when a plot is
drawn.  Every function reads the trials through the public ``Trials`` API
(``trials.trials``), so in-memory ``Trials``, ``MongoTrials`` and
``SparkTrials`` all work.  Pass the search ``space`` to get log axes for log
priors and option names for ``hp.choice``.  Each ``plot_*`` function returns a
matplotlib Figure; Hyperopt's ``main_plot_*`` names draw into pyplot's current
figure and show it.  See docs/plotting.md.
"""

from .curves import plot_intermediate_values
from .fronts import plot_hypervolume, plot_pareto_front
from .hyperopt_names import (
    main_plot_1D_attachment,
    main_plot_histogram,
    main_plot_history,
    main_plot_vars,
)
from .losses import plot_history, plot_loss_histogram
from .parallel import plot_parallel_coordinates
from .params import plot_params

__all__ = [
    "main_plot_1D_attachment",
    "main_plot_histogram",
    "main_plot_history",
    "main_plot_vars",
    "plot_history",
    "plot_hypervolume",
    "plot_intermediate_values",
    "plot_loss_histogram",
    "plot_parallel_coordinates",
    "plot_params",
    "plot_pareto_front",
]
