"""CompiledSpace: labels, priors, the routes that activate each label, vectorised draws."""

import tracemalloc

import numpy as np
import pytest

from hopt import Domain, hp
from hopt.distributions import Categorical, Normal, RandInt, Uniform
from hopt.exceptions import DuplicateLabelError
from hopt.pyll import rec_eval, scope
from hopt.space import CompiledSpace

DEPTH = 5000


def nested():
    """c picks {a} or {d: choice of e or 1}: e needs c == 1 and d == 0."""
    return hp.choice(
        "c",
        [
            {"a": hp.uniform("a", 0, 1)},
            {"b": hp.choice("d", [hp.normal("e", 0, 1), 1])},
        ],
    )


def deep_choice(depth):
    node = hp.uniform("leaf", 0, 1)
    for i in range(depth):
        node = hp.choice(f"c{i}", [[node, i], i])
    return node


# --------------------------------------------------------------------------- params


def test_every_label_becomes_a_param_with_its_prior():
    compiled = CompiledSpace(
        {
            "u": hp.uniform("u", 0, 2),
            "q": hp.qloguniform("q", 0, 3, 1),
            "n": hp.lognormal("n", 0, 1),
            "r": hp.randint("r", 2, 5),
            "c": hp.pchoice("c", [(0.25, "x"), (0.75, "y")]),
        }
    )
    dists = {label: p.distribution for label, p in compiled.params.items()}
    assert dists == {
        "u": Uniform(0.0, 2.0),
        "q": Uniform(0.0, 3.0, q=1.0, log=True),
        "n": Normal(0.0, 1.0, log=True),
        "r": RandInt(2, 5),
        "c": Categorical((0.25, 0.75)),
    }


def test_labels_keep_the_order_they_appear_in():
    compiled = CompiledSpace([hp.uniform("z", 0, 1), hp.uniform("y", 0, 1), nested()])
    assert list(compiled.params) == ["z", "y", "c", "a", "d", "e"]


def test_param_where_says_where_the_label_sits():
    compiled = CompiledSpace({"model": nested()})
    assert compiled.params["e"].where == (
        "space['model']<hp.choice('c') option 1>['b']<hp.choice('d') option 0>"
    )


def test_the_same_node_used_twice_is_one_param():
    x = hp.uniform("x", 0, 1)
    assert list(CompiledSpace([x, {"again": x}]).params) == ["x"]


def test_two_nodes_with_one_label_are_refused():
    with pytest.raises(DuplicateLabelError, match="label 'x'.*space\\[0\\].*space\\[1\\]"):
        CompiledSpace([hp.uniform("x", 0, 1), hp.uniform("x", 0, 1)])


def test_a_space_without_hyperparameters_has_no_params():
    compiled = CompiledSpace({"a": 1, "b": [2, 3]})
    assert compiled.params == {} and compiled.exact


# --------------------------------------------------------------------------- routes


def test_top_level_label_is_always_active():
    compiled = CompiledSpace(nested())
    assert compiled.params["c"].routes == [None]
    assert compiled.params["c"].always_active


def test_label_in_a_branch_is_routed_through_its_choice():
    compiled = CompiledSpace(nested())
    assert compiled.params["a"].routes == [("c", 0)]
    assert compiled.params["d"].routes == [("c", 1)]


def test_nested_label_is_routed_through_its_innermost_choice_which_is_itself_routed():
    compiled = CompiledSpace(nested())
    assert compiled.params["e"].routes == [("d", 0)]
    assert compiled.params["d"].routes == [("c", 1)]
    values = {"c": np.array([1, 1, 0]), "d": np.array([0, 1, 0])}
    values.update({label: np.zeros(3) for label in compiled.params if label not in values})
    assert compiled.active_masks(values, 3)["e"].tolist() == [True, False, False]


def test_node_shared_by_two_branches_has_two_routes():
    u = hp.uniform("u", 0, 1)
    compiled = CompiledSpace(hp.choice("c", [u, [u, 2], 3]))
    assert sorted(compiled.params["u"].routes) == [("c", 0), ("c", 1)]


def test_node_used_outside_any_choice_is_always_active():
    u = hp.uniform("u", 0, 1)
    compiled = CompiledSpace([hp.choice("c", [u, 2]), u])
    assert compiled.params["u"].routes == [None]


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({"c": 0}, ["c", "a"]),
        ({"c": 1, "d": 0}, ["c", "d", "e"]),
        ({"c": 1, "d": 1}, ["c", "d"]),
    ],
    ids=["first-branch", "nested-branch", "constant-branch"],
)
def test_active_labels_follow_the_chosen_branches(config, expected):
    assert CompiledSpace(nested()).active_labels(config) == expected


def test_memo_for_maps_param_nodes_to_values_and_skips_unknown_labels():
    compiled = CompiledSpace(nested())
    memo = compiled.memo_for({"c": 0, "a": 0.5, "unknown": 3})
    assert rec_eval(compiled.expr, memo=memo) == {"a": 0.5}
    assert len(memo) == 2


# --------------------------------------------------------------------------- sampling


def test_sample_gives_n_values_for_every_label():
    values, masks = CompiledSpace(nested()).sample(np.random.default_rng(0), 50)
    assert set(values) == set(masks) == {"c", "a", "d", "e"}
    assert all(len(v) == 50 for v in values.values())
    assert all(m.dtype == bool and len(m) == 50 for m in masks.values())


def test_activity_masks_match_the_choice_values():
    values, masks = CompiledSpace(nested()).sample(np.random.default_rng(0), 400)
    c, d = values["c"], values["d"]
    assert masks["c"].all()
    np.testing.assert_array_equal(masks["a"], c == 0)
    np.testing.assert_array_equal(masks["d"], c == 1)
    np.testing.assert_array_equal(masks["e"], (c == 1) & (d == 0))
    assert 0 < masks["e"].sum() < masks["d"].sum() < 400


def test_sample_is_deterministic_for_a_seed():
    compiled = CompiledSpace(nested())
    first, _ = compiled.sample(np.random.default_rng(5), 20)
    second, _ = compiled.sample(np.random.default_rng(5), 20)
    for label in first:
        np.testing.assert_array_equal(first[label], second[label])


def test_computed_switch_index_falls_back_to_evaluation():
    space = scope.switch(hp.randint("r", 3) // 2, hp.uniform("a", 0, 1), hp.uniform("b", 0, 1))
    compiled = CompiledSpace(space)
    assert not compiled.exact
    values, masks = compiled.sample(np.random.default_rng(0), 60)
    np.testing.assert_array_equal(masks["a"], values["r"] // 2 == 0)
    np.testing.assert_array_equal(masks["b"], values["r"] // 2 == 1)


def test_inexact_space_finds_active_labels_by_evaluation():
    space = scope.switch(hp.randint("r", 3) // 2, hp.uniform("a", 0, 1), hp.uniform("b", 0, 1))
    assert CompiledSpace(space).active_labels({"r": 2}) == ["b", "r"]


def test_switch_on_a_non_categorical_param_is_inexact():
    space = scope.switch(hp.quniform("q", 0, 1, 1), "a", "b")
    assert not CompiledSpace(space).exact


# --------------------------------------------------------------------------- integers


@pytest.mark.parametrize(
    ("space", "label"),
    [
        (hp.quniform("k", 0, 10, 2), "k"),
        (hp.uniformint("k", 0, 10), "k"),
        (hp.randint("k", 10), "k"),
        (hp.choice("k", [1, 2]), "k"),
        (scope.int(hp.uniform("k", 0, 10)), "k"),
        (scope.int(hp.quniform("k", 0, 10, 2.5)), "k"),
        (scope.int(hp.lognormal("k", 0, 1)), "k"),
    ],
    ids=[
        "quniform-whole-q",
        "uniformint",
        "randint",
        "choice",
        "int-uniform",
        "int-q2.5",
        "int-ln",
    ],
)
def test_integer_valued_params_are_stored_as_int(space, label):
    param = CompiledSpace(space).params[label]
    assert param.is_integer
    assert type(param.to_python(np.float64(7.0))) is int


def test_scope_int_truncates_the_stored_value_like_int():
    param = CompiledSpace(scope.int(hp.uniform("k", 0, 10))).params["k"]
    assert param.to_python(np.float64(7.9)) == 7


@pytest.mark.parametrize(
    "space",
    [
        hp.quniform("k", 0, 10, 2.5),
        hp.uniform("k", 0, 10),
        hp.normal("k", 0, 10),
    ],
    ids=["quniform-fractional-q", "uniform", "normal"],
)
def test_float_valued_params_are_stored_as_float(space):
    param = CompiledSpace(space).params["k"]
    assert not param.is_integer
    assert type(param.to_python(np.int64(7))) is float


def test_param_used_both_inside_and_outside_scope_int_stays_float():
    k = hp.uniform("k", 0, 10)
    assert not CompiledSpace([scope.int(k), k]).params["k"].is_integer


# --------------------------------------------------------------------------- depth


def test_deep_nested_choice_compiles_and_evaluates_without_recursion_error():
    domain = Domain(lambda x: 0, deep_choice(DEPTH))
    params = domain.compiled.params
    assert len(params) == DEPTH + 1
    assert params["c0"].routes == [("c1", 0)]
    config = {label: 0 for label in params}
    config["leaf"] = 0.75
    value = domain.point(config)
    for i in reversed(range(DEPTH)):
        assert value[1] == i
        value = value[0]
    assert value == 0.75


def _retained_bytes(depth):
    space = deep_choice(depth)
    tracemalloc.start()
    try:
        compiled = CompiledSpace(space)
        retained, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(compiled.params) == depth + 1
    return retained


def test_compiled_space_memory_grows_linearly_with_depth():
    small, large = _retained_bytes(400), _retained_bytes(800)
    assert large / small < 3
