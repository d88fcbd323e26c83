"""Evaluate an expression graph without recursion.

One explicit stack instead of Python recursion, so a space nested thousands of
levels deep evaluates like a shallow one.  ``switch`` is lazy: only the branch
its index selects is evaluated, which is what makes a choice's inactive
branches absent from a trial.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from ..exceptions import InvalidSpaceError
from .nodes import Apply, Literal
from .symbols import SymbolTable, scope


def _switch_index(node: Apply, value: Any) -> int:
    if isinstance(value, (bool, np.bool_)):  # a comparison as the index: False 0, True 1
        value = int(value)
    if not isinstance(value, (numbers.Integral, np.integer)):
        if isinstance(value, (float, np.floating)) and float(value).is_integer():
            value = int(value)
        else:
            raise InvalidSpaceError(
                f"switch: the branch index must be a whole number; got index={value!r}. "
                "hp.choice values are option indices (0, 1, ...), not the options themselves."
            )
    index = int(value)
    n_options = len(node.pos_args) - 1
    if not 0 <= index < n_options:
        label = _label_of(node.pos_args[0])
        where = f"hp.choice({label!r})" if label else "switch"
        raise InvalidSpaceError(
            f"{where}: index out of range; got index={index!r} for {n_options} options. "
            f"Valid indices are 0..{n_options - 1}."
        )
    return index


def _label_of(node: Apply) -> str | None:
    if node.name == "hyperopt_param" and isinstance(node.pos_args[0], Literal):
        return node.pos_args[0].obj
    return None


def rec_eval(
    expr: Any,
    memo: dict | None = None,
    rng: np.random.Generator | None = None,
    table: SymbolTable = scope,
    deepcopy_inputs: bool = False,
    values_out: dict | None = None,
    **_ignored: Any,
) -> Any:
    """Value of ``expr``; ``memo`` maps nodes to values fixed in advance.

    ``rng`` is passed to stochastic symbols (the samplers behind ``hp.*``).
    ``values_out``, when given, receives the value of every node evaluated.
    Extra keyword arguments of Hyperopt's ``rec_eval`` (``max_program_len``,
    ``memo_gc``, ``print_trace``...) are accepted and ignored.
    """
    if not isinstance(expr, Apply):
        from .nodes import as_apply

        expr = as_apply(expr)
    values: dict[Apply, Any] = dict(memo) if memo else {}
    # node -> node whose value it takes (a switch's branch, or an Apply a function returned)
    forwarded: dict[Apply, Apply] = {}
    stack: list[Apply] = [expr]
    impls = table.impls
    stochastic = table.stochastic_symbols
    while stack:
        node = stack[-1]
        if node in values:
            stack.pop()
            continue
        target = forwarded.get(node)
        if target is not None:
            if target in values:
                values[node] = values[target]
                stack.pop()
            else:
                stack.append(target)
            continue
        if type(node) is Literal:
            values[node] = node.obj
            stack.pop()
            continue
        name = node.name
        if name == "switch":
            index_node = node.pos_args[0]
            if index_node not in values:
                stack.append(index_node)
                continue
            branch = node.pos_args[1 + _switch_index(node, values[index_node])]
            forwarded[node] = branch
            continue
        pending = [child for child in node.pos_args if child not in values]
        pending += [pair[1] for pair in node.named_args if pair[1] not in values]
        if pending:
            stack.extend(reversed(pending))
            continue
        args = [values[child] for child in node.pos_args]
        if deepcopy_inputs:
            import copy

            args = copy.deepcopy(args)
        if name == "dict":
            result: Any = dict(*args)
            for key, child in node.named_args:
                result[key] = values[child]
        else:
            kwargs = {key: values[child] for key, child in node.named_args}
            if name in stochastic and "rng" not in kwargs:
                if rng is None:
                    raise InvalidSpaceError(
                        f"scope.{name}: an unlabelled random draw needs a generator. In a "
                        "search space, use hp.* functions (fmin tunes labelled parameters "
                        "only); to draw a value outside a search, evaluate with "
                        "hopt.pyll.stochastic.sample(space, rng)."
                    )
                kwargs["rng"] = rng
            try:
                fn = impls[name]
            except KeyError:
                table.implementation(name)  # raises the explanatory KeyError
                raise
            result = fn(*args, **kwargs)
        if isinstance(result, Apply):
            # A symbol may return a graph (Hyperopt allows it): evaluate that next.
            forwarded[node] = result
            continue
        values[node] = result
        stack.pop()
    if values_out is not None:
        values_out.update(values)
    return values[expr]
