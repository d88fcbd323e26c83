"""A weighted mixture of suggest algorithms (Hyperopt's ``mix.suggest``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from .._types import TrialDoc
from .._utils import SEED_BOUND
from ..exceptions import InvalidArgumentError
from .protocol import SuggestAlgorithm

if TYPE_CHECKING:  # annotations only: no import at run time
    from ..domain import Domain
    from ..trials.base import Trials


def suggest(
    new_ids: Sequence[int],
    domain: Domain,
    trials: Trials,
    seed: int,
    p_suggest: Sequence[tuple[float, SuggestAlgorithm]] = (),
) -> list[TrialDoc]:
    """Pick one algorithm with probability ``p`` from ``p_suggest`` and let it suggest.

    Use with ``functools.partial(mix.suggest, p_suggest=[(0.1, rand.suggest),
    (0.9, tpe.suggest)])``.
    """
    if not p_suggest:
        raise InvalidArgumentError(
            "mix.suggest: p_suggest must list (probability, suggest) pairs; got none. "
            "Use functools.partial(mix.suggest, p_suggest=[(0.2, rand.suggest), ...])."
        )
    probabilities = np.asarray([p for p, _ in p_suggest], dtype=float)
    if np.any(probabilities < 0) or not np.isclose(probabilities.sum(), 1.0):
        raise InvalidArgumentError(
            f"mix.suggest: probabilities must be >= 0 and sum to 1; got {probabilities.tolist()!r}."
        )
    for _, algo in p_suggest:
        if not callable(algo):
            raise InvalidArgumentError(f"mix.suggest: {algo!r} is not a suggest function.")
    rng = np.random.default_rng(seed)
    index = int(rng.choice(len(p_suggest), p=probabilities / probabilities.sum()))
    return p_suggest[index][1](new_ids, domain, trials, int(rng.integers(SEED_BOUND)))


# fmin allows several objectives when every algorithm mixed handles them
suggest.mixes_algorithms = True  # type: ignore[attr-defined]
