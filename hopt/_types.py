"""Status and job-state constants shared by every layer (Hyperopt's values), and the
trial document's schema as ``TypedDict`` s.

The ``TypedDict`` s say which keys a trial document holds and what they mean; they
cost nothing at run time, where documents stay plain ``dict`` s (as in Hyperopt,
and as MongoDB and the file store hand them back).
"""

from __future__ import annotations

import datetime
from typing import Any, TypedDict

STATUS_NEW = "new"
STATUS_RUNNING = "running"
STATUS_SUSPENDED = "suspended"
STATUS_OK = "ok"
STATUS_FAIL = "fail"
STATUS_STRINGS = (STATUS_NEW, STATUS_RUNNING, STATUS_SUSPENDED, STATUS_OK, STATUS_FAIL)
#: a trial a pruner stopped early (hopt's own; Hyperopt's STATUS_STRINGS stay as they were)
STATUS_PRUNED = "pruned"
#: the statuses an objective may report for a finished evaluation
FINAL_STATUSES = (STATUS_OK, STATUS_FAIL)

JOB_STATE_NEW = 0
JOB_STATE_RUNNING = 1
JOB_STATE_DONE = 2
JOB_STATE_ERROR = 3
JOB_STATE_CANCEL = 4
JOB_STATES = [JOB_STATE_NEW, JOB_STATE_RUNNING, JOB_STATE_DONE, JOB_STATE_ERROR, JOB_STATE_CANCEL]
JOB_VALID_STATES = {JOB_STATE_NEW, JOB_STATE_RUNNING, JOB_STATE_DONE}

TRIAL_KEYS = [
    "tid",
    "spec",
    "result",
    "misc",
    "state",
    "owner",
    "book_time",
    "refresh_time",
    "exp_key",
]
TRIAL_MISC_KEYS = ["tid", "cmd", "idxs", "vals"]


# -- the trial document ---------------------------------------------------------------------
# Python 3.10 has no ``NotRequired``: optional keys go in a ``total=False`` subclass of a
# class that holds the required ones.


class RecordedError(TypedDict, total=False):
    """``result["error"]`` of a failure hopt recorded (see ``hopt.results``).

    Keys: ``type``, the exception class's name (``ValueError``) or one of hopt's
    own (``InvalidLossError``, ``WorkerLostError``...); ``message``; ``traceback``,
    present when an exception was raised; ``fatal``, True on a result that can
    never be a loss whatever the configuration (a bug in the objective: fmin stops
    at it; see ``hopt.results``).
    """

    type: str
    message: str
    traceback: str
    fatal: bool


class TrialResult(TypedDict, total=False):
    """A trial's ``result``: what the objective returned, normalised.

    ``status`` is always there (``"new"`` until the trial ran, then ``"ok"`` or
    ``"fail"``).  ``loss`` is a number, or a list of numbers for several objectives.
    The other keys are the ones hopt itself reads: ``loss_variance``, ``true_loss``
    and ``true_loss_variance`` (``Trials.average_best_error``), ``attachments``
    (name -> bytes, moved to the trial's attachments before the result is stored)
    and ``error`` (a ``RecordedError`` when hopt recorded the failure).

    An objective may return keys of its own: they are stored and read back as given.
    A type checker knows only the keys listed here; read your own with
    ``result.get("name")``.
    """

    status: str
    loss: Any
    loss_variance: float
    true_loss: float
    true_loss_variance: float
    attachments: dict[str, Any]
    error: Any


class _TrialMiscRequired(TypedDict):
    tid: int
    cmd: Any
    idxs: dict[str, list[Any]]
    vals: dict[str, list[Any]]


class TrialMisc(_TrialMiscRequired, total=False):
    """A trial's ``misc``: the sampled configuration in Hyperopt's column form.

    ``idxs[label]`` is ``[tid]`` and ``vals[label]`` is ``[value]`` when the label is
    active in this trial, both ``[]`` when an ``hp.choice`` left it out (choices as
    option indices).  ``tid`` repeats the trial's; ``cmd`` names how workers load
    the objective; ``workdir`` is where the objective runs (or None).  Optional:
    ``error``, ``(type, message)`` of a recorded failure (Hyperopt's form; a list
    once stored in MongoDB, which has no tuples), and
    ``from_tid``, the trial this one was copied from (``source_trial_docs``).
    """

    workdir: str | None
    error: tuple[str, str] | list[str]
    from_tid: Any


class TrialReport(TypedDict):
    """One intermediate report of a running trial (``hopt.report(value, step)``)."""

    step: int
    value: float
    time: datetime.datetime | float | None


class _TrialDocRequired(TypedDict):
    tid: int
    spec: Any
    result: TrialResult
    misc: TrialMisc
    state: int
    owner: str | None
    book_time: datetime.datetime | None
    refresh_time: datetime.datetime | None
    exp_key: str | None


class TrialDoc(_TrialDocRequired, total=False):
    """One trial, as every backend stores it (Hyperopt's schema plus hopt's fields).

    Always present (``TRIAL_KEYS``): ``tid``, the trial id (an int when hopt
    allocates it); ``spec`` (None; kept for Hyperopt); ``result`` (``TrialResult``);
    ``misc`` (``TrialMisc``); ``state``, one of ``JOB_STATE_*``; ``owner``, the
    worker that ran it (``host:pid...``) or None; ``book_time`` and
    ``refresh_time``, when it started and was last written (naive UTC datetimes,
    or None); ``exp_key``, the experiment it belongs to (or None).

    Present once the trial did something (``hopt.trials.contract`` states the rules):
    ``end_time`` (finished), ``reports`` (intermediate values, in order),
    ``stop_requested`` (someone asked it to stop), ``version`` (bumped by every
    write to a stored document).  Queue backends (FileTrials, MongoTrials) add the
    lease bookkeeping: ``attempts`` (reservations so far), ``max_attempts``,
    ``lost_owners`` (workers that lost it), ``lease`` and ``lease_expires``, and
    MongoDB's ``_id``, ``changed`` (the server's time of the last write) and
    ``domain_version`` (the stored objective the trial was queued for).
    """

    end_time: datetime.datetime | None
    reports: list[TrialReport]
    stop_requested: bool
    version: int
    attempts: int
    max_attempts: int
    lost_owners: list[str | None]
    lease: str | None
    lease_expires: Any
    changed: Any
    domain_version: Any
    _id: Any
