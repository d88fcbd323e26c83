"""dfs, toposort and clone: walking and copying graphs without recursion."""

from hopt import hp, space_eval
from hopt.pyll import as_apply, clone, dfs, rec_eval, toposort
from hopt.pyll.base import Literal

DEPTH = 5000


def diamond():
    """``top = left + right``, both built on one shared ``base`` node."""
    base = as_apply(2)
    left = base * 3
    right = base + 1
    top = left + right
    return base, left, right, top


def deep_choice(depth):
    node = hp.uniform("leaf", 0, 1)
    for i in range(depth):
        node = hp.choice(f"c{i}", [[node, i], i])
    return node


def assert_inputs_first(order):
    position = {id(node): i for i, node in enumerate(order)}
    for node in order:
        for child in node.inputs():
            assert position[id(child)] < position[id(node)]


# --------------------------------------------------------------------------- dfs


def test_dfs_lists_each_node_once():
    base, left, right, top = diamond()
    order = dfs(top)
    assert len(order) == len({id(n) for n in order})
    assert {id(n) for n in (base, left, right, top)} <= {id(n) for n in order}


def test_dfs_puts_inputs_before_their_users():
    *_, top = diamond()
    assert_inputs_first(dfs(top))


def test_dfs_ends_with_the_root():
    *_, top = diamond()
    assert dfs(top)[-1] is top


def test_dfs_visits_positional_before_named_inputs():
    a, b = as_apply(1), as_apply(2)
    node = as_apply({"k": b})
    node.pos_args.append(a)
    order = dfs(node)
    assert order.index(a) < order.index(b)


def test_dfs_of_a_literal_is_the_literal():
    node = Literal(5)
    assert dfs(node) == [node]


def test_dfs_finds_every_hyperparameter_of_a_space():
    space = {"a": hp.uniform("a", 0, 1), "b": [hp.choice("c", [hp.normal("n", 0, 1), 2])]}
    labels = {n.pos_args[0].obj for n in dfs(as_apply(space)) if n.name == "hyperopt_param"}
    assert labels == {"a", "c", "n"}


# --------------------------------------------------------------------------- toposort


def test_toposort_puts_every_node_after_its_inputs():
    *_, top = diamond()
    assert_inputs_first(toposort(top))


def test_toposort_contains_the_same_nodes_as_dfs():
    *_, top = diamond()
    assert {id(n) for n in toposort(top)} == {id(n) for n in dfs(top)}


# --------------------------------------------------------------------------- clone


def test_clone_makes_new_nodes():
    *_, top = diamond()
    copy = clone(top)
    assert not {id(n) for n in dfs(copy)} & {id(n) for n in dfs(top)}


def test_clone_evaluates_like_the_original():
    *_, top = diamond()
    assert rec_eval(clone(top)) == rec_eval(top) == 9


def test_clone_keeps_sharing():
    *_, top = diamond()
    assert len(dfs(clone(top))) == len(dfs(top))


def test_clone_of_a_space_keeps_its_labels():
    space = {"x": hp.uniform("x", 0, 1), "c": hp.choice("c", ["a", "b"])}
    assert space_eval(clone(as_apply(space)), {"x": 0.5, "c": 1}) == {"x": 0.5, "c": "b"}


def test_clone_memo_substitutes_nodes():
    base, _, _, top = diamond()
    copy = clone(top, memo={base: as_apply(10)})
    assert rec_eval(copy) == 10 * 3 + (10 + 1)


def test_clone_does_not_change_the_original():
    base, _, _, top = diamond()
    clone(top, memo={base: as_apply(10)})
    assert rec_eval(top) == 9


# --------------------------------------------------------------------------- depth


def test_dfs_of_a_deep_space_has_no_recursion_error():
    order = dfs(deep_choice(DEPTH))
    assert sum(n.name == "switch" for n in order) == DEPTH


def test_toposort_of_a_deep_space_has_no_recursion_error():
    order = toposort(deep_choice(DEPTH))
    assert sum(n.name == "hyperopt_param" for n in order) == DEPTH + 1
    assert order[-1].name == "switch"


def test_clone_of_a_deep_space_has_no_recursion_error():
    space = deep_choice(DEPTH)
    assert len(dfs(clone(space))) == len(dfs(space))


def test_str_of_a_deep_space_has_no_recursion_error():
    text = str(deep_choice(DEPTH))
    assert text.startswith("0 switch")
