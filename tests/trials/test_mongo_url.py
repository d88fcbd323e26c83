"""MongoTrials URLs and shared-key signing: pure logic, no server needed."""

from __future__ import annotations

import pytest

from hopt.exceptions import InvalidArgumentError, UntrustedPayloadError
from hopt.trials.mongo.url import parse_url
from hopt.trials.signing import load_key, sign, verify


def test_hyperopt_url_form():
    url = parse_url("mongo://localhost:1234/hyperopt/jobs")
    assert (url.hosts, url.database, url.collection) == ("localhost:1234", "hyperopt", "jobs")
    assert url.client_uri == "mongodb://localhost:1234/hyperopt"


def test_port_and_collection_have_defaults():
    url = parse_url("mongo://db.example.org/exp")
    assert url.hosts == "db.example.org:27017" and url.collection == "jobs"


def test_worker_short_form_without_scheme():
    url = parse_url("localhost:27017/hyperopt")
    assert url.scheme == "mongo" and url.database == "hyperopt" and url.collection == "jobs"


def test_standard_uri_with_several_hosts_and_options():
    url = parse_url("mongodb://h1:27017,h2:27018/db/queue?replicaSet=rs0&tls=true")
    assert url.hosts == "h1:27017,h2:27018" and url.collection == "queue"
    assert url.client_uri == "mongodb://h1:27017,h2:27018/db?replicaSet=rs0&tls=true"


def test_credentials_are_percent_decoded_and_reencoded():
    url = parse_url("mongo://al%40ice:p%3Ass@h:1/db/jobs")
    assert url.username == "al@ice" and url.password == "p:ss"
    assert url.client_uri == "mongodb://al%40ice:p%3Ass@h:1/db"


def test_the_password_never_shows():
    url = parse_url("mongo://alice:s3cret@h:1/db/jobs")
    for text in (str(url), repr(url), url.redacted()):
        assert "s3cret" not in text
    assert str(url) == "mongo://alice:***@h:1/db/jobs"
    assert url.hide_secret("auth failed for s3cret") == "auth failed for ***"


@pytest.mark.parametrize(
    ("bad", "problem"),
    [
        ("", "must be a string"),
        (None, "must be a string"),
        ("ftp://h:1/db", "must start with one of"),
        ("mongo://h:1", "has no database"),
        ("mongo://h:0/db", "not a number from 1 to 65535"),
        ("mongo://h:x/db", "not a number from 1 to 65535"),
        ("mongo://h1:1,h2:2/db", "several hosts"),
        ("mongodb+srv://h:1/db", "may not"),
        ("mongo://h:1/a.b/jobs", "does not allow"),
        ("mongo://h:1/db/system.x", "does not allow"),
        ("mongo://h:1/a/b/c", "/db or /db/collection"),
        ("mongo://:pw@h:1/db", "without a user name"),
    ],
)
def test_bad_urls_name_the_parameter_and_the_problem(bad, problem):
    with pytest.raises(InvalidArgumentError) as caught:
        parse_url(bad, "hopt-worker", "--mongo")
    message = str(caught.value)
    assert message.startswith("hopt-worker: --mongo") and problem in message


def test_a_bad_url_with_a_password_is_reported_without_it():
    with pytest.raises(InvalidArgumentError) as caught:
        parse_url("mongo://alice:s3cret@h:notaport/db")
    assert "s3cret" not in str(caught.value) and "alice:***@" in str(caught.value)


def test_signatures_are_bound_to_key_experiment_and_content():
    signature = sign(b"key", "key:exp", b"blob")
    verify(b"key", "key:exp", b"blob", signature)
    for key, experiment, blob in [
        (b"other", "key:exp", b"blob"),
        (b"key", "key:other", b"blob"),
        (b"key", "key:exp", b"blob2"),
    ]:
        with pytest.raises(UntrustedPayloadError, match="does not match"):
            verify(key, experiment, blob, signature)
    with pytest.raises(UntrustedPayloadError, match="not signed"):
        verify(b"key", "key:exp", b"blob", None)
    verify(None, "key:exp", b"anything", None)  # no key: the worker trusts the database


def test_key_sources(tmp_path, monkeypatch):
    monkeypatch.delenv("HOPT_MONGO_KEY", raising=False)
    monkeypatch.delenv("HOPT_MONGO_KEY_FILE", raising=False)
    assert load_key() is None
    monkeypatch.setenv("HOPT_MONGO_KEY", " from-env \n")
    assert load_key() == b"from-env"
    key_file = tmp_path / "k"
    key_file.write_bytes(b"from-file\n")
    monkeypatch.setenv("HOPT_MONGO_KEY_FILE", str(key_file))
    assert load_key() == b"from-file"  # the file wins over the variable
    assert load_key(str(key_file)) == b"from-file"
    (tmp_path / "empty").write_bytes(b"\n")
    with pytest.raises(InvalidArgumentError, match="is empty"):
        load_key(str(tmp_path / "empty"))
    with pytest.raises(InvalidArgumentError, match="cannot read the shared key from key_file"):
        load_key(str(tmp_path / "missing"))


def test_a_bad_short_form_is_shown_as_typed_with_its_password_hidden():
    with pytest.raises(InvalidArgumentError) as info:
        parse_url("bob:s3cret@127.0.0.1:27317", "hopt-worker", "--mongo")
    message = str(info.value)
    assert "got --mongo='bob:***@127.0.0.1:27317'" in message
    assert "s3cret" not in message and "host:port/db/jobs" in message
