"""Plots of a search: loss history, loss histogram, parameters, slices, contours,
parallel coordinates, parameter importances, the distribution of the losses
(comparing searches), intermediate values, the timeline of the trials on their
workers, and for several objectives the Pareto front and its hypervolume.

Needs matplotlib (``pip install 'hopt[plot]'``), imported only when a plot is
drawn.  Every function reads the trials through the public ``Trials`` API
(``trials.trials``), so in-memory ``Trials``, ``MongoTrials`` and
``SparkTrials`` all work.  Pass the search ``space`` to get log axes for log
priors and option names for ``hp.choice``.  Each ``plot_*`` function returns a
matplotlib Figure; Hyperopt's ``main_plot_*`` names draw into pyplot's current
figure and show it.  See docs/plotting.md.
"""

from .contours import plot_contour
from .curves import plot_intermediate_values
from .edf import plot_edf
from .fronts import plot_hypervolume, plot_pareto_front
from .hyperopt_names import (
    main_plot_1D_attachment,
    main_plot_histogram,
    main_plot_history,
    main_plot_vars,
)
from .importances import plot_param_importances
from .losses import plot_history, plot_loss_histogram
from .parallel import plot_parallel_coordinates
from .params import plot_params
from .slices import plot_slice
from .timeline import plot_timeline

__all__ = [
    "main_plot_1D_attachment",
    "main_plot_histogram",
    "main_plot_history",
    "main_plot_vars",
    "plot_contour",
    "plot_edf",
    "plot_history",
    "plot_hypervolume",
    "plot_intermediate_values",
    "plot_loss_histogram",
    "plot_parallel_coordinates",
    "plot_param_importances",
    "plot_params",
    "plot_pareto_front",
    "plot_slice",
    "plot_timeline",
]
