"""Fixtures shared by the whole suite."""

from __future__ import annotations

import importlib
import sys
import textwrap

import pytest


@pytest.fixture
def local_module(tmp_path, monkeypatch):
    """``local_module(name, source)``: a module importable in this process only.

    Written to a directory put on this process's ``sys.path``, and nowhere else:
    Spark executors and hopt-worker processes cannot import it, as with a
    helper module next to a user's script.
    """
    where = tmp_path / "local-modules"
    where.mkdir()
    monkeypatch.syspath_prepend(str(where))
    names = []

    def make(name: str, source: str):
        (where / f"{name}.py").write_text(textwrap.dedent(source))
        names.append(name)
        return importlib.import_module(name)

    yield make
    for name in names:
        sys.modules.pop(name, None)


SHRUNK_MEAN = '''
import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin


class ShrunkMean(RegressorMixin, BaseEstimator):
    """Predicts the training mean divided by 1 + alpha."""

    def __init__(self, alpha=1.0):
        self.alpha = alpha

    def fit(self, X, y):
        self.mean_ = float(np.mean(y)) / (1.0 + self.alpha)
        return self

    def predict(self, X):
        return np.full(len(X), self.mean_)
'''


@pytest.fixture
def shrunk_mean_class(local_module):
    """A scikit-learn regressor class from a ``local_module`` (best ``alpha``: 0)."""
    pytest.importorskip("sklearn")
    return local_module("local_shrunk_mean", SHRUNK_MEAN).ShrunkMean
