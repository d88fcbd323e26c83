"""A ``Domain`` is an objective plus its compiled space: what a trial evaluates.

The space is compiled once (labels, priors, when each label is active); each
evaluation then only fixes the trial's values in the graph and evaluates the
chosen branches.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ._types import STATUS_NEW, STATUS_OK
from ._validate import did_you_mean_each, is_real
from .exceptions import InvalidArgumentError, InvalidSpaceError
from .results import checked_shape, constraint_count, loss_count, normalize_result, pruned_result
from .running import TrialPruned, last_report, running_trial
from .space.compile import CompiledSpace
from .space.evaluate import rec_eval
from .space.nodes import Apply, as_apply


class Domain:
    """An objective function ``fn`` over the search space ``expr``."""

    #: Hyperopt's flag for ``rec_eval(..., print_node_on_error=...)``, read by code
    #: written for it (Ray Tune's HyperOptSearch); hopt's errors name the label anyway
    rec_eval_print_node_on_error = False

    def __init__(
        self,
        fn: Callable[..., Any],
        expr: Any,
        workdir: str | None = None,
        pass_expr_memo_ctrl: bool | None = None,
        name: str | None = None,
        loss_target: float | None = None,
    ) -> None:
        self.fn = fn
        if pass_expr_memo_ctrl is None:
            pass_expr_memo_ctrl = getattr(fn, "fmin_pass_expr_memo_ctrl", False)
        self.pass_expr_memo_ctrl = bool(pass_expr_memo_ctrl)
        self.expr: Apply = as_apply(expr)
        self.compiled = CompiledSpace(self.expr)
        #: label -> sampler node, as in Hyperopt
        self.params: dict[str, Apply] = {
            label: p.sampler_node for label, p in self.compiled.params.items()
        }
        self.workdir = workdir
        self.name = name
        self.loss_target = loss_target
        #: the run's pruner (``fmin(..., pruner=...)``); travels with the domain to workers
        self.pruner: Any = None
        #: how many losses and constraint values every ``ok`` result must have: declared
        #: (``fmin(n_objectives=...)``) or fixed by the first result (``fix_shape``);
        #: None until then
        self.n_objectives: int | None = None
        self.n_constraints: int | None = None
        self.cmd = ("domain_attachment", "FMinIter_Domain")

    # -- evaluation --------------------------------------------------------------
    def memo_from_config(self, config: Mapping[str, Any]) -> dict[Apply, Any]:
        """The graph's label nodes fixed to ``config``'s values (Hyperopt's memo)."""
        return self.compiled.memo_for(config)

    def point(self, config: Mapping[str, Any]) -> Any:
        """The value the objective receives for a configuration ``{label: value}``."""
        try:
            return rec_eval(self.expr, memo=self.memo_from_config(config))
        except InvalidSpaceError:
            if self.compiled.exact:
                needed = self.compiled.active_labels(config)
                missing = [label for label in needed if label not in config]
                if missing:
                    raise InvalidArgumentError(
                        f"trial configuration: no value for {missing!r}, which its choices "
                        f"make active; got {dict(config)!r}. Give every active label."
                    ) from None
            raise

    def evaluate(self, config: Mapping[str, Any], ctrl: Any, attach_attachments: bool = True):
        """Call the objective on one configuration; return a valid result dict.

        Exceptions of the objective propagate (the caller records them); bad
        return values become failed results, see :func:`hopt.results.normalize_result`.
        """
        # hopt.report / should_prune / should_stop reach ``ctrl`` and the run's pruner
        with running_trial(ctrl, getattr(self, "pruner", None)):
            try:
                if self.pass_expr_memo_ctrl:
                    returned = self.fn(
                        expr=self.expr, memo=self.memo_from_config(config), ctrl=ctrl
                    )
                else:
                    returned = self.fn(self.point(config))
            except TrialPruned:
                returned = pruned_result(last_report(ctrl))
        result = self.checked(normalize_result(returned))
        if not attach_attachments:
            return result  # attachments stay in the result, for whoever stores it
        attachments = result.pop("attachments", None)
        if attachments and ctrl is not None:
            for key, blob in dict(attachments).items():
                ctrl.attachments[key] = blob
        return result

    def checked(self, result: dict[str, Any]) -> dict[str, Any]:
        """``result``, or a failed one when it has another number of losses or
        constraints than this search; the first ``ok`` result fixes both numbers."""
        # (getattr: a domain pickled by an older hopt, read back from a store, has neither)
        result = checked_shape(
            result, getattr(self, "n_objectives", None), getattr(self, "n_constraints", None)
        )
        self.fix_shape(result)
        return result

    def fix_shape(self, result: Mapping[str, Any]) -> None:
        """Take the numbers of losses and constraints of a first ``ok`` result."""
        if result.get("status") != STATUS_OK:
            return
        if getattr(self, "n_objectives", None) is None:
            self.n_objectives = loss_count(result)
        if getattr(self, "n_constraints", None) is None:
            self.n_constraints = constraint_count(result)

    def short_str(self) -> str:
        """A one-line name of the domain, for logs."""
        return f"Domain{{{self.fn!r}}}"

    # -- result accessors used by Trials.average_best_error ----------------------
    def loss(self, result: Mapping[str, Any], config: Any = None) -> float | None:
        """``result['loss']``, or None when the result has none."""
        return result.get("loss")

    def loss_variance(self, result: Mapping[str, Any], config: Any = None) -> float:
        """``result['loss_variance']``; 0 when the loss is exact."""
        return result.get("loss_variance", 0.0)

    def true_loss(self, result: Mapping[str, Any], config: Any = None) -> float | None:
        """``result['true_loss']`` (e.g. a test-set loss); the loss when not given."""
        return result.get("true_loss", self.loss(result))

    def true_loss_variance(self, result: Mapping[str, Any], config: Any = None) -> float:
        """``result['true_loss_variance']``; the loss variance when not given."""
        return result.get("true_loss_variance", self.loss_variance(result))

    def status(self, result: Mapping[str, Any], config: Any = None) -> str:
        """``result['status']``."""
        return result["status"]

    def new_result(self) -> dict[str, Any]:
        """The result of a trial not yet run: ``{"status": "new"}``."""
        return {"status": STATUS_NEW}


def _checked_value(param: Any, value: Any) -> int | float:
    """One assigned value as stored in trials, or an error naming its label."""
    if not is_real(value):
        raise InvalidArgumentError(
            f"space_eval: the value of {param.label!r} must be a number; got "
            f"{param.label}={value!r}. Pass fmin's result (choices as option indices)."
        )
    dist = param.distribution
    if dist.is_categorical:
        if float(value) != int(value) or not dist.low <= int(value) < dist.high:
            raise InvalidArgumentError(
                f"space_eval: {param.label!r} takes an option index in [{dist.low}, "
                f"{dist.high}); got {param.label}={value!r}."
            )
    if param.is_integer and dist.is_integer and not float(value).is_integer():
        return float(value)  # off an integer grid: kept as given, not silently rounded
    return param.to_python(value)


def space_eval(space: Any, hp_assignment: Mapping[str, Any]) -> Any:
    """The concrete value of ``space`` for an assignment such as ``fmin``'s result.

    Choice labels map to option indices (as in trials and ``argmin``); a missing
    label that the chosen branches need is reported by name.
    """
    if not isinstance(hp_assignment, Mapping):
        raise InvalidArgumentError(
            f"space_eval: hp_assignment must be a dict of label -> value; "
            f"got hp_assignment={hp_assignment!r}."
        )
    compiled = CompiledSpace(space)
    unknown = sorted(set(hp_assignment) - set(compiled.params), key=str)
    if unknown:
        labels = sorted(compiled.params)
        raise InvalidArgumentError(
            f"space_eval: labels {unknown!r} are not in the space; "
            f"its labels are {labels!r}.{did_you_mean_each(unknown, labels)}"
        )
    config = {}
    for label, value in hp_assignment.items():
        if isinstance(value, (list, tuple)):
            if len(value) == 0:
                continue  # trial misc['vals'] style: [] for an inactive label
            if len(value) == 1:
                value = value[0]  # and [value] for an active one
        config[label] = _checked_value(compiled.params[label], value)
    if compiled.exact:
        missing = [label for label in compiled.active_labels(config) if label not in config]
        if missing:
            raise InvalidSpaceError(
                f"space_eval: no value for {missing!r}, which the chosen branches use; "
                "pass every active label (e.g. fmin's result)."
            )
    return rec_eval(compiled.expr, memo=compiled.memo_for(config))
