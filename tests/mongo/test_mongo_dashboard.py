"""The dashboard on a MongoDB store (``mongo://`` STORE), against the real server."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from hopt import STATUS_OK, MongoTrials
from hopt.dashboard import Dashboard, open_store, report_html
from hopt.dashboard.model import page_data

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "dashboard"))
from dashboard_support import fetch, port_of, serving  # noqa: E402


def add_done_trials(url: str, losses: list[float], exp_key: str = "exp") -> MongoTrials:
    """Finished trials written straight into the store, as workers would leave them."""
    trials = MongoTrials(url, exp_key=exp_key)
    start = len(trials.tids)
    tids = trials.new_trial_ids(len(losses))
    docs = trials.new_trial_docs(
        tids,
        [None] * len(losses),
        [{"status": STATUS_OK, "loss": loss} for loss in losses],
        [
            {"tid": tid, "cmd": None, "workdir": None, "idxs": {"x": [tid]}, "vals": {"x": [loss]}}
            for tid, loss in zip(tids, losses)
        ],
    )
    for doc in docs:
        doc["state"] = 2  # JOB_STATE_DONE
    trials.insert_trial_docs(docs)
    trials.refresh()
    assert len(trials.tids) == start + len(losses)
    return trials


def test_a_mongo_url_opens_and_follows_new_trials(mongo_url):
    add_done_trials(mongo_url, [3.0, 1.0, 2.0])
    watcher = open_store(mongo_url, exp_key="exp", min_interval=0.0)
    assert watcher.kind == "MongoTrials"
    first = watcher.snapshot(fresh=True)
    data = page_data(first)
    assert data["summary"]["trials"] == 3 and data["summary"]["best"]["loss"] == 1.0
    assert watcher.snapshot(fresh=True) is first  # nothing changed: the same snapshot
    add_done_trials(mongo_url, [0.5])
    assert page_data(watcher.snapshot(fresh=True))["summary"]["best"]["loss"] == 0.5
    assert watcher.snapshot(fresh=True).version == 2


def test_a_mongo_store_serves_the_page_and_a_report(mongo_url):
    add_done_trials(mongo_url, [3.0, 1.0])
    with serving(mongo_url) as server:
        status, _, body = fetch(f"http://127.0.0.1:{port_of(server)}/api/state")
        assert status == 200 and json.loads(body)["store_kind"] == "MongoTrials"
    page = report_html(Dashboard(open_store(mongo_url), "mongo"))
    assert '"trials": 2' in page
