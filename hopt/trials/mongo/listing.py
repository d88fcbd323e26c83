"""``TrialListing``: MongoTrials' copy of an experiment's trial documents.

Reading every trial on every refresh costs a query whose answer grows with the
experiment, and fmin reads at least once per trial.  Every write of a trial
stamps it with the server's clock (``changed``, see jobs.py), so a read asks,
in one ``find``, for the whole documents stamped since the newest stamp seen,
less a margin; those this copy holds at the same ``version`` are no news.
(Asking the server to leave those out, with ``$nor`` or a second ``$or``
branch, made SecantusDB scan the whole collection: 3 to 5 times slower than
reading them.)

The server's clock only moves forward in normal operation; the margin covers a
small step back (NTP) and writes whose stamp was taken just before the previous
read but committed after it.  A full listing of ``(_id, version, changed)`` now
and then (and after this process deletes trials) finds what an incremental read
cannot: trials deleted by another process, and documents changed without a new
stamp (by an older hopt, or by hand).

The documents are kept in trial order as a list, and a changed one replaces its
old copy in place, so a read that finds a few documents costs a copy of that
list, not a lookup per trial (a worker's pruner reads after every report).

A worker's copy (``worker_listing``, what ``MongoJobs.trials_view`` reads) serves
pruning decisions: one read after every report, by every worker.  It re-reads
0.5 s of stamps instead of 2 s (half the cost of a decision's read on SecantusDB
when trials finish quickly) and lists everything every 5 minutes instead of 30 s
(a full listing of 1,000 trials costs tens of milliseconds there, and every
worker makes its own).  What that may miss for longer is a pruner's small loss:
a write committed more than 0.5 s after its stamp is seen at the trial's next
write (its next report, its result, or a lease renewal, a third of the lease at
most), and a trial deleted meanwhile stays up to 5 minutes.
"""

from __future__ import annotations

import datetime
import time
from typing import Any

#: re-read stamps this much older than the newest one seen (see the module docstring)
STAMP_MARGIN = datetime.timedelta(seconds=2)
#: a full listing at least this often (seconds)
FULL_LISTING_SECS = 30.0
#: the same two for a worker's copy (``worker_listing``; see the module docstring)
WORKER_STAMP_MARGIN = datetime.timedelta(seconds=0.5)
WORKER_FULL_LISTING_SECS = 300.0


class TrialListing:
    """The trial documents of one experiment, in trial order, kept up to date cheaply.

    Args:
        full_listing_secs: how often a read is a full listing (see the module
            docstring); None, ``FULL_LISTING_SECS``.
        stamp_margin: how much older than the newest stamp seen a read re-reads;
            None, ``STAMP_MARGIN``.
    """

    def __init__(
        self,
        full_listing_secs: float | None = None,
        stamp_margin: datetime.timedelta | None = None,
    ) -> None:
        self.full_listing_secs = full_listing_secs
        self.stamp_margin = stamp_margin
        self._docs: dict[Any, dict] = {}  # _id -> document
        self._ordered: list[dict] = []  # the documents in trial order (while not _reorder)
        self._position: dict[Any, int] = {}  # _id -> its index in _ordered
        self._newest: Any = None  # the newest ``changed`` stamp seen
        self._last_full = -float("inf")
        self._reorder = False
        #: the newest stamp among the documents the last read found new or changed
        self.news_stamp: Any = None

    def list_everything_next(self) -> None:
        """Make the next ``read`` a full listing (trials were deleted: it drops them)."""
        self._last_full = -float("inf")

    def add_own(self, docs: list[dict]) -> None:
        """Trials this process just inserted, as stored: known without reading them back."""
        for doc in docs:
            self._put(doc)

    def read(self, jobs: Any, exp_key: Any) -> bool:
        """Bring the copy up to date; True if it found a trial new or changed since."""
        now = time.monotonic()
        every = FULL_LISTING_SECS if self.full_listing_secs is None else self.full_listing_secs
        if self._docs and now - self._last_full >= every:
            return self._full(jobs, exp_key)
        if not self._docs and self._newest is None:
            self._last_full = now  # this read asks for every trial: a full one
        return self._incremental(jobs, exp_key)

    def docs(self) -> list[dict]:
        """Every document held, in trial order (a new list: later reads leave it alone)."""
        docs = self._docs
        if self._reorder or len(self._ordered) != len(docs):
            order = sorted(docs, key=lambda _id: (docs[_id]["tid"], str(_id)))
            self._ordered = [docs[_id] for _id in order]
            self._position = {_id: index for index, _id in enumerate(order)}
            self._reorder = False
        return list(self._ordered)

    def _put(self, doc: dict) -> None:
        """Hold ``doc``: a new trial is placed by the next ``docs()``, a known one at once."""
        _id = doc["_id"]
        known = _id in self._docs
        self._docs[_id] = doc
        if not known:
            self._reorder = True
        elif not self._reorder:
            self._ordered[self._position[_id]] = doc

    def _incremental(self, jobs: Any, exp_key: Any) -> bool:
        margin = STAMP_MARGIN if self.stamp_margin is None else self.stamp_margin
        since = None if self._newest is None else self._newest - margin
        return self._take(jobs.changed_docs(exp_key, since))

    def _full(self, jobs: Any, exp_key: Any) -> bool:
        self._last_full = time.monotonic()
        listing = jobs.listing(exp_key)
        docs = self._docs
        stale = [_id for _id, version, _ in listing if docs.get(_id, {}).get("version") != version]
        # (a document that changed again between the two reads is simply newer: fine)
        news = self._take(jobs.find_ids(stale) if stale else [])
        listed = {_id for _id, _, _ in listing}
        gone = [_id for _id in docs if _id not in listed]
        for _id in gone:  # deleted by another process
            del docs[_id]
        self._reorder |= bool(gone)
        return news or bool(gone)

    def _take(self, found: list[dict]) -> bool:
        """Keep the documents read; True if one was new or at another version."""
        news = False
        self.news_stamp = None
        for doc in found:
            known = self._docs.get(doc["_id"])
            changed = doc.get("changed")
            if known is None or known.get("version") != doc.get("version"):
                news = True
                if changed is not None and (self.news_stamp is None or changed > self.news_stamp):
                    self.news_stamp = changed
            self._put(doc)
            if changed is not None and (self._newest is None or changed > self._newest):
                self._newest = changed
        return news


def worker_listing() -> TrialListing:
    """The copy a worker's pruning decisions read (see the module docstring)."""
    return TrialListing(
        full_listing_secs=WORKER_FULL_LISTING_SECS, stamp_margin=WORKER_STAMP_MARGIN
    )
