"""anneal.suggest and mix.suggest behaviour beyond the shared contract."""

from __future__ import annotations

import functools
import re

import numpy as np
import pytest

from hopt import Trials, anneal, fmin, hp, mix, rand, tpe
from hopt.exceptions import InvalidArgumentError


def test_anneal_accepts_several_ids_per_call():
    trials = Trials()
    fmin(lambda x: x**2, hp.uniform("x", -3, 3), algo=anneal.suggest, max_evals=40,
         trials=trials, rstate=0, max_queue_len=4, show_progressbar=False)  # fmt: skip
    assert len(trials) == 40


def test_anneal_concentrates_near_the_best_point():
    trials = Trials()
    fmin(lambda x: (x - 2) ** 2, hp.uniform("x", -10, 10), algo=anneal.suggest, max_evals=80,
         trials=trials, rstate=1, show_progressbar=False)  # fmt: skip
    late = [d["misc"]["vals"]["x"][0] for d in trials.trials[-20:]]
    assert abs(np.median(late) - 2) < 1.5
    assert min(trials.losses()) < 0.05


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"avg_best_idx": 0.5}, "avg_best_idx must be a finite number >= 1; got avg_best_idx=0.5."),
        ({"avg_best_idx": "2"}, "avg_best_idx must be a finite number >= 1; got avg_best_idx='2'."),
        ({"avg_best_idx": float("inf")}, "avg_best_idx must be finite; got avg_best_idx=inf."),
        ({"shrink_coef": -1}, "shrink_coef must be a finite number >= 0; got shrink_coef=-1."),
        ({"shrink_coef": float("nan")}, "shrink_coef must be finite; got shrink_coef=nan."),
    ],
)
def test_anneal_rejects_bad_tunables(kwargs, message):
    with pytest.raises(InvalidArgumentError, match=re.escape("anneal.suggest: " + message)):
        fmin(lambda x: x, hp.uniform("x", 0, 1), algo=functools.partial(anneal.suggest, **kwargs),
             max_evals=3, rstate=0, show_progressbar=False)  # fmt: skip


@pytest.mark.parametrize(
    "p_suggest, message",
    [
        ([], "p_suggest must list"),
        ([(0.5, rand.suggest), (0.6, tpe.suggest)], "sum to 1"),
        ([(1.0, "tpe")], "is not a suggest function"),
    ],
)
def test_mix_rejects_bad_mixtures(p_suggest, message):
    algo = functools.partial(mix.suggest, p_suggest=p_suggest)
    with pytest.raises(InvalidArgumentError, match=message):
        fmin(lambda x: x, hp.uniform("x", 0, 1), algo=algo, max_evals=2, rstate=0,
             show_progressbar=False)  # fmt: skip


def test_mix_with_all_weight_on_one_algorithm_matches_it_in_distribution():
    calls = []

    def spy(new_ids, domain, trials, seed):
        calls.append(len(new_ids))
        return rand.suggest(new_ids, domain, trials, seed)

    algo = functools.partial(mix.suggest, p_suggest=[(0.0, tpe.suggest), (1.0, spy)])
    fmin(lambda x: x, hp.uniform("x", 0, 1), algo=algo, max_evals=5, rstate=0,
         show_progressbar=False)  # fmt: skip
    assert sum(calls) == 5
