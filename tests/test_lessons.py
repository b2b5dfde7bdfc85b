"""The course's gates, for every lesson: the reference passes its grader, the starter and every
known-bad variant fail it (each with a message that names its mistake, in both languages), the
grader reads the student's folder, both READMEs match, and every snippet in them runs."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest
from flask.testing import FlaskClient
from markupsafe import escape
from playwright.sync_api import Page, expect

from streamlab.course import LESSONS, Lesson, all_lessons
from streamlab.tutor import TOPICS, answer
from tests.browser import screenshot, send
from tests.servers import ROOT, Server
from web import course as checks
from web import lessons as lessons_page

COURSE = all_lessons()
BLOCK = re.compile(r"^```(\w*)\n(.*?)^```", re.DOTALL | re.MULTILINE)
HEADING = re.compile(r"^(#+) ", re.MULTILINE)


SLUGS = [lesson.slug for lesson in COURSE]


def grade(lesson: Lesson, target: str, language: str = "en", tmp: Path | None = None) -> list[dict[str, object]]:
    """Run lesson's grader on target; return its per-task report."""
    report = (tmp or Path(os.environ.get("TMPDIR", "/tmp"))) / f"report-{os.getpid()}-{lesson.number}-{target.replace('/', '-')}-{language}.jsonl"
    report.unlink(missing_ok=True)
    command = [sys.executable, "-m", "pytest", str(lesson.path), f"--target={target}", f"--report={report}",
               f"--confcutdir={LESSONS}", "-q", "-p", "no:cacheprovider"]
    subprocess.run(command, cwd=ROOT, env={**os.environ, "STREAMLAB_LANG": language}, capture_output=True, text=True, timeout=300)
    lines = report.read_text(encoding="utf-8").splitlines() if report.exists() else []
    report.unlink(missing_ok=True)
    return [json.loads(line) for line in lines]


# The solution passes every task: each README shows `flask lesson check NN` and the output of a full
# pass, and test_every_snippet_runs_and_prints_what_the_readme_shows runs it on a copy whose exercise/
# is the solution (so it is also shown that the student's folder is what is graded).


@pytest.mark.parametrize("lesson", COURSE, ids=SLUGS)
def test_the_untouched_starter_fails(lesson: Lesson, tmp_path: Path) -> None:
    report = grade(lesson, "exercise", tmp=tmp_path)
    assert report and not all(entry["passed"] for entry in report)


# Every mistake in English; each lesson's first mistake in Chinese too (the graders word both the same way).
MISTAKES = [(lesson, name, language) for lesson in COURSE for index, name in enumerate(lesson.mistakes)
            for language in (("en", "zh") if index == 0 else ("en",))]


@pytest.mark.parametrize(("lesson", "mistake", "language"), MISTAKES, ids=[f"{lesson.slug}-{name}-{language}" for lesson, name, language in MISTAKES])
def test_every_known_mistake_fails_and_the_message_names_it(lesson: Lesson, mistake: str, language: str, tmp_path: Path) -> None:
    report = grade(lesson, f"broken/{mistake}", language, tmp=tmp_path)
    failures = [str(entry["message"]) for entry in report if not entry["passed"]]
    assert failures, f"broken/{mistake} passes every task"
    assert any(lesson.mistakes[mistake][language] in message for message in failures), failures


@pytest.mark.parametrize("lesson", COURSE, ids=SLUGS)
def test_each_mistake_folder_is_declared(lesson: Lesson) -> None:
    folders = sorted(path.name for path in (lesson.path / "broken").iterdir()) if (lesson.path / "broken").is_dir() else []
    assert folders == sorted(lesson.mistakes)
    assert sorted(path.name for path in (lesson.path / "exercise").iterdir() if path.name != "__pycache__") == \
        sorted(path.name for path in (lesson.path / "solution").iterdir() if path.name != "__pycache__")


def blocks(path: Path) -> list[tuple[str, str]]:
    """A README's code blocks (none if it is missing: test_both_readmes... then fails for that lesson alone)."""
    return BLOCK.findall(path.read_text(encoding="utf-8")) if path.is_file() else []


@pytest.mark.parametrize("lesson", COURSE, ids=SLUGS)
def test_both_readmes_have_the_same_headings_and_code(lesson: Lesson) -> None:
    english, chinese = (lesson.readme(language) for language in ("en", "zh"))
    assert HEADING.findall(english.read_text(encoding="utf-8")) == HEADING.findall(chinese.read_text(encoding="utf-8"))
    assert blocks(english) == blocks(chinese)
    # How to check, and what a full pass prints: the snippet test runs it on a copy whose exercise/ is
    # the solution, so the grader is shown to read the student's folder.
    check = ("sh", f".venv/bin/flask lesson check {lesson.number:02d}\n")
    assert check in blocks(english) and blocks(english)[blocks(english).index(check) + 1][0] == "text"
    assert len(lesson.tasks) in range(2, 5)  # 2 to 4 tasks
    for task in lesson.tasks:
        assert task.title.keys() == task.hints.keys() == {"en", "zh"}


SNIPPETS = [
    (lesson, index, kind, code, blocks(lesson.readme("en"))[index + 1][1] if index + 1 < len(blocks(lesson.readme("en"))) and blocks(lesson.readme("en"))[index + 1][0] == "text" else None)
    for lesson in COURSE
    for index, (kind, code) in enumerate(blocks(lesson.readme("en")))
    if kind in ("sh", "python")
]


@pytest.mark.parametrize(("lesson", "index", "kind", "code", "expected"), SNIPPETS,
                         ids=[f"{lesson.slug}-{index}-{kind}" for lesson, index, kind, _, _ in SNIPPETS])
def test_every_snippet_runs_and_prints_what_the_readme_shows(
    lesson: Lesson, index: int, kind: str, code: str, expected: str | None, gunicorn_server: Server, tmp_path: Path
) -> None:
    """sh runs against a live server (and `flask lesson check` on a copy whose exercise/ is the solution:
    the solution passes every task, graded as a student's work); python runs in the lesson's solution/,
    as a student runs it in a finished exercise/."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cwd = ROOT
    if kind == "python":
        command = [sys.executable, "-c", code]
        cwd = lesson.path / "solution"
    else:
        code = code.replace("http://127.0.0.1:5000", gunicorn_server.url).replace(".venv/bin/", str(Path(sys.executable).parent) + "/")
        if "flask lesson" in code:
            copy = tmp_path / "lessons"
            shutil.copytree(LESSONS, copy, ignore=shutil.ignore_patterns("__pycache__"))
            shutil.rmtree(copy / lesson.slug / "exercise")
            shutil.copytree(lesson.path / "solution", copy / lesson.slug / "exercise", ignore=shutil.ignore_patterns("__pycache__"))
            env["STREAMLAB_LESSONS"] = str(copy)
        command = ["bash", "-c", code]
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    if expected is not None:
        assert result.stdout in (expected, expected.removesuffix("\n"))


def flask_lesson(*args: str, lessons: Path = LESSONS, cwd: Path = ROOT, settings: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "STREAMLAB_LESSONS": str(lessons), "PYTHONPATH": str(ROOT), "FLASK_APP": str(ROOT / "app.py"), **(settings or {})}
    return subprocess.run([sys.executable, "-m", "flask", "lesson", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_lesson_list_shows_every_lesson_in_order_with_its_progress(tmp_path: Path) -> None:
    """On a copy of two lessons, one of them done (its exercise is the solution); lesson 03's grader is quick."""
    done, todo = COURSE[0], COURSE[2]
    for lesson in (done, todo):
        shutil.copytree(lesson.path, tmp_path / "lessons" / lesson.slug, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("conftest.py", "grading.py"):
        shutil.copy(LESSONS / name, tmp_path / "lessons" / name)
    shutil.rmtree(tmp_path / "lessons" / done.slug / "exercise")
    shutil.copytree(done.path / "solution", tmp_path / "lessons" / done.slug / "exercise", ignore=shutil.ignore_patterns("__pycache__"))
    result = flask_lesson("list", lessons=tmp_path / "lessons")
    assert result.returncode == 0
    assert result.stdout.splitlines() == [
        f"✓ {done.number:02d}  {done.slug:32}  {done.title['en']}  (passes)",
        f"· {todo.number:02d}  {todo.slug:32}  {todo.title['en']}  (to do)",
    ]
    chinese = flask_lesson("list", "--lang", "zh", lessons=tmp_path / "lessons").stdout.splitlines()
    assert chinese[0].endswith(f"{done.title['zh']}  (已通过)") and chinese[1].endswith("(待完成)")


def test_lesson_check_says_which_lesson_is_unknown() -> None:
    result = flask_lesson("check", "99")
    assert result.returncode == 1 and "no lesson 99" in result.stderr
    assert "没有第 99 课" in flask_lesson("check", "99", "--lang", "zh").stderr


def test_each_check_that_fails_on_the_same_task_shows_one_more_hint(tmp_path: Path) -> None:
    """Lesson 03's starter fails task 1, whose two hints come one check at a time (counted in the user's cache)."""
    hints = [f"Hint {number}/2: {hint}" for number, hint in enumerate(COURSE[2].tasks[0].hints["en"], start=1)]
    first, second = (flask_lesson("check", "03", settings={"XDG_CACHE_HOME": str(tmp_path)}).stdout for _ in range(2))
    assert hints[0] in first and hints[1] not in first
    assert hints[0] in second and hints[1] in second


def test_the_hints_start_again_on_another_task_and_after_a_pass(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(checks, "HINTS_SEEN", tmp_path / "hints.json")
    failing = [1, 1, 1, 2, 2, None, 2]  # the first task each check failed on; None: it passed
    assert [checks.checks_in_a_row(COURSE[2], task) for task in failing] == [1, 2, 3, 1, 2, 1, 1]


def test_a_missing_browser_is_said_once_in_the_students_language_without_a_hint(tmp_path: Path) -> None:
    result = flask_lesson("check", "04", "--lang", "zh", settings={"STREAMLAB_CHROMIUM": "/nonexistent", "XDG_CACHE_HOME": str(tmp_path)})
    assert result.returncode == 1
    assert result.stdout.count("/nonexistent") == 1 and "未检查" in result.stdout and "Not checked" not in result.stdout
    assert "STREAMLAB_CHROMIUM" in result.stdout and "msedge.exe" in result.stdout  # Windows and macOS have Chrome or Edge
    assert "提示" not in result.stdout  # no hint about code that never ran


def test_a_check_that_never_ends_is_stopped_and_says_which_lesson(monkeypatch: pytest.MonkeyPatch) -> None:
    """The whole check's limit, for where a test's own cannot work (Windows): this loop runs until lesson 03's 3 s."""
    monkeypatch.setattr(checks, "CHECK_SECONDS", 1)
    with pytest.raises(click.ClickException, match="lesson 03's check did not finish within 1 s"):
        checks.grade(COURSE[2], "broken/endless-loop", "en")


def test_lesson_reset_restores_the_starter_files(tmp_path: Path) -> None:
    shutil.copytree(LESSONS, tmp_path / "lessons", ignore=shutil.ignore_patterns("__pycache__"))
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    subprocess.run([*git, "add", "."], cwd=tmp_path, check=True)
    subprocess.run([*git, "commit", "-qm", "course"], cwd=tmp_path, check=True)
    lesson = COURSE[0]
    starter = tmp_path / "lessons" / lesson.slug / "exercise"
    [file] = [path for path in starter.iterdir() if path.is_file()]
    original = file.read_text(encoding="utf-8")
    file.write_text("# my attempt\n", encoding="utf-8")
    result = flask_lesson("reset", str(lesson.number), lessons=tmp_path / "lessons")
    assert result.returncode == 0 and f"restored lessons/{lesson.slug}/exercise" in result.stdout
    assert file.read_text(encoding="utf-8") == original


@pytest.mark.parametrize("lesson", COURSE, ids=SLUGS)
def test_every_browser_snippet_is_part_of_the_graded_solution(lesson: Lesson) -> None:
    """JS and HTML run in a browser, not in a shell: each one shown is cut from solution/, which the grader runs."""
    sources = [path.read_text(encoding="utf-8") for path in (lesson.path / "solution").rglob("*") if path.is_file()]
    for kind, code in blocks(lesson.readme("en")):
        if kind in ("js", "javascript", "html"):
            assert any(code.strip() in source for source in sources), f"not found in {lesson.slug}/solution/: {code[:80]!r}"


# The lessons in the browser: /lessons and /lessons/<slug>, rendered with raw HTML off.


@pytest.mark.parametrize("language", ["en", "zh"])
def test_the_course_index_lists_every_lesson(client: FlaskClient, language: str) -> None:
    html = client.get(f"/lessons?lang={language}").get_data(as_text=True)
    assert f'<html lang="{"zh-CN" if language == "zh" else "en"}">' in html
    for lesson in COURSE:
        assert f'href="/lessons/{lesson.slug}?lang={language}"' in html and escape(lesson.title[language]) in html


@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize("lesson", COURSE, ids=SLUGS)
def test_a_lesson_page_renders_its_readme_under_the_strict_csp(client: FlaskClient, lesson: Lesson, language: str) -> None:
    response = client.get(f"/lessons/{lesson.slug}?lang={language}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert f"<h1>{lesson.number:02d} · {lesson.title[language]}</h1>" in html
    assert html.count("<details><summary>") == len(lesson.tasks)  # a hint per task, folded
    assert 'href="http://127.0.0.1:5000' not in html  # links to the live demo stay on this server
    assert f'href="/?{lesson.preset.replace("&", "&amp;")}&amp;lang={language}&amp;lesson={lesson.slug}"' in html  # and back
    assert "<script" not in html


def test_markdown_from_a_readme_is_never_html() -> None:
    html = lessons_page.rendered('Hi <script>alert(1)</script> <img src=x onerror=alert(1)>\n\n<details><summary><b>x</b></summary>\n\nok\n\n</details>\n')
    assert "<script>" not in html and "<img" not in html and "&lt;script&gt;" in html
    assert "<details><summary>&lt;b&gt;x&lt;/b&gt;</summary><p>ok</p>\n</details>" in html


def test_a_lesson_has_short_addresses(client: FlaskClient) -> None:
    lesson = COURSE[0]
    for key in (str(lesson.number), f"{lesson.number:02d}", lesson.slug[3:]):
        assert client.get(f"/lessons/{key}?lang=zh").headers["Location"] == f"/lessons/{lesson.slug}?lang=zh"
    assert client.get("/lessons/99").status_code == 404


@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize("lesson", COURSE, ids=SLUGS)
def test_a_lesson_page_in_chromium_and_its_live_links_stream(page: Page, gunicorn_server: Server, lesson: Lesson, language: str) -> None:
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text) if message.type == "error" else None)
    page.goto(f"{gunicorn_server.url}/lessons/{lesson.slug}?lang={language}")
    expect(page.locator("h1")).to_have_text(f"{lesson.number:02d} · {lesson.title[language]}")
    page.locator("summary").first.click()  # a hint unfolds
    expect(page.locator("details").first).to_have_attribute("open", "")
    screenshot(page, f"lesson-{lesson.slug}-{language}")
    links = [page.locator(".lesson-actions a").nth(i).get_attribute("href") or "" for i in range(page.locator(".lesson-actions a").count())]
    assert len(links) == (2 if lesson.pitfall else 1)
    for link in links:
        page.goto(gunicorn_server.url + link)
        expect(page.locator(".pane").first).to_be_visible()
        assert page.evaluate("document.documentElement.lang") == ("zh-CN" if language == "zh" else "en")
        if page.locator("#watch").is_visible():  # its note links back to this lesson, not to the preset's own
            assert f"/lessons/{lesson.slug}?" in (page.locator("#watch [data-role=lesson]").get_attribute("href") or "")
        send(page)  # then some text arrives: the link opened a comparison that streams
        page.wait_for_function("() => [...document.querySelectorAll('[data-role=text]')].some(t => t.textContent.length > 0)")
        page.locator("#stop-all").click()
    assert console == []


@pytest.mark.parametrize("readme", ["README.md", "README.zh-CN.md"])
def test_the_course_readme_lists_every_lesson_in_order(readme: str) -> None:
    linked = re.findall(r"^\| (\d\d) \| \[[^]]+\]\(([^)/]+)/(README[.\w-]*\.md)\)", (LESSONS / readme).read_text(encoding="utf-8"), re.MULTILINE)
    assert [(number, slug, file) for number, slug, file in linked] == [(f"{lesson.number:02d}", lesson.slug, readme) for lesson in COURSE]


def test_the_tutor_points_to_real_lessons() -> None:
    """A topic's lesson is a folder of the course, and the tutor's reply names its page."""
    slugs = {lesson.slug for lesson in COURSE}
    linked = [topic for topic in TOPICS if topic.lesson]
    assert linked and all(topic.lesson in slugs for topic in linked)
    for topic in linked:
        assert f"/lessons/{topic.lesson}" in answer(f"Tell me about {topic.keywords[0]}", False, 0)


LOCAL_LINK = re.compile(r"(?:<|\]\()http://127\.0\.0\.1:5000(/[^\s)>]*)")  # <autolinks> and [text](links)


@pytest.mark.parametrize("lesson", COURSE, ids=SLUGS)
def test_every_local_link_in_both_readmes_answers(client: FlaskClient, lesson: Lesson) -> None:
    """Every link to this server (the classroom page, a lesson): each one answers 200."""
    for language in ("en", "zh"):
        prose = BLOCK.sub("", lesson.readme(language).read_text(encoding="utf-8"))
        paths = LOCAL_LINK.findall(prose)
        assert paths, f"{language}: no link to the live demo"
        for path in paths:
            response = client.get(path, follow_redirects=True)
            assert response.status_code == 200, (language, path)
            response.close()
