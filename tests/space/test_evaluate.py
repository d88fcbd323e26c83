"""rec_eval and stochastic.sample: lazy, iterative evaluation of search-space graphs."""

import numpy as np
import pytest

from hopt import hp
from hopt.exceptions import InvalidArgumentError, InvalidSpaceError
from hopt.pyll import Apply, as_apply, rec_eval, scope
from hopt.pyll.stochastic import sample

DEPTH = 5000


@pytest.fixture
def counted():
    """``scope._eval_counted(tag)`` returns ``tag`` and records each call in ``calls``."""
    calls = []

    def _eval_counted(tag):
        calls.append(tag)
        return tag

    scope.define(_eval_counted)
    yield calls
    scope.undefine(_eval_counted)


def deep_space(depth):
    """``depth`` nested choices, each ``[[inner, i], i]``; returns (space, param nodes)."""
    leaf = hp.uniform("leaf", 0, 1)
    params = {"leaf": leaf}
    node = leaf
    for i in range(depth):
        node = hp.choice(f"c{i}", [[node, i], i])
        params[f"c{i}"] = node.pos_args[0]
    return node, params


# --------------------------------------------------------------------------- memo


def test_memo_fixes_the_value_of_a_hyperparameter():
    x = hp.uniform("x", 0, 1)
    assert rec_eval({"x": x, "y": x * 2}, memo={x: 0.25}) == {"x": 0.25, "y": 0.5}


def test_memo_of_the_caller_is_not_modified():
    x = hp.uniform("x", 0, 1)
    memo = {x: 0.5}
    rec_eval([x, x + 1], memo=memo)
    assert memo == {x: 0.5}


def test_plain_python_structures_evaluate_to_themselves():
    assert rec_eval({"a": [1, (2, 3)]}) == {"a": [1, (2, 3)]}


def test_hyperopt_only_keywords_are_accepted():
    node = as_apply(2) + 3
    assert rec_eval(node, max_program_len=10, memo_gc=False, print_trace=False) == 5


def test_values_out_receives_every_evaluated_node():
    a = as_apply(2)
    b = a * 3
    values = {}
    rec_eval(b + 1, values_out=values)
    assert values[a] == 2 and values[b] == 6


def test_a_shared_node_is_evaluated_once(counted):
    shared = scope._eval_counted("s")
    assert rec_eval([shared, shared, {"k": shared}]) == ["s", "s", {"k": "s"}]
    assert counted == ["s"]


def test_deepcopy_inputs_protects_shared_values():
    shared = as_apply([[1]])
    mutated = scope.call_method(shared, "append", 2)
    result = rec_eval([mutated, shared], deepcopy_inputs=True)
    assert result[1] == [[1]]


# --------------------------------------------------------------------------- switch


def test_switch_evaluates_only_the_chosen_branch(counted):
    expr = scope.switch(1, scope._eval_counted("a"), scope._eval_counted("b"))
    assert rec_eval(expr) == "b"
    assert counted == ["b"]


def test_choice_evaluates_only_the_chosen_branch(counted):
    space = hp.choice("c", [scope._eval_counted("a"), scope._eval_counted("b")])
    rec_eval(space, memo={space.pos_args[0]: 0})
    assert counted == ["a"]


def test_switch_with_a_computed_index_is_lazy(counted):
    index = as_apply(5) // 2 - 1
    expr = scope.switch(index, scope._eval_counted("a"), scope._eval_counted("b"))
    assert rec_eval(expr) == "b"
    assert counted == ["b"]


def test_sampling_a_choice_evaluates_one_branch_per_draw(counted):
    space = hp.choice("c", [scope._eval_counted("a"), scope._eval_counted("b")])
    rng = np.random.default_rng(0)
    results = [sample(space, rng) for _ in range(20)]
    assert counted == results


@pytest.mark.parametrize(
    "index",
    [np.int64(1), np.int32(1), np.uint8(1), 1.0, np.float64(1.0), True, np.bool_(True)],
    ids=["int64", "int32", "uint8", "float", "float64", "bool", "numpy-bool"],
)
def test_switch_accepts_numpy_and_whole_float_indices(index):
    # Hyperopt issue #949: numpy ints used to raise ('switch argument was', ...).
    assert rec_eval(scope.switch(index, "a", "b")) == "b"


@pytest.mark.parametrize("index", [0.5, "1", None], ids=["fraction", "str", "none"])
def test_switch_rejects_an_index_that_is_not_a_whole_number(index):
    with pytest.raises(InvalidSpaceError, match=r"must be a whole number.*option indices"):
        rec_eval(scope.switch(index, "a", "b"))


def test_switch_out_of_range_names_the_choice_label():
    space = hp.choice("model", ["a", "b"])
    with pytest.raises(InvalidSpaceError, match=r"hp\.choice\('model'\): index out of range"):
        rec_eval(space, memo={space.pos_args[0]: 2})


# --------------------------------------------------------------------------- errors


def test_unknown_symbol_is_named_with_a_hint():
    with pytest.raises(KeyError, match=r"no symbol named 'no_such_symbol'.*@scope\.define"):
        rec_eval(Apply("no_such_symbol", [1]))


def test_sampler_without_a_generator_says_how_to_sample():
    with pytest.raises(InvalidSpaceError, match=r"needs a generator.*stochastic\.sample"):
        rec_eval(hp.uniform("x", 0, 1))


def test_function_returning_a_node_gets_that_node_evaluated():
    def _eval_returns_graph(x):
        return as_apply(x) * 10

    scope.define(_eval_returns_graph)
    try:
        assert rec_eval(scope._eval_returns_graph(4) + 1) == 41
    finally:
        scope.undefine(_eval_returns_graph)


# --------------------------------------------------------------------------- depth


def test_deep_nested_choice_evaluates_without_recursion_error():
    space, params = deep_space(DEPTH)
    memo = {node: 0 for label, node in params.items() if label != "leaf"}
    memo[params["leaf"]] = 0.25
    value = rec_eval(space, memo=memo)
    for i in reversed(range(DEPTH)):
        assert isinstance(value, list) and value[1] == i
        value = value[0]
    assert value == 0.25


def test_deep_nested_choice_samples_without_recursion_error():
    space, _ = deep_space(DEPTH)
    value = sample(space, np.random.default_rng(0))
    levels = 0
    while isinstance(value, list):
        value, levels = value[0], levels + 1
    assert levels < DEPTH
    assert isinstance(value, int) or 0 <= value <= 1


def test_deep_arithmetic_chain_evaluates_without_recursion_error():
    x = hp.uniform("x", 0, 1)
    expr = x
    for _ in range(DEPTH):
        expr = expr + 1
    assert rec_eval(expr, memo={x: 0.5}) == DEPTH + 0.5


def test_deep_nested_lists_evaluate_without_recursion_error():
    node = as_apply([0])
    for _ in range(DEPTH):
        node = as_apply([node])
    value = rec_eval(node)
    for _ in range(DEPTH):
        value = value[0]
    assert value == [0]


# --------------------------------------------------------------------------- sample

SPACE = {
    "lr": hp.loguniform("lr", -5, 0),
    "model": hp.choice("model", [{"C": hp.normal("C", 0, 1)}, {"depth": hp.randint("d", 10)}]),
}


def test_sample_is_deterministic_for_a_seed():
    first = [sample(SPACE, np.random.default_rng(7)) for _ in range(3)]
    assert first[0] == first[1] == first[2]


def test_sample_differs_between_seeds():
    assert sample(SPACE, np.random.default_rng(1)) != sample(SPACE, np.random.default_rng(2))


def test_sample_with_an_int_seed_equals_a_generator_from_it():
    assert sample(SPACE, 11) == sample(SPACE, np.random.default_rng(11))


def test_sample_accepts_a_random_state():
    value = sample(SPACE, np.random.RandomState(3))
    assert value == sample(SPACE, np.random.RandomState(3))


def test_sample_advances_a_shared_generator():
    rng = np.random.default_rng(0)
    assert sample(SPACE, rng) != sample(SPACE, rng)


def test_sample_without_rng_draws_fresh_values(monkeypatch):
    monkeypatch.delenv("HOPT_FMIN_SEED", raising=False)
    monkeypatch.delenv("HYPEROPT_FMIN_SEED", raising=False)
    values = [sample(hp.uniform("x", 0, 1)) for _ in range(3)]
    assert all(0 <= v <= 1 for v in values)
    assert len(set(values)) == 3


def test_sample_rejects_a_bad_generator():
    with pytest.raises(InvalidArgumentError, match=r"sample: rstate must be None, an int seed"):
        sample(SPACE, "seed")


# ------------------------------------------------------------- Hyperopt's pyll helpers


def test_one_of_draws_every_option_and_only_the_options():
    space = scope.one_of(1, "a", [2, 3])
    draws = [sample(space, np.random.default_rng(seed)) for seed in range(60)]
    assert {repr(d) for d in draws} == {"1", "'a'", "[2, 3]"}


def test_choice_takes_a_list_like_hyperopts(counted):
    space = scope.choice([scope._eval_counted("left"), scope._eval_counted("right")])
    draws = {sample(space, np.random.default_rng(seed)) for seed in range(20)}
    assert draws == {"left", "right"}
    assert len(counted) == 20, "one branch evaluated per draw"


def test_recursive_set_rng_kwarg_gives_every_sampler_its_generator():
    from hopt.pyll.stochastic import recursive_set_rng_kwarg

    def space():
        return {"x": hp.uniform("x", 0, 1), "k": hp.randint("k", 100), "n": scope.one_of(7, 8)}

    seeded = recursive_set_rng_kwarg(space(), np.random.default_rng(5))
    first = rec_eval(seeded)  # no generator given: each sampler brings its own
    assert 0 <= first["x"] <= 1 and 0 <= first["k"] < 100 and first["n"] in (7, 8)
    again = recursive_set_rng_kwarg(space(), 5)  # a seed, a second time: the same draws
    assert rec_eval(again) == first
    # a generator set before is replaced, not doubled
    node = recursive_set_rng_kwarg(hp.uniform("y", 0, 1), 1)
    recursive_set_rng_kwarg(node, 2)
    (sampler,) = [n for n in node.inputs() if n.name == "uniform"]
    assert [key for key, _ in sampler.named_args] == ["rng"]
    assert rec_eval(node) == rec_eval(recursive_set_rng_kwarg(hp.uniform("y", 0, 1), 2))


def test_raise_fails_only_when_its_branch_is_evaluated():
    space = scope.switch(as_apply(0), "fine", scope.Raise(ValueError, "branch 1 is not allowed"))
    assert rec_eval(space) == "fine"
    bad = scope.switch(as_apply(1), "fine", scope.Raise(ValueError, "branch 1 is not allowed"))
    with pytest.raises(ValueError, match="branch 1 is not allowed"):
        rec_eval(bad)


def test_an_unlabelled_draw_in_an_fmin_space_points_to_hp():
    from hopt import fmin, rand

    space = {"x": hp.uniform("x", 0, 1), "n": scope.one_of(1, 2)}
    with pytest.raises(InvalidSpaceError, match=r"scope\.randint: .*use hp\.\* functions"):
        fmin(lambda p: p["x"], space, algo=rand.suggest, max_evals=2, show_progressbar=False)


def test_a_comparison_can_be_a_switch_index():
    space = scope.switch(hp.uniform("u", 0, 1) > 0.5, "low", "high")
    draws = {sample(space, np.random.default_rng(seed)) for seed in range(20)}
    assert draws == {"low", "high"}


def test_sampler_nodes_name_their_arguments_as_hyperopt_does():
    uniform = hp.uniform("u", 0, 1).arg["obj"]
    assert {k: v.obj for k, v in uniform.arg.items()} == {"low": 0.0, "high": 1.0}
    qnormal = hp.qnormal("n", 0, 2, 0.5).arg["obj"]
    assert {k: v.obj for k, v in qnormal.arg.items()} == {"mu": 0.0, "sigma": 2.0, "q": 0.5}
    index = hp.choice("c", ["a", "b"]).pos_args[0].arg["obj"]
    assert list(index.arg) == ["p"]
    value = rec_eval(scope.uniform(low=2, high=3), rng=np.random.default_rng(0))
    assert 2 <= value <= 3  # keyword arguments work too
