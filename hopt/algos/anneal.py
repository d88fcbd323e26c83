"""Simulated-annealing-style search (Hyperopt's ``anneal.suggest``).

Each new trial starts from a good earlier trial (the k-th best, k drawn from a
geometric distribution with mean ``avg_best_idx``) and perturbs every active
parameter; the perturbation shrinks as ``1 / (1 + T * shrink_coef)`` where T
is how often that parameter has been observed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .._special import ndtr, ndtri
from ..distributions import Categorical, Distribution
from ..exceptions import InvalidArgumentError
from .documents import docs_from_columns
from .tpe.history import collect
from .tpe.parzen import model_space_prior


def suggest(
    new_ids: Sequence[Any],
    domain: Any,
    trials: Any,
    seed: Any,
    avg_best_idx: float = 2.0,
    shrink_coef: float = 0.1,
) -> list[dict]:
    """Suggest ``len(new_ids)`` trials near good earlier ones (any number per call)."""
    if not avg_best_idx >= 1:
        raise InvalidArgumentError(
            f"anneal.suggest: avg_best_idx must be >= 1; got avg_best_idx={avg_best_idx!r}."
        )
    if not shrink_coef >= 0:
        raise InvalidArgumentError(
            f"anneal.suggest: shrink_coef must be >= 0; got shrink_coef={shrink_coef!r}."
        )
    rng = np.random.default_rng(seed)
    compiled = domain.compiled
    history = collect(domain, trials, exclude_tids=set(new_ids))
    ok_rows = np.flatnonzero(np.isfinite(history.losses))
    ranked = ok_rows[np.argsort(history.losses[ok_rows], kind="stable")]
    n = len(new_ids)
    values, _ = compiled.sample(rng, n)  # prior draws, used where there is no centre
    for i in range(n):
        if len(ranked) == 0:
            continue
        k = min(int(rng.geometric(1.0 / avg_best_idx)) - 1, len(ranked) - 1)
        centre_row = ranked[k]
        for label, param in compiled.params.items():
            if not history.active[label][centre_row]:
                continue
            observations = int(history.active[label].sum())
            shrink = 1.0 / (1.0 + observations * shrink_coef)
            centre = history.values[label][centre_row]
            values[label][i] = _perturb(param.distribution, centre, shrink, rng)
    masks = compiled.active_masks(values, n)
    return docs_from_columns(new_ids, domain, trials, values, masks)


def _perturb(dist: Distribution, centre: float, shrink: float, rng: np.random.Generator):
    if isinstance(dist, Categorical):
        prior = np.asarray(dist.probabilities)
        p = shrink * prior
        p[int(centre)] += 1.0 - shrink
        return float(rng.choice(len(p), p=p / p.sum()))
    low, high, _, prior_sigma = model_space_prior(dist)
    log = bool(getattr(dist, "log", False))
    x = math.log(max(centre, 1e-300)) if log else centre
    sigma = max(prior_sigma * shrink, 1e-12)
    # a normal around the centre, truncated to the bounds (inverse-CDF sampling)
    a, b = ndtr((low - x) / sigma), ndtr((high - x) / sigma)
    u = min(max(a + rng.random() * (b - a), 1e-12), 1 - 1e-12)
    draw = min(max(x + sigma * float(ndtri(u)), low), high)
    value = math.exp(draw) if log else draw
    return float(dist.snap(np.asarray([value]))[0])
