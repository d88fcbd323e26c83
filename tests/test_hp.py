"""hp.*: the values each function produces, and the errors a bad argument raises."""

import math
import re

import numpy as np
import pytest

from hopt import Domain, Trials, fmin, hp, rand, space_eval
from hopt.exceptions import (
    DuplicateLabel,
    DuplicateLabelError,
    HoptError,
    InvalidArgumentError,
    InvalidSpaceError,
)
from hopt.pyll.stochastic import sample

N_DRAWS = 600


def draws(space, n=N_DRAWS, seed=0):
    """``n`` independent values of ``space`` from one seeded generator."""
    rng = np.random.default_rng(seed)
    return [sample(space, rng) for _ in range(n)]


def assert_multiples(values, q):
    for v in values:
        assert abs(v / q - round(v / q)) < 1e-9, f"{v!r} is not a multiple of {q}"


# --------------------------------------------------------------------------- values


def test_uniform_gives_floats_inside_bounds():
    values = draws(hp.uniform("x", -2.5, 4.0))
    assert all(type(v) is float for v in values)
    assert -2.5 <= min(values) and max(values) <= 4.0


def test_uniform_spreads_over_the_whole_range():
    values = draws(hp.uniform("x", 0, 10))
    assert min(values) < 1 and max(values) > 9


def test_quniform_with_whole_q_gives_python_int():
    values = draws(hp.quniform("q", 0, 20, 5))
    assert all(type(v) is int for v in values)
    assert set(values) <= {0, 5, 10, 15, 20}


def test_quniform_with_fractional_q_gives_multiples_of_q():
    values = draws(hp.quniform("q", -1, 1, 0.25))
    assert all(type(v) is float for v in values)
    assert_multiples(values, 0.25)
    assert -1 <= min(values) and max(values) <= 1


def test_quniform_never_rounds_below_low():
    # Hyperopt's round(uniform(1.01, 10)) gives 1, which is outside the bounds.
    values = draws(hp.quniform("q", 1.01, 10, 1), n=2000)
    assert min(values) == 2
    assert max(values) == 10


def test_quniform_never_rounds_above_high():
    values = draws(hp.quniform("q", 0, 9.99, 2), n=2000)
    assert max(values) == 8


def test_uniformint_gives_python_int_with_both_bounds_reachable():
    values = draws(hp.uniformint("n", 1, 4))
    assert all(type(v) is int for v in values)
    assert set(values) == {1, 2, 3, 4}


def test_uniformint_is_stored_as_int():
    param = Domain(lambda x: 0, hp.uniformint("n", 1, 4)).compiled.params["n"]
    assert param.is_integer
    assert type(param.to_python(np.float64(3.0))) is int


def test_randint_with_upper_gives_ints_from_zero_to_upper_excluded():
    values = draws(hp.randint("n", 5))
    assert all(type(v) is int for v in values)
    assert set(values) == {0, 1, 2, 3, 4}


def test_randint_with_low_and_high_excludes_high():
    values = draws(hp.randint("n", -3, 2))
    assert set(values) == {-3, -2, -1, 0, 1}


@pytest.mark.parametrize(
    "build",
    [
        lambda: hp.randint("n", upper=3),
        lambda: hp.randint("n", 0, high=3),
        lambda: hp.randint("n", low=0, high=3),
        lambda: hp.randint("n", np.int64(3)),
        lambda: hp.randint("n", 3.0),
    ],
    ids=["upper=", "high=", "low=,high=", "numpy-int", "whole-float"],
)
def test_randint_accepts_keyword_numpy_and_whole_float_bounds(build):
    assert set(draws(build(), n=200)) == {0, 1, 2}


def test_loguniform_bounds_are_in_log_space():
    values = draws(hp.loguniform("lr", -3, 3))
    assert all(type(v) is float for v in values)
    assert math.exp(-3) <= min(values) and max(values) <= math.exp(3)
    # log-uniform: about half the draws fall below exp(0) = 1
    below = sum(v < 1 for v in values) / len(values)
    assert 0.4 < below < 0.6


def test_qloguniform_gives_multiples_of_q_inside_exp_bounds():
    values = draws(hp.qloguniform("q", 0, 3, 2))
    assert all(type(v) is int for v in values)
    assert_multiples(values, 2)
    # exp(0) = 1 and exp(3) ~ 20.09: the grid inside is 2..20 (Hyperopt could give 0)
    assert 2 <= min(values) and max(values) <= 20


def test_normal_gives_floats_centred_on_mu():
    values = draws(hp.normal("x", 5, 2))
    assert all(type(v) is float for v in values)
    assert abs(np.mean(values) - 5) < 0.3
    assert abs(np.std(values) - 2) < 0.3


def test_qnormal_with_whole_q_gives_python_int_multiples():
    values = draws(hp.qnormal("x", 0, 10, 3))
    assert all(type(v) is int for v in values)
    assert_multiples(values, 3)


def test_qnormal_with_fractional_q_gives_float_multiples():
    values = draws(hp.qnormal("x", 0, 1, 0.5))
    assert all(type(v) is float for v in values)
    assert_multiples(values, 0.5)


def test_lognormal_gives_positive_floats():
    values = draws(hp.lognormal("x", 0, 1))
    assert all(type(v) is float and v > 0 for v in values)
    assert abs(np.median(np.log(values))) < 0.2


def test_qlognormal_gives_non_negative_multiples_of_q():
    values = draws(hp.qlognormal("x", 1, 1, 2))
    assert all(type(v) is int and v >= 0 for v in values)
    assert_multiples(values, 2)


def test_choice_returns_the_option_itself():
    values = draws(hp.choice("c", ["svm", ("tree", 3), {"k": 1}]))
    assert {repr(v) for v in values} == {"'svm'", "('tree', 3)", "{'k': 1}"}


def test_choice_stores_the_index():
    domain = Domain(lambda x: 0, hp.choice("c", ["a", "b", "c"]))
    values, _ = domain.compiled.sample(np.random.default_rng(0), 300)
    assert set(values["c"].tolist()) == {0, 1, 2}
    assert domain.compiled.params["c"].is_integer


def test_choice_index_maps_back_to_the_option_with_space_eval():
    space = hp.choice("c", ["a", "b", "c"])
    assert [space_eval(space, {"c": i}) for i in range(3)] == ["a", "b", "c"]


def test_fmin_passes_the_option_and_stores_the_index():
    seen = []
    space = hp.choice("c", ["a", "b", "c"])
    trials = Trials()
    best = fmin(
        lambda v: seen.append(v) or float("abc".index(v)),
        space,
        algo=rand.suggest,
        max_evals=12,
        trials=trials,
        rstate=0,
        show_progressbar=False,
    )
    assert set(seen) <= {"a", "b", "c"}
    assert all(type(v) is int and 0 <= v < 3 for v in trials.vals["c"])
    assert best == {"c": 0}


def test_pchoice_frequencies_follow_p():
    values = draws(hp.pchoice("p", [(0.1, "a"), (0.2, "b"), (0.7, "c")]), n=4000)
    freq = {k: values.count(k) / len(values) for k in "abc"}
    assert freq == pytest.approx({"a": 0.1, "b": 0.2, "c": 0.7}, abs=0.03)


def test_pchoice_never_picks_a_zero_probability_option():
    values = draws(hp.pchoice("p", [(0.0, "never"), (0.5, "a"), (0.5, "b")]), n=1000)
    assert "never" not in values


def test_choice_options_may_be_nested_spaces():
    space = hp.choice(
        "model",
        [
            {"kind": "svm", "C": hp.lognormal("C", 0, 1)},
            {"kind": "tree", "depth": hp.uniformint("depth", 1, 12)},
        ],
    )
    for value in draws(space, n=200):
        if value["kind"] == "svm":
            assert set(value) == {"kind", "C"} and value["C"] > 0
        else:
            assert set(value) == {"kind", "depth"} and 1 <= value["depth"] <= 12


def test_nested_choice_activates_the_inner_label_only_on_its_branch():
    space = hp.choice("outer", [hp.choice("inner", ["x", "y"]), "z"])
    domain = Domain(lambda x: 0, space)
    values, masks = domain.compiled.sample(np.random.default_rng(0), 500)
    assert (masks["inner"] == (values["outer"] == 0)).all()
    assert set(draws(space, n=300)) == {"x", "y", "z"}


def test_same_hp_object_reused_in_two_places_is_one_parameter():
    x = hp.uniform("x", 0, 1)
    for a, b in draws([x, {"again": x}], n=20):
        assert a == b["again"]


# --------------------------------------------------------------------------- bad input


def _fn(x):
    return 0.0


def _fmin(space):
    return fmin(_fn, space, algo=rand.suggest, max_evals=1, rstate=0, show_progressbar=False)


CHOICE_X = hp.choice("c", [hp.uniform("x", 0, 1), "b"])


BAD_INPUTS = [
    # -- low >= high, including bounds of 0 (Hyperopt skipped its check for those)
    pytest.param(
        lambda: hp.uniform("lr", 1.0, 0.0),
        InvalidSpaceError,
        r"^hp\.uniform\('lr'\): low must be < high; got low=1\.0, high=0\.0\.",
        id="uniform-low>high",
    ),
    pytest.param(
        lambda: hp.uniform("lr", 0, 0),
        InvalidSpaceError,
        r"hp\.uniform\('lr'\): low must be < high; got low=0, high=0",
        id="uniform-zero-zero",
    ),
    pytest.param(
        lambda: hp.uniform("lr", 1, 0),
        InvalidSpaceError,
        r"hp\.uniform\('lr'\): low must be < high; got low=1, high=0",
        id="uniform-high-zero",
    ),
    pytest.param(
        lambda: hp.quniform("q", 5, 5, 1),
        InvalidSpaceError,
        r"hp\.quniform\('q'\): low must be < high; got low=5, high=5",
        id="quniform-low==high",
    ),
    pytest.param(
        lambda: hp.quniform("q", 0, -1, 1),
        InvalidSpaceError,
        r"hp\.quniform\('q'\): low must be < high; got low=0, high=-1",
        id="quniform-low-zero",
    ),
    pytest.param(
        lambda: hp.loguniform("lr", 0, -5),
        InvalidSpaceError,
        r"hp\.loguniform\('lr'\): low must be < high; got low=0, high=-5\. "
        r"Bounds of loguniform are in log space",
        id="loguniform-low>high",
    ),
    pytest.param(
        lambda: hp.qloguniform("lr", 2, 0, 1),
        InvalidSpaceError,
        r"hp\.qloguniform\('lr'\): low must be < high; got low=2, high=0\. .*log space",
        id="qloguniform-low>high",
    ),
    pytest.param(
        lambda: hp.uniformint("n", 0, 0),
        InvalidSpaceError,
        r"hp\.uniformint\('n'\): low must be < high; got low=0, high=0",
        id="uniformint-zero-zero",
    ),
    pytest.param(
        lambda: hp.uniformint("n", 3, 1),
        InvalidSpaceError,
        r"hp\.uniformint\('n'\): low must be < high; got low=3, high=1",
        id="uniformint-low>high",
    ),
    pytest.param(
        lambda: hp.randint("n", 0),
        InvalidSpaceError,
        r"hp\.randint\('n'\): low must be < high \(high is excluded\); got low=0, high=0",
        id="randint-upper-zero",
    ),
    pytest.param(
        lambda: hp.randint("n", -3),
        InvalidSpaceError,
        r"hp\.randint\('n'\): low must be < high \(high is excluded\); got low=0, high=-3",
        id="randint-upper-negative",
    ),
    pytest.param(
        lambda: hp.randint("n", 5, 5),
        InvalidSpaceError,
        r"hp\.randint\('n'\): low must be < high \(high is excluded\); got low=5, high=5",
        id="randint-low==high",
    ),
    pytest.param(
        lambda: hp.randint("n", 0, -2),
        InvalidSpaceError,
        r"hp\.randint\('n'\): low must be < high .*got low=0, high=-2",
        id="randint-low-zero",
    ),
    # -- q <= 0
    pytest.param(
        lambda: hp.quniform("q", 0, 1, 0),
        InvalidSpaceError,
        r"hp\.quniform\('q'\): q must be > 0; got q=0\. q is the step of the grid",
        id="quniform-q-zero",
    ),
    pytest.param(
        lambda: hp.quniform("q", 0, 1, -1),
        InvalidSpaceError,
        r"hp\.quniform\('q'\): q must be > 0; got q=-1\. q is the step",
        id="quniform-q-negative",
    ),
    pytest.param(
        lambda: hp.qloguniform("q", 0, 1, 0),
        InvalidSpaceError,
        r"hp\.qloguniform\('q'\): q must be > 0; got q=0\.",
        id="qloguniform-q-zero",
    ),
    pytest.param(
        lambda: hp.qnormal("q", 0, 1, 0),
        InvalidSpaceError,
        r"hp\.qnormal\('q'\): q must be > 0; got q=0\. q is the step",
        id="qnormal-q-zero",
    ),
    pytest.param(
        lambda: hp.qlognormal("q", 0, 1, -0.5),
        InvalidSpaceError,
        r"hp\.qlognormal\('q'\): q must be > 0; got q=-0\.5\.",
        id="qlognormal-q-negative",
    ),
    # -- sigma <= 0
    pytest.param(
        lambda: hp.normal("x", 0, 0),
        InvalidSpaceError,
        r"hp\.normal\('x'\): sigma must be > 0; got sigma=0\. sigma is a standard deviation",
        id="normal-sigma-zero",
    ),
    pytest.param(
        lambda: hp.lognormal("x", 0, -1),
        InvalidSpaceError,
        r"hp\.lognormal\('x'\): sigma must be > 0; got sigma=-1\. sigma is a standard",
        id="lognormal-sigma-negative",
    ),
    pytest.param(
        lambda: hp.qnormal("x", 0, 0, 1),
        InvalidSpaceError,
        r"hp\.qnormal\('x'\): sigma must be > 0; got sigma=0\.",
        id="qnormal-sigma-zero",
    ),
    # -- NaN / inf / non-numeric / bool / hp-node bounds
    pytest.param(
        lambda: hp.uniform("x", float("nan"), 1),
        InvalidSpaceError,
        r"hp\.uniform\('x'\): low must be finite; got low=nan\.",
        id="uniform-low-nan",
    ),
    pytest.param(
        lambda: hp.uniform("x", 0, float("inf")),
        InvalidSpaceError,
        r"hp\.uniform\('x'\): high must be finite; got high=inf\.",
        id="uniform-high-inf",
    ),
    pytest.param(
        lambda: hp.normal("x", float("-inf"), 1),
        InvalidSpaceError,
        r"hp\.normal\('x'\): mu must be finite; got mu=-inf\.",
        id="normal-mu-inf",
    ),
    pytest.param(
        lambda: hp.loguniform("x", 0, float("nan")),
        InvalidSpaceError,
        r"hp\.loguniform\('x'\): high must be finite; got high=nan\.",
        id="loguniform-high-nan",
    ),
    pytest.param(
        lambda: hp.normal("x", 0, float("nan")),
        InvalidSpaceError,
        r"hp\.normal\('x'\): sigma must be finite; got sigma=nan\.",
        id="normal-sigma-nan",
    ),
    pytest.param(
        lambda: hp.quniform("x", 0, 1, float("nan")),
        InvalidSpaceError,
        r"hp\.quniform\('x'\): q must be finite; got q=nan\.",
        id="quniform-q-nan",
    ),
    pytest.param(
        lambda: hp.uniform("x", "0", 1),
        InvalidSpaceError,
        r"hp\.uniform\('x'\): low must be a finite number; got low='0'\.",
        id="uniform-low-str",
    ),
    pytest.param(
        lambda: hp.uniform("x", 0, None),
        InvalidSpaceError,
        r"hp\.uniform\('x'\): high must be a finite number; got high=None\.",
        id="uniform-high-none",
    ),
    pytest.param(
        lambda: hp.uniform("x", True, 2),
        InvalidSpaceError,
        r"hp\.uniform\('x'\): low must be a finite number; got low=True\.",
        id="uniform-low-bool",
    ),
    pytest.param(
        lambda: hp.randint("n", True),
        InvalidSpaceError,
        r"hp\.randint\('n'\): upper must be a finite number; got upper=True\.",
        id="randint-upper-bool",
    ),
    pytest.param(
        lambda: hp.quniform("x", 0, 1, False),
        InvalidSpaceError,
        r"hp\.quniform\('x'\): q must be a finite number; got q=False\.",
        id="quniform-q-bool",
    ),
    pytest.param(
        lambda: hp.uniform("x", hp.uniform("a", 0, 1), 2),
        InvalidSpaceError,
        r"hp\.uniform\('x'\): low must be a constant number, not another hyperparameter "
        r"or expression; .* Put the dependent parameter inside an hp\.choice branch",
        id="uniform-low-hp-node",
    ),
    pytest.param(
        lambda: hp.normal("x", 0, hp.uniform("s", 1, 2) * 2),
        InvalidSpaceError,
        r"hp\.normal\('x'\): sigma must be a constant number.*compute it in the objective",
        id="normal-sigma-expression",
    ),
    # -- labels
    pytest.param(
        lambda: hp.uniform("", 0, 1),
        InvalidSpaceError,
        r"hp\.uniform: label must be a non-empty string; got label=''\.",
        id="label-empty",
    ),
    pytest.param(
        lambda: hp.normal("   ", 0, 1),
        InvalidSpaceError,
        r"hp\.normal: label must be a non-empty string; got label='   '\.",
        id="label-blank",
    ),
    pytest.param(
        lambda: hp.uniform(3, 0, 1),
        TypeError,  # Hyperopt's exception type; an InvalidSpaceError as well
        r"hp\.uniform: label must be a string; got label=3\. Name the hyperparameter, "
        r"e\.g\. hp\.uniform\('learning_rate', \.\.\.\)",
        id="label-int",
    ),
    pytest.param(
        lambda: hp.choice(None, [1, 2]),
        InvalidSpaceError,
        r"hp\.choice: label must be a string; got label=None\. Name the hyperparameter",
        id="label-none",
    ),
    # -- choice options
    pytest.param(
        lambda: hp.choice("c", []),
        InvalidSpaceError,
        r"hp\.choice\('c'\): options must not be empty; got options=\[\]\.",
        id="choice-empty",
    ),
    pytest.param(
        lambda: hp.choice("c", "abc"),
        InvalidSpaceError,
        r"hp\.choice\('c'\): options must be a list \(or a tuple, a 1-d array, a dict view or an iterator\); got options='abc'\.",
        id="choice-str",
    ),
    pytest.param(
        lambda: hp.choice("c", {"a": 1}),
        InvalidSpaceError,
        r"hp\.choice\('c'\): options must be a list \(or a tuple, a 1-d array, a dict view or an iterator\); got options=\{'a': 1\}\.",
        id="choice-dict",
    ),
    pytest.param(
        lambda: hp.choice("c", 3),
        InvalidSpaceError,
        r"hp\.choice\('c'\): options must be a list \(or a tuple, a 1-d array, a dict view or an iterator\); got options=3\.",
        id="choice-int",
    ),
    # -- pchoice
    pytest.param(
        lambda: hp.pchoice("p", [(-0.5, "a"), (1.5, "b")]),
        InvalidSpaceError,
        r"hp\.pchoice\('p'\): each probability must be in \[0, 1\]; got probability\[0\]=-0\.5",
        id="pchoice-p-negative",
    ),
    pytest.param(
        lambda: hp.pchoice("p", [(1.5, "a")]),
        InvalidSpaceError,
        r"hp\.pchoice\('p'\): each probability must be in \[0, 1\]; got probability\[0\]=1\.5",
        id="pchoice-p-above-one",
    ),
    pytest.param(
        lambda: hp.pchoice("p", [(0.5, "a"), (0.6, "b")]),
        InvalidSpaceError,
        r"hp\.pchoice\('p'\): probabilities must sum to 1 \(within 0\.01\); got sum=1\.1\. "
        r"Normalise them, e\.g\. p / sum\(p\)",
        id="pchoice-sum-above-one",
    ),
    pytest.param(
        lambda: hp.pchoice("p", [(0.2, "a"), (0.3, "b")]),
        InvalidSpaceError,
        r"hp\.pchoice\('p'\): probabilities must sum to 1 \(within 0\.01\); got sum=0\.5\. Normalise",
        id="pchoice-sum-below-one",
    ),
    pytest.param(
        lambda: hp.pchoice("p", [(float("nan"), "a")]),
        InvalidSpaceError,
        r"hp\.pchoice\('p'\): probability\[0\] must be finite; got probability\[0\]=nan",
        id="pchoice-p-nan",
    ),
    pytest.param(
        lambda: hp.pchoice("p", [("a", 0.5), ("b", 0.5)]),
        InvalidSpaceError,
        r"hp\.pchoice\('p'\): probability\[0\] must be a finite number; got probability\[0\]='a'",
        id="pchoice-pair-swapped",
    ),
    pytest.param(
        lambda: hp.pchoice("p", [(0.5,), (0.5, "b")]),
        InvalidSpaceError,
        r"hp\.pchoice\('p'\): each entry must be a \(probability, option\) pair; "
        r"got p_options\[0\]=\(0\.5,\)",
        id="pchoice-pair-short",
    ),
    pytest.param(
        lambda: hp.pchoice("p", [(0.5, "a"), (0.5, "b", "c")]),
        InvalidSpaceError,
        r"hp\.pchoice\('p'\): each entry must be a \(probability, option\) pair; "
        r"got p_options\[1\]=\(0\.5, 'b', 'c'\)",
        id="pchoice-pair-long",
    ),
    pytest.param(
        lambda: hp.pchoice("p", [0.5, 0.5]),
        InvalidSpaceError,
        r"hp\.pchoice\('p'\): each entry must be a \(probability, option\) pair; "
        r"got p_options\[0\]=0\.5",
        id="pchoice-bare-probabilities",
    ),
    pytest.param(
        lambda: hp.pchoice("p", {0.5: "a", 0.5001: "b"}),
        InvalidSpaceError,
        r"hp\.pchoice\('p'\): p_options must be a list of \(probability, option\) pairs",
        id="pchoice-dict",
    ),
    pytest.param(
        lambda: hp.pchoice("p", []),
        InvalidSpaceError,
        r"hp\.pchoice\('p'\): p_options must not be empty",
        id="pchoice-empty",
    ),
    # -- randint arguments
    pytest.param(
        lambda: hp.randint("n", 1.5),
        InvalidSpaceError,
        r"hp\.randint\('n'\): upper must be a whole number; got upper=1\.5\.",
        id="randint-upper-fractional",
    ),
    pytest.param(
        lambda: hp.randint("n", 0.5, 3),
        InvalidSpaceError,
        r"hp\.randint\('n'\): low must be a whole number; got low=0\.5\.",
        id="randint-low-fractional",
    ),
    pytest.param(
        lambda: hp.randint("n"),
        InvalidSpaceError,
        r"hp\.randint\('n'\): takes \(upper\) or \(low, high\); got args=\(\)",
        id="randint-no-bounds",
    ),
    pytest.param(
        lambda: hp.randint("n", 1, 2, 3),
        InvalidSpaceError,
        r"hp\.randint\('n'\): takes \(upper\) or \(low, high\); got args=\(1, 2, 3\)",
        id="randint-three-bounds",
    ),
    pytest.param(
        lambda: hp.randint("n", 10**30),
        InvalidSpaceError,
        r"hp\.randint\('n'\): bounds must fit in a 64-bit integer",
        id="randint-beyond-int64",
    ),
    # -- empty quantization grid, uniformint q
    pytest.param(
        lambda: hp.quniform("q", 0.1, 0.9, 1),
        InvalidSpaceError,
        r"hp\.quniform\('q'\): no multiple of q lies between the bounds; got low=0\.1, "
        r"high=0\.9, q=1\. Use a smaller q or wider bounds",
        id="quniform-empty-grid",
    ),
    pytest.param(
        lambda: hp.qloguniform("q", 0, 1, 5),
        InvalidSpaceError,
        r"hp\.qloguniform\('q'\): no multiple of q lies between the bounds; .*Use a smaller q",
        id="qloguniform-empty-grid",
    ),
    pytest.param(
        lambda: hp.uniformint("n", 1.2, 1.8),
        InvalidSpaceError,
        r"hp\.uniformint\('n'\): no multiple of q lies between the bounds; .*wider bounds",
        id="uniformint-empty-grid",
    ),
    pytest.param(
        lambda: hp.uniformint("n", 1, 5, q=2),
        InvalidSpaceError,
        r"hp\.uniformint\('n'\): q must be 1 for integers; got q=2\. "
        r"Use hp\.quniform for other steps",
        id="uniformint-q-2",
    ),
    pytest.param(
        lambda: hp.uniformint("n", 1, 5, q=0.5),
        InvalidSpaceError,
        r"hp\.uniformint\('n'\): q must be 1 for integers; got q=0\.5\. Use hp\.quniform",
        id="uniformint-q-half",
    ),
    # -- bounds whose values overflow
    pytest.param(
        lambda: hp.loguniform("C", 1e-3, 1e3),
        InvalidSpaceError,
        r"hp\.loguniform\('C'\).*log space",
        id="loguniform-linear-bounds-overflow",
    ),
    pytest.param(
        lambda: hp.qloguniform("C", 0, 1000, 1),
        InvalidSpaceError,
        r"hp\.qloguniform\('C'\).*log space",
        id="qloguniform-linear-bounds-overflow",
    ),
    pytest.param(
        lambda: hp.uniform("x", -1e308, 1e308),
        InvalidSpaceError,
        r"hp\.uniform\('x'\): high - low overflows a float",
        id="uniform-width-overflow",
    ),
    # -- duplicate labels, found when the space is compiled
    pytest.param(
        lambda: Domain(_fn, {"a": hp.uniform("x", 0, 1), "b": hp.normal("x", 0, 1)}),
        DuplicateLabelError,
        r"^search space: label 'x' is used by two different hyperparameters, at space\['a'\] "
        r"and at space\['b'\]\. Give each hyperparameter its own label, or reuse the same hp "
        r"object",
        id="duplicate-label-domain",
    ),
    pytest.param(
        lambda: Domain(_fn, {"a": CHOICE_X, "b": [hp.normal("x", 0, 1)]}),
        DuplicateLabelError,
        r"label 'x' is used by two different hyperparameters, at "
        r"space\['a'\]<hp\.choice\('c'\) option 0> and at space\['b'\]\[0\]\. Give each",
        id="duplicate-label-in-branch",
    ),
    pytest.param(
        lambda: Domain(_fn, hp.choice("c", [hp.uniform("c", 0, 1), 2])),
        DuplicateLabelError,
        r"label 'c' is used by two different hyperparameters, at space and at "
        r"space<hp\.choice\('c'\) option 0>",
        id="duplicate-label-choice-and-child",
    ),
    pytest.param(
        lambda: _fmin([hp.uniform("x", 0, 1), hp.uniform("x", 0, 1)]),
        DuplicateLabelError,
        r"label 'x' is used by two different hyperparameters, at space\[0\] and at "
        r"space\[1\]\. Give each hyperparameter its own label",
        id="duplicate-label-fmin",
    ),
    # -- space_eval
    pytest.param(
        lambda: space_eval({"a": hp.uniform("x", 0, 1)}, {"y": 1}),
        InvalidArgumentError,
        r"^space_eval: labels \['y'\] are not in the space; its labels are \['x'\]\.",
        id="space_eval-unknown-label",
    ),
    pytest.param(
        lambda: space_eval(
            {"max_depth": hp.uniformint("max_depth", 1, 9), "lr": hp.uniform("lr", 0, 1)},
            {"max_deph": 3, "lr": 0.1},
        ),
        InvalidArgumentError,
        r"^space_eval: labels \['max_deph'\] are not in the space; its labels are "
        r"\['lr', 'max_depth'\]\. Did you mean 'max_depth'\?$",
        id="space_eval-mistyped-label-names-the-near-miss",
    ),
    pytest.param(
        lambda: space_eval(
            {"max_depth": hp.uniformint("max_depth", 1, 9), "lr": hp.uniform("lr", 0, 1)},
            {"max_deph": 3, "lrr": 0.1, "zzz": 1},
        ),
        InvalidArgumentError,
        r"^space_eval: labels \['lrr', 'max_deph', 'zzz'\] are not in the space; its labels "
        r"are \['lr', 'max_depth'\]\. Did you mean 'lr' for 'lrr', 'max_depth' for "
        r"'max_deph'\?$",
        id="space_eval-several-mistyped-labels-each-get-their-near-miss",
    ),
    pytest.param(
        lambda: space_eval(CHOICE_X, {"c": 0}),
        InvalidSpaceError,
        r"^space_eval: no value for \['x'\], which the chosen branches use; "
        r"pass every active label",
        id="space_eval-missing-active-label",
    ),
    pytest.param(
        lambda: space_eval(CHOICE_X, {"c": 5}),
        InvalidArgumentError,
        r"space_eval: 'c' takes an option index in \[0, 2\); got c=5\.",
        id="space_eval-index-too-big",
    ),
    pytest.param(
        lambda: space_eval(CHOICE_X, {"c": -1}),
        InvalidArgumentError,
        r"space_eval: 'c' takes an option index in \[0, 2\); got c=-1\.",
        id="space_eval-index-negative",
    ),
    pytest.param(
        lambda: space_eval(CHOICE_X, [("c", 1)]),
        InvalidArgumentError,
        r"space_eval: hp_assignment must be a dict of label -> value; got hp_assignment=",
        id="space_eval-not-a-dict",
    ),
    pytest.param(
        lambda: space_eval(CHOICE_X, {"c": 1, "x": "a"}),
        InvalidArgumentError,
        r"space_eval: the value of 'x' must be a number; got x='a'",
        id="space_eval-value-not-a-number",
    ),
    pytest.param(
        lambda: space_eval(CHOICE_X, {"c": 0.6, "x": 0.5}),
        InvalidArgumentError,
        r"space_eval: 'c' takes an option index in \[0, 2\); got c=0\.6\.",
        id="space_eval-fractional-index",
    ),
]


@pytest.mark.parametrize(("call", "exc_class", "pattern"), BAD_INPUTS)
def test_bad_input_raises_a_clear_error(call, exc_class, pattern):
    # Assert by hand (not pytest.raises) so a wrong exception type or a missing error
    # fails with the row's expectation in the message.
    try:
        call()
    except Exception as error:  # noqa: BLE001 - we check the type below
        assert isinstance(error, exc_class), f"{type(error).__name__}: {error}"
        assert isinstance(error, HoptError) and isinstance(error, ValueError)
        assert re.search(pattern, str(error)), str(error)
    else:
        raise AssertionError("no error raised")


def test_duplicate_label_error_keeps_hyperopt_name():
    with pytest.raises(DuplicateLabel):
        Domain(_fn, [hp.uniform("x", 0, 1), hp.uniform("x", 0, 1)])


# -- found by a bug hunt ---------------------------------------------------------------------
def test_choice_takes_a_numpy_array_and_gives_python_values():
    space = {"n": hp.choice("n", np.arange(1, 5)), "s": hp.choice("s", np.array(["a", "b"]))}
    seen = []
    best = fmin(lambda p: seen.append(p) or 0.0, space, algo=rand.suggest, max_evals=6,
                rstate=0, show_progressbar=False)  # fmt: skip
    assert {p["n"] for p in seen} <= {1, 2, 3, 4} and {p["s"] for p in seen} <= {"a", "b"}
    assert all(type(p["n"]) is int and type(p["s"]) is str for p in seen)
    assert space_eval(space, best) == {"n": int(np.arange(1, 5)[best["n"]]), "s": "ab"[best["s"]]}


def test_a_tiny_fractional_q_gives_floats_on_its_grid():
    space = hp.quniform("q", 0, 5e-9, 1e-9)
    seen = []
    fmin(lambda q: seen.append(q) or 0.0, space, algo=rand.suggest, max_evals=8, rstate=0,
         show_progressbar=False)  # fmt: skip
    assert all(type(q) is float and 0 <= q <= 5e-9 for q in seen)
    assert all(abs(q / 1e-9 - round(q / 1e-9)) < 1e-6 for q in seen) and max(seen) > 0
    assert space_eval(space, {"q": 3e-9}) == 3e-9


def test_ordered_iterables_are_taken_as_options():
    options = {"relu": 1, "tanh": 2}
    for given, expected in [
        (options.keys(), ["relu", "tanh"]),
        (options.values(), [1, 2]),
        ((name for name in ["a", "b", "c"]), ["a", "b", "c"]),
        (map(str.upper, ["x", "y"]), ["X", "Y"]),
    ]:
        space = hp.choice("c", given)
        assert [space_eval(space, {"c": i}) for i in range(len(expected))] == expected


def test_pchoice_takes_zipped_pairs_and_normalises_rounded_probabilities():
    space = hp.pchoice("p", zip([0.33, 0.33, 0.33], ["a", "b", "c"]))
    draws = [sample(space, rng=seed) for seed in range(600)]
    assert set(draws) == {"a", "b", "c"}
    assert all(abs(draws.count(o) / 600 - 1 / 3) < 0.07 for o in "abc")


def test_a_set_of_options_is_refused_with_the_reason():
    with pytest.raises(InvalidSpaceError, match=r"fixed order.*index.*sorted\(\.\.\.\)"):
        hp.choice("c", {"a", "b"})
    with pytest.raises(InvalidSpaceError, match=r"p_options must be in a fixed order"):
        hp.pchoice("p", frozenset([(0.5, "a"), (0.5, "b")]))


def test_decimal_and_zero_d_array_bounds_are_numbers():
    import decimal

    space = hp.uniform("x", decimal.Decimal("0.5"), np.array(2.0))
    values = [sample(space, rng=seed) for seed in range(50)]
    assert all(type(v) is float and 0.5 <= v <= 2.0 for v in values)
