"""The graders' shared setup: which folder a lesson's tests grade, and the per-task report.

    pytest lessons/03-sse-wire-format                      grades exercise/
    pytest lessons/03-sse-wire-format --target solution    grades solution/
    flask lesson check 03                                  the same, as one line per task

Each test grades one task of its lesson (@pytest.mark.task(N)) and reads the graded files
through the `target` fixture, so a student's exercise/ and the teacher's solution/ pass the
same tests. A test's setup, and then its call, each have LIMIT seconds (a grader of quick code
says less with @pytest.mark.time_limit(N)): a loop that never ends fails its task instead of
hanging the check. A task that needs a program the machine lacks (Chromium, Node.js) is skipped:
not checked, and said once (in the course's own tests it still counts as not passed).
"""

import contextlib
import json
import signal
import threading
from collections.abc import Generator, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Playwright

from streamlab.course import student_language

pytest_plugins = ["tests.fixtures", "tests.browser"]
LIMIT = 60  # seconds: every grader's test takes a few at most, servers started and browser launched


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--target", default="exercise", help="the folder to grade: exercise, solution or broken/<mistake>")
    parser.addoption("--report", default=None, help="append each task's outcome to this file (JSON lines)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "task(number): the exercise task this test grades")
    config.addinivalue_line("markers", f"time_limit(seconds): the most its setup, and its call, may take (default {LIMIT})")


@pytest.fixture
def target(request: pytest.FixtureRequest) -> Path:
    """The folder being graded, inside the lesson of the test that asks."""
    folder = Path(request.path).parent / str(request.config.getoption("--target"))
    if not folder.is_dir():
        pytest.fail(f"no folder {folder}", pytrace=False)
    return folder


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """tests.browser's Chromium; when there is none, the tasks that need it are skipped, with one message."""
    from tests.browser import CHROMIUM, launch  # here, not at the top: pytest loads it first, as a plugin
    if not Path(CHROMIUM).exists():
        message = {
            "en": f"Not checked: these tasks run your code in Chromium, and there is none at {CHROMIUM}.\n"
                  "Install it (Debian, Ubuntu: sudo apt-get install chromium), or set STREAMLAB_CHROMIUM to Chrome or Edge:\n"
                  "  Windows: C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe\n"
                  "           C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe\n"
                  "  macOS:   /Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
            "zh": f"未检查：这些任务要在 Chromium 里运行你的代码，可是在 {CHROMIUM} 找不到 Chromium。\n"
                  "请安装它（Debian、Ubuntu：sudo apt-get install chromium），或者把 STREAMLAB_CHROMIUM 设为 Chrome 或 Edge：\n"
                  "  Windows：C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe\n"
                  "           C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe\n"
                  "  macOS：  /Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
        }
        pytest.skip(message[student_language()])
    browser = launch(playwright)
    yield browser
    browser.close()


@contextlib.contextmanager
def time_limit(seconds: int) -> Iterator[None]:
    """Fail the test when the block runs longer than seconds, with a message in the student's language.
    SIGALRM does it, so only on the main thread and not on Windows: there, `flask lesson check` stops
    the whole check after a longer limit."""
    if not hasattr(signal, "SIGALRM") or threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: object) -> None:
        message = {"en": f"your code did not finish within {seconds} s: is there a loop that never ends?",
                   "zh": f"你的代码在 {seconds} 秒内没有结束：是不是有个循环永远停不下来？"}
        pytest.fail(message[student_language()], pytrace=False)

    previous = signal.signal(signal.SIGALRM, stop)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def limit_of(item: pytest.Item) -> int:
    marker = item.get_closest_marker("time_limit")
    return int(marker.args[0]) if marker else LIMIT


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, None, None]:
    with time_limit(limit_of(item)):
        yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    with time_limit(limit_of(item)):
        yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, None, None]:
    """Write what `flask lesson check` prints: each task's outcome and the message a student can act on."""
    outcome = yield
    report: pytest.TestReport = outcome.get_result()  # type: ignore[attr-defined]
    path = item.config.getoption("--report")
    marker = item.get_closest_marker("task")
    if not path or marker is None or not (report.when == "call" or report.failed or report.skipped):
        return
    message = ""
    if call.excinfo is not None:
        error = call.excinfo.value
        plain = isinstance(error, (AssertionError, pytest.fail.Exception, pytest.skip.Exception))
        message = str(error) if plain else f"{type(error).__name__}: {error}"
    entry = {"task": marker.args[0], "passed": report.passed, "message": message, "skipped": report.skipped}
    with open(path, "a", encoding="utf-8") as file:
        file.write(json.dumps(entry, ensure_ascii=False) + "\n")
