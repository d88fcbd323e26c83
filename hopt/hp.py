"""``hp.*``: the functions that declare hyperparameters in a search space.

Each function validates its arguments at once (a bad bound is reported where
the space is written, not hundreds of trials later) and returns a graph node
``hyperopt_param(label, sampler)``, Hyperopt's node layout, so code that walks
Hyperopt graphs keeps working.
"""

from __future__ import annotations

from collections.abc import ItemsView, Iterator, KeysView, Mapping, Sequence, ValuesView
from typing import Any

import numpy as np

from .distributions import Categorical, Distribution, Normal, RandInt, Uniform, check_number
from .exceptions import InvalidLabelTypeError, InvalidSpaceError
from .space.nodes import Apply, Literal, as_apply

__all__ = [
    "choice",
    "pchoice",
    "randint",
    "uniform",
    "quniform",
    "uniformint",
    "loguniform",
    "qloguniform",
    "normal",
    "qnormal",
    "lognormal",
    "qlognormal",
]


def _check_label(function: str, label: Any) -> str:
    if not isinstance(label, str):
        raise InvalidLabelTypeError(
            f"hp.{function}: label must be a string; got label={label!r}. "
            f"Name the hyperparameter, e.g. hp.{function}('learning_rate', ...)."
        )
    if not label.strip():
        raise InvalidSpaceError(
            f"hp.{function}: label must be a non-empty string; got label={label!r}."
        )
    return label


def _param(label: str, dist: Distribution) -> Apply:
    sampler = Apply(dist.kind, [Literal(a) for a in dist.node_args()])
    return Apply("hyperopt_param", [Literal(label), sampler])


def _option_list(where: str, name: str, options: Any) -> list[Any] | None:
    """``options`` as a list, or None when it is not an ordered collection of options.

    Lists and tuples, numpy arrays and pandas Series (``np.arange(1, 10)``,
    ``df.col.unique()``, whose numpy scalars become Python numbers), a dict's
    ``keys()``, ``values()`` or ``items()``, and iterators such as ``zip(...)`` or a
    generator.  A set is refused with the reason: trials store an option's index.
    """
    if isinstance(options, (set, frozenset)):
        raise InvalidSpaceError(
            f"{where}: {name} must be in a fixed order, since trials store the index of "
            f"the option drawn; a set has none (its order can change between runs). "
            f"Pass a list, e.g. sorted(...); got {name}={options!r}."
        )
    if isinstance(options, (str, bytes, Mapping)):
        return None
    if isinstance(options, (Sequence, KeysView, ValuesView, ItemsView, Iterator)):
        return list(options)
    if hasattr(options, "__len__") and hasattr(options, "__iter__") and hasattr(options, "dtype"):
        return [o.item() if isinstance(o, np.generic) else o for o in options]
    return None


def choice(label: str, options: Sequence[Any]) -> Apply:
    """One of ``options`` (each may be a nested space); trials store the index."""
    label = _check_label("choice", label)
    where = f"hp.choice({label!r})"
    listed = _option_list(where, "options", options)
    if listed is None:
        raise InvalidSpaceError(
            f"{where}: options must be a list (or a tuple, a 1-d array, a dict view or an iterator); got options={options!r}."
        )
    options = listed
    if len(options) == 0:
        raise InvalidSpaceError(f"{where}: options must not be empty; got options={options!r}.")
    index = _param(label, Categorical.uniform(len(options)))
    nodes = [as_apply(option, f"{where} option {i}") for i, option in enumerate(options)]
    return Apply("switch", [index, *nodes])


def pchoice(label: str, p_options: Sequence[tuple[float, Any]]) -> Apply:
    """One of the options, option ``i`` with probability ``p_i``: ``[(p, option), ...]``."""
    label = _check_label("pchoice", label)
    where = f"hp.pchoice({label!r})"
    listed = _option_list(where, "p_options", p_options)
    if listed is None:
        raise InvalidSpaceError(
            f"{where}: p_options must be a list of (probability, option) pairs; "
            f"got p_options={p_options!r}."
        )
    p_options = listed
    if len(p_options) == 0:
        raise InvalidSpaceError(f"{where}: p_options must not be empty.")
    for i, pair in enumerate(p_options):
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise InvalidSpaceError(
                f"{where}: each entry must be a (probability, option) pair; "
                f"got p_options[{i}]={pair!r}."
            )
    dist = Categorical.build(where, [p for p, _ in p_options])
    index = _param(label, dist)
    nodes = [as_apply(option, f"{where} option {i}") for i, (_, option) in enumerate(p_options)]
    return Apply("switch", [index, *nodes])


def randint(label: str, *args: Any, **kwargs: Any) -> Apply:
    """A whole number in ``[0, upper)`` or ``[low, high)``; a Python int everywhere."""
    label = _check_label("randint", label)
    where = f"hp.randint({label!r})"
    bound = _bind(where, args, kwargs, (("upper",), ("low", "high")))
    if "upper" in bound:
        upper = check_number(where, "upper", bound["upper"])
        if upper != int(upper):
            raise InvalidSpaceError(
                f"{where}: upper must be a whole number; got upper={bound['upper']!r}."
            )
        dist = RandInt.build(where, 0, bound["upper"])
    else:
        dist = RandInt.build(where, bound["low"], bound["high"])
    return _param(label, dist)


def uniform(label: str, low: float, high: float) -> Apply:
    """A float drawn uniformly from ``[low, high]``."""
    label = _check_label("uniform", label)
    return _param(label, Uniform.build(f"hp.uniform({label!r})", low, high))


def quniform(label: str, low: float, high: float, q: float) -> Apply:
    """``round(uniform(low, high) / q) * q``, kept inside the bounds; int when q is whole."""
    label = _check_label("quniform", label)
    return _param(label, Uniform.build(f"hp.quniform({label!r})", low, high, q=q))


def uniformint(label: str, low: float, high: float, q: float = 1.0) -> Apply:
    """A whole number between ``low`` and ``high`` (both included); a Python int everywhere."""
    label = _check_label("uniformint", label)
    where = f"hp.uniformint({label!r})"
    if q != 1 and q != 1.0:
        raise InvalidSpaceError(
            f"{where}: q must be 1 for integers; got q={q!r}. Use hp.quniform for other steps."
        )
    return Apply("int", [_param(label, Uniform.build(where, low, high, q=1.0))])


def loguniform(label: str, low: float, high: float) -> Apply:
    """``exp(uniform(low, high))``: the bounds are in log space, as in Hyperopt."""
    label = _check_label("loguniform", label)
    return _param(label, Uniform.build(f"hp.loguniform({label!r})", low, high, log=True))


def qloguniform(label: str, low: float, high: float, q: float) -> Apply:
    """``round(exp(uniform(low, high)) / q) * q``, bounds in log space."""
    label = _check_label("qloguniform", label)
    where = f"hp.qloguniform({label!r})"
    return _param(label, Uniform.build(where, low, high, q=q, log=True))


def normal(label: str, mu: float, sigma: float) -> Apply:
    """A float drawn from a normal distribution."""
    label = _check_label("normal", label)
    return _param(label, Normal.build(f"hp.normal({label!r})", mu, sigma))


def qnormal(label: str, mu: float, sigma: float, q: float) -> Apply:
    """``round(normal(mu, sigma) / q) * q``; int when q is whole."""
    label = _check_label("qnormal", label)
    return _param(label, Normal.build(f"hp.qnormal({label!r})", mu, sigma, q=q))


def lognormal(label: str, mu: float, sigma: float) -> Apply:
    """``exp(normal(mu, sigma))``: always positive."""
    label = _check_label("lognormal", label)
    return _param(label, Normal.build(f"hp.lognormal({label!r})", mu, sigma, log=True))


def qlognormal(label: str, mu: float, sigma: float, q: float) -> Apply:
    """``round(exp(normal(mu, sigma)) / q) * q``."""
    label = _check_label("qlognormal", label)
    where = f"hp.qlognormal({label!r})"
    return _param(label, Normal.build(where, mu, sigma, q=q, log=True))


def _bind(
    where: str, args: tuple, kwargs: dict, signatures: tuple[tuple[str, ...], ...]
) -> dict[str, Any]:
    """Match positional/keyword arguments against the first signature that fits."""
    for names in signatures:
        if len(args) + len(kwargs) != len(names):
            continue
        bound = dict(zip(names, args))
        if set(kwargs) <= set(names[len(args) :]):
            bound.update(kwargs)
            if len(bound) == len(names):
                return bound
    forms = " or ".join("(" + ", ".join(names) + ")" for names in signatures)
    raise InvalidSpaceError(f"{where}: takes {forms}; got args={args!r}, kwargs={kwargs!r}.")
