"""What every lesson's grader uses: the student's own files, and failures a student can act on.

Messages come in the student's language (STREAMLAB_LANG=zh or en, which `flask lesson check --lang`
sets; otherwise the locale). Expected and received values are shown with repr(), so a missing
"\\n" is as visible as a missing word.
"""

import contextlib
import importlib.util
import subprocess
import sys
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, NoReturn
from urllib.parse import urlsplit

import pytest
from flask import Flask, got_request_exception
from playwright.sync_api import Browser, Page, Route
from werkzeug.serving import make_server

from streamlab.course import student_language


def say(en: str, zh: str) -> str:
    """The message in the student's language."""
    return zh if student_language() == "zh" else en


def fail(en: str, zh: str) -> NoReturn:
    """Fail the task with a message, and no traceback into the grader's own code."""
    pytest.fail(say(en, zh), pytrace=False)


def same(received: Any, expected: Any, en: str, zh: str) -> None:
    """Pass when received == expected; otherwise say what was checked, and show both values."""
    if received != expected:
        fail(f"{en}\n    expected: {expected!r}\n    received: {received!r}",
             f"{zh}\n    期望：{expected!r}\n    实际：{received!r}")


def load(target: Path, filename: str) -> ModuleType:
    """Import the student's Python file afresh; a missing file or a syntax error is a clear failure."""
    path = target / filename
    if not path.is_file():
        fail(f"{path} is missing", f"找不到 {path}")
    name = f"graded_{target.name}_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as error:  # the student's file: any error in it is theirs to see
        fail(f"{path} does not run: {type(error).__name__}: {error}", f"{path} 运行出错：{type(error).__name__}: {error}")
    return module


def function(module: ModuleType, name: str) -> Any:
    """The named function of the student's module, or a failure that names it."""
    found = getattr(module, name, None)
    if not callable(found):
        fail(f"{module.__file__} has no function {name}()", f"{module.__file__} 里没有函数 {name}()")
    return found


def node(script: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run a Node.js script (a lesson's runner for a student's JS module)."""
    try:
        return subprocess.run(["node", str(script), *args], capture_output=True, text=True, timeout=timeout)
    except FileNotFoundError:  # not the student's mistake: the task is not checked (lessons/conftest.py)
        pytest.skip(say("Not checked: these tasks run your code in Node.js, which is not installed: install it "
                        "(https://nodejs.org, or `sudo apt-get install nodejs`)",
                        "未检查：这些任务要在 Node.js 里运行你的代码，可是没有安装 Node.js：请先安装"
                        "（https://nodejs.org，或 `sudo apt-get install nodejs`）"))
    except subprocess.TimeoutExpired:
        fail(f"your code did not finish within {timeout:g} s: is it waiting for something that never comes?",
             f"你的代码在 {timeout:g} 秒内没有结束：是不是在等一个永远不会来的东西？")


@dataclass
class Served:
    """A student's Flask app on a free port: its address, its module, and what went wrong inside it."""

    url: str = ""
    port: int = 0
    module: ModuleType | None = None
    errors: list[BaseException] = field(default_factory=list)  # raised while a view or a body ran
    pieces: list[int] = field(default_factory=list)  # the size of each piece a body yielded


class Watch:
    """WSGI middleware: count the pieces of each body, and keep any error raised while it is produced
    (the server itself can only cut the response short)."""

    def __init__(self, app: Any, served: Served) -> None:
        self.app, self.served = app, served

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        return self.body(self.app(environ, start_response))

    def body(self, pieces: Iterable[bytes]) -> Iterator[bytes]:
        try:
            for piece in pieces:
                self.served.pieces.append(len(piece))
                yield piece
        except Exception as error:
            self.served.errors.append(error)
            raise
        finally:
            close = getattr(pieces, "close", None)
            if close:
                close()


@contextlib.contextmanager
def serve(target: Path, filename: str = "app.py") -> Iterator[Served]:
    """Serve the Flask app named `app` in the student's file with a real threaded Werkzeug server (what
    `flask run` uses) on a free port, until the block ends."""
    module = load(target, filename)
    app = getattr(module, "app", None)
    if not isinstance(app, Flask):
        fail(f"{target / filename} has no Flask app named app", f"{target / filename} 里没有名叫 app 的 Flask 应用")
    served = Served(module=module)
    server = make_server("127.0.0.1", 0, Watch(app, served), threaded=True)
    served.port = server.server_port
    served.url = f"http://127.0.0.1:{served.port}"
    got_request_exception.connect(lambda sender, exception, **extra: served.errors.append(exception), app, weak=False)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)  # quick to shut down
    thread.start()
    try:
        yield served
    finally:
        server.shutdown()
        thread.join(10)


@contextlib.contextmanager
def lesson_page(browser: Browser, origin: str, lesson: Path, target: Path, ready: str) -> Iterator[Page]:
    """A fresh browser page on origin's /lesson/: a page that loads the lesson's runner.js, which
    imports the student's modules from the graded folder (its .js files, served as they are). It is
    yielded once the runner says it is ready (the JavaScript expression `ready` is true)."""
    page_html = (f'<!doctype html>\n<meta charset="utf-8">\n<title>{lesson.name}</title>\n'
                 '<script type="module" src="runner.js"></script>\n')

    def serve(route: Route) -> None:
        name = urlsplit(route.request.url).path.removeprefix("/lesson/")
        path = lesson / "runner.js" if name == "runner.js" else target / name
        if name == "":
            route.fulfill(status=200, content_type="text/html; charset=utf-8", body=page_html)
        elif "/" not in name and name.endswith(".js") and path.is_file():
            route.fulfill(status=200, content_type="text/javascript; charset=utf-8", body=path.read_text(encoding="utf-8"))
        else:
            route.fulfill(status=404, body="")  # the <img src="x"> of a reply rendered as HTML, among others

    context = browser.new_context()
    try:
        page = context.new_page()
        page.route(f"{origin}/lesson/**", serve)
        page.goto(f"{origin}/lesson/")
        page.wait_for_function(f"() => {ready}")
        yield page
    finally:
        context.close()
