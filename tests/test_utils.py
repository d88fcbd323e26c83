"""hopt.utils: Hyperopt's helpers that libraries built on Hyperopt call."""

from __future__ import annotations

import datetime

import numpy as np

from hopt import Ctrl, Domain, Trials, hp
from hopt.pyll import rec_eval
from hopt.utils import coarse_utcnow, use_obj_for_literal_in_memo


def test_a_placeholder_constant_is_replaced_by_the_given_object_at_evaluation():
    space = {"x": hp.uniform("x", 0, 1), "ctrl": Ctrl, "arr": np.arange(3)}
    domain = Domain(lambda p: 0.0, space)
    ctrl = Ctrl(Trials())
    memo = domain.memo_from_config({"x": 0.25})
    assert use_obj_for_literal_in_memo(domain.expr, ctrl, Ctrl, memo) is memo
    point = rec_eval(domain.expr, memo=memo)
    assert point["ctrl"] is ctrl and point["x"] == 0.25
    assert list(point["arr"]) == [0, 1, 2], "an array constant is left alone"


def test_coarse_utcnow_is_naive_utc_to_the_millisecond():
    before = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    now = coarse_utcnow()
    assert now.tzinfo is None and now.microsecond % 1000 == 0
    assert abs((now - before).total_seconds()) < 5
