"""``TrialListing``: MongoTrials' copy of an experiment's trial documents.

Reading every trial on every refresh costs a query whose answer grows with the
experiment: at 1000 trials a refresh listed 1000 ``(_id, version)`` pairs, and
fmin refreshes a few times per trial.  Every write of a trial stamps it with the
server's clock (``changed``, see jobs.py), so a refresh asks only for the trials
changed since the newest stamp it has seen, less a margin, and fetches those
whose version it does not have yet.

The server's clock only moves forward in normal operation; the margin covers a
small step back (NTP) and writes whose stamp was taken just before the previous
listing but committed after it.  A full listing now and then (and after this
process deletes trials) finds what an incremental one cannot: trials deleted
by another process, and documents written without a stamp (by an older hopt, or
by hand).
"""

from __future__ import annotations

import datetime
import time
from typing import Any

#: re-read stamps this much older than the newest one seen (see the module docstring)
STAMP_MARGIN = datetime.timedelta(seconds=2)
#: a full listing at least this often (seconds)
FULL_LISTING_SECS = 30.0


class TrialListing:
    """The trial documents of one experiment, in trial order, kept up to date cheaply."""

    def __init__(self) -> None:
        self._docs: dict[Any, tuple[int, dict]] = {}  # _id -> (version, document)
        self._order: list[Any] = []  # _ids in trial order
        self._newest: Any = None  # the newest ``changed`` stamp seen
        self._last_full = -float("inf")

    def list_everything_next(self) -> None:
        """Make the next ``update`` a full listing (trials were deleted: it drops them)."""
        self._last_full = -float("inf")

    def update(self, jobs: Any, exp_key: Any) -> list[dict]:
        """Read what changed (or everything, when due) and return all documents in tid order."""
        now = time.monotonic()
        full = self._newest is None or now - self._last_full >= FULL_LISTING_SECS
        since = None if full else self._newest - STAMP_MARGIN
        listing = jobs.listing(exp_key, since=since)
        docs = self._docs
        stale = [_id for _id, version, _ in listing if docs.get(_id, (None,))[0] != version]
        added = False
        for doc in jobs.find_ids(stale) if stale else []:
            added |= doc["_id"] not in docs
            docs[doc["_id"]] = (doc.get("version", 0), doc)
        # (a document that changed again between the two reads is simply newer: fine)
        if full:
            self._last_full = now
            listed = {_id for _id, _, _ in listing}
            if len(docs) > len(listed) or added:  # deleted elsewhere, or new: reorder
                for _id in [k for k in docs if k not in listed]:
                    del docs[_id]
                added = True
        stamps = [changed for _, _, changed in listing if changed is not None]
        if stamps:
            newest = max(stamps)
            self._newest = newest if self._newest is None else max(self._newest, newest)
        elif full:
            self._newest = None  # nothing stamped: list everything again next time
        if added or len(self._order) != len(docs):
            self._order = sorted(docs, key=lambda _id: (docs[_id][1]["tid"], str(_id)))
        return [docs[_id][1] for _id in self._order]
