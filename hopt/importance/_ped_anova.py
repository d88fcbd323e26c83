"""PED-ANOVA: how differently the best trials are spread along each label.

Watanabe et al. (2023, "PED-ANOVA: Efficiently Quantifying Hyperparameter
Importance in Arbitrary Subspaces") show that for the indicator "this trial is in
the top ``target_quantile``", measured over the trials in the top
``region_quantile``, the variance of its one-label marginal is

    (γ'/γ)² · ∫ p_region(x) · (p_target(x) / p_region(x) − 1)² dx,

a Pearson divergence between two one-dimensional densities of the label's
values: those of the target (top) trials and those of the region trials.  No
model of the loss is fitted, so it costs one pass over the values per label.

Here each density is a Gaussian kernel estimate made on a grid of cells over the
label's range in model space (log space for log priors): values are counted into
cells, each kernel is cut to the range and rescaled to keep its mass there, and
one pseudo-observation spread evenly over the range keeps the density positive
everywhere.  Both densities use one bandwidth, Scott's rule on the target values
(the fewer, so the wider): a label with no effect, whose target values are just a
random subset of the region's, is then smoothed alike in both and scores near 0
even where its values are skewed (a log prior read on a linear scale).  A categorical label's densities are its
options' frequencies with the same pseudo-observation.

A conditional label is scored over the trials where it was active, weighted by
how much of the variance can happen there:  with α the share of target trials
and β the share of region trials in which it was active, its score is
(γ'/γ)² · α²/β · divergence of its active values.  Whether the branch was taken
at all is the effect of the label that chose it, not of this one.
"""

from __future__ import annotations

import math

import numpy as np

from ._scales import Scale

#: grid cells of a numeric label's range
GRID_CELLS = 100
#: weight, in observations, of the even density mixed into every estimate
PRIOR_WEIGHT = 1.0
#: a label active in fewer region trials than this scores 0 (no density from so few)
MIN_ACTIVE = 5


def top_mask(losses: np.ndarray, quantile: float) -> np.ndarray:
    """Trials in the top ``quantile`` (lowest losses); ties with the last one are all in."""
    n = len(losses)
    count = max(1, math.ceil(quantile * n))
    if count >= n:
        return np.ones(n, dtype=bool)
    cutoff = np.partition(losses, count - 1)[count - 1]
    return losses <= cutoff


def scott_bandwidth(x: np.ndarray) -> float:
    """Scott's rule with the interquartile range guarding against heavy tails."""
    n = len(x)
    if n < 2:
        return 0.0
    spread = float(np.std(x, ddof=1))
    q1, q3 = np.percentile(x, [25.0, 75.0])
    robust = float(q3 - q1) / 1.34
    if 0.0 < robust < spread:
        spread = robust
    return 1.06 * spread * n ** (-0.2)


def numeric_density(
    x: np.ndarray, low: float, high: float, cells: int, bandwidth: float
) -> np.ndarray:
    """Probability of each grid cell under a kernel estimate of ``x`` on [low, high]."""
    width = (high - low) / cells
    centers = low + width * (np.arange(cells) + 0.5)
    index = np.clip(((x - low) / width).astype(np.int64), 0, cells - 1)
    counts = np.bincount(index, minlength=cells).astype(float)
    occupied = np.flatnonzero(counts)
    offsets = (centers[None, :] - centers[occupied, None]) / bandwidth
    kernels = np.exp(-0.5 * offsets * offsets)
    kernels /= kernels.sum(axis=1, keepdims=True)  # each kernel cut to the range, mass 1
    mass = counts[occupied] @ kernels + PRIOR_WEIGHT / cells
    return mass / mass.sum()


def categorical_density(index: np.ndarray, n_options: int) -> np.ndarray:
    """Probability of each option: its frequency with the even pseudo-observation mixed in."""
    counts = np.bincount(index, minlength=n_options).astype(float)
    mass = counts + PRIOR_WEIGHT / n_options
    return mass / mass.sum()


def pearson_divergence(target: np.ndarray, region: np.ndarray) -> float:
    """∑ region · (target / region − 1)² over cells or options."""
    ratio = target / region - 1.0
    return float(np.sum(region * ratio * ratio))


def label_divergence(
    scale: Scale,
    target_values: np.ndarray,
    region_values: np.ndarray,
    domain: tuple[float, float],
    n_categories: int,
) -> float:
    """Pearson divergence of one label's target values from its region values (model space)."""
    if scale.categorical:
        target = categorical_density(target_values.astype(np.int64), n_categories)
        region = categorical_density(region_values.astype(np.int64), n_categories)
        return pearson_divergence(target, region)
    low, high = domain
    if not high > low:
        return 0.0  # one value only: nothing to tell apart
    cells = GRID_CELLS
    if scale.step is not None:
        # a quantized label: one cell per grid value when there are few of them
        cells = int(min(GRID_CELLS, max(2, round((high - low) / scale.step))))
    # one bandwidth for both, Scott's for the (fewer) target values, at least a cell
    bandwidth = max(scott_bandwidth(target_values), (high - low) / cells)
    target = numeric_density(target_values, low, high, cells, bandwidth)
    region = numeric_density(region_values, low, high, cells, bandwidth)
    return pearson_divergence(target, region)


def ped_anova_scores(
    losses: np.ndarray,
    model_values: dict[str, np.ndarray],
    scales: dict[str, Scale],
    labels: list[str],
    target_quantile: float,
    region_quantile: float,
) -> dict[str, float]:
    """Each label's share-of-variance score (unnormalised), in ``labels`` order."""
    region = top_mask(losses, region_quantile)
    target = top_mask(losses, target_quantile) & region
    n_region, n_target = int(region.sum()), int(target.sum())
    quantile_ratio = n_target / n_region
    scores: dict[str, float] = {}
    for label in labels:
        x = model_values[label]
        active = np.isfinite(x)
        region_active = region & active
        target_active = target & active
        n_region_active = int(region_active.sum())
        n_target_active = int(target_active.sum())
        if n_target_active == 0 or n_region_active < MIN_ACTIVE or n_target == n_region:
            scores[label] = 0.0
            continue
        scale = scales[label]
        divergence = label_divergence(
            scale,
            x[target_active],
            x[region_active],
            scale.domain(x[active]),
            scale.n_categories(x) if scale.categorical else 0,
        )
        alpha = n_target_active / n_target
        beta = n_region_active / n_region
        scores[label] = quantile_ratio**2 * alpha**2 / beta * divergence
    return scores
