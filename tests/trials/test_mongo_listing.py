"""``TrialListing``'s bookkeeping, as pure logic: a fake stands in for the server's answers.

(The listing against a real server: tests/mongo.)
"""

from __future__ import annotations

import datetime

from hopt.trials.mongo.listing import (
    STAMP_MARGIN,
    WORKER_STAMP_MARGIN,
    TrialListing,
    worker_listing,
)

T0 = datetime.datetime(2026, 1, 1)


class Answers:
    """What ``changed_docs`` returns, one prepared answer per read."""

    def __init__(self, *answers: list[dict]) -> None:
        self.answers = list(answers)

    def changed_docs(self, exp_key, since):
        return self.answers.pop(0)


def doc(_id: str, tid: int, version: int, seconds: int = 0) -> dict:
    return {"_id": _id, "tid": tid, "version": version,
            "changed": T0 + datetime.timedelta(seconds=seconds)}  # fmt: skip


def test_a_changed_document_replaces_its_copy_and_earlier_lists_stay_as_they_were():
    jobs = Answers([doc("a", 0, 1), doc("b", 1, 1)], [doc("b", 1, 2, 1)])
    listing = TrialListing()
    assert listing.read(jobs, None)
    before = listing.docs()
    assert [(d["_id"], d["version"]) for d in before] == [("a", 1), ("b", 1)]
    assert listing.read(jobs, None)
    assert [(d["_id"], d["version"]) for d in listing.docs()] == [("a", 1), ("b", 2)]
    assert [d["version"] for d in before] == [1, 1], "a list handed out is a snapshot"


def test_new_documents_take_their_place_in_trial_order():
    jobs = Answers([doc("c", 5, 1)], [doc("a", 2, 1, 1), doc("c", 5, 2, 1)], [doc("b", 3, 1, 2)])
    listing = TrialListing()
    for _ in range(3):
        listing.read(jobs, None)
        listing.docs()
    assert [(d["tid"], d["version"]) for d in listing.docs()] == [(2, 1), (3, 1), (5, 2)]


def test_own_inserts_are_held_without_reading_them_back():
    listing = TrialListing()
    assert listing.read(Answers([doc("a", 0, 1)]), None)
    listing.add_own([doc("b", 1, 0)])
    assert [(d["_id"], d["version"]) for d in listing.docs()] == [("a", 1), ("b", 0)]
    listing.add_own([doc("b", 1, 1)])
    assert [(d["_id"], d["version"]) for d in listing.docs()] == [("a", 1), ("b", 1)]


class WithListing(Answers):
    """Also answers a full listing (``listing`` then ``find_ids``), and counts them."""

    full = 0

    def listing(self, exp_key):
        self.full += 1
        return [("a", 1, T0)]

    def find_ids(self, ids):
        return []


def test_a_read_is_a_full_listing_only_once_its_interval_has_passed():
    frequent, rare = TrialListing(full_listing_secs=0.0), TrialListing(full_listing_secs=3600)
    for listing in (frequent, rare):
        jobs = WithListing([doc("a", 0, 1)], [])
        listing.read(jobs, None)  # the first read lists everything by itself
        listing.read(jobs, None)
        assert jobs.full == (1 if listing is frequent else 0)


class Since(Answers):
    """Also keeps the ``since`` of every incremental read."""

    def __init__(self, *answers: list[dict]) -> None:
        super().__init__(*answers)
        self.since: list = []

    def changed_docs(self, exp_key, since):
        self.since.append(since)
        return super().changed_docs(exp_key, since)


def test_a_read_asks_for_the_stamps_since_the_newest_seen_less_the_margin():
    newest = T0 + datetime.timedelta(seconds=10)
    for listing, margin in [
        (TrialListing(), STAMP_MARGIN),
        (worker_listing(), WORKER_STAMP_MARGIN),
    ]:
        jobs = Since([doc("a", 0, 1, 10)], [])
        listing.read(jobs, None)
        listing.read(jobs, None)
        assert jobs.since == [None, newest - margin]
    assert WORKER_STAMP_MARGIN < STAMP_MARGIN
