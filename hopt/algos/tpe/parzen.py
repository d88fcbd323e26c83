"""Parzen estimators: the densities TPE fits to the good and the bad trials.

``NumericParzen`` is a mixture of truncated normals (one per observation plus
one wide prior component) in the parameter's model space: log space for log
priors, so bandwidths scale with magnitude.  Quantized parameters get the
probability mass of their grid cell, not a density.  ``CategoricalParzen``
is a smoothed histogram.  Everything is vectorised over candidates.
"""

from __future__ import annotations

import numpy as np

from ...distributions import Categorical, Distribution
from .kernels import TruncatedNormals, model_space_prior, numeric_rows

__all__ = ["CategoricalParzen", "NumericParzen", "make_parzen", "model_space_prior"]


def logsumexp_rows(a: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """log(sum(exp(a), axis=1)) without overflow; scipy's version costs more per call.

    ``out`` (which may be ``a``) is the workspace for the shifted exponentials.
    """
    peak = a.max(axis=1)
    peak = np.where(np.isfinite(peak), peak, 0.0)
    shifted = np.subtract(a, peak[:, None], out=out)
    # terms far below the largest are dropped before exp (NEGLIGIBLE_BELOW)
    np.putmask(shifted, shifted < NEGLIGIBLE_BELOW, -np.inf)
    np.exp(shifted, out=shifted)
    return np.log(shifted.sum(axis=1)) + peak


#: In log(sum(exp(a - peak))), a term below exp(-60) of the largest one (which is 1)
#: is left out: with at most a few thousand terms, all of them together are below
#: 1e-22 of the sum, far below the last bit of a double (1.1e-16 of the sum), so the
#: result moves by at most one rounding.  At 1000 trials half the (candidate, kernel)
#: pairs are that far apart, and exp of -inf costs next to nothing.
NEGLIGIBLE_BELOW = -60.0


def forgetting_weights(n: int, linear_forgetting: int) -> np.ndarray:
    """Older observations (earlier in the array) weigh less once there are many."""
    if n == 0:
        return np.ones(0)
    if n <= linear_forgetting:
        return np.ones(n)
    weights = np.ones(n)
    weights[: n - linear_forgetting] = even_spacing(1.0 / n, 1.0, n - linear_forgetting)
    return weights


def even_spacing(start: float, stop: float, num: int) -> np.ndarray:
    """``np.linspace(start, stop, num)``, bit for bit, in three numpy calls instead of dozens."""
    step = (stop - start) / (num - 1) if num > 1 else 0.0
    if step == 0.0:  # one point, or a step that underflows: linspace's own path
        return np.linspace(start, stop, num)
    y = np.arange(num, dtype=float)
    y *= step
    y += start
    y[-1] = stop
    return y


class NumericParzen:
    """Weighted mixture of truncated normals: one per observation plus a wide prior one."""

    def __init__(
        self,
        dist: Distribution,
        observed: np.ndarray,
        weights: np.ndarray,
        prior_weight: float,
    ) -> None:
        low, high, prior_mu, prior_sigma = model_space_prior(dist)
        x = np.asarray(observed, dtype=float)
        if getattr(dist, "log", False):
            x = np.log(np.maximum(x, 1e-300))
        w = np.asarray(weights, dtype=float)
        # the narrowest kernel allowed: Hyperopt's rule, from the number of observations
        min_sigma = prior_sigma / min(100.0, len(x) + 1.0)
        if len(x) > MERGE_ABOVE:
            x, w, spread = bin_observations(x, w, min_sigma / 2)
            sigmas = gap_bandwidths(x, prior_mu, prior_sigma, min_sigma, presorted=True)
            sigmas[:-1] = np.sqrt(sigmas[:-1] ** 2 + spread)
        else:
            sigmas = gap_bandwidths(x, prior_mu, prior_sigma, min_sigma)
        w = np.append(w, prior_weight)
        self.log_weights = np.log(w / w.sum())
        # a stack of one row (see kernels.py)
        mus = np.append(x, prior_mu)[None, :]
        self.kernels = TruncatedNormals(
            numeric_rows((dist,)), mus, sigmas[None, :], self.log_weights
        )

    @property
    def mus(self) -> np.ndarray:
        return self.kernels.mus[0]

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        components = rng.choice(len(self.log_weights), size=size, p=np.exp(self.log_weights))
        return self.kernels.sample(rng.random((1, size)), components)[0]

    def log_pdf(self, values: np.ndarray) -> np.ndarray:
        """Log density (continuous) or log probability mass (quantized) of each value."""
        stacked = np.array(values, dtype=float).reshape(1, -1)  # a copy: to_model writes
        if self.kernels.rows.quantized[0]:
            table, index = self.kernels.log_cell_masses(stacked)
            log_kernels = table[index[0]]
        else:
            x = self.kernels.rows.to_model(stacked)[0]
            log_kernels = np.empty((len(x), self.kernels.mus.shape[1]))
            self.kernels.log_density(0, x, log_kernels)
        return logsumexp_rows(log_kernels, out=log_kernels)


class CategoricalParzen:
    """Weighted counts of each option plus prior pseudo-counts."""

    def __init__(
        self, dist: Categorical, observed: np.ndarray, weights: np.ndarray, prior_weight: float
    ) -> None:
        prior = np.asarray(dist.probabilities)
        counts = np.bincount(np.asarray(observed, dtype=int), weights=weights, minlength=len(prior))
        pseudo = counts + prior_weight * len(prior) * prior
        self.probabilities = pseudo / pseudo.sum()
        self._log_p = np.log(np.maximum(self.probabilities, 1e-300))

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.choice(len(self.probabilities), size=size, p=self.probabilities)

    def log_pdf(self, values: np.ndarray) -> np.ndarray:
        return self._log_p[np.asarray(values, dtype=int)]


def make_parzen(dist: Distribution, observed, weights, prior_weight: float):
    if isinstance(dist, Categorical):
        return CategoricalParzen(dist, observed, weights, prior_weight)
    return NumericParzen(dist, observed, weights, prior_weight)


# Above this many observations, those closer than half the narrowest kernel are binned.
MERGE_ABOVE = 128


def bin_observations(
    x: np.ndarray, weights: np.ndarray, width: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(weighted mean, total weight, variance) of the observations in each ``width``-wide cell.

    A long history has most of its observations crowded where the search has
    converged, where their kernels are all at the narrowest width.  One kernel
    per occupied cell, at the cell's mean and widened by the cell's spread,
    changes the mixture very little (cells are half the narrowest width) and
    bounds the number of kernels by the number of cells, so scoring a
    candidate stops costing more as trials accrue.  Cells come out sorted.
    """
    origin = x.min()
    cells = ((x - origin) * (1.0 / width)).astype(np.int64)
    n_cells = int(cells.max()) + 1
    if n_cells > 8 * len(x):  # far-flung values of an unbounded prior: index only occupied cells
        _, cells = np.unique(cells, return_inverse=True)
        n_cells = int(cells.max()) + 1
    total = np.bincount(cells, weights=weights, minlength=n_cells)
    occupied = np.flatnonzero(total)
    total = total[occupied]
    mean = np.bincount(cells, weights=weights * x, minlength=n_cells)[occupied] / total
    second = np.bincount(cells, weights=weights * x * x, minlength=n_cells)[occupied] / total
    return mean, total, np.maximum(second - mean * mean, 0.0)


def gap_bandwidths(
    x: np.ndarray, prior_mu: float, prior_sigma: float, min_sigma: float, presorted: bool = False
) -> np.ndarray:
    """Each kernel's width, the prior's last: the larger gap to its neighbours, clipped.

    Neighbours are taken among the observations and the prior's centre
    (Hyperopt's rule).  ``presorted`` skips the sort when ``x`` is ascending.
    """
    n = len(x)
    if n == 0:
        return np.array([prior_sigma])
    if presorted:
        at = int(np.searchsorted(x, prior_mu))
        sorted_points = np.insert(x, at, prior_mu)
    else:
        points = np.append(x, prior_mu)
        order = np.argsort(points, kind="stable")
        sorted_points = points[order]
    gaps = np.diff(sorted_points)
    widths_sorted = np.empty(n + 1)
    widths_sorted[0] = gaps[0]
    widths_sorted[-1] = gaps[-1]
    np.maximum(gaps[:-1], gaps[1:], out=widths_sorted[1:-1])
    if presorted:
        widths = np.append(np.delete(widths_sorted, at), prior_sigma)
    else:
        widths = np.empty_like(widths_sorted)
        widths[order] = widths_sorted
    widths = np.clip(widths, min_sigma, prior_sigma)
    widths[-1] = prior_sigma
    return widths
