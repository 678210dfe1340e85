"""Shared test configuration: hypothesis profiles and the location of the shared data.

Profiles (select with the environment variable ``HYPOTHESIS_PROFILE``):

* ``ci`` (default): few examples per test, derandomized so every run draws the same examples
  (a failure in CI reproduces locally), no deadline (timings on a loaded 2-core machine vary);
  the whole suite stays within CI's time limit.
* ``thorough``: many examples, random seeds, for local runs before a release.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    max_examples=10,
    deadline=None,
    derandomize=True,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "thorough",
    max_examples=300,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

#: the data shared by the project's checkouts, next to the repository (read-only)
SHARED_DATA_DIR = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data_dir() -> Path:
    """``<repo>/../shared/data``; tests that need it are skipped where it is absent."""
    if not SHARED_DATA_DIR.is_dir():
        pytest.skip(f"shared data directory {SHARED_DATA_DIR} not found")
    return SHARED_DATA_DIR
