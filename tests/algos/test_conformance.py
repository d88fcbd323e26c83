"""Every suggest algorithm keeps the same contract (hopt.testing.algorithms)."""

from __future__ import annotations

import functools

from hopt import anneal, mix, rand, tpe
from hopt.testing.algorithms import SeveralObjectivesConformance, SuggestConformance


class TestRandConformance(SuggestConformance):
    algo = staticmethod(rand.suggest)


class TestTpeConformance(SuggestConformance):
    algo = staticmethod(functools.partial(tpe.suggest, n_startup_jobs=10))


class TestAnnealConformance(SuggestConformance):
    algo = staticmethod(anneal.suggest)


class TestMixConformance(SuggestConformance):
    algo = staticmethod(
        functools.partial(mix.suggest, p_suggest=[(0.3, rand.suggest), (0.7, tpe.suggest)])
    )


class TestTpeMultivariateConformance(SuggestConformance):
    algo = staticmethod(functools.partial(tpe.suggest, n_startup_jobs=10, multivariate=True))


class TestTpeSeveralObjectives(SeveralObjectivesConformance):
    algo = staticmethod(tpe.suggest)


class TestTpeUnivariateSeveralObjectives(SeveralObjectivesConformance):
    algo = staticmethod(functools.partial(tpe.suggest, multivariate=False))


class TestRandSeveralObjectives(SeveralObjectivesConformance):
    algo = staticmethod(rand.suggest)
