"""Compile a space once: find its hyperparameters and when each one is active.

A hyperparameter inside branch ``i`` of ``hp.choice("c", ...)`` is active only
when ``c == i``.  The walk below records, for every label, the alternative
routes (conjunctions of ``(choice label, branch)``) that reach it.  With those
routes, activity of thousands of sampled trials is a handful of numpy
comparisons instead of one graph evaluation per trial.

When a ``switch`` is driven by something other than a plain ``hp.choice``
(computed indices), routes cannot say exactly when a branch runs; the space is
then marked ``exact=False`` and callers fall back to evaluating the graph.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..distributions import Distribution
from ..exceptions import DuplicateLabelError, InvalidSpaceError
from .evaluate import rec_eval
from .graph import dfs
from .nodes import Apply, Literal, as_apply
from .stochastic import distribution_of

Route = frozenset  # of (label, branch index) pairs


@dataclass
class Param:
    """One labelled hyperparameter of a compiled space."""

    label: str
    node: Apply  # the hyperopt_param node
    distribution: Distribution
    is_integer: bool
    #: alternative routes to this parameter; an empty route means "always active"
    routes: list[frozenset] = field(default_factory=list)
    where: str = "space"

    @property
    def sampler_node(self) -> Apply:
        return self.node.pos_args[1]

    @property
    def always_active(self) -> bool:
        return any(not route for route in self.routes)

    def to_python(self, value: Any) -> int | float:
        if self.is_integer:
            return int(round(float(value))) if self.distribution.is_integer else int(value)
        return float(value)


def _label(node: Apply, where: str) -> str:
    label_node = node.pos_args[0] if node.pos_args else None
    if not isinstance(label_node, Literal) or not isinstance(label_node.obj, str):
        raise InvalidSpaceError(f"{where}: a hyperparameter label must be a constant string.")
    return label_node.obj


def _child_steps(node: Apply) -> list[tuple[Apply, str]]:
    """(child, path step) pairs used to describe where a parameter sits."""
    if node.name == "dict":
        return [(child, f"[{key!r}]") for key, child in node.named_args]
    if node.name in ("pos_args", "list_of"):
        return [(child, f"[{i}]") for i, child in enumerate(node.pos_args)]
    steps = [(child, f".{node.name}(arg {i})") for i, child in enumerate(node.pos_args)]
    steps += [(child, f".{node.name}({key}=)") for key, child in node.named_args]
    return steps


class CompiledSpace:
    """The hyperparameters of a space and the routes that activate them."""

    def __init__(self, space: Any) -> None:
        self.expr = as_apply(space)
        self.params: dict[str, Param] = {}
        self.exact = True
        self._walk()
        self._mark_integers()
        # parameters sorted so that conditions are decided before the parameters they gate
        self.labels: list[str] = list(self.params)

    # -- compilation ------------------------------------------------------------
    def _walk(self) -> None:
        empty: frozenset = frozenset()
        stack: list[tuple[Apply, frozenset, str]] = [(self.expr, empty, "space")]
        seen: set[tuple[int, frozenset]] = set()
        while stack:
            node, route, where = stack.pop()
            key = (id(node), route)
            if key in seen:
                continue
            seen.add(key)
            if node.name == "hyperopt_param":
                self._add_param(node, route, where)
                continue
            if node.name == "switch" and node.pos_args:
                selector = node.pos_args[0]
                selector_label = None
                if selector.name == "hyperopt_param":
                    # registered now (not via the stack) so its branches can refer to it
                    selector_label = _label(selector, where)
                    self._add_param(selector, route, where)
                    seen.add((id(selector), route))
                    if not self.params[selector_label].distribution.is_categorical:
                        selector_label = None
                else:
                    stack.append((selector, route, where + ".switch(index)"))
                if selector_label is None:
                    self.exact = False
                branches = node.pos_args[1:]
                for i in reversed(range(len(branches))):
                    if selector_label is None:
                        stack.append((branches[i], route, f"{where}.switch(option {i})"))
                    else:
                        step = f"{where}<hp.choice({selector_label!r}) option {i}>"
                        stack.append((branches[i], route | {(selector_label, i)}, step))
                continue
            for child, step in reversed(_child_steps(node)):
                stack.append((child, route, where + step))

    def _add_param(self, node: Apply, route: frozenset, where: str) -> None:
        label = _label(node, where)
        known = self.params.get(label)
        if known is not None and known.node is not node:
            raise DuplicateLabelError(
                f"search space: label {label!r} is used by two different hyperparameters, "
                f"at {known.where} and at {where}. Give each hyperparameter its own label, "
                "or reuse the same hp object in both places."
            )
        if known is None:
            if len(node.pos_args) != 2:
                raise InvalidSpaceError(f"{where}: hyperopt_param({label!r}) needs a sampler node.")
            dist = distribution_of(node.pos_args[1], label)
            known = Param(label, node, dist, dist.is_integer, [], where)
            self.params[label] = known
        if route not in known.routes:
            known.routes.append(route)
        if any(not r for r in known.routes):
            known.routes = [frozenset()]

    def _mark_integers(self) -> None:
        """A parameter whose every use goes through ``scope.int`` is stored as an int."""
        consumers: dict[int, list[Apply]] = {}
        for node in dfs(self.expr):
            for child in node.inputs():
                consumers.setdefault(id(child), []).append(node)
        for param in self.params.values():
            users = consumers.get(id(param.node), [])
            if users and all(user.name == "int" for user in users):
                param.is_integer = True

    # -- vectorised sampling ----------------------------------------------------
    def active_masks(self, values: dict[str, np.ndarray], n: int) -> dict[str, np.ndarray]:
        """Which of ``n`` candidate configurations activate each parameter."""
        masks: dict[str, np.ndarray] = {}
        for label, param in self.params.items():
            if param.always_active:
                masks[label] = np.ones(n, dtype=bool)
                continue
            mask = np.zeros(n, dtype=bool)
            for route in param.routes:
                route_mask = np.ones(n, dtype=bool)
                for selector, branch in route:
                    route_mask &= values[selector] == branch
                mask |= route_mask
            masks[label] = mask
        return masks

    def sample(self, rng: np.random.Generator, n: int) -> tuple[dict, dict]:
        """Draw ``n`` configurations at once: (values by label, active masks by label)."""
        values = {label: p.distribution.sample(rng, n) for label, p in self.params.items()}
        if self.exact:
            return values, self.active_masks(values, n)
        masks = {label: np.zeros(n, dtype=bool) for label in self.params}
        for t in range(n):
            for label in self.active_labels_by_evaluation({k: v[t] for k, v in values.items()}):
                masks[label][t] = True
        return values, masks

    def active_labels_by_evaluation(self, config: dict[str, Any]) -> list[str]:
        """Labels the graph actually reads when every label is given a value."""
        # Fix the samplers, not the parameters: a parameter node then shows up among
        # the evaluated values only if the evaluator reached it.
        memo = {p.sampler_node: config[label] for label, p in self.params.items()}
        evaluated: dict[Apply, Any] = {}
        rec_eval(self.expr, memo=memo, values_out=evaluated)
        return [label for label, p in self.params.items() if p.node in evaluated]

    def active_labels(self, config: Mapping[str, Any]) -> list[str]:
        """Labels active in one configuration (which must give every choice it needs)."""
        if not self.exact:
            full = {label: config.get(label, 0) for label in self.params}
            return self.active_labels_by_evaluation(full)
        active = []
        for label, param in self.params.items():
            if param.always_active or any(
                all(selector in config and config[selector] == branch for selector, branch in r)
                for r in param.routes
            ):
                active.append(label)
        return active

    def memo_for(self, config: Mapping[str, Any]) -> dict[Apply, Any]:
        """Evaluator memo that fixes each labelled parameter to its configured value."""
        params = self.params
        return {params[label].node: value for label, value in config.items() if label in params}
