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

from ..exceptions import InvalidSpaceError


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
        self.pos_args: list[Apply] = [
            a if isinstance(a, Apply) else as_apply(a, f"scope.{name}(...) argument {i}")
            for i, a in enumerate(pos_args)
        ]
        if isinstance(named_args, dict):
            named_args = list(named_args.items())
        self.named_args: list[list[Any]] = [
            [
                key,
                value if isinstance(value, Apply) else as_apply(value, f"scope.{name}({key}=...)"),
            ]
            for key, value in named_args
        ]
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


def as_apply(obj: Any, where: str = "space") -> Apply:
    """Wrap a Python structure as a graph node.

    Tuples and lists keep their type (Hyperopt turned lists into tuples), dicts keep
    their key order, anything else becomes a ``Literal``.  A set (or frozenset) that
    holds search-space expressions is refused with ``InvalidSpaceError`` naming where
    it sits below ``where``: a set has no order and no keys, so the values drawn for
    its items could not be handed to the objective in a stable place.  A set of plain
    constants is a constant like any other.
    """
    if isinstance(obj, Apply):
        return obj
    _refuse_sets(obj, where)
    return _wrap(obj)


def _wrap(obj: Any) -> Apply:
    """``as_apply`` once ``obj`` is known to hold no set of expressions."""
    if isinstance(obj, Apply):
        return obj
    if isinstance(obj, tuple):
        return Apply("pos_args", [_wrap(item) for item in obj], [], o_len=len(obj))
    if isinstance(obj, list):
        return Apply("list_of", [_wrap(item) for item in obj], [])
    if isinstance(obj, dict):
        items = [(key, _wrap(value)) for key, value in obj.items()]
        return Apply("dict", [], items, o_len=len(obj))
    return Literal(obj)


def _refuse_sets(obj: Any, where: str) -> None:
    """Raise when a set inside the dicts, lists and tuples of ``obj`` holds an expression.

    Walks only plain containers: a node was checked when it was built.  Paths are kept
    as (parent, key) links and spelled out only for the error.
    """
    stack: list[tuple[Any, Any]] = [(obj, None)]
    while stack:
        item, path = stack.pop()
        if isinstance(item, (set, frozenset)):
            labels = _labels_in_set(item)
            if labels is not None:
                message = _set_message(_spell(where, path), type(item).__name__, labels)
                raise InvalidSpaceError(message)
        elif isinstance(item, dict):
            entries = [(value, (path, repr(key))) for key, value in item.items()]
            stack.extend(reversed(entries))
        elif isinstance(item, (list, tuple)):
            stack.extend(reversed([(value, (path, str(i))) for i, value in enumerate(item)]))


def _spell(where: str, path: Any) -> str:
    keys: list[str] = []
    while path is not None:
        path, key = path
        keys.append(f"[{key}]")
    return where + "".join(reversed(keys))


def _labels_in_set(items: set | frozenset) -> list[str] | None:
    """The labels of the expressions a set holds (also inside its tuples), or None."""
    from .graph import dfs  # local: graph imports this module

    found = False
    labels: list[str] = []
    stack: list[Any] = list(items)
    while stack:
        item = stack.pop()
        if isinstance(item, Apply):
            found = True
            for node in dfs(item):
                if node.name == "hyperopt_param" and isinstance(node.pos_args[0], Literal):
                    labels.append(str(node.pos_args[0].obj))
        elif isinstance(item, (tuple, set, frozenset)):
            stack.extend(item)
    return sorted(set(labels)) if found else None


def _set_message(where: str, kind: str, labels: list[str]) -> str:
    held = f"labels {labels!r}" if labels else "unlabelled expressions"
    example = ", ".join(f"{label!r}: ..." for label in labels[:3]) or "'name': ..."
    return (
        f"{where}: a set cannot hold search-space expressions, since it has no order (it "
        f"can change between runs) and no keys, so the values drawn for them would have no "
        f"stable place in what the objective receives; got a {kind} holding {held}. "
        f"Use a dict to name each part, e.g. {{{example}}}, or a list."
    )
