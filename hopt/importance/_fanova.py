"""fANOVA: each label's share of the loss variance under a random-forest model.

Hutter et al. (2014, "An Efficient Approach for Assessing Hyperparameter
Importance") decompose a function of the configuration into main effects and
interactions (functional ANOVA) under the uniform measure on the search box.  A
regression tree is a sum of constants on boxes, which makes the decomposition
exact and cheap: the main effect of label j, the tree's prediction averaged over
every other label, is piecewise constant between the tree's split points on j.
A label's importance is the variance of its main effect divided by the tree's
total variance, averaged over the trees of the forest.

Here each tree's leaves are turned into boxes in one pass per tree level; for
label j a leaf adds ``value × (its volume outside j)`` to every interval of j it
covers, added up with a running sum over the sorted leaf edges.  Numeric labels
are measured in model space (log space for log priors) over the prior's bounds
widened to the values seen; a categorical label's options each get equal weight,
numbered in the order of their mean loss so that one split can separate them
(``options_by_mean_loss``).

A conditional label is scored by a forest fitted to the trials where it was
active (labels active in the same trials share a forest): its share of the
variance there, times that region's share of the loss variance (the fraction of
trials times the loss variance among them, over the loss variance overall).
Every forest still sees every label that was active in some of its trials, with
"inactive" as a slot of its own below the label's range (``model_feature``), so
that the effect of a conditional label is not left for the others to explain.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._utils import install_hint
from ..exceptions import MissingDependencyError
from ._scales import Scale

#: a label active in fewer trials than this scores 0: no forest from so few
MIN_ACTIVE = 5


def random_forest_class(where: str) -> Any:
    """scikit-learn's RandomForestRegressor, or an error that says how to install it."""
    try:
        from sklearn.ensemble import RandomForestRegressor
    except ImportError as error:
        raise MissingDependencyError(
            f"{where}: evaluator='fanova' needs scikit-learn; install it with: "
            f"{install_hint('importance', 'scikit-learn')}; or use the "
            "default evaluator='ped-anova', which needs nothing more."
        ) from error
    return RandomForestRegressor


def leaf_boxes(tree: Any, low: np.ndarray, high: np.ndarray) -> tuple[np.ndarray, ...]:
    """(lower, upper, value) of every leaf of a fitted scikit-learn tree, boxes clipped
    to [low, high]."""
    left, right = tree.children_left, tree.children_right
    feature, threshold = tree.feature, tree.threshold
    n_nodes = len(left)
    lower = np.empty((n_nodes, len(low)))
    upper = np.empty((n_nodes, len(low)))
    lower[0], upper[0] = low, high
    level = np.array([0])
    while level.size:
        split = level[left[level] >= 0]
        if not split.size:
            break
        f = feature[split]
        t = np.clip(threshold[split], low[f], high[f])
        lo_children, hi_children = left[split], right[split]
        lower[lo_children] = lower[split]
        upper[lo_children] = upper[split]
        lower[hi_children] = lower[split]
        upper[hi_children] = upper[split]
        upper[lo_children, f] = np.minimum(upper[split, f], t)
        lower[hi_children, f] = np.maximum(lower[split, f], t)
        level = np.concatenate([lo_children, hi_children])
    leaves = np.flatnonzero(left < 0)
    values = tree.value[leaves, 0, 0]
    return lower[leaves], upper[leaves], values


def tree_main_effects(
    tree: Any, low: np.ndarray, high: np.ndarray, columns: list[int]
) -> tuple[float, np.ndarray]:
    """(total variance, variance of the main effect of each of ``columns``) of one tree
    under the uniform measure on the box [low, high]."""
    lower, upper, values = leaf_boxes(tree, low, high)
    width = high - low
    fractions = np.clip((upper - lower) / width, 0.0, 1.0)  # (leaves, labels)
    # product over the other labels of each leaf's extent: prefix times suffix products
    before = np.cumprod(np.hstack([np.ones((len(values), 1)), fractions[:, :-1]]), axis=1)
    after = np.cumprod(np.hstack([np.ones((len(values), 1)), fractions[:, :0:-1]]), axis=1)
    others = before * after[:, ::-1]
    volume = others[:, 0] * fractions[:, 0]
    mean = float(volume @ values)
    total = float(volume @ (values - mean) ** 2)
    effects = np.zeros(len(columns))
    for i, j in enumerate(columns):
        start, stop = (lower[:, j] - low[j]) / width[j], (upper[:, j] - low[j]) / width[j]
        edges = np.unique(np.concatenate([start, stop, [0.0, 1.0]]))
        weight = values * others[:, j]
        steps = np.bincount(np.searchsorted(edges, start), weight, len(edges))
        steps -= np.bincount(np.searchsorted(edges, stop), weight, len(edges))
        effect = np.cumsum(steps)[:-1]  # on each interval between consecutive edges
        lengths = np.diff(edges)
        effects[i] = float(lengths @ (effect - mean) ** 2)
    return total, effects


def forest_shares(
    x: np.ndarray,
    y: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
    columns: list[int],
    forest_options: dict[str, Any],
    where: str,
) -> np.ndarray:
    """Mean over trees of each column's main-effect variance over the tree's variance."""
    forest = random_forest_class(where)(**forest_options)
    forest.fit(x, y)
    shares, used = np.zeros(len(columns)), 0
    for estimator in forest.estimators_:
        total, effects = tree_main_effects(estimator.tree_, low, high, columns)
        if total > 0.0:
            shares += np.clip(effects / total, 0.0, 1.0)
            used += 1
    return shares / used if used else shares


def options_by_mean_loss(values: np.ndarray, y: np.ndarray, n_options: int) -> np.ndarray:
    """Option indices renumbered in the order of their mean loss (options never seen last).

    A tree splits a feature at thresholds, so with options in an arbitrary order it
    needs several splits to isolate the option that matters and greedy growth seldom
    makes them.  In the order of the mean loss, the best split of the options into
    two groups is one threshold (Fisher 1958; Breiman et al. 1984, for regression
    trees).  Every option keeps a slot of width 1, so the measure stays even.
    """
    active = np.isfinite(values)
    index = values[active].astype(np.int64)
    counts = np.bincount(index, minlength=n_options)
    sums = np.bincount(index, weights=y[active], minlength=n_options)
    means = np.where(counts > 0, sums / np.maximum(counts, 1), np.inf)
    rank = np.empty(n_options)
    rank[np.argsort(means, kind="stable")] = np.arange(n_options)
    out = np.full(len(values), np.nan)
    out[active] = rank[index]
    return out


def model_feature(
    values: np.ndarray, bounds: tuple[float, float]
) -> tuple[np.ndarray, float, float] | None:
    """(column, low, high) of one label as a forest feature, or None if it cannot split.

    A label inactive in some of the rows gets a slot of its own below its range for
    "inactive", as wide as its share of the rows (so the uniform measure of the box
    gives the slot the weight it has in the trials), and the rows where it was
    inactive sit in the middle of that slot.
    """
    active = np.isfinite(values)
    share = float(active.mean()) if len(values) else 0.0
    low, high = bounds
    if share == 0.0:
        return None
    if share == 1.0:
        return (values, low, high) if high > low else None
    if not high > low:
        high = low + 1.0  # one value seen: it takes a slot of width 1 next to "inactive"
    gap = (high - low) * (1.0 - share) / share
    return np.where(active, values, low - gap / 2), low - gap, high


def fanova_scores(
    losses: np.ndarray,
    model_values: dict[str, np.ndarray],
    scales: dict[str, Scale],
    labels: list[str],
    all_labels: list[str],
    forest_options: dict[str, Any],
    where: str,
) -> dict[str, float]:
    """Each label's share of the loss variance (unnormalised), in ``labels`` order."""
    random_forest_class(where)  # fail early, before any work
    scores = dict.fromkeys(labels, 0.0)
    total_variance = float(np.var(losses))
    if total_variance <= 0.0:
        return scores
    bounds = {}
    for label in all_labels:
        values, scale = model_values[label], scales[label]
        if scale.categorical:
            bounds[label] = (-0.5, scale.n_categories(values) - 0.5)
        else:
            bounds[label] = scale.domain(values)
    # labels active in the same trials share one forest
    groups: dict[bytes, list[str]] = {}
    for label in labels:
        active = np.isfinite(model_values[label])
        groups.setdefault(np.packbits(active).tobytes(), []).append(label)
    for members in groups.values():
        rows = np.isfinite(model_values[members[0]])
        n_rows = int(rows.sum())
        if n_rows < MIN_ACTIVE:
            continue
        y = losses[rows]
        weight = n_rows / len(losses) * float(np.var(y)) / total_variance
        if weight <= 0.0:
            continue
        columns, low, high, features = [], [], [], []
        for label in all_labels:
            values = model_values[label][rows]
            if scales[label].categorical:
                values = options_by_mean_loss(values, y, int(bounds[label][1] + 0.5))
            feature = model_feature(values, bounds[label])
            if feature is not None:
                columns.append(feature[0])
                low.append(feature[1])
                high.append(feature[2])
                features.append(label)
        scored = [label for label in members if label in features]
        if not scored:
            continue
        x = np.column_stack(columns)
        shares = forest_shares(
            x,
            y,
            np.array(low),
            np.array(high),
            [features.index(label) for label in scored],
            forest_options,
            where,
        )
        for label, share in zip(scored, shares):
            scores[label] = weight * float(share)
    return scores
