"""Random search: every new trial is an independent draw from the prior."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from .._types import TrialDoc
from .documents import docs_from_columns

if TYPE_CHECKING:  # annotations only: no import at run time
    from ..domain import Domain
    from ..trials.base import Trials


def suggest(new_ids: Sequence[int], domain: Domain, trials: Trials, seed: int) -> list[TrialDoc]:
    """Draw ``len(new_ids)`` configurations at once (one vectorised draw per label)."""
    rng = np.random.default_rng(seed)
    values, masks = domain.compiled.sample(rng, len(new_ids))
    return docs_from_columns(new_ids, domain, trials, values, masks)


# Draws never depend on earlier results, so fmin may ask for many trials in one call.
suggest.ignores_history = True  # type: ignore[attr-defined]
# (and so it is indifferent to how many losses a result has)
suggest.several_objectives = True  # type: ignore[attr-defined]


def suggest_batch(new_ids: Sequence[int], domain: Domain, trials: Trials, seed: int):
    """Hyperopt's ``(idxs, vals)`` column form of :func:`suggest`."""
    docs = suggest(new_ids, domain, trials, seed)
    idxs: dict[str, list] = {label: [] for label in domain.params}
    vals: dict[str, list] = {label: [] for label in domain.params}
    for doc in docs:
        for label in domain.params:
            idxs[label].extend(doc["misc"]["idxs"][label])
            vals[label].extend(doc["misc"]["vals"][label])
    return idxs, vals
