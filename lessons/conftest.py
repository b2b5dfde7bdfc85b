"""The graders' shared setup: which folder a lesson's tests grade, and the per-task report.

    pytest lessons/03-sse-wire-format                      grades exercise/
    pytest lessons/03-sse-wire-format --target solution    grades solution/
    flask lesson check 03                                  the same, as one line per task

Each test grades one task of its lesson (@pytest.mark.task(N)) and reads the graded files
through the `target` fixture, so a student's exercise/ and the teacher's solution/ pass the
same tests.
"""

import json
from collections.abc import Generator
from pathlib import Path

import pytest

pytest_plugins = ["tests.fixtures", "tests.browser"]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--target", default="exercise", help="the folder to grade: exercise, solution or broken/<mistake>")
    parser.addoption("--report", default=None, help="append each task's outcome to this file (JSON lines)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "task(number): the exercise task this test grades")


@pytest.fixture
def target(request: pytest.FixtureRequest) -> Path:
    """The folder being graded, inside the lesson of the test that asks."""
    folder = Path(request.path).parent / str(request.config.getoption("--target"))
    if not folder.is_dir():
        pytest.fail(f"no folder {folder}", pytrace=False)
    return folder


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, None, None]:
    """Write what `flask lesson check` prints: each task's outcome and the message a student can act on."""
    outcome = yield
    report: pytest.TestReport = outcome.get_result()  # type: ignore[attr-defined]
    path = item.config.getoption("--report")
    marker = item.get_closest_marker("task")
    if not path or marker is None or not (report.when == "call" or report.failed):
        return
    message = ""
    if call.excinfo is not None:
        error = call.excinfo.value
        message = str(error) if isinstance(error, (AssertionError, pytest.fail.Exception)) else f"{type(error).__name__}: {error}"
    with open(path, "a", encoding="utf-8") as file:
        file.write(json.dumps({"task": marker.args[0], "passed": report.passed, "message": message}, ensure_ascii=False) + "\n")
