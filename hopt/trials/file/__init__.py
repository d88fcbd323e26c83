"""FileTrials: durable, parallel trials in one SQLite file on this machine, no server."""

from .jobs import FileJobs
from .trials import FileTrials

__all__ = ["FileJobs", "FileTrials"]
