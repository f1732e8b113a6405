"""Shared fixtures: the real data folder (skipped with a message when absent) and small signals."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("GAZELEARN_SHARED_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Path to ../shared/data; skips the test with a message when it is not there."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data not found at {SHARED_DATA} (set GAZELEARN_SHARED_DATA)")
    return SHARED_DATA


@pytest.fixture(autouse=True)
def _no_progress_bars(monkeypatch):
    """No progress bars in tests, even with ``-s`` on a terminal: gazelearn draws none under CI."""
    monkeypatch.setenv("CI", "1")


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(12345)
