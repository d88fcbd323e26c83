"""Where an experiment lives: parsing MongoTrials / hopt-worker URLs.

Accepted forms (the port defaults to 27017; the collection to ``jobs``):

* Hyperopt's ``mongo://[user[:password]@]host[:port]/db/collection[?options]``;
* standard ``mongodb://`` and ``mongodb+srv://`` URIs (several hosts, options),
  with the collection as an optional second path part: ``mongodb://h1,h2/db/jobs``;
* the worker's short ``host[:port]/db[/collection]`` (no scheme).

A password never leaves this module except inside the URI handed to pymongo:
``str()``, ``repr()`` and every message show ``***`` instead.
"""

from __future__ import annotations

import dataclasses
import re
import urllib.parse

from ...exceptions import InvalidArgumentError

DEFAULT_PORT = 27017
DEFAULT_COLLECTION = "jobs"
_SCHEMES = ("mongo", "mongodb", "mongodb+srv")
# MongoDB forbids these in database names; a collection may not start with "system."
_BAD_DB_CHARS = re.compile(r'[/\\. "$*<>:|?\x00]')


@dataclasses.dataclass(frozen=True)
class MongoURL:
    """A parsed experiment location: server, database and jobs collection."""

    scheme: str
    hosts: str  # "host:port[,host:port...]" as given (port added for mongo://)
    database: str
    collection: str
    username: str | None = None
    password: str | None = dataclasses.field(default=None, repr=False)
    options: str = ""  # the query string, without "?"

    @property
    def client_uri(self) -> str:
        """The URI for ``pymongo.MongoClient`` (credentials included, collection dropped)."""
        scheme = "mongodb" if self.scheme == "mongo" else self.scheme
        return scheme + "://" + self._userinfo(self.password) + self._rest()

    def redacted(self) -> str:
        """The URL as the user wrote it, but with the password shown as ``***``."""
        shown = None if self.password is None else "***"
        return f"{self.scheme}://{self._userinfo(shown)}{self.hosts}/{self.database}/" + (
            self.collection + (f"?{self.options}" if self.options else "")
        )

    def __str__(self) -> str:
        return self.redacted()

    def hide_secret(self, text: str) -> str:
        """``text`` (e.g. a driver error message) with the password replaced by ``***``."""
        if self.password:
            for form in {self.password, urllib.parse.quote_plus(self.password)}:
                text = text.replace(form, "***")
        return text

    def _userinfo(self, password: str | None) -> str:
        if self.username is None:
            return ""
        user = urllib.parse.quote_plus(self.username)
        if password is None:
            return user + "@"
        secret = password if password == "***" else urllib.parse.quote_plus(password)
        return f"{user}:{secret}@"

    def _rest(self) -> str:
        # The database stays in the URI: it is the default authSource, as users expect.
        return f"{self.hosts}/{self.database}" + (f"?{self.options}" if self.options else "")


def parse_url(url: str, where: str = "MongoTrials", parameter: str = "url") -> MongoURL:
    """Parse ``url``; a bad one raises ``InvalidArgumentError`` naming ``parameter``."""
    if not isinstance(url, str) or not url.strip():
        raise InvalidArgumentError(
            f"{where}: {parameter} must be a string like mongo://host:27017/db/jobs; "
            f"got {parameter}={url!r}."
        )
    given = url.strip()
    text = given
    if "://" not in text:
        text = "mongo://" + text  # the worker's short form: host:port/db[/collection]
    scheme, _, rest = text.partition("://")
    scheme = scheme.lower()

    def fail(problem: str) -> InvalidArgumentError:
        shown = _redact_raw(text)  # as the user wrote it, with any password hidden
        if "://" not in given:  # the short form: without the scheme added above
            shown = shown[len("mongo://") :]
        return InvalidArgumentError(
            f"{where}: {parameter} {problem}; got {parameter}={shown!r}. Write it as "
            "[user:password@]host:port/db/jobs, mongo://[user:password@]host:port/db/jobs "
            "or a mongodb:// URI with /db/collection."
        )

    if scheme not in _SCHEMES:
        raise fail(f"must start with one of {', '.join(s + '://' for s in _SCHEMES)}")
    rest, _, options = rest.partition("?")
    location, slash, path = rest.partition("/")
    if not slash:
        raise fail("has no database: add /db/jobs after the host")
    userinfo, at, hosts = location.rpartition("@")
    if not at:
        userinfo, hosts = "", location
    if not hosts:
        raise fail("has no host")
    username = password = None
    if at:
        user_raw, colon, pass_raw = userinfo.partition(":")
        username = urllib.parse.unquote_plus(user_raw)
        password = urllib.parse.unquote_plus(pass_raw) if colon else None
        if not username:
            raise fail("has credentials without a user name")
    hosts = _checked_hosts(hosts, scheme, fail)
    parts = [p for p in path.split("/") if p]
    if not parts or len(parts) > 2:
        raise fail("must have a path of /db or /db/collection")
    database = urllib.parse.unquote(parts[0])
    collection = urllib.parse.unquote(parts[1]) if len(parts) == 2 else DEFAULT_COLLECTION
    if _BAD_DB_CHARS.search(database) or len(database) > 63:
        raise fail(f"names database {database!r}, which MongoDB does not allow")
    if collection.startswith("system.") or "$" in collection or "\x00" in collection:
        raise fail(f"names collection {collection!r}, which MongoDB does not allow")
    return MongoURL(scheme, hosts, database, collection, username, password, options)


def _checked_hosts(hosts: str, scheme: str, fail) -> str:
    checked = []
    for host in hosts.split(","):
        name, colon, port = host.rpartition(":") if not host.endswith("]") else (host, "", "")
        if not colon:
            name, port = host, ""
        if not name:
            raise fail(f"has an empty host in {hosts!r}")
        if port:
            if not port.isdigit() or not 0 < int(port) < 65536:
                raise fail(f"has port {port!r}, which is not a number from 1 to 65535")
            if scheme == "mongodb+srv":
                raise fail("gives a port, which mongodb+srv:// URIs may not")
        elif scheme == "mongo":
            port = str(DEFAULT_PORT)
        checked.append(f"{name}:{port}" if port else name)
    if scheme == "mongo" and len(checked) > 1:
        raise fail("lists several hosts, which only mongodb:// URIs support")
    return ",".join(checked)


def _redact_raw(text: str) -> str:
    """A URL that did not parse, with anything between ``user:`` and ``@`` hidden."""
    return re.sub(r"(://[^/@:]*:)[^@/]*@", r"\1***@", text)
