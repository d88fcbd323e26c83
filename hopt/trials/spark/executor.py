"""What runs inside a Spark task: evaluate one trial and return its result.

Every exception of the objective is caught here and returned as a failed
result, so Spark never retries a trial because the objective raised; Spark
retries only what the objective cannot cause, such as a lost executor.
"""

from __future__ import annotations

import pickle
from typing import Any

# Python workers are reused across tasks: unpickle each run's domain once per worker.
_domains: dict[str, Any] = {}

#: what the task adds to the result for the driver (popped there): the process that
#: ran the trial, recorded as its ``owner`` (rule 9 of the storage contract)
OWNER_KEY = "__hopt_owner__"


def _domain(run_id: str, payload: Any) -> Any:
    domain = _domains.get(run_id)
    if domain is None:
        _domains.clear()  # one run at a time per worker keeps memory flat
        domain = _domains[run_id] = pickle.loads(payload.value)
    return domain


def evaluate_on_executor(run_id: str, payload: Any, config: dict) -> dict:
    """The trial's result dict (``attachments`` included, stored by the driver)."""
    from ..._utils import worker_name
    from ...results import exception_result

    try:
        domain = _domain(run_id, payload)
        result = domain.evaluate(config, ctrl=None, attach_attachments=False)
    except Exception as exc:  # recorded as a failed trial, never retried by Spark
        result = exception_result(exc)
    return {**result, OWNER_KEY: worker_name()}


def run_trial_task(run_id: str, payload: Any, batch: list, results: Any) -> list:
    """The body of one Spark task of a batch job: partition ``k`` runs ``batch[k]``.

    ``batch`` is a list of ``(tid, config)``. The result travels to the driver
    through the ``results`` accumulator (see delivery.py) as soon as this task
    ends; the task itself returns only the tid.
    """
    from pyspark import TaskContext

    context = TaskContext.get()
    assert context is not None, "run_trial_task runs only inside a Spark task"
    tid, config = batch[context.partitionId()]
    results.add([(tid, evaluate_on_executor(run_id, payload, config))])
    return [tid]
