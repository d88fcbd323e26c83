"""FileTrials tests: a fresh trials file per test; worker processes are real ones."""

from __future__ import annotations

import pytest


@pytest.fixture
def store_path(tmp_path):
    return str(tmp_path / "trials.db")
