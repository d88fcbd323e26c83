"""Parzen estimators: the densities TPE fits to the good and the bad trials.

``NumericParzen`` is a mixture of truncated normals (one per observation plus
one wide prior component) in the parameter's model space: log space for log
priors, so bandwidths scale with magnitude.  Quantized parameters get the
probability mass of their grid cell, not a density.  ``CategoricalParzen``
is a smoothed histogram.  Everything is vectorised over candidates.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import ndtr, ndtri

from ...distributions import Categorical, Distribution, Normal, RandInt, Uniform

_SQRT_2PI_LOG = 0.5 * math.log(2 * math.pi)


def logsumexp_rows(a: np.ndarray) -> np.ndarray:
    """log(sum(exp(a), axis=1)) without overflow; scipy's version costs more per call."""
    peak = a.max(axis=1)
    peak = np.where(np.isfinite(peak), peak, 0.0)
    shifted = a - peak[:, None]
    np.exp(shifted, out=shifted)
    return np.log(shifted.sum(axis=1)) + peak


def forgetting_weights(n: int, linear_forgetting: int) -> np.ndarray:
    """Older observations (earlier in the array) weigh less once there are many."""
    if n == 0:
        return np.ones(0)
    if n <= linear_forgetting:
        return np.ones(n)
    ramp = np.linspace(1.0 / n, 1.0, num=n - linear_forgetting)
    return np.concatenate([ramp, np.ones(linear_forgetting)])


class TruncatedNormals:
    """One normal kernel per component, truncated to the prior's support, in model space.

    Model space is log space for log priors.  Quantized parameters are scored
    by each kernel's probability mass on the value's grid cell, not a density.
    Shared by the per-label mixture below and the joint model (``joint.py``).
    """

    def __init__(self, dist: Distribution, mus: np.ndarray, sigmas: np.ndarray, offset=0.0):
        """``offset``: a log term per kernel added to every score (a mixture's log weights)."""
        self.dist = dist
        self.log = bool(getattr(dist, "log", False))
        self.q: float | None = 1.0 if isinstance(dist, RandInt) else getattr(dist, "q", None)
        self.low, self.high, _, _ = model_space_prior(dist)
        self.mus, self.sigmas = mus, sigmas
        self._cdf_low = ndtr((self.low - mus) / sigmas)
        self._cdf_high = ndtr((self.high - mus) / sigmas)
        # log of each kernel's mass inside the support, minus the offset
        self._log_norm = np.log(np.maximum(self._cdf_high - self._cdf_low, 1e-300)) - offset
        self._const: np.ndarray | None = None  # per-kernel log constants, made on use
        self._inv_sigmas = np.empty(0)

    def to_model(self, values: np.ndarray) -> np.ndarray:
        return np.log(np.maximum(values, 1e-300)) if self.log else values

    def sample(self, rng: np.random.Generator, components: np.ndarray) -> np.ndarray:
        """One value from each given kernel, snapped onto the prior's grid."""
        lo, hi = self._cdf_low[components], self._cdf_high[components]
        u = np.clip(lo + rng.random(len(components)) * (hi - lo), 1e-12, 1 - 1e-12)
        x = np.clip(self.mus[components] + self.sigmas[components] * ndtri(u), self.low, self.high)
        values = np.exp(x) if self.log else x
        return self.dist.snap(values) if self.q is not None else values

    def log_kernels(self, values: np.ndarray) -> np.ndarray:
        """(n values, n kernels): log density, or log cell mass when quantized, plus offset."""
        values = np.asarray(values, dtype=float)
        if self.q is not None:
            # candidates repeat grid points: score each distinct point once
            distinct, back = np.unique(values, return_inverse=True)
            return self._log_cell_mass(distinct)[back.reshape(-1)]
        if self._const is None:
            self._inv_sigmas = 1.0 / self.sigmas
            self._const = -np.log(self.sigmas) - _SQRT_2PI_LOG - self._log_norm
        z = (self.to_model(values)[:, None] - self.mus) * self._inv_sigmas
        z *= z
        z *= -0.5
        z += self._const
        return z

    def _log_cell_mass(self, values: np.ndarray) -> np.ndarray:
        q = float(self.q or 0.0)  # only called for quantized parameters
        upper = self.to_model(values + q / 2)
        lower = values - q / 2
        if self.log:  # a cell reaching down to 0 or below starts at log(0)
            lower = np.where(lower > 0, np.log(np.maximum(lower, 1e-300)), -np.inf)
        upper = np.minimum(upper, self.high)[:, None]
        lower = np.maximum(lower, self.low)[:, None]
        mass = ndtr((upper - self.mus) / self.sigmas) - ndtr((lower - self.mus) / self.sigmas)
        return np.log(np.maximum(mass, 1e-300)) - self._log_norm


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
        self.kernels = TruncatedNormals(dist, np.append(x, prior_mu), sigmas, self.log_weights)

    @property
    def mus(self) -> np.ndarray:
        return self.kernels.mus

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        components = rng.choice(len(self.log_weights), size=size, p=np.exp(self.log_weights))
        return self.kernels.sample(rng, components)

    def log_pdf(self, values: np.ndarray) -> np.ndarray:
        """Log density (continuous) or log probability mass (quantized) of each value."""
        return logsumexp_rows(self.kernels.log_kernels(values))


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


def model_space_prior(dist: Distribution) -> tuple[float, float, float, float]:
    """(low, high, prior mean, prior sigma) in the space the mixture lives in."""
    if isinstance(dist, Uniform):
        low, high = dist.low, dist.high
        if dist.q is not None:
            # widen by half a step so the end grid points get a full cell
            if dist.log:
                lo_v, hi_v = dist.value_bounds()
                low = math.log(max(lo_v - dist.q / 2, 1e-300)) if lo_v - dist.q / 2 > 0 else low
                high = math.log(hi_v + dist.q / 2)
            else:
                low, high = low - dist.q / 2, high + dist.q / 2
        return low, high, (low + high) / 2, high - low
    if isinstance(dist, RandInt):
        low, high = dist.low - 0.5, dist.high - 0.5
        return low, high, (low + high) / 2, high - low
    if isinstance(dist, Normal):
        return -math.inf, math.inf, dist.mu, dist.sigma
    raise TypeError(f"no numeric Parzen estimator for {dist!r}")


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
