"""Nodes of the expression graph that describes a search space.

The data model follows Hyperopt's ``pyll`` because libraries built on Hyperopt
reach into it: a node has a symbol ``name``, ``pos_args`` (a list of nodes),
``named_args`` (a list of ``[name, node]`` pairs that callers may append to),
``o_len`` (the length of a tuple-valued node) and ``eval()``.  Operators on
nodes build new nodes, so ``hp.uniform("x", 0, 1) ** 2`` is a graph, not a number.

Nodes compare by identity: ``==`` is deliberately not overloaded, because the
evaluator keys its memo by node.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


class Apply:
    """One application of a ``scope`` symbol to argument nodes."""

    __slots__ = ("name", "pos_args", "named_args", "o_len", "pure", "__weakref__")

    def __init__(
        self,
        name: str,
        pos_args: list[Apply] | tuple[Apply, ...] = (),
        named_args: Any = (),
        o_len: int | None = None,
        pure: bool = False,
    ) -> None:
        self.name = name
        self.pos_args: list[Apply] = [as_apply(a) for a in pos_args]
        if isinstance(named_args, dict):
            named_args = list(named_args.items())
        self.named_args: list[list[Any]] = [[key, as_apply(value)] for key, value in named_args]
        self.o_len = o_len
        self.pure = pure

    # -- structure ---------------------------------------------------------
    def inputs(self) -> list[Apply]:
        """Positional argument nodes, then named argument nodes."""
        return self.pos_args + [pair[1] for pair in self.named_args]

    @property
    def arg(self) -> dict[str, Apply]:
        """Argument nodes by parameter name of the symbol's implementation."""
        from .symbols import scope  # local: symbols imports this module

        bound: dict[str, Any] = {}
        impl = scope.implementation(self.name) if scope.is_defined(self.name) else None
        if impl is not None:
            import inspect

            try:
                signature = inspect.signature(impl)
                values = signature.bind_partial(*self.pos_args, **dict(self.named_args)).arguments
                bound.update(values)
                return bound
            except (TypeError, ValueError):
                pass
        bound.update({f"arg{i}": node for i, node in enumerate(self.pos_args)})
        bound.update(dict(self.named_args))
        return bound

    def clone_from_inputs(self, inputs: list[Apply], o_len: Any = "same") -> Apply:
        """A node with the same symbol and new argument nodes (same order as ``inputs()``)."""
        n_pos = len(self.pos_args)
        named = [[pair[0], node] for pair, node in zip(self.named_args, inputs[n_pos:])]
        return Apply(
            self.name,
            list(inputs[:n_pos]),
            named,
            self.o_len if o_len == "same" else o_len,
            self.pure,
        )

    def replace_input(self, old: Apply, new: Apply) -> list[int]:
        """Swap every occurrence of ``old`` among the inputs for ``new``; return positions."""
        positions = []
        for i, node in enumerate(self.pos_args):
            if node is old:
                self.pos_args[i] = new
                positions.append(i)
        for j, pair in enumerate(self.named_args):
            if pair[1] is old:
                pair[1] = new
                positions.append(len(self.pos_args) + j)
        return positions

    def eval(self, memo: dict | None = None, **kwargs: Any) -> Any:
        """Evaluate this graph (only the chosen branch of each ``switch``)."""
        from .evaluate import rec_eval

        return rec_eval(self, memo=memo, **kwargs)

    # -- tuple-like nodes ----------------------------------------------------
    def __len__(self) -> int:
        if self.o_len is None:
            raise TypeError(f"node {self.name!r} has no known length (o_len is None)")
        return self.o_len

    def __iter__(self) -> Iterator[Apply]:
        for i in range(len(self)):
            yield self[i]

    # -- operators build graphs -------------------------------------------
    def __getitem__(self, index: Any) -> Apply:
        return Apply("getitem", [self, as_apply(index)])

    def __add__(self, other: Any) -> Apply:
        return Apply("add", [self, other])

    def __radd__(self, other: Any) -> Apply:
        return Apply("add", [other, self])

    def __sub__(self, other: Any) -> Apply:
        return Apply("sub", [self, other])

    def __rsub__(self, other: Any) -> Apply:
        return Apply("sub", [other, self])

    def __mul__(self, other: Any) -> Apply:
        return Apply("mul", [self, other])

    def __rmul__(self, other: Any) -> Apply:
        return Apply("mul", [other, self])

    def __truediv__(self, other: Any) -> Apply:
        return Apply("truediv", [self, other])

    def __rtruediv__(self, other: Any) -> Apply:
        return Apply("truediv", [other, self])

    def __floordiv__(self, other: Any) -> Apply:
        return Apply("floordiv", [self, other])

    def __rfloordiv__(self, other: Any) -> Apply:
        return Apply("floordiv", [other, self])

    def __mod__(self, other: Any) -> Apply:
        return Apply("mod", [self, other])

    def __rmod__(self, other: Any) -> Apply:
        return Apply("mod", [other, self])

    def __pow__(self, other: Any) -> Apply:
        return Apply("pow", [self, other])

    def __rpow__(self, other: Any) -> Apply:
        return Apply("pow", [other, self])

    def __neg__(self) -> Apply:
        return Apply("neg", [self])

    def __pos__(self) -> Apply:
        return self

    def __abs__(self) -> Apply:
        return Apply("abs", [self])

    def __lt__(self, other: Any) -> Apply:
        return Apply("lt", [self, other])

    def __le__(self, other: Any) -> Apply:
        return Apply("le", [self, other])

    def __gt__(self, other: Any) -> Apply:
        return Apply("gt", [self, other])

    def __ge__(self, other: Any) -> Apply:
        return Apply("ge", [self, other])

    def __bool__(self) -> bool:
        raise TypeError(
            "a search-space expression has no truth value while the space is being built; "
            "use hp.choice for conditional structure, or decide inside the objective."
        )

    __hash__ = object.__hash__

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name} at {id(self):#x}>"

    def __str__(self) -> str:
        from .graph import pretty

        return pretty(self)


class Literal(Apply):
    """A constant in the graph."""

    __slots__ = ("_obj",)

    def __init__(self, obj: Any = None) -> None:
        self._obj = obj
        self.name = "literal"
        self.pos_args = []
        self.named_args = []
        self.o_len = len(obj) if isinstance(obj, tuple) else None
        self.pure = True

    @property
    def obj(self) -> Any:
        return self._obj

    def clone_from_inputs(self, inputs: list[Apply], o_len: Any = "same") -> Literal:
        return Literal(self._obj)

    def __repr__(self) -> str:
        return f"<Literal {self._obj!r}>"


def as_apply(obj: Any) -> Apply:
    """Wrap a Python structure as a graph node.

    Tuples and lists keep their type (Hyperopt turned lists into tuples), dicts keep
    their key order, anything else becomes a ``Literal``.
    """
    if isinstance(obj, Apply):
        return obj
    if isinstance(obj, tuple):
        return Apply("pos_args", list(obj), [], o_len=len(obj))
    if isinstance(obj, list):
        return Apply("list_of", list(obj), [])
    if isinstance(obj, dict):
        return Apply("dict", [], list(obj.items()), o_len=len(obj))
    return Literal(obj)
