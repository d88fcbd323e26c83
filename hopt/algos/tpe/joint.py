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

from ...distributions import Categorical
from .parzen import TruncatedNormals, gap_bandwidths, logsumexp_rows, model_space_prior

#: weight of the uniform-prior part inside each categorical kernel
CATEGORICAL_SMOOTHING = 0.6
_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)


class NumericKernels(TruncatedNormals):
    """One truncated normal per component, centred on that trial's value (the prior if unused)."""

    def __init__(self, dist, values: np.ndarray, active: np.ndarray) -> None:
        _, _, prior_mu, prior_sigma = model_space_prior(dist)
        x = np.asarray(values, dtype=float)[active]
        if getattr(dist, "log", False):
            x = np.log(np.maximum(x, 1e-300))
        # Each kernel is as wide as the larger gap to its neighbours along this
        # label (Hyperopt's per-label rule, which Optuna's joint TPE also uses):
        # narrow where trials crowd, wide where they are sparse.  A fixed Scott's
        # rule width was clearly worse in our runs (docs/algorithms.md).
        min_sigma = prior_sigma / min(100.0, len(x) + 1.0)
        mus = np.full(len(active) + 1, prior_mu)
        sigmas = np.full(len(active) + 1, prior_sigma)
        mus[:-1][active] = x
        sigmas[:-1][active] = gap_bandwidths(x, prior_mu, prior_sigma, min_sigma)[:-1]
        super().__init__(dist, mus, sigmas)


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

    def log_kernels(self, values: np.ndarray) -> np.ndarray:
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
                total[mask] += kernel.log_kernels(values[label][mask])
        return logsumexp_rows(total)
