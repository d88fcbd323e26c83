"""Test support for the dashboard: small real searches, and a server run in a thread."""

from __future__ import annotations

import contextlib
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator

from hopt import STATUS_OK, fmin, hp, rand, report
from hopt.dashboard import Dashboard, DashboardServer, open_store

#: a label and an error message that would run script if the page used them as markup
SCRIPT_LABEL = "<script>alert(1)</script>"
SCRIPT_MESSAGE = "bad </script><script>alert(2)</script> & <b>bold</b>"
SCRIPT_ATTACHMENT = "<img src=x onerror=alert(3)>.txt"

SPACE = {
    "x": hp.uniform("x", -5.0, 5.0),
    "lr": hp.loguniform("lr", -7.0, 0.0),
    SCRIPT_LABEL: hp.choice(SCRIPT_LABEL, ["a", "b"]),
}


def objective(params: dict) -> dict:
    """Reports three steps; fails (with markup in its message) when x > 3.5."""
    loss = (params["x"] - 1.0) ** 2 + params["lr"]
    for step in range(3):
        report(loss + 1.0 / (step + 1), step)
    if params["x"] > 3.5:
        raise ValueError(SCRIPT_MESSAGE)
    return {"loss": loss, "status": STATUS_OK}


def two_losses(params: dict) -> dict:
    return {"loss": [params["x"] ** 2, (params["x"] - 2.0) ** 2], "status": STATUS_OK}


def run_search(path, max_evals: int, fn=objective, seed: int = 0, attach: bool = False):
    """fmin with random search, saving to the trials file ``path``; returns the Trials.

    ``attach``: trial 0 gets an attachment named ``SCRIPT_ATTACHMENT``."""
    from hopt.trials.persistence import load, save_atomically

    fmin(
        fn, SPACE, algo=rand.suggest, max_evals=max_evals, trials_save_file=str(path),
        rstate=seed, show_progressbar=False, catch_eval_exceptions=True,
    )  # fmt: skip
    trials = load(str(path))
    if attach:
        trials.trial_attachments(trials.trials[0])[SCRIPT_ATTACHMENT] = b"notes"
        save_atomically(trials, str(path))
    return trials


@contextlib.contextmanager
def serving(store, host: str = "127.0.0.1", chart_interval: float = 0.3) -> Iterator:
    """A ``DashboardServer`` for ``store`` on a free port, serving in a thread."""
    dashboard = Dashboard(open_store(str(store), min_interval=0.2), "test run", chart_interval)
    server = DashboardServer(dashboard, host, 0)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1})
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


def fetch(url: str, method: str = "GET", headers: dict | None = None) -> tuple[int, dict, bytes]:
    """(status, headers, body) of one request; HTTP errors are answers too."""
    request = urllib.request.Request(url, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def port_of(server) -> int:
    return server.server_address[1]
