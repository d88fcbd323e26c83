"""``SuggestAlgorithm``: the shape of a suggest algorithm, for type checkers and readers.

Any function ``suggest(new_ids, domain, trials, seed) -> list of trial documents``
fits, and so does ``functools.partial(suggest, **tunables)``: nothing needs to
subclass or register anything.  CONTRIBUTING.md ("Adding a suggest algorithm")
says what each argument holds and what fmin expects back.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from .._types import TrialDoc

if TYPE_CHECKING:  # annotations only: no import at run time
    from ..domain import Domain
    from ..trials.base import Trials


class SuggestAlgorithm(Protocol):
    """A function that proposes new trials: ``tpe.suggest``, ``rand.suggest``, ...

    Called as ``algo(new_ids, domain, trials, seed)``:

    * ``new_ids``: the trial ids to fill, one document per id, in that order;
    * ``domain``: the ``Domain`` (objective and compiled search space);
    * ``trials``: the history so far (it may hold queued and running trials);
    * ``seed``: an int; the same seed gives the same suggestions.

    It returns one NEW trial document per id (``trials.new_trial_docs`` builds
    them), or ``[]`` to say there is nothing more to try, which stops fmin.

    Optional attribute ``ignores_history``: set ``suggest.ignores_history = True``
    on an algorithm whose draws never depend on results; fmin then asks it for many
    trials per call.  A ``Protocol`` cannot declare an attribute as optional, so it
    is not part of the checked shape; fmin reads it with
    ``getattr(algo, "ignores_history", False)``.

    Optional attribute ``several_objectives``: ``True`` on an algorithm that handles
    results with several losses and constraints (``tpe.suggest``, ``rand.suggest``);
    fmin refuses a search with several objectives for any other, naming it.
    """

    def __call__(
        self, new_ids: Sequence[int], domain: Domain, trials: Trials, seed: int, /
    ) -> list[TrialDoc]:
        """Return one new trial document per id in ``new_ids``, or ``[]`` to stop."""
        ...


def handles_several_objectives(algo: object) -> bool:
    """True when ``algo`` (or the function a ``functools.partial`` wraps) says it handles
    several objectives; ``mix.suggest`` does when every algorithm it mixes does."""
    keywords: dict = {}
    while isinstance(algo, functools.partial):
        keywords = {**algo.keywords, **keywords}
        algo = algo.func
    if getattr(algo, "mixes_algorithms", False):
        parts = keywords.get("p_suggest") or ()
        return bool(parts) and all(handles_several_objectives(a) for _, a in parts)
    return bool(getattr(algo, "several_objectives", False))
