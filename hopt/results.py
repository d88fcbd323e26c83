"""Turn whatever an objective returned into a valid result document.

A bad return value (NaN or infinite loss, no loss, unknown status, ``None``)
becomes a failed result whose ``error`` says what was wrong and what to return
instead; nothing is lost.

Script bugs and bad configurations
----------------------------------
A bad result is one of two kinds, and fmin treats them differently:

* **a bug in the script**: the *kind* of value can never be a loss, whatever
  the configuration, so every trial would fail the same way.  The objective
  returned something that is not a number, a list of numbers or a dict
  (``None``, a string); a dict with neither ``loss`` nor ``status``, with an
  unknown ``status``, or with ``status`` ``"ok"`` and no ``loss``; or a
  ``loss`` that is neither a number nor a list (``None``, a string, a dict).
  The failed result's error has ``"fatal": True``, and fmin stops at the first
  one it sees (raising ``InvalidLossError`` or ``InvalidResultStatusError``,
  see :func:`fatal_error`), whatever ``catch_eval_exceptions`` says: that flag
  is about exceptions the objective raises.
* **a bad configuration**: the value has the right kind but not a usable
  value for this point: a NaN or infinite loss, a list of losses that is
  ragged, nested, empty or of another length than the search's, constraints
  that are not finite numbers or of another count.  The trial is recorded as
  failed and the search goes on, as for an exception the objective raised
  with ``catch_eval_exceptions=True``.

Recorded errors
---------------
A failed trial that hopt recorded has ``result["error"] = {"type", "message"}``
(plus ``"traceback"`` when an exception was raised, and ``"fatal": True`` on a
script bug, see above) and, as in Hyperopt,
``misc["error"] = (type, message)``.  ``type`` is the name of an exception class:

* when the objective raised, the name of that exception's class, as Python
  spells it (``ValueError``, ``MemoryError``, a class of the user's own);
* when hopt or a backend finds the failure itself, one of the names below.
  Each ends in ``Error`` like a Python exception class, so the field reads the
  same whichever side failed; the first two are also the ``hopt.exceptions``
  classes of the same name.

==========================  ==========================================================
``InvalidLossError``        no loss, or a loss that is NaN, infinite or not a number; with
                            several objectives, a ragged or nested list of losses, or
                            another number of losses than the search has
``InvalidConstraintsError``  ``constraints`` that are not a flat list of finite numbers,
                            or another number of them than the search has
``InvalidResultStatusError``  neither ``loss`` nor ``status``, or an unknown status
``ResultNotStorableError``  the backend cannot store the result or its attachments
``TrialCancelledError``     fmin stopped before the trial ran or finished (state CANCEL):
                            a stopping rule, or Ctrl-C (``KeyboardInterrupt``) in the
                            objective, after which the point is queued again
``WorkerLostError``         MongoTrials, FileTrials: every worker that took it stopped
                            renewing its lease, ``max_attempts`` times; SparkTrials: the
                            slot task running it died 3 times
``SparkJobError``           SparkTrials: the trial's Spark job failed or sent no result
``TrialTimeoutError``       SparkTrials: the trial ran past ``trial_timeout``; its task
                            was cancelled
``DomainUnavailableError``  hopt-worker cannot load the objective (the exception of
                            ``hopt.trials.mongo.worker``)
==========================  ==========================================================
"""

from __future__ import annotations

import math
import numbers
import traceback
from collections.abc import Mapping
from typing import Any

import numpy as np

from ._types import FINAL_STATUSES, STATUS_FAIL, STATUS_OK, STATUS_PRUNED
from .exceptions import HoptError, InvalidLossError, InvalidResultStatusError

#: ``error["type"]`` of the failures hopt finds itself (see the module docstring)
INVALID_LOSS_ERROR = "InvalidLossError"
INVALID_RESULT_STATUS_ERROR = "InvalidResultStatusError"
INVALID_CONSTRAINTS_ERROR = "InvalidConstraintsError"
RESULT_NOT_STORABLE_ERROR = "ResultNotStorableError"
TRIAL_CANCELLED_ERROR = "TrialCancelledError"
WORKER_LOST_ERROR = "WorkerLostError"
SPARK_JOB_ERROR = "SparkJobError"
TRIAL_TIMEOUT_ERROR = "TrialTimeoutError"


def failed_result(
    error_type: str,
    message: str,
    extra: dict | None = None,
    tb: str | None = None,
    *,
    fatal: bool = False,
):
    """A failed result recording ``error_type`` and ``message`` (over ``extra``'s keys);
    ``fatal`` marks a script bug, at which fmin stops (see the module docstring)."""
    result: dict[str, Any] = dict(extra or {})
    result["status"] = STATUS_FAIL
    result["error"] = {"type": error_type, "message": message}
    if tb is not None:
        result["error"]["traceback"] = tb
    if fatal:
        result["error"]["fatal"] = True
    return result


def is_fatal(result: Mapping[str, Any]) -> bool:
    """Whether ``result`` records a script bug (a result that can never be a loss)."""
    error = recorded_error(result)
    return result.get("status") == STATUS_FAIL and error is not None and error.get("fatal") is True


def fatal_error(result: Mapping[str, Any], tid: Any) -> HoptError:
    """The error fmin raises when trial ``tid`` recorded the script bug ``result``."""
    error = recorded_error(result) or {"type": INVALID_LOSS_ERROR, "message": "no loss"}
    cls = (
        InvalidResultStatusError
        if error["type"] == INVALID_RESULT_STATUS_ERROR
        else InvalidLossError
    )
    return cls(
        f"fmin stopped at trial {tid}: the {error['message']} That is a bug in the objective, "
        "not a bad configuration (every trial would fail the same way), so no more trials "
        "were run; the trial is recorded as failed."
    )


def recorded_error(result: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The result's ``error`` when hopt recorded it (a dict with ``type`` and ``message``).

    An objective may put anything under ``"error"`` (an error rate, a string):
    Hyperopt never reads it, and neither does hopt unless it has that shape.
    """
    error = result.get("error")
    if isinstance(error, Mapping) and "type" in error and "message" in error:
        return error
    return None


def exception_result(exc: BaseException) -> dict[str, Any]:
    """The failed result recording an exception the objective raised."""
    tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return failed_result(type(exc).__name__, str(exc), tb=tb)


def _as_loss(value: Any) -> float | None:
    if isinstance(value, np.ndarray) and value.size == 1:
        value = value.reshape(()).item()
    if isinstance(value, (numbers.Real, np.number)) and not isinstance(value, np.complexfloating):
        return float(value)
    return None


#: the statuses a finished trial's result may have (Hyperopt's two, and hopt's pruned)
ACCEPTED_STATUSES = (*FINAL_STATUSES, STATUS_PRUNED)


def pruned_result(last: Mapping[str, Any] | None) -> dict[str, Any]:
    """The result of a pruned trial: its loss is its last report's value (none without)."""
    if last is None:
        return {"status": STATUS_PRUNED}
    return {"loss": float(last["value"]), "status": STATUS_PRUNED, "pruned_step": int(last["step"])}


def normalize_result(returned: Any) -> dict[str, Any]:
    """A result dict with a valid ``status`` and, for ``ok``, a finite float ``loss``."""
    loss = _as_loss(returned)
    if loss is not None:
        result: dict[str, Any] = {"loss": loss, "status": STATUS_OK}
    elif isinstance(returned, (list, tuple, np.ndarray)):  # several losses, returned bare
        result = {"loss": returned, "status": STATUS_OK}
    elif isinstance(returned, Mapping):
        result = dict(returned)
    else:
        return failed_result(
            INVALID_LOSS_ERROR,
            f"objective returned {_describe(returned)}; "
            "return a number (the loss) or a dict with 'loss' and 'status'.",
            fatal=True,
        )
    status = result.get("status")
    if status is None:
        if "loss" not in result:
            return failed_result(
                INVALID_RESULT_STATUS_ERROR,
                "objective returned a dict with neither 'loss' nor 'status'; "
                "add 'loss' (and 'status': 'ok'), or 'status': 'fail'.",
                result,
                fatal=True,
            )
        status = result["status"] = STATUS_OK
    if status not in ACCEPTED_STATUSES:
        return failed_result(
            INVALID_RESULT_STATUS_ERROR,
            f"objective returned status={status!r}; a finished trial's status must be "
            f"one of {list(ACCEPTED_STATUSES)}.",
            {k: v for k, v in result.items() if k != "status"},
            fatal=True,
        )
    if status == STATUS_FAIL or (status == STATUS_PRUNED and result.get("loss") is None):
        return result
    if "loss" not in result:
        return failed_result(
            INVALID_LOSS_ERROR,
            "objective returned status 'ok' without a 'loss'; add the loss to the dict.",
            result,
            fatal=True,
        )
    loss, problem = _as_losses(result["loss"], "loss")
    if problem is not None:
        return failed_result(
            INVALID_LOSS_ERROR,
            f"objective returned loss={result['loss']!r:.80}, {problem}; a loss must be a "
            "finite number, or a flat list of finite numbers for several objectives "
            "(return status 'fail' for a run that did not work).",
            result,
            # a NaN or a badly shaped list is this configuration's; a loss of a kind that
            # is never a number (None, a string, a dict) is the script's
            fatal=not _could_be_a_loss(result["loss"]),
        )
    result["loss"] = loss
    if "constraints" in result and status == STATUS_OK:
        constraints, problem = _as_losses(result["constraints"], "constraints", always_list=True)
        if problem is not None:
            return failed_result(
                INVALID_CONSTRAINTS_ERROR,
                f"objective returned constraints={result['constraints']!r:.80}, {problem}; "
                "constraints must be a finite number or a flat list of finite numbers, each "
                "at most 0 when the trial is feasible.",
                result,
            )
        result["constraints"] = constraints
        result["feasible"] = all(c <= 0.0 for c in constraints)
    return result


def _could_be_a_loss(value: Any) -> bool:
    """Whether ``value`` has a kind a loss can have (a number, a list or array of them)."""
    return _as_loss(value) is not None or isinstance(value, (list, tuple, np.ndarray))


def _describe(returned: Any) -> str:
    if returned is None:
        return "None (does it end without a return statement?)"
    return f"{type(returned).__name__} {returned!r:.80}"


def _as_losses(value: Any, name: str, always_list: bool = False) -> tuple[Any, str | None]:
    """(a float, or a list of floats, and None), or (None, what is wrong with ``value``).

    A one-element list is one number unless ``always_list`` (constraints are always
    a list); an empty one is refused.
    """
    single = _as_loss(value)
    if single is not None:
        if not math.isfinite(single):
            return None, f"which is {'NaN' if math.isnan(single) else 'infinite'}"
        return ([single] if always_list else single), None
    if isinstance(value, np.ndarray):
        if value.ndim != 1:
            return None, f"an array of shape {value.shape} (a flat list is needed)"
        value = value.tolist()
    if not isinstance(value, (list, tuple)):
        return None, f"which is {type(value).__name__}, not a number"
    if not value:
        return None, f"an empty {name} list"
    values = []
    for index, item in enumerate(value):
        number = _as_loss(item)
        if number is None:
            nested = isinstance(item, (list, tuple, np.ndarray, Mapping))
            what = "a nested list" if nested else f"{type(item).__name__} {item!r:.40}"
            return None, f"whose item {index} is {what}, not a number"
        if not math.isfinite(number):
            return None, f"whose item {index} is {'NaN' if math.isnan(number) else 'infinite'}"
        values.append(number)
    if len(values) == 1 and not always_list:
        return values[0], None
    return values, None


def loss_count(result: Mapping[str, Any]) -> int:
    """How many losses an ``ok`` result holds: 1 for a number, the length of a list."""
    loss = result.get("loss")
    return len(loss) if isinstance(loss, (list, tuple)) else 1


def constraint_count(result: Mapping[str, Any]) -> int:
    """How many constraints a result holds (0 without ``constraints``)."""
    constraints = result.get("constraints")
    return len(constraints) if isinstance(constraints, (list, tuple)) else 0


def checked_shape(
    result: dict[str, Any], n_objectives: int | None, n_constraints: int | None
) -> dict[str, Any]:
    """``result``, or a failed result when an ``ok`` result has another number of losses
    or constraints than the search (``None``: not fixed yet, anything goes)."""
    if result.get("status") != STATUS_OK:
        return result
    if n_objectives is not None and loss_count(result) != n_objectives:
        got = loss_count(result)
        return failed_result(
            INVALID_LOSS_ERROR,
            f"objective returned {got} loss{'es' if got != 1 else ''}, but this search has "
            f"{n_objectives} objective{'s' if n_objectives != 1 else ''} (declared with "
            "fmin(n_objectives=...), or else fixed by the first result); return "
            f"{n_objectives} every time.",
            {k: v for k, v in result.items() if k != "status"},
        )
    if n_constraints is not None and constraint_count(result) != n_constraints:
        got = constraint_count(result)
        return failed_result(
            INVALID_CONSTRAINTS_ERROR,
            f"objective returned {got} constraint value{'s' if got != 1 else ''}, but this "
            f"search has {n_constraints} (fixed by the first result); return the same "
            "constraints every time.",
            {k: v for k, v in result.items() if k not in ("status", "feasible")},
        )
    return result
