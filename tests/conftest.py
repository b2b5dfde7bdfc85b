"""Load the shared fixtures (tests/fixtures.py), the same plugin the lessons' graders load."""

import os
from pathlib import Path

import pytest

pytest_plugins = ["tests.fixtures", "tests.browser"]


@pytest.fixture(autouse=True, scope="session")
def own_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Every `flask lesson check` a test runs counts its hints in a cache of this test run's own, never
    in the user's (~/.cache/streamlab/hints.json), and never one another test worker also writes."""
    os.environ["XDG_CACHE_HOME"] = str(Path(tmp_path_factory.mktemp("cache")))
