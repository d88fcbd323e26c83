"""MongoDB backend: ``MongoTrials`` (fmin's side) and ``hopt-worker`` (the workers).

pymongo is imported only when a connection is made, so importing this package
is cheap and works without pymongo installed.
"""

from .jobs import ANY, MongoJobs
from .trials import MongoTrials
from .url import MongoURL, parse_url
from .worker import MongoCtrl, MongoWorker

__all__ = ["ANY", "MongoCtrl", "MongoJobs", "MongoTrials", "MongoURL", "MongoWorker", "parse_url"]
