"""Annealing search, with the semantics of Hyperopt 0.3.0's ``anneal.suggest``.

A new point starts from one earlier trial, its *anchor*: the k-th best trial,
k + 1 drawn from a geometric distribution with mean ``avg_best_idx``.  Every
label active in the new point is then drawn near the anchor's value, from a
neighbourhood that shrinks to ``1 / (1 + T * shrink_coef)`` of the prior's
size, T being how many trials used the label:

- uniform priors (plain, log, quantized): uniform on a window of that fraction
  of the range, centred on the anchor's value (in log space for log priors) and
  shifted back inside the bounds, then quantized;
- normal priors (plain, log, quantized): a normal at the anchor's value whose
  sigma is the prior's sigma times the fraction, then quantized;
- choice, pchoice and randint: the anchor's option with probability ``1 - f``,
  otherwise a draw from the prior (f being the fraction).

A label the anchor did not use (another branch of a choice) takes its centre
from a runner-up: the first of the runners-up drawn so far for this point that
used it, else a new one, drawn the same way among the trials that used it.
Labels without any usable trial are drawn from the prior.

Deliberate differences from Hyperopt: anchors are drawn only among finished
trials with a loss (Hyperopt ranked failed and in-flight trials last but could
still start from one); equal losses rank in random order (Hyperopt: whatever
numpy's unstable sort gave); several ids per call each get their own anchor, as
if suggested one by one (Hyperopt's ``suggest`` accepted one id; its
``suggest_batch`` drew an anchor per label and point).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .._types import TrialDoc
from .._validate import check_number
from ..distributions import Categorical, Distribution, Normal, RandInt, Uniform
from .documents import docs_from_columns
from .tpe.history import collect

if TYPE_CHECKING:  # annotations only: no import at run time
    from ..domain import Domain
    from ..trials.base import Trials

#: Hyperopt's guard against log(0) for the centre of a quantized log-normal label
_LOG_GUARD = 1e-16


def suggest(
    new_ids: Sequence[int],
    domain: Domain,
    trials: Trials,
    seed: int,
    avg_best_idx: float = 2.0,
    shrink_coef: float = 0.1,
) -> list[TrialDoc]:
    """Suggest ``len(new_ids)`` points near good earlier trials (any number per call).

    ``avg_best_idx`` is the mean rank (1 = best) of the trial a point starts
    from; ``shrink_coef`` how fast neighbourhoods shrink as a label is observed.
    """
    avg_best_idx = check_number(
        avg_best_idx, "avg_best_idx", "anneal.suggest", low=1, allow_inf=False
    )
    shrink_coef = check_number(shrink_coef, "shrink_coef", "anneal.suggest", low=0, allow_inf=False)
    rng = np.random.default_rng(seed)
    compiled = domain.compiled
    n = len(new_ids)
    history = collect(domain, trials, exclude_tids=set(new_ids))
    finished = np.isfinite(history.losses)
    success = 1.0 / avg_best_idx

    def draw_rows(eligible: np.ndarray, size: int) -> np.ndarray:
        """``size`` rows among ``eligible`` (bool per row), the k-th best with k geometric.

        Ties are ranked in random order, independently for each draw: the trial at
        rank k is any of the trials whose loss equals the k-th smallest.
        """
        rows = np.flatnonzero(eligible)
        ranked = rows[np.argsort(history.losses[rows], kind="stable")]
        ordered = history.losses[ranked]
        k = np.minimum(rng.geometric(success, size) - 1, len(ranked) - 1)
        first = np.searchsorted(ordered, ordered[k], side="left")
        after = np.searchsorted(ordered, ordered[k], side="right")
        tied = (first + rng.random(size) * (after - first)).astype(np.int64)
        return ranked[np.minimum(tied, after - 1)]

    # anchors[i, :counts[i]]: the anchor of point i, then its runners-up (rows of history)
    order = compiled._mask_order
    anchors = np.zeros((n, len(order) + 1), dtype=np.int64)
    counts = np.zeros(n, dtype=np.int64)
    if finished.any():
        anchors[:, 0] = draw_rows(finished, n)
        counts[:] = 1
    slots = np.arange(anchors.shape[1])

    # the prior, kept where no trial can serve
    values = {label: p.distribution.sample(rng, n) for label, p in compiled.params.items()}
    masks: dict[str, np.ndarray] = {}
    for label in order:
        param = compiled.params[label]
        if param.always_active:
            mask = np.ones(n, dtype=bool)
        else:
            mask = np.zeros(n, dtype=bool)
            # not always active: no route is None (None would mean "always")
            for selector, branch in (route for route in param.routes if route is not None):
                mask |= masks[selector] & (values[selector] == branch)
        masks[label] = mask
        used = history.active[label]
        usable = used & finished
        points = np.flatnonzero(mask)
        if not usable.any() or len(points) == 0:
            continue
        # the first anchor or runner-up of each point that used this label ...
        known = anchors[points]
        serves = used[known] & (slots < counts[points, None])
        found = serves.any(axis=1)
        rows = known[np.arange(len(points)), np.argmax(serves, axis=1)]
        # ... or a new runner-up, remembered for the point's later labels
        lacking = points[~found]
        if len(lacking):
            extra = draw_rows(usable, len(lacking))
            anchors[lacking, counts[lacking]] = extra
            counts[lacking] += 1
            rows[~found] = extra
        fraction = 1.0 / (1.0 + int(used.sum()) * shrink_coef)
        centres = history.values[label][rows]
        values[label] = np.array(values[label], dtype=float)
        values[label][points] = _near(param.distribution, centres, fraction, rng)
    if not compiled.exact:
        masks = _masks_by_evaluation(compiled, values, n)
    return docs_from_columns(new_ids, domain, trials, values, masks)


def _near(dist: Distribution, centres: np.ndarray, fraction: float, rng: np.random.Generator):
    """One draw per centre from ``dist``'s neighbourhood of that size around it."""
    m = len(centres)
    if isinstance(dist, (Categorical, RandInt)):
        # mixing one-hot(centre) with the prior: keep the centre, else draw the prior
        keep = rng.random(m) >= fraction
        return np.where(keep, centres, dist.sample(rng, m))
    if isinstance(dist, Uniform):
        x = np.log(centres) if dist.log else centres
        half = 0.5 * (dist.high - dist.low) * fraction
        middle = np.clip(x, dist.low + half, dist.high - half)
        draws = np.clip(rng.uniform(middle - half, middle + half), dist.low, dist.high)
        if dist.log:
            draws = np.exp(draws)
        return dist.snap(draws)
    if isinstance(dist, Normal):
        if dist.log:
            guard = _LOG_GUARD if dist.q is not None else 0.0
            with np.errstate(divide="ignore"):
                mu = np.log(centres + guard)
        else:
            mu = centres
        draws = rng.normal(mu, dist.sigma * fraction)
        if dist.log:
            draws = np.exp(draws)
        return dist.snap(draws)
    raise TypeError(f"anneal.suggest: no neighbourhood for {type(dist).__name__}")


def _masks_by_evaluation(compiled: Any, values: dict, n: int) -> dict[str, np.ndarray]:
    """Active labels of each point, by evaluating the graph (spaces with computed switches)."""
    masks = {label: np.zeros(n, dtype=bool) for label in compiled.params}
    for i in range(n):
        config = {label: column[i] for label, column in values.items()}
        for label in compiled.active_labels_by_evaluation(config):
            masks[label][i] = True
    return masks
