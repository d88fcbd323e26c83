"""The symbol table: names a graph node may apply, and their implementations.

``scope.<name>(*args)`` builds a node; the evaluator later looks the name up here
and calls the implementation.  ``@scope.define`` registers user functions, which
is how Hyperopt-based libraries add their own model constructors to a space.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from typing import Any

import numpy as np

from .nodes import Apply, as_apply


class SymbolTableEntry:
    """``scope.<name>``: calling it builds an ``Apply`` node of that symbol."""

    def __init__(self, table: SymbolTable, name: str, o_len: int | None, pure: bool) -> None:
        self.table = table
        self.apply_name = name
        self.o_len = o_len
        self.pure = pure

    def __call__(self, *args: Any, **kwargs: Any) -> Apply:
        return Apply(
            self.apply_name,
            [as_apply(a, f"scope.{self.apply_name}(...) argument {i}") for i, a in enumerate(args)],
            [[k, as_apply(v, f"scope.{self.apply_name}({k}=...)")] for k, v in kwargs.items()],
            o_len=self.o_len,
            pure=self.pure,
        )

    def __repr__(self) -> str:
        return f"<scope.{self.apply_name}>"


class SymbolTable:
    """A namespace of symbols; ``scope`` is the one every space uses."""

    def __init__(self) -> None:
        self._impls: dict[str, Callable[..., Any]] = {}
        #: symbols whose implementation takes the sampling ``rng`` keyword
        self.stochastic_symbols: set[str] = set()
        #: built-in symbols a user may define once more (see ``HOPT_ONLY_SYMBOLS``)
        self.replaceable: set[str] = set()

    # -- registration --------------------------------------------------------
    def _define(
        self, f: Callable[..., Any], o_len: int | None, pure: bool, name: str | None = None
    ):
        name = name or f.__name__
        if name in self.replaceable:
            self.replaceable.discard(name)  # the user's own definition, once
        elif name in self._impls:
            raise ValueError(
                f"scope.define: a symbol named {name!r} already exists; rename the function "
                "or use scope.define_if_new."
            )
        self._impls[name] = f
        setattr(self, name, SymbolTableEntry(self, name, o_len, pure))
        return f

    def define(self, f: Callable[..., Any], o_len: int | None = None, pure: bool = False):
        """Register ``f`` under its ``__name__``; ``scope.<name>(...)`` then builds nodes."""
        return self._define(f, o_len, pure)

    def define_if_new(self, f: Callable[..., Any], o_len: int | None = None, pure: bool = False):
        if f.__name__ in self._impls:
            return f
        return self._define(f, o_len, pure)

    def define_pure(self, f: Callable[..., Any]):
        return self._define(f, None, True)

    def define_info(self, o_len: int | None = None, pure: bool = False):
        def decorator(f: Callable[..., Any]):
            return self._define(f, o_len, pure)

        return decorator

    def define_stochastic(self, f: Callable[..., Any]):
        """Register a sampler whose implementation takes ``rng=`` from the evaluator."""
        self.stochastic_symbols.add(f.__name__)
        return self._define(f, None, False)

    def undefine(self, f: Callable[..., Any] | str) -> None:
        name = f if isinstance(f, str) else f.__name__
        del self._impls[name]
        delattr(self, name)
        self.stochastic_symbols.discard(name)

    # -- lookup ----------------------------------------------------------------
    def is_defined(self, name: str) -> bool:
        return name in self._impls

    def implementation(self, name: str) -> Callable[..., Any]:
        try:
            return self._impls[name]
        except KeyError:
            raise KeyError(
                f"scope: no symbol named {name!r}; define it with @scope.define before "
                "building a space that uses it."
            ) from None

    @property
    def impls(self) -> dict[str, Callable[..., Any]]:
        return self._impls


scope = SymbolTable()


def _define_builtins(table: SymbolTable) -> None:
    """The arithmetic and container symbols that spaces compute with."""

    def pos_args(*args: Any) -> tuple:
        return args

    def list_of(*args: Any) -> list:
        return list(args)

    def identity(x: Any) -> Any:
        return x

    def hyperopt_param(label: str, obj: Any) -> Any:
        # A labelled hyperparameter: its value is its distribution's draw, or the
        # value a trial assigned, which the caller puts in the memo.
        return obj

    def switch(index: Any, *options: Any) -> Any:
        # Only reached outside the evaluator's lazy path (e.g. direct calls).
        return options[index]

    def call_method(obj: Any, method_name: str, *args: Any, **kwargs: Any) -> Any:
        return getattr(obj, method_name)(*args, **kwargs)

    def call(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return fn(*args, **kwargs)

    def array_union(*arrays: Any) -> np.ndarray:
        return np.unique(np.concatenate([np.asarray(a).ravel() for a in arrays]))

    def Raise(etype: type[BaseException], *args: Any, **kwargs: Any) -> Any:  # noqa: N802
        # Hyperopt's name: a branch that must never be taken fails when it is evaluated
        raise etype(*args, **kwargs)

    plain: dict[str, Callable[..., Any]] = {
        "pos_args": pos_args,
        "list_of": list_of,
        "identity": identity,
        "hyperopt_param": hyperopt_param,
        "switch": switch,
        "call_method": call_method,
        "call": call,
        "array_union": array_union,
        "Raise": Raise,
        "int": int,
        "float": float,
        "bool": bool,
        "str": str,
        "len": len,
        "list": list,
        "tuple": tuple,
        "dict": dict,
        "range": range,
        "max": max,
        "min": min,
        "sum": sum,
        "abs": abs,
        "round": round,
        "getattr": getattr,
        "exp": math.exp,
        "log": math.log,
        "sqrt": math.sqrt,
        "sin": math.sin,
        "cos": math.cos,
        "tan": math.tan,
        "pow": operator.pow,
        "add": operator.add,
        "sub": operator.sub,
        "mul": operator.mul,
        "truediv": operator.truediv,
        "floordiv": operator.floordiv,
        "mod": operator.mod,
        "neg": operator.neg,
        "eq": operator.eq,
        "ne": operator.ne,
        "lt": operator.lt,
        "le": operator.le,
        "gt": operator.gt,
        "ge": operator.ge,
        "getitem": operator.getitem,
        "minimum": np.minimum,
        "maximum": np.maximum,
        "asarray": np.asarray,
        "array": np.array,
        "bincount": np.bincount,
        "repeat": np.repeat,
    }
    for name, impl in plain.items():
        table._define(impl, None, True, name=name)
    table.replaceable.update(HOPT_ONLY_SYMBOLS)


#: built-in symbols hopt has and Hyperopt's scope does not: code written for Hyperopt
#: may define its own under these names (``@scope.define def round(x, n): ...``), which
#: then replaces hopt's, for node arithmetic too (``abs(node)``, ``node % 2``)
HOPT_ONLY_SYMBOLS = frozenset({"abs", "array", "bool", "mod", "ne", "round", "str", "tuple"})


_define_builtins(scope)


def one_of(*options: Any) -> Apply:
    """``scope.one_of(a, b, ...)``: one of the options, drawn uniformly when sampled.

    An unlabelled random choice (a ``switch`` on an unlabelled ``randint``), as in
    Hyperopt; for a search space, use ``hp.choice``, which fmin can tune.
    """
    index = Apply("randint", [as_apply(len(options))])
    options_nodes = [
        as_apply(option, f"scope.one_of option {i}") for i, option in enumerate(options)
    ]
    return Apply("switch", [index, *options_nodes])


def choice(options: Any) -> Apply:
    """``scope.choice([a, b, ...])``: ``scope.one_of(a, b, ...)``."""
    return one_of(*options)


# graph builders, not symbols: what they return is made of ``switch`` and ``randint``
scope.one_of = one_of  # type: ignore[attr-defined]
scope.choice = choice  # type: ignore[attr-defined]
