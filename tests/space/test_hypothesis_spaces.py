"""Random nested spaces: samples stay in support, and evaluation matches a naive reference.

The strategy below generates a *description* of a space (plain tuples).  From it we
build both the hp space and a reference tree; the reference evaluator walks that
tree directly (no graph, no hopt code) to say what a configuration should evaluate
to and which labels it reads.
"""

import math

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hopt import Domain, hp
from hopt.pyll import scope
from hopt.pyll.stochastic import sample

SETTINGS = settings(
    derandomize=True,
    database=None,
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

Q_KINDS = {"quniform", "qloguniform", "qnormal", "qlognormal"}


# --------------------------------------------------------------------------- strategies


def quarters(low, high):
    """Multiples of 0.25 in [low, high]: exact in binary, so bounds stay readable."""
    return st.integers(int(low * 4), int(high * 4)).map(lambda k: k / 4)


@st.composite
def distributions(draw):
    """("dist", kind, args, int_wrap) with arguments valid for hp.<kind>."""
    kind = draw(
        st.sampled_from(
            [
                "uniform",
                "quniform",
                "loguniform",
                "qloguniform",
                "normal",
                "qnormal",
                "lognormal",
                "qlognormal",
                "randint",
                "uniformint",
            ]
        )
    )
    if kind == "uniform":
        low = draw(quarters(-10, 10))
        args = (low, low + draw(quarters(0.25, 10)))
    elif kind == "quniform":
        q = draw(st.sampled_from([0.25, 0.5, 1, 2, 5]))
        low = draw(quarters(-10, 10))
        # an interval at least q wide always holds a multiple of q
        args = (low, low + q * draw(st.integers(1, 6)) + draw(quarters(0, 1)), q)
    elif kind == "loguniform":
        low = draw(quarters(-3, 1))
        args = (low, low + draw(quarters(0.25, 3)))
    elif kind == "qloguniform":
        # [e^low, e^high] is at least e - 1 > 1 wide, so it holds a multiple of q <= 1
        low = draw(quarters(0, 1.5))
        args = (low, low + draw(quarters(1, 2)), draw(st.sampled_from([0.5, 1])))
    elif kind in ("normal", "qnormal"):
        args = (draw(quarters(-10, 10)), draw(quarters(0.25, 5)))
        if kind == "qnormal":
            args += (draw(st.sampled_from([0.5, 1, 2])),)
    elif kind in ("lognormal", "qlognormal"):
        args = (draw(quarters(-2, 2)), draw(quarters(0.25, 1.5)))
        if kind == "qlognormal":
            args += (draw(st.sampled_from([0.5, 1, 2])),)
    elif kind == "randint":
        if draw(st.booleans()):
            args = (draw(st.integers(1, 10)),)
        else:
            low = draw(st.integers(-5, 5))
            args = (low, low + draw(st.integers(1, 10)))
    else:  # uniformint: any bounds at least 1 apart hold a whole number
        low = draw(st.integers(-10, 10)) / 2
        args = (low, low + draw(st.integers(1, 10)))
    int_wrap = kind in ("uniform", "normal") and draw(st.booleans())
    return ("dist", kind, args, int_wrap)


ARITHMETIC = {
    "add": lambda x, c: x + c,
    "radd": lambda x, c: c + x,
    "sub": lambda x, c: x - c,
    "rsub": lambda x, c: c - x,
    "mul": lambda x, c: x * c,
    "truediv": lambda x, c: x / c,
    "neg": lambda x, c: -x,
    "square": lambda x, c: x**2,
}

arithmetic = st.tuples(
    st.just("arith"),
    st.sampled_from(sorted(ARITHMETIC)),
    distributions(),
    st.sampled_from([1, 2, -3, 0.5]),
)

constants = st.tuples(
    st.just("const"),
    st.one_of(st.integers(-5, 5), st.sampled_from(["a", "b", None, True, 1.5])),
)

leaves = st.one_of(distributions(), distributions(), arithmetic, constants)


def containers(children):
    few = st.lists(children, max_size=3).map(tuple)
    some = st.lists(children, min_size=1, max_size=3).map(tuple)
    return st.one_of(
        few.map(lambda xs: ("list", xs)),
        few.map(lambda xs: ("tuple", xs)),
        few.map(lambda xs: ("dict", tuple((f"k{i}", x) for i, x in enumerate(xs)))),
        some.map(lambda xs: ("choice", xs)),
        st.lists(st.tuples(st.integers(1, 5), children), min_size=1, max_size=3).map(
            lambda xs: ("pchoice", tuple(xs))
        ),
    )


descriptions = st.recursive(leaves, containers, max_leaves=20)


# --------------------------------------------------------------------------- building


def build(description):
    """(hp space, reference tree, {label: (kind, args, int_wrap)}) with labels p0, p1, ..."""
    labels = {}

    def param(kind, args, int_wrap):
        label = f"p{len(labels)}"
        labels[label] = (kind, args, int_wrap)
        node = getattr(hp, kind)(label, *args)
        return (scope.int(node) if int_wrap else node), ("param", label)

    def walk(d):
        tag = d[0]
        if tag == "const":
            return d[1], ("const", d[1])
        if tag == "dist":
            return param(*d[1:])
        if tag == "arith":
            _, op, child, c = d
            node, ref = walk(child)
            return ARITHMETIC[op](node, c), ("arith", op, ref, c)
        if tag in ("list", "tuple"):
            pairs = [walk(x) for x in d[1]]
            kind = list if tag == "list" else tuple
            return kind(p[0] for p in pairs), (tag, [p[1] for p in pairs])
        if tag == "dict":
            pairs = [(key, walk(x)) for key, x in d[1]]
            return {k: p[0] for k, p in pairs}, ("dict", [(k, p[1]) for k, p in pairs])
        if tag == "choice":
            label = f"p{len(labels)}"
            labels[label] = ("choice", len(d[1]), False)
            pairs = [walk(x) for x in d[1]]
            return hp.choice(label, [p[0] for p in pairs]), ("choice", label, [p[1] for p in pairs])
        # pchoice
        label = f"p{len(labels)}"
        total = sum(w for w, _ in d[1])
        labels[label] = ("pchoice", len(d[1]), False)
        pairs = [(w / total, walk(x)) for w, x in d[1]]
        space = hp.pchoice(label, [(p, pair[0]) for p, pair in pairs])
        return space, ("choice", label, [pair[1] for _, pair in pairs])

    space, ref = walk(description)
    return space, ref, labels


# --------------------------------------------------------------------------- reference


def is_whole(x):
    return abs(x - round(x)) < 1e-9


def stored(info, raw):
    """What a trial stores for a raw draw: ints for whole-number priors, else floats."""
    kind, args, int_wrap = info
    if kind in ("choice", "pchoice", "randint"):
        return int(raw)
    if kind == "uniformint" or (kind in Q_KINDS and is_whole(args[-1])):
        return int(round(float(raw)))
    if int_wrap:
        return int(raw)
    return float(raw)


def naive_eval(ref, config, labels, touched):
    """Evaluate the reference tree for ``config``; record every label read in ``touched``."""
    tag = ref[0]
    if tag == "const":
        return ref[1]
    if tag == "param":
        label = ref[1]
        touched.add(label)
        kind, _, int_wrap = labels[label]
        value = config[label]
        return int(value) if (int_wrap or kind == "uniformint") else value
    if tag == "arith":
        _, op, child, c = ref
        return ARITHMETIC[op](naive_eval(child, config, labels, touched), c)
    if tag == "list":
        return [naive_eval(x, config, labels, touched) for x in ref[1]]
    if tag == "tuple":
        return tuple(naive_eval(x, config, labels, touched) for x in ref[1])
    if tag == "dict":
        return {k: naive_eval(x, config, labels, touched) for k, x in ref[1]}
    _, label, options = ref  # choice / pchoice
    touched.add(label)
    return naive_eval(options[config[label]], config, labels, touched)


def same(a, b):
    """Equal, with equal types all the way down (1 and 1.0 differ here)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    return a == b


def expected_type(info):
    kind, args, int_wrap = info
    if kind in ("randint", "uniformint", "choice", "pchoice") or int_wrap:
        return int
    if kind in Q_KINDS and is_whole(args[-1]):
        return int
    return float


def in_support(info, value):
    """Is ``value`` a possible draw of the prior ``info``?"""
    kind, args, int_wrap = info
    if type(value) is not expected_type(info) or not math.isfinite(value):
        return False
    tol = 1e-9
    if kind in ("choice", "pchoice"):
        return 0 <= value < args
    if kind == "randint":
        low, high = (0, args[0]) if len(args) == 1 else args
        return low <= value < high
    if kind == "uniformint":
        return math.ceil(args[0]) <= value <= math.floor(args[1])
    if kind in Q_KINDS and not is_whole(value / args[-1]):
        return False
    if kind in ("uniform", "quniform"):
        low, high = args[0], args[1]
        if int_wrap:
            low, high = math.trunc(low), math.trunc(high)
        return low - tol <= value <= high + tol
    if kind in ("loguniform", "qloguniform"):
        return math.exp(args[0]) * (1 - tol) <= value <= math.exp(args[1]) * (1 + tol)
    if kind in ("lognormal", "qlognormal"):
        return value >= 0 and (kind == "qlognormal" or value > 0)
    return True  # normal, qnormal: any finite number (a multiple of q for qnormal)


def fits(ref, value, labels):
    """Could ``value`` be a sample of ``ref`` with every leaf inside its support?"""
    tag = ref[0]
    if tag == "const":
        return same(value, ref[1])
    if tag == "param":
        return in_support(labels[ref[1]], value)
    if tag == "arith":
        return type(value) in (int, float) and math.isfinite(value)
    if tag in ("list", "tuple"):
        return (
            type(value) is (list if tag == "list" else tuple)
            and len(value) == len(ref[1])
            and all(fits(r, v, labels) for r, v in zip(ref[1], value))
        )
    if tag == "dict":
        return (
            type(value) is dict
            and list(value) == [k for k, _ in ref[1]]
            and all(fits(r, value[k], labels) for k, r in ref[1])
        )
    return any(fits(option, value, labels) for option in ref[2])


# --------------------------------------------------------------------------- properties


@SETTINGS
@given(descriptions, st.integers(0, 2**32 - 1))
def test_samples_stay_inside_every_distributions_support(description, seed):
    space, ref, labels = build(description)
    rng = np.random.default_rng(seed)
    for _ in range(3):
        value = sample(space, rng)
        assert fits(ref, value, labels), (value, ref)


@SETTINGS
@given(descriptions, st.integers(0, 2**32 - 1))
def test_compiled_draws_are_in_support_and_stored_with_the_right_type(description, seed):
    space, _, labels = build(description)
    compiled = Domain(lambda x: 0, space).compiled
    assert set(compiled.params) == set(labels)
    values, _ = compiled.sample(np.random.default_rng(seed), 6)
    for label, info in labels.items():
        param = compiled.params[label]
        for raw in values[label]:
            python_value = param.to_python(raw)
            assert same(python_value, stored(info, raw)), (label, info, raw, python_value)
            assert in_support(info, python_value), (label, info, python_value)


@SETTINGS
@given(descriptions, st.integers(0, 2**32 - 1))
def test_domain_point_matches_the_naive_evaluator(description, seed):
    space, ref, labels = build(description)
    domain = Domain(lambda x: 0, space)
    values, masks = domain.compiled.sample(np.random.default_rng(seed), 6)
    for row in range(6):
        config = {label: stored(labels[label], values[label][row]) for label in labels}
        touched = set()
        expected = naive_eval(ref, config, labels, touched)
        active = {label for label in labels if masks[label][row]}
        assert active == touched
        point = domain.point({label: config[label] for label in active})
        assert same(point, expected), (point, expected)
