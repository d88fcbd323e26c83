"""Shipping a domain to processes that cannot import the caller's local modules."""

from __future__ import annotations

import subprocess
import sys

import cloudpickle
import pytest

from hopt import hp
from hopt.base import Domain
from hopt.exceptions import InvalidArgumentError
from hopt.trials.serialization import dumps_domain

HELPER = '''
class Shift:
    """A class from a module that is not installed anywhere."""

    def __init__(self, by):
        self.by = by

    def apply(self, x):
        return x + self.by
'''

LOAD = """
import pickle, sys
domain = pickle.load(sys.stdin.buffer)
print(domain.fn({"x": 2.0}))
"""


@pytest.fixture
def helper(local_module):
    return local_module("local_shift_helper", HELPER)


def make_objective(shift):
    def objective(params):  # a closure over an instance of the helper's class
        return shift.apply(params["x"])

    return objective


def load_elsewhere(blob: bytes, cwd) -> str:
    """Unpickle in a fresh interpreter whose path does not have the helper module."""
    done = subprocess.run(
        [sys.executable, "-c", LOAD], input=blob, capture_output=True, cwd=cwd, timeout=60
    )
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    return done.stdout.decode().strip()


def test_a_class_from_a_local_module_travels_by_value(helper, tmp_path):
    domain = Domain(make_objective(helper.Shift(40.0)), {"x": hp.uniform("x", 0, 1)})
    before = set(cloudpickle.list_registry_pickle_by_value())
    blob = dumps_domain(domain, "Test", "another process")
    assert set(cloudpickle.list_registry_pickle_by_value()) == before, "registrations undone"
    assert load_elsewhere(blob, tmp_path) == "42.0"
    # by reference, as plain cloudpickle sends it, the other process cannot load it
    done = subprocess.run(
        [sys.executable, "-c", LOAD], input=cloudpickle.dumps(domain), capture_output=True,
        cwd=tmp_path, timeout=60,
    )  # fmt: skip
    assert done.returncode != 0 and b"local_shift_helper" in done.stderr


def test_a_module_the_user_registered_stays_registered(helper):
    cloudpickle.register_pickle_by_value(helper)
    try:
        dumps_domain(Domain(make_objective(helper.Shift(1.0)), hp.uniform("x", 0, 1)), "T", "x")
        assert "local_shift_helper" in cloudpickle.list_registry_pickle_by_value()
    finally:
        cloudpickle.unregister_pickle_by_value(helper)


def test_installed_packages_and_hopt_still_travel_by_reference():
    import numpy as np

    blob = dumps_domain(Domain(np.sin, hp.uniform("x", 0, 1)), "Test", "another process")
    assert len(blob) < 20_000, "numpy and hopt are referenced, not copied"


@pytest.mark.parametrize("install_dir", ["dist-packages", "site-packages"])
def test_a_module_installed_outside_this_interpreters_prefix_travels_by_reference(
    tmp_path, monkeypatch, install_dir
):
    # e.g. a Debian package in /usr/lib/python3/dist-packages, or pip install --user
    where = tmp_path / "lib" / "python3" / install_dir
    where.mkdir(parents=True)
    (where / "packaged_shift.py").write_text(HELPER)
    monkeypatch.syspath_prepend(str(where))
    import packaged_shift

    try:
        domain = Domain(make_objective(packaged_shift.Shift(1.0)), hp.uniform("x", 0, 1))
        blob = dumps_domain(domain, "Test", "another process")
    finally:
        sys.modules.pop("packaged_shift", None)
    assert b"packaged_shift" in blob
    assert b"A class from a module" not in blob, "referenced, not copied with its docstring"


def test_an_unpicklable_objective_gets_a_clear_error():
    import threading

    lock = threading.Lock()

    def objective(params):
        with lock:
            return params["x"]

    with pytest.raises(InvalidArgumentError, match="cannot be pickled.*inside the objective"):
        dumps_domain(Domain(objective, hp.uniform("x", 0, 1)), "Test", "another process")
