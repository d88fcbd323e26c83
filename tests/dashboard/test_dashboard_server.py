"""The server: GET only, the token off loopback, the Host check on it, what it serves."""

from __future__ import annotations

import json
import time

import pytest
from dashboard_support import SCRIPT_LABEL, fetch, port_of, run_search, serving

from hopt.dashboard.server import PAGE_POLICY, check_token, is_loopback


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    path = tmp_path_factory.mktemp("server") / "run.pkl"
    run_search(path, 8)
    return path


@pytest.fixture(scope="module")
def local(store):
    with serving(store) as server:
        yield server


def base(server) -> str:
    return f"http://127.0.0.1:{port_of(server)}"


@pytest.mark.parametrize(
    "host, loopback",
    [("127.0.0.1", True), ("127.0.0.2", True), ("localhost", True), ("::1", True),
     ("[::1]", True), ("0.0.0.0", False), ("192.168.1.5", False), ("example.com", False),
     ("::", False)],
)  # fmt: skip
def test_is_loopback(host, loopback):
    assert is_loopback(host) is loopback


@pytest.mark.parametrize(
    "given, token, allowed",
    [(None, None, True), ("x", None, True), (None, "secret", False), ("", "secret", False),
     ("secre", "secret", False), ("secret", "secret", True), ("SECRET", "secret", False)],
)  # fmt: skip
def test_check_token(given, token, allowed):
    assert check_token(given, token) is allowed


def test_the_page_and_its_files_are_served_with_a_strict_policy(local):
    for path, kind in (("/", "text/html"), ("/static/app.js", "text/javascript"),
                       ("/static/style.css", "text/css")):  # fmt: skip
        status, headers, body = fetch(base(local) + path)
        assert status == 200 and headers["Content-Type"].startswith(kind) and body
        assert headers["Content-Security-Policy"] == PAGE_POLICY
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "no-referrer"


def test_the_state_is_json_with_the_trials_and_labels_as_data(local, store):
    status, headers, body = fetch(base(local) + "/api/state")
    assert status == 200 and headers["Content-Type"] == "application/json"
    state = json.loads(body)
    assert state["summary"]["trials"] == 8
    assert SCRIPT_LABEL in state["labels"]
    assert [row["tid"] for row in state["trials"]] == list(range(8))
    _, _, again = fetch(base(local) + "/api/state?have=" + state["key"])
    assert json.loads(again) == {"key": state["key"], "unchanged": True}


def test_charts_are_drawn_after_the_first_look_and_served_as_svg(local):
    deadline = time.monotonic() + 30
    while True:
        state = json.loads(fetch(base(local) + "/api/state")[2])
        if state["chart_version"] == state["version"] or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    history = next(view for view in state["views"] if view["name"] == "history")
    assert history["has_chart"], history
    status, headers, body = fetch(base(local) + "/chart/history.svg")
    assert status == 200 and headers["Content-Type"] == "image/svg+xml"
    assert body.lstrip().startswith(b"<?xml") and b"<svg" in body and b"<script" not in body
    assert "script-src" not in headers["Content-Security-Policy"]


@pytest.mark.parametrize("path", ["/nope", "/chart/nope.svg", "/static/../store.py", "/static/"])
def test_anything_else_is_not_found(local, path):
    assert fetch(base(local) + path)[0] == 404


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"])
def test_only_get_is_answered(local, method):
    status, headers, _ = fetch(base(local) + "/api/state", method=method)
    assert status == 405 and headers["Allow"] == "GET"


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8080", "10.0.0.1"])
def test_on_loopback_a_foreign_host_header_is_refused(local, host):
    status, _, body = fetch(base(local) + "/api/state", headers={"Host": host})
    assert status == 403 and b"only to localhost" in body


@pytest.mark.parametrize("host", ["localhost:9000", "127.0.0.1", "[::1]:8080"])
def test_on_loopback_any_loopback_name_and_port_is_answered(local, host):
    # e.g. through an ssh tunnel from another local port
    assert fetch(base(local) + "/api/state", headers={"Host": host})[0] == 200


def test_no_token_is_asked_on_loopback(local):
    assert local.token is None and local.url == f"http://127.0.0.1:{port_of(local)}/"


def test_any_other_address_needs_the_printed_token(store):
    with serving(store, host="0.0.0.0") as server:
        assert server.token and len(server.token) >= 32
        assert server.url == f"http://0.0.0.0:{port_of(server)}/?token={server.token}"
        address = base(server)
        for path in ("/", "/api/state", "/static/app.js", "/chart/history.svg"):
            status, _, body = fetch(address + path)
            assert status == 403 and b"token" in body
            assert fetch(address + path + "?token=wrong")[0] == 403
        assert fetch(address + "/?token=" + server.token)[0] == 200
        assert fetch(address + "/api/state?token=" + server.token)[0] == 200
        # the browser's own favicon request carries no token: an empty answer, not a 403
        assert fetch(address + "/favicon.ico")[:1] == (204,)
        # the token as a cookie: what the browser sends for the page's script and style
        _, headers, _ = fetch(address + "/?token=" + server.token)
        cookie = headers["Set-Cookie"]
        assert cookie.startswith(f"hopt-dashboard-{port_of(server)}={server.token};")
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
        pair = cookie.split(";")[0]
        assert fetch(address + "/static/app.js", headers={"Cookie": pair})[0] == 200
        wrong = f"hopt-dashboard-{port_of(server)}=nope"
        assert fetch(address + "/static/app.js", headers={"Cookie": wrong})[0] == 403
        assert fetch(address + "/static/app.js", headers={"Cookie": "bad;;=="})[0] == 403
        assert "Set-Cookie" not in fetch(address + "/static/app.js")[1]
        # off loopback, any Host header is fine: the token is the check
        status, _, _ = fetch(
            address + "/api/state?token=" + server.token, headers={"Host": "box.lan:1"}
        )
        assert status == 200
