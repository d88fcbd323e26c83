"""Graph nodes: Hyperopt's pyll data model (Apply, Literal, as_apply) and scope symbols."""

import math
import operator
import re
from pathlib import Path

import pytest

from hopt import Domain, Trials, fmin, hp, rand, space_eval
from hopt.exceptions import InvalidSpaceError
from hopt.pyll import Apply, Literal, as_apply, scope
from hopt.space.symbols import SymbolTable


@pytest.fixture
def define():
    """``define(f)`` registers ``f`` in ``scope`` for one test, then removes it."""
    defined = []

    def _define(f):
        scope.define(f)
        defined.append(f)
        return f

    yield _define
    for f in defined:
        scope.undefine(f)


# --------------------------------------------------------------------------- Literal


def test_literal_holds_its_object():
    node = Literal({"a": 1})
    assert node.name == "literal"
    assert node.obj == {"a": 1}
    assert node.pos_args == [] and node.named_args == []
    assert node.eval() == {"a": 1}


def test_literal_of_tuple_knows_its_length():
    assert Literal((1, 2, 3)).o_len == 3
    assert Literal([1, 2, 3]).o_len is None


# --------------------------------------------------------------------------- as_apply


def test_as_apply_wraps_scalars_in_literals():
    node = as_apply(3)
    assert isinstance(node, Literal)
    assert node.eval() == 3


def test_as_apply_returns_nodes_unchanged():
    node = hp.uniform("x", 0, 1)
    assert as_apply(node) is node


def test_as_apply_turns_a_tuple_into_pos_args_with_o_len():
    node = as_apply((1, "a", 2.5))
    assert node.name == "pos_args"
    assert node.o_len == 3
    assert [child.obj for child in node.pos_args] == [1, "a", 2.5]
    assert node.eval() == (1, "a", 2.5)


def test_as_apply_keeps_lists_as_lists():
    node = as_apply([1, 2])
    assert isinstance(node.pos_args, list)
    assert node.eval() == [1, 2]


def test_as_apply_turns_a_dict_into_named_args_in_key_order():
    node = as_apply({"b": 1, "a": 2})
    assert node.name == "dict"
    assert isinstance(node.named_args, list)
    assert [key for key, _ in node.named_args] == ["b", "a"]
    assert list(node.eval()) == ["b", "a"]


def test_as_apply_wraps_nested_structures():
    value = ((1, 2), [3, {"k": (4,)}], {})
    assert as_apply(value).eval() == value


def test_as_apply_of_empty_containers_evaluates_to_them():
    assert as_apply([]).eval() == []
    assert as_apply(()).eval() == ()
    assert as_apply({}).eval() == {}


# --------------------------------------------------------------------------- Apply


def test_apply_converts_arguments_to_nodes():
    node = Apply("add", [1, 2])
    assert all(isinstance(child, Literal) for child in node.pos_args)
    assert node.eval() == 3


def test_apply_accepts_named_args_as_dict_or_pairs():
    as_dict = Apply("dict", [], {"a": 1})
    as_pairs = Apply("dict", [], [("a", 1)])
    assert as_dict.named_args[0][0] == as_pairs.named_args[0][0] == "a"
    assert as_dict.eval() == as_pairs.eval() == {"a": 1}


def test_appending_to_named_args_of_a_dict_adds_a_key():
    # hyperopt-sklearn builds a dict node, then appends more keyword arguments to it.
    node = as_apply({"a": 1})
    node.named_args.append(["b", as_apply(hp.uniform("b", 2, 3))])
    value = space_eval(node, {"b": 2.5})
    assert value == {"a": 1, "b": 2.5}


def test_appending_to_pos_args_adds_an_element():
    node = as_apply([1])
    node.pos_args.append(as_apply(2))
    assert node.eval() == [1, 2]


def test_inputs_lists_positional_then_named_nodes():
    a, b, c = as_apply(1), as_apply(2), as_apply(3)
    node = Apply("f", [a, b], [["k", c]])
    assert node.inputs() == [a, b, c]


def test_arg_binds_argument_names_of_the_implementation(define):
    def _nodes_target(alpha, beta=2):
        return alpha + beta

    define(_nodes_target)
    node = scope._nodes_target(1, beta=5)
    assert node.arg["alpha"].obj == 1
    assert node.arg["beta"].obj == 5


def test_clone_from_inputs_keeps_symbol_and_names():
    node = Apply("f", [1], [["k", 2]], o_len=4)
    x, y = as_apply(10), as_apply(20)
    copy = node.clone_from_inputs([x, y])
    assert copy is not node
    assert copy.name == "f" and copy.o_len == 4
    assert copy.pos_args == [x]
    assert copy.named_args == [["k", y]]


def test_replace_input_swaps_every_occurrence():
    old, new = as_apply(1), as_apply(5)
    node = Apply("add", [old, old])
    assert node.replace_input(old, new) == [0, 1]
    assert node.eval() == 10


def test_tuple_node_supports_len_and_iteration():
    node = as_apply((4, 5, 6))
    assert len(node) == 3
    assert [item.eval() for item in node] == [4, 5, 6]


def test_len_of_node_without_o_len_is_a_type_error():
    with pytest.raises(TypeError, match="no known length"):
        len(hp.uniform("x", 0, 1))


def test_node_has_no_truth_value():
    node = hp.uniform("x", 0, 1)
    with pytest.raises(TypeError, match="no truth value.*use hp.choice"):
        bool(node)


def test_node_in_an_if_statement_is_a_type_error():
    node = hp.uniform("x", 0, 1)
    with pytest.raises(TypeError, match="no truth value"):
        if node > 0.5:
            pass


def test_nodes_compare_by_identity():
    a = hp.uniform("x", 0, 1)
    same = a
    assert (a == same) is True
    assert (a == hp.uniform("x", 0, 1)) is False
    assert len({a, same, hp.uniform("x", 0, 1)}) == 2  # hashed by identity too


def test_str_lists_the_graph():
    text = str(as_apply({"x": hp.uniform("x", 0, 1)}))
    assert "dict" in text and "hyperopt_param" in text and "Literal{'x'}" in text


# --------------------------------------------------------------------------- operators

SEVEN = 7
OPERATORS = [
    ("add", operator.add, 3),
    ("sub", operator.sub, 3),
    ("mul", operator.mul, 3),
    ("truediv", operator.truediv, 2),
    ("floordiv", operator.floordiv, 2),
    ("pow", operator.pow, 2),
    ("mod", operator.mod, 4),
]


@pytest.mark.parametrize(("name", "op", "other"), OPERATORS, ids=[o[0] for o in OPERATORS])
def test_operator_with_node_on_the_left_builds_a_graph(name, op, other):
    node = op(as_apply(SEVEN), other)
    assert isinstance(node, Apply) and node.name == name
    assert node.eval() == op(SEVEN, other)


RIGHT_OPERATORS = [pytest.param(*row, id=row[0]) for row in OPERATORS]


@pytest.mark.parametrize(("name", "op", "other"), RIGHT_OPERATORS)
def test_operator_with_node_on_the_right_builds_a_graph(name, op, other):
    node = op(other, as_apply(SEVEN))
    assert isinstance(node, Apply) and node.name == name
    assert node.eval() == op(other, SEVEN)


def test_negation_builds_a_graph():
    node = -as_apply(SEVEN)
    assert node.name == "neg"
    assert node.eval() == -7


def test_abs_builds_a_graph():
    assert abs(as_apply(-3)).eval() == 3


@pytest.mark.parametrize(
    ("op", "expected"),
    [(operator.lt, False), (operator.le, True), (operator.gt, False), (operator.ge, True)],
    ids=["lt", "le", "gt", "ge"],
)
def test_comparison_builds_a_graph(op, expected):
    node = op(as_apply(SEVEN), 7)
    assert isinstance(node, Apply)
    assert node.eval() is expected


def test_getitem_with_a_node_index_builds_a_graph():
    index = as_apply(2) - 1
    node = as_apply([10, 20, 30])[index]
    assert node.name == "getitem"
    assert node.eval() == 20


def test_getitem_on_a_dict_node():
    assert as_apply({"a": 1, "b": 2})["b"].eval() == 2


def test_arithmetic_on_a_hyperparameter_uses_its_value():
    x = hp.uniform("x", -5, 5)
    expr = (x**2 + 1) / 2 - x // 2 * 3
    assert space_eval(expr, {"x": 3.0}) == (3.0**2 + 1) / 2 - 3.0 // 2 * 3


# --------------------------------------------------------------------------- scope


@pytest.mark.parametrize(
    ("build", "expected"),
    [
        (lambda: scope.int(3.7), 3),
        (lambda: scope.float(3), 3.0),
        (lambda: scope.sin(0.5), math.sin(0.5)),
        (lambda: scope.cos(0.5), math.cos(0.5)),
        (lambda: scope.exp(1.5), math.exp(1.5)),
        (lambda: scope.log(2.0), math.log(2.0)),
        (lambda: scope.sqrt(9.0), 3.0),
        (lambda: scope.min(3, 1, 2), 1),
        (lambda: scope.max([3, 1, 2]), 3),
        (lambda: scope.len([1, 2, 3]), 3),
        (lambda: scope.pow(2, 5), 32),
        (lambda: scope.sum([1, 2, 3]), 6),
        (lambda: scope.identity("same"), "same"),
    ],
    ids=[
        "int",
        "float",
        "sin",
        "cos",
        "exp",
        "log",
        "sqrt",
        "min",
        "max",
        "len",
        "pow",
        "sum",
        "identity",
    ],
)
def test_builtin_symbol_evaluates(build, expected):
    node = build()
    assert isinstance(node, Apply)
    value = node.eval()
    assert value == expected and type(value) is type(expected)


def test_builtin_symbol_applies_to_a_hyperparameter():
    expr = scope.int(hp.uniform("x", 0, 10))
    assert space_eval(expr, {"x": 7.9}) == 7


def test_defined_function_is_callable_as_a_node(define):
    def _nodes_scaled(value, factor=2):
        return value * factor

    define(_nodes_scaled)
    node = scope._nodes_scaled(hp.uniform("x", 0, 1), factor=10)
    assert node.name == "_nodes_scaled"
    assert node.named_args[0][0] == "factor"
    assert space_eval({"out": node}, {"x": 0.5}) == {"out": 5.0}


def test_define_returns_the_function_unchanged(define):
    def _nodes_plain(a):
        return a + 1

    assert define(_nodes_plain) is _nodes_plain
    assert _nodes_plain(1) == 2


def test_appending_named_args_to_a_defined_call_passes_them(define):
    # hyperopt-sklearn's idiom: build scope.Model(...) and append more hyperparameters.
    def _nodes_model(**params):
        return params

    define(_nodes_model)
    node = scope._nodes_model(a=1)
    node.named_args.append(["b", hp.choice("b", ["x", "y"])])
    assert space_eval(node, {"b": 1}) == {"a": 1, "b": "y"}


def test_defining_an_existing_name_is_refused(define):
    def _nodes_twice():
        return 1

    define(_nodes_twice)
    with pytest.raises(ValueError, match="'_nodes_twice' already exists.*define_if_new"):
        scope.define(_nodes_twice)


def test_define_if_new_keeps_the_first_definition(define):
    def _nodes_once():
        return 1

    define(_nodes_once)

    def replacement():
        return 2

    replacement.__name__ = "_nodes_once"
    scope.define_if_new(replacement)
    assert scope._nodes_once().eval() == 1


def test_define_info_sets_o_len():
    def _nodes_pair(a):
        return a, a

    scope.define_info(o_len=2)(_nodes_pair)
    try:
        first, second = scope._nodes_pair(4)
        assert (first.eval(), second.eval()) == (4, 4)
    finally:
        scope.undefine(_nodes_pair)


def test_undefine_removes_the_symbol():
    table = SymbolTable()

    def gone():
        return 0

    table.define(gone)
    table.undefine(gone)
    assert not table.is_defined("gone")
    assert not hasattr(table, "gone")


@pytest.fixture
def restore_round():
    """Puts hopt's own ``round`` symbol back after a test replaced it."""
    impl, entry = scope.implementation("round"), scope.round
    yield
    scope._impls["round"] = impl
    scope.round = entry
    scope.replaceable.add("round")


def test_a_hyperopt_script_may_define_a_symbol_only_hopt_has_once(restore_round):
    # Hyperopt's scope has no `round`, so scripts written for it may define their own
    def round(x, ndigits=0):  # noqa: A001 - the user's name is the point
        return f"rounded {x:.1f}"

    scope.define(round)
    assert space_eval(scope.round(hp.uniform("x", 0, 1)), {"x": 0.25}) == "rounded 0.2"
    with pytest.raises(ValueError, match="'round' already exists"):
        scope.define(round)  # a second definition is refused, as any duplicate
    with pytest.raises(ValueError, match="'int' already exists"):
        scope.define(type("int", (), {}))  # Hyperopt's own names stay reserved


# ------------------------------------------------------------- sets in a search space

DOCS_FMIN = Path(__file__).resolve().parents[2] / "docs" / "fmin.md"

_WHY = (
    "a set cannot hold search-space expressions, since it has no order (it can change "
    "between runs) and no keys, so the values drawn for them would have no stable place "
    "in what the objective receives"
)

#: (space builder, message); each message is also in docs/fmin.md's table of bad spaces
SET_SPACES = [
    pytest.param(
        lambda: {hp.uniform("a", 0, 1), hp.uniform("b", 0, 1)},
        f"space: {_WHY}; got a set holding labels ['a', 'b']. "
        "Use a dict to name each part, e.g. {'a': ..., 'b': ...}, or a list.",
        id="top-level",
    ),
    pytest.param(
        lambda: {"lr": hp.uniform("lr", 0, 1), "extra": {hp.uniform("a", 0, 1)}},
        f"space['extra']: {_WHY}; got a set holding labels ['a']. "
        "Use a dict to name each part, e.g. {'a': ...}, or a list.",
        id="in-a-dict",
    ),
    pytest.param(
        lambda: [hp.uniform("lr", 0, 1), frozenset([hp.normal("n", 0, 1)])],
        f"space[1]: {_WHY}; got a frozenset holding labels ['n']. "
        "Use a dict to name each part, e.g. {'n': ...}, or a list.",
        id="frozenset-in-a-list",
    ),
    pytest.param(
        lambda: hp.choice(
            "model", [{"kind": "svm"}, {"kind": "tree", "p": {hp.uniform("d", 1, 9)}}]
        ),
        f"hp.choice('model') option 1['p']: {_WHY}; got a set holding labels ['d']. "
        "Use a dict to name each part, e.g. {'d': ...}, or a list.",
        id="in-a-choice-option",
    ),
    pytest.param(
        lambda: {"n": scope.call(len, {hp.uniform("a", 0, 1)})},
        f"scope.call(...) argument 1: {_WHY}; got a set holding labels ['a']. "
        "Use a dict to name each part, e.g. {'a': ...}, or a list.",
        id="scope-call-argument",
    ),
]


def _objective(params):
    raise AssertionError(f"the objective ran with {params!r}")


@pytest.mark.parametrize(("build", "message"), SET_SPACES)
def test_fmin_refuses_a_set_of_expressions_before_anything_runs(build, message):
    trials = Trials()
    with pytest.raises(InvalidSpaceError) as caught:
        fmin(_objective, build(), algo=rand.suggest, max_evals=3, trials=trials, rstate=0)
    assert str(caught.value) == message
    assert len(trials) == 0


@pytest.mark.parametrize(("build", "message"), SET_SPACES)
def test_space_eval_and_domain_refuse_a_set_of_expressions(build, message):
    with pytest.raises(InvalidSpaceError, match=re.escape(message)):
        space_eval(build(), {})
    with pytest.raises(InvalidSpaceError, match=re.escape(message)):
        Domain(_objective, build())


@pytest.mark.parametrize(("build", "message"), SET_SPACES)
def test_each_refused_set_is_in_the_docs_table_with_its_message(build, message):
    assert f"`InvalidSpaceError: {message}`" in DOCS_FMIN.read_text()


def test_a_set_of_constants_stays_a_constant_of_the_space():
    space = {"x": hp.uniform("x", 0, 1), "tags": frozenset({"a", "b"}), "ids": {1, 2}}
    assert space_eval(space, {"x": 0.5}) == {"x": 0.5, "tags": frozenset({"a", "b"}), "ids": {1, 2}}
