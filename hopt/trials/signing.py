"""Signing the stored objective, so workers run only code a key holder published.

A worker unpickles the domain it finds in the database, which runs arbitrary
code: whoever can write to the database can run code on every worker.  With a
shared key (``HOPT_MONGO_KEY`` / ``HOPT_MONGO_KEY_FILE``, or ``--key-file``),
fmin stores an HMAC-SHA256 of the pickled domain next to it, and a worker that
has the key refuses a domain that is unsigned or whose signature does not match.
"""

from __future__ import annotations

import hashlib
import hmac
import os

from ..exceptions import InvalidArgumentError, UntrustedPayloadError

KEY_ENV = "HOPT_MONGO_KEY"
KEY_FILE_ENV = "HOPT_MONGO_KEY_FILE"
_CONTEXT = b"hopt-domain-v1\x00"


def load_key(key_file: str | None = None, where: str = "hopt-worker") -> bytes | None:
    """The shared key: from ``key_file``, else ``$HOPT_MONGO_KEY_FILE``, else ``$HOPT_MONGO_KEY``."""
    path = key_file or os.environ.get(KEY_FILE_ENV)
    if path:
        source = "key_file" if key_file else f"${KEY_FILE_ENV}"
        try:
            with open(path, "rb") as handle:
                key = handle.read().strip()
        except OSError as exc:
            raise InvalidArgumentError(
                f"{where}: cannot read the shared key from {source}={path!r}: {exc.strerror}. "
                "Give a readable file holding the key."
            ) from None
        if not key:
            raise InvalidArgumentError(f"{where}: the key file {source}={path!r} is empty.")
        return key
    text = os.environ.get(KEY_ENV)
    if text is not None:
        if not text.strip():
            raise InvalidArgumentError(
                f"{where}: ${KEY_ENV} is set but empty; unset it or set a key."
            )
        return text.strip().encode()
    return None


def sign(key: bytes, experiment: str, blob: bytes) -> str:
    """Hex HMAC of ``blob``, bound to its experiment (a signed domain cannot be moved)."""
    message = _CONTEXT + experiment.encode() + b"\x00" + hashlib.sha256(blob).digest()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def verify(key: bytes | None, experiment: str, blob: bytes, signature: str | None) -> None:
    """Raise ``UntrustedPayloadError`` unless the blob may run under this key setting."""
    if key is None:
        return  # no key: this worker trusts the database (docs/mongodb.md, Security)
    if not signature:
        raise UntrustedPayloadError(
            f"the objective stored for exp_key {_exp_key_of(experiment)} is not signed, and this "
            "worker has a shared key, so it refuses to run it. Run fmin with the same key "
            f"(${KEY_ENV} or ${KEY_FILE_ENV}) so that it signs what it stores."
        )
    if not hmac.compare_digest(sign(key, experiment, blob), str(signature)):
        raise UntrustedPayloadError(
            f"the objective stored for exp_key {_exp_key_of(experiment)} does not match its "
            "signature: it was changed after fmin stored it, or signed with another key. "
            "This worker refuses to run it."
        )


def _exp_key_of(experiment: str) -> str:
    """The exp_key an experiment id (``jobs.experiment_id``) stands for, as shown to users."""
    return repr(experiment[len("key:") :]) if experiment.startswith("key:") else "None"
