"""Hyperopt's names for the MongoDB worker: the worker itself serves any job queue.

``MongoWorker`` is ``QueueWorker`` (hopt.trials.queue.worker) running against a
``MongoJobs``; ``MongoCtrl`` is its ``QueueCtrl``.
"""

from __future__ import annotations

from ..queue.worker import (
    DomainUnavailableError,
    LeasedStore,
    QueueCtrl,
    QueueWorker,
    WorkerShutdown,
)

MongoWorker = QueueWorker
MongoCtrl = QueueCtrl

__all__ = [
    "DomainUnavailableError",
    "LeasedStore",
    "MongoCtrl",
    "MongoWorker",
    "WorkerShutdown",
]
