"""Small helpers shared by every layer: random generators and time stamps."""

from __future__ import annotations

import datetime
import os
import socket
from typing import Any

import numpy as np

from ._validate import is_int
from .exceptions import InvalidArgumentError

#: Seeds handed to suggest algorithms are drawn below this bound (Hyperopt's range).
SEED_BOUND = 2**31 - 1


def install_hint(extra: str, package: str) -> str:
    """How to install an optional dependency, in both places hopt may come from.

    ``pip install 'hopt[spark]'`` works from a package index; in a clone of the
    repository the same extra is ``pip install -e '.[spark]'`` (an editable install).
    """
    return (
        f"pip install 'hopt[{extra}]' (in a hopt checkout: pip install -e '.[{extra}]'), "
        f"or pip install {package}"
    )


def as_generator(rstate: Any, where: str = "fmin") -> np.random.Generator:
    """Turn whatever a user passes as ``rstate`` into one ``np.random.Generator``.

    Hyperopt 0.3.0 accepts only a Generator and fails on ``RandomState`` with an
    AttributeError; users pass ints and RandomStates all the time, so all of them work.
    ``None`` means the ``HOPT_FMIN_SEED`` (or Hyperopt's ``HYPEROPT_FMIN_SEED``)
    environment variable when set, else fresh entropy.
    """
    if rstate is None:
        env_seed = os.environ.get("HOPT_FMIN_SEED") or os.environ.get("HYPEROPT_FMIN_SEED")
        if env_seed:
            return np.random.default_rng(int(env_seed))
        return np.random.default_rng()
    if isinstance(rstate, np.random.Generator):
        return rstate
    if isinstance(rstate, np.random.RandomState):
        # Draw a seed from the RandomState so the caller's stream still advances.
        return np.random.default_rng(int(rstate.randint(0, SEED_BOUND)))
    if isinstance(rstate, np.random.BitGenerator):
        return np.random.Generator(rstate)
    if is_int(rstate):
        if rstate < 0:
            raise InvalidArgumentError(
                f"{where}: rstate must be a non-negative int; got rstate={rstate!r}. "
                "Pass a seed such as 42."
            )
        return np.random.default_rng(int(rstate))
    raise InvalidArgumentError(
        f"{where}: rstate must be None, an int seed, a numpy Generator or a RandomState; "
        f"got rstate={rstate!r}. Pass e.g. rstate=42 or np.random.default_rng(42)."
    )


def utcnow() -> datetime.datetime:
    """Naive UTC time truncated to milliseconds, as MongoDB stores it (Hyperopt's format)."""
    now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    return now.replace(microsecond=(now.microsecond // 1000) * 1000)


def worker_name() -> str:
    """``host:pid``: who runs a trial, as recorded in its ``owner`` field."""
    return f"{socket.gethostname()}:{os.getpid()}"
