"""hopt: define-and-run hyperparameter optimization with Hyperopt's API.

``import hopt`` stays light: MongoDB, Spark and plotting support load only
when used.
"""

from . import anneal, early_stop, exceptions, hp, mix, rand, tpe
from ._types import (
    JOB_STATE_CANCEL,
    JOB_STATE_DONE,
    JOB_STATE_ERROR,
    JOB_STATE_NEW,
    JOB_STATE_RUNNING,
    JOB_STATES,
    STATUS_FAIL,
    STATUS_NEW,
    STATUS_OK,
    STATUS_PRUNED,
    STATUS_RUNNING,
    STATUS_STRINGS,
    STATUS_SUSPENDED,
)
from ._version import __version__
from .domain import Domain, space_eval
from .fmin import (
    FMinIter,
    fmin,
    fmin_pass_expr_memo_ctrl,
    generate_trials_to_calculate,
    partial,
)
from .running import TrialPruned, report, should_prune, should_stop
from .trials import Trials, trials_from_docs
from .trials.ctrl import Ctrl

__all__ = [
    "JOB_STATES",
    "JOB_STATE_CANCEL",
    "JOB_STATE_DONE",
    "JOB_STATE_ERROR",
    "JOB_STATE_NEW",
    "JOB_STATE_RUNNING",
    "STATUS_FAIL",
    "STATUS_NEW",
    "STATUS_OK",
    "STATUS_PRUNED",
    "STATUS_RUNNING",
    "STATUS_STRINGS",
    "STATUS_SUSPENDED",
    "Ctrl",
    "FileTrials",
    "MongoTrials",
    "SparkTrials",
    "Domain",
    "FMinIter",
    "Trials",
    "TrialPruned",
    "__version__",
    "anneal",
    "early_stop",
    "exceptions",
    "fmin",
    "fmin_pass_expr_memo_ctrl",
    "generate_trials_to_calculate",
    "hp",
    "mix",
    "partial",
    "rand",
    "report",
    "should_prune",
    "should_stop",
    "space_eval",
    "tpe",
    "trials_from_docs",
]


#: submodules reachable as attributes after a plain ``import hopt``, as Hyperopt's are
#: after ``import hyperopt`` (``hyperopt.pyll.stochastic.sample``, ``hyperopt.base.Ctrl``),
#: imported on first use
_LAZY_SUBMODULES = frozenset(
    {"base", "importance", "mongoexp", "plotting", "progress", "pyll", "utils"}
)


def __getattr__(name: str):
    if name in _LAZY_SUBMODULES:
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    # SparkTrials and MongoTrials load pyspark / pymongo only when one is created,
    # but even their modules are imported only on first use, to keep ``import hopt`` light.
    if name == "SparkTrials":
        from .trials.spark import SparkTrials

        return SparkTrials
    if name == "MongoTrials":
        from .trials.mongo import MongoTrials

        return MongoTrials
    if name == "FileTrials":
        from .trials.file import FileTrials

        return FileTrials
    raise AttributeError(f"module 'hopt' has no attribute {name!r}")
