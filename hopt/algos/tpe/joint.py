"""Multivariate (joint) Parzen estimator over all labels of a space.

Component ``k`` is a product of one kernel per label, centred on trial ``k``'s
values (labels inactive in that trial use the prior there), plus one prior
component.  Candidates are drawn whole from one component, so parameters that
work together are proposed together; the density of a candidate multiplies the
kernels of the labels active in it.  This captures interactions that per-label
estimators (Hyperopt's TPE) cannot.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import ndtr, ndtri

from ...distributions import Categorical, RandInt
from .parzen import gap_bandwidths, logsumexp_rows, model_space_prior

#: weight of the uniform-prior part inside each categorical kernel
CATEGORICAL_SMOOTHING = 0.6
_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)


class NumericKernels:
    """One truncated normal per component, in model space (log for log priors)."""

    def __init__(self, dist, values: np.ndarray, active: np.ndarray) -> None:
        self.dist = dist
        self.log = bool(getattr(dist, "log", False))
        self.q = 1.0 if isinstance(dist, RandInt) else getattr(dist, "q", None)
        low, high, prior_mu, prior_sigma = model_space_prior(dist)
        self.low, self.high = low, high
        x = np.where(active, values, np.nan)
        if self.log:
            x = np.log(np.maximum(x, 1e-300))
        # Each kernel is as wide as the larger gap to its neighbours along this
        # label (Hyperopt's per-label rule, which Optuna's joint TPE also uses):
        # narrow where trials crowd, wide where they are sparse.  A fixed Scott's
        # rule width was clearly worse in our runs (docs/algorithms.md).
        n = int(active.sum())
        min_sigma = prior_sigma / min(100.0, n + 1.0)
        sigma = np.full(len(x), prior_sigma)
        sigma[active] = gap_bandwidths(x[active], prior_mu, prior_sigma, min_sigma)[:-1]
        self.mus = np.append(np.where(active, x, prior_mu), prior_mu)
        self.sigmas = np.append(np.where(active, sigma, prior_sigma), prior_sigma)
        self._cdf_low = ndtr((low - self.mus) / self.sigmas)
        self._cdf_high = ndtr((high - self.mus) / self.sigmas)
        self._log_norm = np.log(np.maximum(self._cdf_high - self._cdf_low, 1e-300))
        self._const: np.ndarray | None = None  # per-kernel log constants, made on use
        self._inv_sigmas = np.empty(0)

    def sample(self, rng: np.random.Generator, components: np.ndarray) -> np.ndarray:
        lo, hi = self._cdf_low[components], self._cdf_high[components]
        u = np.clip(lo + rng.random(len(components)) * (hi - lo), 1e-12, 1 - 1e-12)
        x = np.clip(self.mus[components] + self.sigmas[components] * ndtri(u), self.low, self.high)
        values = np.exp(x) if self.log else x
        return self.dist.snap(values)

    def log_kernel(self, values: np.ndarray) -> np.ndarray:
        """(n values, n components) log density, or log cell mass when quantized."""
        values = np.asarray(values, dtype=float)
        if self.q is None:
            if self._const is None:
                self._inv_sigmas = 1.0 / self.sigmas
                self._const = -np.log(self.sigmas) - _LOG_SQRT_2PI - self._log_norm
            x = np.log(np.maximum(values, 1e-300)) if self.log else values
            z = (x[:, None] - self.mus) * self._inv_sigmas
            z *= z
            z *= -0.5
            z += self._const
            return z
        # candidates repeat grid points: compute each distinct point's masses once
        distinct, back = np.unique(values, return_inverse=True)
        return self._log_cell_mass(distinct)[back.reshape(-1)]

    def _log_cell_mass(self, values: np.ndarray) -> np.ndarray:
        q = float(self.q or 0.0)  # only called for quantized parameters
        values = values[:, None]
        up = values + q / 2
        down = values - q / 2
        if self.log:
            up = np.log(np.maximum(up, 1e-300))
            down = np.where(down > 0, np.log(np.maximum(down, 1e-300)), -np.inf)
        up = np.minimum(up, self.high)
        down = np.maximum(down, self.low)
        mass = ndtr((up - self.mus) / self.sigmas) - ndtr((down - self.mus) / self.sigmas)
        return np.log(np.maximum(mass, 1e-300)) - self._log_norm


class CategoricalKernels:
    """Per component: mostly the observed option, a little of the prior."""

    def __init__(self, dist: Categorical, values: np.ndarray, active: np.ndarray) -> None:
        prior = np.asarray(dist.probabilities)
        n_comp = len(values) + 1
        table = np.tile(prior, (n_comp, 1))
        rows = np.flatnonzero(active)
        table[rows] *= CATEGORICAL_SMOOTHING
        table[rows, values[rows].astype(int)] += 1.0 - CATEGORICAL_SMOOTHING
        self.table = table
        self._log_table = np.log(np.maximum(table, 1e-300))

    def sample(self, rng: np.random.Generator, components: np.ndarray) -> np.ndarray:
        cumulative = np.cumsum(self.table[components], axis=1)
        u = rng.random(len(components))[:, None]
        return np.minimum((u > cumulative).sum(axis=1), self.table.shape[1] - 1)

    def log_kernel(self, values: np.ndarray) -> np.ndarray:
        return self._log_table[:, np.asarray(values, dtype=int)].T


class JointParzen:
    """Mixture of product kernels over the given rows of a history."""

    def __init__(self, params: dict, values: dict, active: dict, weights, prior_weight: float):
        self.kernels: dict[str, NumericKernels | CategoricalKernels] = {}
        for label, param in params.items():
            dist = param.distribution
            if isinstance(dist, Categorical):
                self.kernels[label] = CategoricalKernels(dist, values[label], active[label])
            else:
                self.kernels[label] = NumericKernels(dist, values[label], active[label])
        w = np.append(np.asarray(weights, dtype=float), prior_weight)
        self.log_weights = np.log(w / w.sum())

    def sample(self, rng: np.random.Generator, size: int) -> dict[str, np.ndarray]:
        components = rng.choice(len(self.log_weights), size=size, p=np.exp(self.log_weights))
        return {label: k.sample(rng, components) for label, k in self.kernels.items()}

    def log_pdf(self, values: dict[str, np.ndarray], masks: dict[str, np.ndarray]) -> np.ndarray:
        n = len(next(iter(values.values())))
        total = np.tile(self.log_weights, (n, 1))
        for label, kernel in self.kernels.items():
            mask = masks[label]
            if mask.any():
                total[mask] += kernel.log_kernel(values[label][mask])
        return logsumexp_rows(total)
