"""streamlab/course.py: which language a student reads the course in."""

import locale
import subprocess
import sys

import pytest

from streamlab.course import student_language
from tests.servers import ROOT

SETTINGS = ("STREAMLAB_LANG", "LC_ALL", "LC_MESSAGES", "LANG")


@pytest.mark.parametrize(("chosen", "environment", "system", "expected"), [
    pytest.param("zh", {"STREAMLAB_LANG": "en"}, None, "zh", id="lang-option-first"),
    pytest.param(None, {"STREAMLAB_LANG": "zh", "LC_ALL": "en_US.UTF-8"}, None, "zh", id="streamlab-lang-over-the-locale"),
    pytest.param(None, {"LC_ALL": "zh_CN.UTF-8", "LANG": "en_US.UTF-8"}, None, "zh", id="lc-all-over-lang"),
    pytest.param(None, {"LC_MESSAGES": "zh_TW.UTF-8", "LANG": "en_US.UTF-8"}, None, "zh", id="lc-messages-over-lang"),
    pytest.param(None, {"LANG": "zh_CN.UTF-8"}, "en_US", "zh", id="lang-over-the-system"),
    pytest.param(None, {"LANG": "en_US.UTF-8"}, "zh_CN", "en", id="an-english-lang-over-a-chinese-system"),
    pytest.param(None, {}, "zh_CN", "zh", id="system-locale"),
    pytest.param(None, {}, "Chinese (Simplified)_China", "zh", id="windows-locale"),
    pytest.param(None, {}, "English_United States", "en", id="windows-english"),
    pytest.param(None, {}, None, "en", id="nothing-says"),
])
def test_student_language(monkeypatch: pytest.MonkeyPatch, chosen: str | None, environment: dict[str, str],
                          system: str | None, expected: str) -> None:
    for name in SETTINGS:
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(locale, "getlocale", lambda category=locale.LC_CTYPE: (system, "UTF-8"))
    assert student_language(chosen) == expected


def test_what_a_student_on_windows_loads_needs_no_posix_only_module() -> None:
    """flask run, flask lesson and the graders' helpers run on Windows: none of them may import a
    module Windows lacks (resource, fcntl, ...) when it loads. (gunicorn, and lessons 14 and 15,
    are for Linux and macOS.)"""
    blocked = "; ".join(f"sys.modules[{name!r}] = None" for name in ("resource", "fcntl", "termios", "pwd", "grp"))
    code = f"import sys; {blocked}; import app, tests.servers, tests.fixtures, lessons.grading; app.create_app()"
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
