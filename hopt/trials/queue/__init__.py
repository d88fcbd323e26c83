"""The job-queue protocol and the worker that serves any queue (MongoDB, a local file)."""

from .protocol import ANY, DEFAULT_MAX_ATTEMPTS, JobQueue, Renewal, experiment_id
from .worker import QueueCtrl, QueueWorker, WorkerShutdown

__all__ = [
    "ANY",
    "DEFAULT_MAX_ATTEMPTS",
    "JobQueue",
    "QueueCtrl",
    "QueueWorker",
    "Renewal",
    "WorkerShutdown",
    "experiment_id",
]
