"""Sampler symbols behind ``hp.*`` and the mapping from graph nodes to priors.

Each sampler node (``uniform(low, high)``, ``categorical(p)``...) carries its
constant arguments as literals; ``distribution_of`` turns such a node into the
:mod:`hopt.distributions` value object that validates and samples.
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np

from ..distributions import Categorical, Distribution, Normal, RandInt, Uniform
from ..exceptions import InvalidSpaceError
from .nodes import Apply, Literal
from .symbols import scope

#: sampler symbol -> (distribution class, keyword for q/log)
_CONTINUOUS: dict[str, tuple[Any, bool, bool]] = {
    "uniform": (Uniform, False, False),
    "quniform": (Uniform, True, False),
    "loguniform": (Uniform, False, True),
    "qloguniform": (Uniform, True, True),
    "normal": (Normal, False, False),
    "qnormal": (Normal, True, False),
    "lognormal": (Normal, False, True),
    "qlognormal": (Normal, True, True),
}
SAMPLER_NAMES = frozenset(_CONTINUOUS) | {"randint", "categorical"}


def build_distribution(kind: str, args: list[Any], where: str | None = None) -> Distribution:
    """The prior a sampler node of symbol ``kind`` with these arguments describes."""
    where = where or f"scope.{kind}"
    if kind in _CONTINUOUS:
        cls, quantized, log = _CONTINUOUS[kind]
        expected = 3 if quantized else 2
        if len(args) != expected:
            raise InvalidSpaceError(
                f"{where}: takes {expected} arguments; got {len(args)} ({args!r})."
            )
        q = args[2] if quantized else None
        return cls.build(where, args[0], args[1], q=q, log=log)
    if kind == "randint":
        if len(args) == 1:
            return RandInt.build(where, 0, args[0])
        if len(args) == 2:
            return RandInt.build(where, args[0], args[1])
        raise InvalidSpaceError(f"{where}: takes upper or (low, high); got {args!r}.")
    if kind == "categorical":
        if not args:
            raise InvalidSpaceError(f"{where}: takes a list of probabilities; got nothing.")
        return Categorical.build(where, list(np.ravel(args[0])))
    raise InvalidSpaceError(f"{where}: {kind!r} is not a sampler symbol.")


def distribution_of(node: Apply, label: str) -> Distribution:
    """Prior of a sampler node whose arguments are constants."""
    where = f"hyperparameter {label!r}"
    if node.name not in SAMPLER_NAMES:
        raise InvalidSpaceError(
            f"{where}: its value must come from a sampler ({', '.join(sorted(SAMPLER_NAMES))}); "
            f"got a {node.name!r} node. Build parameters with hp.* functions."
        )
    args = []
    for child in node.pos_args:
        if not isinstance(child, Literal):
            raise InvalidSpaceError(
                f"{where}: the arguments of {node.name} must be constants; got an expression "
                f"({child.name}). Put dependent parameters in hp.choice branches instead."
            )
        args.append(child.obj)
    for key, _child in node.named_args:
        if key not in ("rng", "size"):
            raise InvalidSpaceError(f"{where}: unexpected keyword {key!r} on {node.name}.")
    return build_distribution(node.name, args, where)


def _draw(kind: str, args: list[Any], rng: np.random.Generator, size: Any) -> Any:
    dist = build_distribution(kind, args)
    if size == () or size is None:
        return dist.to_python(dist.sample(rng, 1)[0])
    n = int(np.prod(size))
    draws = dist.sample(rng, n).reshape(size)
    return draws.astype(int) if dist.is_integer else draws


#: each sampler's parameters, by Hyperopt's names (``node.arg["low"]`` etc.); None
#: marks an optional one
_PARAMETERS: dict[str, tuple[tuple[str, Any], ...]] = {
    "uniform": (("low", inspect.Parameter.empty), ("high", inspect.Parameter.empty)),
    "loguniform": (("low", inspect.Parameter.empty), ("high", inspect.Parameter.empty)),
    "normal": (("mu", inspect.Parameter.empty), ("sigma", inspect.Parameter.empty)),
    "lognormal": (("mu", inspect.Parameter.empty), ("sigma", inspect.Parameter.empty)),
    "randint": (("low", inspect.Parameter.empty), ("high", None)),
    "categorical": (("p", inspect.Parameter.empty), ("upper", None)),
}
for _name in ("uniform", "loguniform", "normal", "lognormal"):
    _PARAMETERS["q" + _name] = _PARAMETERS[_name] + (("q", inspect.Parameter.empty),)


def _make_sampler(kind: str):
    names = [name for name, _ in _PARAMETERS[kind]]
    parameters = [
        inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=default)
        for name, default in _PARAMETERS[kind]
    ]
    parameters += [
        inspect.Parameter("rng", inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None),
        inspect.Parameter("size", inspect.Parameter.POSITIONAL_OR_KEYWORD, default=()),
    ]
    signature = inspect.Signature(parameters)

    def sampler(*args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(*args, **kwargs).arguments
        values = [bound[name] for name in names if bound.get(name) is not None]
        if kind == "categorical":
            values = values[:1]  # ``upper`` (Hyperopt's) is implied by p
        rng = bound.get("rng")
        if rng is None:
            raise InvalidSpaceError(f"scope.{kind}: drawing a value needs a generator (rng=).")
        return _draw(kind, values, rng, bound.get("size", ()))

    sampler.__name__ = kind
    sampler.__doc__ = f"Draw from {kind}({', '.join(names)}) with the evaluator's generator."
    sampler.__signature__ = signature  # type: ignore[attr-defined]
    return sampler


for _kind in sorted(SAMPLER_NAMES):
    scope.define_stochastic(_make_sampler(_kind))


def recursive_set_rng_kwarg(expr: Any, rng: Any = None) -> Any:
    """Make every sampler node of ``expr`` draw from ``rng``; returns ``expr`` (changed in place).

    Hyperopt's helper: each sampler node gets ``rng`` as its own ``rng`` argument
    (replacing one it had), so the graph evaluates without an evaluator-wide
    generator.  ``rng`` may be a Generator, a RandomState, a BitGenerator or a
    seed; None draws fresh entropy.
    """
    from .._utils import as_generator
    from .graph import dfs
    from .nodes import as_apply

    generator = (
        np.random.default_rng() if rng is None else as_generator(rng, "recursive_set_rng_kwarg")
    )
    rng_node = as_apply(generator)
    for node in dfs(as_apply(expr)):
        if node.name in scope.stochastic_symbols:
            node.named_args = [pair for pair in node.named_args if pair[0] != "rng"]
            node.named_args.append(["rng", rng_node])
    return expr


def sample(expr: Any, rng: Any = None, **kwargs: Any) -> Any:
    """One random draw of a whole space (``hopt.pyll.stochastic.sample``)."""
    from .._utils import as_generator
    from .evaluate import rec_eval

    return rec_eval(expr, rng=as_generator(rng, "sample"), **kwargs)
