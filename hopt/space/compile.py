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

from ..distributions import Categorical, Distribution, Uniform
from ..exceptions import DuplicateLabelError, InvalidSpaceError
from .evaluate import rec_eval
from .graph import dfs
from .nodes import Apply, Literal, as_apply
from .stochastic import distribution_of

#: when a parameter is reached: None (always) or (choice label, branch index); the
#: choice's own activity is implied, so conditions chain instead of growing with depth
Condition = tuple


@dataclass
class Param:
    """One labelled hyperparameter of a compiled space."""

    label: str
    node: Apply  # the hyperopt_param node
    distribution: Distribution
    is_integer: bool
    #: alternative conditions that activate this parameter; None means "always active"
    routes: list[Condition | None] = field(default_factory=list)
    where_index: int = -1  # into CompiledSpace paths, for error messages
    locate: Any = None  # CompiledSpace.where, turns where_index into text
    #: every use of the parameter goes through ``scope.int`` (as ``hp.uniformint``'s does)
    through_int: bool = False

    @property
    def hp_kind(self) -> str:
        """The ``hp`` function that declares this parameter, as a user wrote it.

        The prior's ``kind`` is the sampler node's name, which is not always that:
        ``hp.uniformint`` is ``scope.int`` of a ``quniform`` with ``q=1``, and
        ``hp.choice`` and ``hp.pchoice`` both draw a ``categorical`` index.
        """
        dist = self.distribution
        if isinstance(dist, Categorical):
            p = dist.probabilities
            return "choice" if max(p) - min(p) <= 1e-12 else "pchoice"
        if self.through_int and isinstance(dist, Uniform) and dist.q == 1 and not dist.log:
            return "uniformint"
        return dist.kind

    @property
    def where(self) -> str:
        """Where the parameter first appears, e.g. ``space['model']<hp.choice...>['C']``."""
        return self.locate(self.where_index) if self.locate else "space"

    @property
    def sampler_node(self) -> Apply:
        return self.node.pos_args[1]

    @property
    def always_active(self) -> bool:
        return any(route is None for route in self.routes)

    def to_python(self, value: Any) -> int | float:
        return _converter(self)(value)


def _round_to_int(value: Any) -> int:
    return int(round(float(value)))


def _converter(param: Param):
    """How ``param``'s values become plain Python numbers (``Param.to_python``): float,
    rounded to int (an integer-valued prior) or truncated to int (``scope.int``)."""
    if not param.is_integer:
        return float
    return _round_to_int if param.distribution.is_integer else int


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
        self._mask_order = self._order_for_masks()
        # per label in that order, its routes, or None when always active: made once,
        # since masks are worked out for every batch of candidates
        self._mask_plan = [
            (label, None if self.params[label].always_active else self.params[label].routes)
            for label in self._mask_order
        ]
        # per label in sorted order, how its value becomes a plain Python number
        self._key_plan = [(label, _converter(self.params[label])) for label in sorted(self.params)]
        #: labels by how their values become Python numbers: float, round to int, truncate to int
        self.labels_by_conversion: dict[Any, list[str]] = {float: [], _round_to_int: [], int: []}
        for label, param in self.params.items():
            self.labels_by_conversion[_converter(param)].append(label)

    # -- compilation ------------------------------------------------------------
    def _walk(self) -> None:
        # Paths are stored as parent pointers so that deep spaces cost linear memory;
        # the readable "space['a'][0]..." string is only built for an error message.
        self._paths: list[tuple[int, str]] = []
        stack: list[tuple[Apply, Condition | None, int]] = [(self.expr, None, -1)]
        seen: set[tuple[int, Condition | None]] = set()
        while stack:
            node, route, path = stack.pop()
            key = (id(node), route)
            if key in seen:
                continue
            seen.add(key)
            if node.name == "hyperopt_param":
                self._add_param(node, route, path)
                continue
            if node.name == "switch" and node.pos_args:
                selector = node.pos_args[0]
                selector_label = None
                if selector.name == "hyperopt_param":
                    # registered now (not via the stack) so its branches can refer to it
                    selector_label = self._add_param(selector, route, path)
                    seen.add((id(selector), route))
                    if not self.params[selector_label].distribution.is_categorical:
                        selector_label = None
                else:
                    stack.append((selector, route, self._step(path, ".switch(index)")))
                if selector_label is None:
                    self.exact = False
                branches = node.pos_args[1:]
                for i in reversed(range(len(branches))):
                    if selector_label is None:
                        stack.append((branches[i], route, self._step(path, f".switch({i})")))
                    else:
                        into = self._step(path, f"<hp.choice({selector_label!r}) option {i}>")
                        stack.append((branches[i], (selector_label, i), into))
                continue
            for child, step in reversed(_child_steps(node)):
                stack.append((child, route, self._step(path, step)))

    def _step(self, parent: int, step: str) -> int:
        self._paths.append((parent, step))
        return len(self._paths) - 1

    def where(self, path: int) -> str:
        """Readable location of a path index, e.g. ``space['model']<hp.choice...>['C']``."""
        steps = []
        while path >= 0:
            parent, step = self._paths[path]
            steps.append(step)
            path = parent
        return "space" + "".join(reversed(steps))

    def _add_param(self, node: Apply, route: Condition | None, path: int) -> str:
        label_node = node.pos_args[0] if node.pos_args else None
        if not isinstance(label_node, Literal) or not isinstance(label_node.obj, str):
            raise InvalidSpaceError(
                f"{self.where(path)}: a hyperparameter label must be a constant string."
            )
        label = label_node.obj
        known = self.params.get(label)
        if known is not None and known.node is not node:
            raise DuplicateLabelError(
                f"search space: label {label!r} is used by two different hyperparameters, "
                f"at {self.where(known.where_index)} and at {self.where(path)}. Give each "
                "hyperparameter its own label, or reuse the same hp object in both places."
            )
        if known is None:
            if len(node.pos_args) != 2:
                raise InvalidSpaceError(
                    f"{self.where(path)}: hyperopt_param({label!r}) needs a sampler node."
                )
            dist = distribution_of(node.pos_args[1], label)
            known = Param(label, node, dist, dist.is_integer, [], path, self.where)
            self.params[label] = known
        if known.always_active:
            return label
        if route is None:
            known.routes = [None]
        elif route not in known.routes:
            known.routes.append(route)
        return label

    def _order_for_masks(self) -> list[str]:
        """Labels with every choice before the parameters it gates."""
        order: list[str] = []
        placed: set[str] = set()
        for label in self.params:
            pending = [(label, False)]
            while pending:
                current, ready = pending.pop()
                if current in placed:
                    continue
                if ready:
                    placed.add(current)
                    order.append(current)
                    continue
                pending.append((current, True))
                for route in self.params[current].routes:
                    if route is not None and route[0] not in placed and route[0] != current:
                        pending.append((route[0], False))
        return order

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
                param.through_int = True

    # -- vectorised sampling ----------------------------------------------------
    def active_masks(self, values: dict[str, np.ndarray], n: int) -> dict[str, np.ndarray]:
        """Which of ``n`` candidate configurations activate each parameter."""
        masks: dict[str, np.ndarray] = {}
        everywhere = None  # one read-only all-true mask, shared by the always-active labels
        for label, routes in self._mask_plan:
            if routes is None:
                if everywhere is None:
                    everywhere = np.ones(n, dtype=bool)
                    everywhere.flags.writeable = False
                masks[label] = everywhere
                continue
            mask = np.zeros(n, dtype=bool)
            for selector, branch in routes:  # type: ignore[misc]
                mask |= masks[selector] & (values[selector] == branch)
            masks[label] = mask
        return {label: masks[label] for label in self.params}

    def row_key(self, values: dict[str, np.ndarray], masks: dict[str, np.ndarray], row: int):
        """``config_key`` of configuration ``row`` of these columns (its active labels only)."""
        # labels are unique, so config_key's sort of (label, value) pairs is by label
        return tuple(
            (label, to_python(values[label][row]))
            for label, to_python in self._key_plan
            if masks[label][row]
        )

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
        active: set[str] = set()
        for label in self._mask_order:
            param = self.params[label]
            if param.always_active or any(
                route[0] in active and config.get(route[0]) == route[1]  # type: ignore[index]
                for route in param.routes
            ):
                active.add(label)
        return [label for label in self.params if label in active]

    def memo_for(self, config: Mapping[str, Any]) -> dict[Apply, Any]:
        """Evaluator memo that fixes each labelled parameter to its configured value."""
        params = self.params
        memo = {}
        for label, value in config.items():
            param = params.get(label)
            if param is None:
                continue
            if type(value) is int and not param.is_integer:
                # a real-valued label given as an int (generate_trials_to_calculate, a
                # hand-made trial): the objective sees a float, as from any sampler
                value = float(value)
            memo[param.node] = value
        return memo
