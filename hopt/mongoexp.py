"""Hyperopt's ``hyperopt.mongoexp`` names: ``MongoTrials``, ``MongoJobs``, ``MongoWorker``.

``from hopt.mongoexp import MongoTrials`` works as in Hyperopt; the worker
command is ``hopt-worker`` (Hyperopt's was ``hyperopt-mongo-worker``).
"""

from __future__ import annotations

from .trials.mongo import MongoCtrl, MongoJobs, MongoTrials, MongoWorker, parse_url
from .trials.mongo.cli import main

__all__ = ["MongoCtrl", "MongoJobs", "MongoTrials", "MongoWorker", "main", "parse_url"]
