"""The dashboard's web server: Python's own ``http.server.ThreadingHTTPServer``.

Why the standard library's server: the page only reads, a browser asks for a
handful of small things every 2 seconds, and it costs nothing to install (no
framework, no new dependency of hopt).  What it does:

* ``GET`` only; any other method gets 405.  Nothing it serves changes the store.
* On a loopback address (the default, 127.0.0.1) it answers only requests whose
  ``Host`` names a loopback host (``localhost``, ``127.0.0.1``, ``[::1]``): a web
  page elsewhere cannot reach it through a DNS name pointed at 127.0.0.1.
* On any other address, every request must carry the token printed with the URL
  (``?token=...``); without it the answer is 403.  The page passes it on to its
  data and charts; an answer to a request with the token also sets it as a
  cookie (HttpOnly, SameSite=Strict, named after the port), which is how the
  page's script and style, which the browser fetches itself, carry it.
* Every answer forbids framing, sniffing and referrers, and the page's Content
  Security Policy lets it load scripts, styles and images only from this server.
"""

from __future__ import annotations

import hmac
import http.cookies
import ipaddress
import logging
import secrets
import socket
import urllib.parse
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any

from .app import Dashboard
from .charts import VIEW_NAMES

logger = logging.getLogger("hopt.dashboard")

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080
LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1"}
STATIC_FILES = {
    "index.html": "text/html; charset=utf-8",
    "app.js": "text/javascript; charset=utf-8",
    "style.css": "text/css; charset=utf-8",
}
PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
# matplotlib's SVG carries a <style>; nothing in it may run or load anything
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"


def static_file(name: str) -> bytes:
    """One of the page's files, as installed with hopt (``hopt/dashboard/static``)."""
    return resources.files("hopt.dashboard").joinpath("static").joinpath(name).read_bytes()


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or an address) is this machine only."""
    host = host.strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_token(given: str | None, token: str | None) -> bool:
    """True when no token is needed, or ``given`` is it (compared in constant time)."""
    if token is None:
        return True
    return given is not None and hmac.compare_digest(given.encode(), token.encode())


def new_token() -> str:
    return secrets.token_urlsafe(24)


class DashboardHandler(BaseHTTPRequestHandler):
    """Answers GET requests for the page, its files, its data and its charts."""

    server: DashboardServer
    server_version = "hopt-dashboard"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the base's name)
        logger.debug("%s %s", self.address_string(), format % args)

    # -- refusals ----------------------------------------------------------------------------
    def _refuse_method(self) -> None:
        self._send(
            HTTPStatus.METHOD_NOT_ALLOWED,
            b"The dashboard is read-only: GET only.\n",
            "text/plain; charset=utf-8",
            extra={"Allow": "GET"},
        )

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_HEAD = _refuse_method  # noqa: N815

    def _host_allowed(self) -> bool:
        if not self.server.loopback_only:
            return True
        host = self.headers.get("Host", "")
        name = urllib.parse.urlsplit("//" + host).hostname or ""
        return name in LOOPBACK_NAMES

    def _token_allowed(self, query: dict[str, list[str]]) -> bool:
        token = self.server.token
        if token is None:
            return True
        if check_token(query.get("token", [None])[0], token):
            self._set_cookie = True
            return True
        cookies = http.cookies.SimpleCookie()
        try:
            cookies.load(self.headers.get("Cookie", ""))
        except http.cookies.CookieError:
            return False
        given = cookies.get(self.server.cookie_name)
        return given is not None and check_token(given.value, token)

    # -- GET ----------------------------------------------------------------------------------
    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        self._set_cookie = False
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query)
        if not self._host_allowed():
            self._send(
                HTTPStatus.FORBIDDEN,
                b"Forbidden: this dashboard answers only to localhost.\n",
                "text/plain; charset=utf-8",
            )
            return
        if url.path == "/favicon.ico":
            # browsers ask for it on their own, without the token; it reveals nothing
            self._send(HTTPStatus.NO_CONTENT, b"", "image/x-icon")
            return
        if not self._token_allowed(query):
            self._send(
                HTTPStatus.FORBIDDEN,
                b"Forbidden: open the URL with the token that `hopt dashboard` printed.\n",
                "text/plain; charset=utf-8",
            )
            return
        path = url.path
        try:
            if path in ("/", "/index.html"):
                self._send(HTTPStatus.OK, static_file("index.html"), STATIC_FILES["index.html"])
            elif path.startswith("/static/") and path[len("/static/") :] in STATIC_FILES:
                name = path[len("/static/") :]
                self._send(HTTPStatus.OK, static_file(name), STATIC_FILES[name])
            elif path == "/api/state":
                have = query.get("have", [None])[0]
                body = self.server.dashboard.state_json(have)
                self._send(HTTPStatus.OK, body, "application/json")
            elif path.startswith("/chart/") and path.endswith(".svg"):
                self._chart(path[len("/chart/") : -len(".svg")])
            else:
                self._send(HTTPStatus.NOT_FOUND, b"Not found.\n", "text/plain; charset=utf-8")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the browser went away
        except Exception as exc:
            logger.exception("error answering %s", path)
            message = f"The dashboard could not read the store: {type(exc).__name__}: {exc}\n"
            self._send(
                HTTPStatus.INTERNAL_SERVER_ERROR, message.encode(), "text/plain; charset=utf-8"
            )

    def _chart(self, name: str) -> None:
        svg = self.server.dashboard.chart_svg(name) if name in VIEW_NAMES else None
        if svg is None:
            self._send(HTTPStatus.NOT_FOUND, b"No such chart.\n", "text/plain; charset=utf-8")
            return
        self._send(HTTPStatus.OK, svg, "image/svg+xml", policy=SVG_POLICY)

    def _send(
        self,
        status: HTTPStatus,
        body: bytes,
        content_type: str,
        policy: str = PAGE_POLICY,
        extra: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        headers = {
            "Content-Type": content_type,
            "Content-Length": str(len(body)),
            "Cache-Control": "no-store",
            "Content-Security-Policy": policy,
            "X-Content-Type-Options": "nosniff",
            "X-Frame-Options": "DENY",
            "Referrer-Policy": "no-referrer",
            **(extra or {}),
        }
        if getattr(self, "_set_cookie", False):
            headers["Set-Cookie"] = (
                f"{self.server.cookie_name}={self.server.token}; Path=/; HttpOnly; SameSite=Strict"
            )
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


class DashboardServer(ThreadingHTTPServer):
    """A threaded HTTP server bound to ``(host, port)`` serving one ``Dashboard``."""

    daemon_threads = True

    def __init__(
        self, dashboard: Dashboard, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT
    ) -> None:
        self.dashboard = dashboard
        self.loopback_only = is_loopback(host)
        # any address but this machine's own needs the token
        self.token = None if self.loopback_only else new_token()
        if ":" in host.strip("[]"):
            self.address_family = socket.AF_INET6
        super().__init__((host.strip("[]"), port), DashboardHandler)

    @property
    def cookie_name(self) -> str:
        """Cookies are per host, not per port: one name per dashboard's port."""
        return f"hopt-dashboard-{self.server_address[1]}"

    @property
    def url(self) -> str:
        """The address to open, with the token when one is needed."""
        address, port = self.server_address[:2]
        host = address.decode() if isinstance(address, bytes) else str(address)
        shown = f"[{host}]" if ":" in host else host
        query = "" if self.token is None else "?" + urllib.parse.urlencode({"token": self.token})
        return f"http://{shown}:{port}/{query}"
