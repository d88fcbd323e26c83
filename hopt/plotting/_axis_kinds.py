"""How each label's value axis is drawn: numeric, log-scaled or one strip per option.

Stored trial values alone cannot tell ``hp.choice`` (an index) from a whole
number, nor a log prior from a linear one, so the space, when given, decides.
Without it a label whose values are all whole numbers with only a few distinct
values is drawn as categories (usually it is a choice index), anything else as
a linear numeric axis.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..distributions import Categorical, RandInt
from ..space.compile import CompiledSpace, Param
from ..space.graph import dfs
from ..space.nodes import Apply, Literal
from ._trial_table import TrialTable

#: more options than this are drawn on a numeric axis: strips would be unreadable
MAX_STRIPS = 30
#: without a space, whole-number labels with at most this many values count as choices
GUESS_CATEGORICAL_MAX_VALUES = 10
_MAX_NAME_LENGTH = 18


@dataclass(frozen=True)
class AxisKind:
    """What a plot needs to know about one label's values."""

    #: the hp function that declared the label when the space is known ("uniformint",
    #: "choice", "loguniform"...); empty without a space, as trials do not record it
    kind: str = ""
    log: bool = False
    #: for categorical labels: the stored values (choice index, randint value) in order
    option_values: tuple[float, ...] = ()
    option_names: tuple[str, ...] = ()
    #: every value is a whole number (randint, uniformint, q=1...): ticks at whole numbers
    integer: bool = False

    @property
    def categorical(self) -> bool:
        return len(self.option_values) > 0

    def option_positions(self, values: np.ndarray) -> np.ndarray:
        """Stored values as option indices 0..n-1 (NaN for a value that is no option)."""
        lookup = {value: i for i, value in enumerate(self.option_values)}
        return np.array([lookup.get(v, np.nan) for v in values.tolist()], dtype=float)


def _shorten(text: str) -> str:
    return text if len(text) <= _MAX_NAME_LENGTH else text[: _MAX_NAME_LENGTH - 1] + "…"


def _option_name(option: Apply, index: int) -> str:
    """A short readable name for one branch of hp.choice / hp.pchoice."""
    if isinstance(option, Literal):
        obj = option.obj
        if isinstance(obj, str):
            return _shorten(obj)
        return _shorten(getattr(obj, "__name__", None) or repr(obj))
    if option.name == "dict":
        # A branch such as {"kind": "svm", "C": ...} is best known by its string constant.
        for _, child in option.named_args:
            if isinstance(child, Literal) and isinstance(child.obj, str):
                return _shorten(child.obj)
        return _shorten(
            ", ".join(f"{key}={_option_name(child, 0)}" for key, child in option.named_args)
        )
    if option.name == "hyperopt_param" and isinstance(option.pos_args[0], Literal):
        return _shorten(f"<{option.pos_args[0].obj}>")  # another hyperparameter
    if option.name in ("float", "int") and option.pos_args:
        return _option_name(option.pos_args[0], index)
    if option.name not in ("pos_args", "list_of", "switch"):
        return _shorten(option.name)  # a scope function, e.g. a model constructor
    return f"option {index}"


def _unique(names: list[str]) -> tuple[str, ...]:
    """Names made distinct so that two options never share a tick label."""
    counts = {name: names.count(name) for name in names}
    return tuple(f"{name} #{i}" if counts[name] > 1 else name for i, name in enumerate(names))


def _choice_option_names(compiled: CompiledSpace) -> dict[str, tuple[str, ...]]:
    """label -> names of its options, for every choice that drives a switch."""
    by_selector = {id(param.node): label for label, param in compiled.params.items()}
    names: dict[str, tuple[str, ...]] = {}
    for node in dfs(compiled.expr):
        if node.name != "switch" or not node.pos_args:
            continue
        label = by_selector.get(id(node.pos_args[0]))
        if label is not None and label not in names:
            branches = node.pos_args[1:]
            names[label] = _unique([_option_name(b, i) for i, b in enumerate(branches)])
    return names


def _compile(space: Any) -> CompiledSpace:
    if isinstance(space, CompiledSpace):
        return space
    compiled = getattr(space, "compiled", None)  # a hopt Domain
    return compiled if isinstance(compiled, CompiledSpace) else CompiledSpace(space)


def _kind_from_param(param: Param, option_names: tuple[str, ...] | None) -> AxisKind:
    distribution = param.distribution
    kind = param.hp_kind  # "uniformint", "choice": what the user wrote, not the sampler node
    if param.through_int and kind != "uniformint":
        kind = f"int({kind})"  # scope.int(hp.uniform(...)): whole numbers from a continuous prior
    if isinstance(distribution, Categorical):
        n = distribution.n_options
        names = option_names if option_names and len(option_names) == n else None
        return AxisKind(kind, False, tuple(float(i) for i in range(n)), names or _numbers(n))
    if isinstance(distribution, RandInt) and distribution.n_options <= MAX_STRIPS:
        values = tuple(float(v) for v in range(distribution.low, distribution.high))
        return AxisKind(kind, False, values, tuple(str(int(v)) for v in values))
    log = bool(getattr(distribution, "log", False))
    # param.is_integer also covers scope.int(hp.uniform(...)), whose prior is continuous
    return AxisKind(kind, log, integer=bool(param.is_integer))


def _numbers(n: int) -> tuple[str, ...]:
    return tuple(str(i) for i in range(n))


def _guess_kind(values: np.ndarray) -> AxisKind:
    seen = np.unique(values[np.isfinite(values)])
    whole = seen.size > 0 and bool(np.all(seen == np.round(seen)))
    if whole and seen.size <= GUESS_CATEGORICAL_MAX_VALUES:
        # Strips for every whole number from the smallest to the largest seen, so that
        # an option tried by no ok trial still gets its slot.
        low, high = int(seen.min()), int(seen.max())
        if high - low < GUESS_CATEGORICAL_MAX_VALUES:
            values_range = tuple(float(v) for v in range(low, high + 1))
            return AxisKind("", False, values_range, tuple(str(int(v)) for v in values_range))
        return AxisKind("", False, tuple(seen.tolist()), tuple(str(int(v)) for v in seen))
    return AxisKind(integer=whole)


def axis_kinds(space: Any, table: TrialTable) -> tuple[list[str], dict[str, AxisKind]]:
    """Labels in display order (the space's, then any others) and each label's axis kind.

    A label of the space that no trial recorded (a branch never taken, or a space
    larger than the one the trials ran with) has nothing to draw and is left out.
    """
    kinds: dict[str, AxisKind] = {}
    if space is not None:
        compiled = _compile(space)
        option_names = _choice_option_names(compiled)
        for label, param in compiled.params.items():
            kinds[label] = _kind_from_param(param, option_names.get(label))
    order = [label for label in kinds if label in table.values]
    for label in table.labels:  # labels the trials hold but the space does not
        if label not in kinds:
            kinds[label] = _guess_kind(table.values[label])
            order.append(label)
    return order, kinds


def value_coordinates(kind: AxisKind, values: np.ndarray) -> np.ndarray:
    """Where values sit on a value axis: option index for categories, else the value."""
    return kind.option_positions(values) if kind.categorical else values


def style_value_axis(ax: Any, which: str, kind: AxisKind, values: np.ndarray) -> None:
    """Ticks of the value axis ``which`` (``"x"`` or ``"y"``) of a label drawn by
    ``value_coordinates``: option names for categories, a log scale for log priors,
    ticks at whole numbers only for integer labels.  ``values`` are the drawn values
    (they pick readable log ticks)."""
    axis = ax.xaxis if which == "x" else ax.yaxis
    if kind.categorical:
        axis.set_ticks(list(range(len(kind.option_values))), labels=list(kind.option_names))
        if which == "x" and max(len(name) for name in kind.option_names) > 4:
            ax.tick_params(axis="x", labelrotation=30)
    elif kind.log:
        _log_axis(ax, which, values)
    elif kind.integer:
        integer_ticks(axis)


def integer_ticks(axis: Any) -> None:
    """Ticks at whole numbers only on ``axis`` (a matplotlib Axis): a value, a trial
    number or a count that is always whole never gets a tick at 2.5."""
    from matplotlib.ticker import MaxNLocator

    axis.set_major_locator(MaxNLocator(integer=True))


def _log_axis(ax: Any, which: str, values: np.ndarray) -> None:
    """A log value axis with readable ticks.

    matplotlib labels minor ticks (2x10^-1, 3x10^-1, ...) when the data span less
    than about two decades, and those labels overlap; plain 1-2-5 ticks read better.
    """
    from matplotlib.ticker import LogLocator, NullFormatter, StrMethodFormatter

    (ax.set_xscale if which == "x" else ax.set_yscale)("log")
    axis = ax.xaxis if which == "x" else ax.yaxis
    axis.set_minor_formatter(NullFormatter())
    positive = values[np.isfinite(values) & (values > 0)]
    if positive.size and np.log10(positive.max() / positive.min()) < 2:
        axis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        axis.set_major_formatter(StrMethodFormatter("{x:g}"))
