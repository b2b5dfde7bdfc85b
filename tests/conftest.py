"""Load the shared fixtures (tests/fixtures.py), the same plugin the lessons' graders load."""

pytest_plugins = ["tests.fixtures", "tests.browser"]
