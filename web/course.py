"""`flask lesson list | check | reset`: the course on the command line, in the student's language.

A check runs the lesson's grader (pytest, on the lesson's test file) against exercise/ (or
solution/), reads its per-task report, and prints one line per task: ✓ or ✗, what was expected
and what was received, hints for the first task that fails, and after a full pass where the
reference solution is. A task has one to three hints: its first check shows the first, and each
check after it that fails on the same task shows one more (remembered in HINTS_SEEN).
"""

import contextlib
import json
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import click
from flask import Flask

from streamlab.course import LESSONS, Lesson, all_lessons, find_lesson, student_language

ROOT = Path(__file__).resolve().parent.parent  # the project: the graders run from here
# Per lesson folder, the task its last check stopped at and how many checks in a row did: the user's cache.
HINTS_SEEN = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "streamlab" / "hints.json"
CHECK_SECONDS = 300  # a whole check; each test has its own, shorter limit in lessons/conftest.py (not on Windows)
WORDS = {
    "en": {
        "heading": "{title} (grading {target}/)",
        "hint": "Hint: ",
        "hint-n": "Hint {n}/{total}: ",
        "passed": "All {n} tasks pass.",
        "compare": "Compare yours with the reference: {path}",
        "failed": "{n} of {total} tasks pass.",
        "not-run": "not checked: an earlier error stopped the grader",
        "unknown": "no lesson {key}; `flask lesson list` shows them",
        "reset": "restored {path} to its starter files",
        "no-git": "cannot restore {path}: it needs git (this folder is not a git clone)",
        "pass": "passes",
        "todo": "to do",
        "grader-error": "the grader could not run:",
        "too-long": "lesson {number:02d}'s check did not finish within {seconds} s and was stopped: "
                    "is there a loop in your code that never ends?",
    },
    "zh": {
        "heading": "{title}（检查 {target}/）",
        "hint": "提示：",
        "hint-n": "提示 {n}/{total}：",
        "passed": "{n} 个任务全部通过。",
        "compare": "和参考答案对照一下：{path}",
        "failed": "共 {total} 个任务，通过 {n} 个。",
        "not-run": "未检查：前面的错误让检查停下了",
        "unknown": "没有第 {key} 课；`flask lesson list` 会列出所有课程",
        "reset": "{path} 已恢复成初始文件",
        "no-git": "无法恢复 {path}：这需要 git（这个目录不是 git 克隆）",
        "pass": "已通过",
        "todo": "待完成",
        "grader-error": "检查程序无法运行：",
        "too-long": "第 {number:02d} 课的检查在 {seconds} 秒内没有结束，已经停下："
                    "你的代码里是不是有个循环永远停不下来？",
    },
}


@dataclass(frozen=True)
class Outcome:
    """One task's result, as the grader reported it."""

    task: int
    passed: bool
    message: str
    skipped: bool = False  # not checked: the machine lacks a program the task needs (a browser, Node.js)


def grade(lesson: Lesson, target: str, language: str) -> tuple[list[Outcome], str]:
    """Run the lesson's grader on target; return each task's outcome (failures first per task) and pytest's output."""
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "report.jsonl"
        # --confcutdir: lessons/conftest.py holds the grading plugin, wherever the course is.
        command = [sys.executable, "-m", "pytest", str(lesson.path), f"--target={target}", f"--report={report}",
                   f"--confcutdir={LESSONS}", "-q", "-p", "no:cacheprovider", "--no-header", "-rN", "--tb=no"]
        env = {**os.environ, "STREAMLAB_LANG": language, "PYTHONPATH": str(ROOT)}
        try:
            done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=CHECK_SECONDS)
        except subprocess.TimeoutExpired:
            stopped = WORDS[language]["too-long"].format(number=lesson.number, seconds=CHECK_SECONDS)
            raise click.ClickException(stopped) from None
        lines = report.read_text(encoding="utf-8").splitlines() if report.exists() else []
    results: dict[int, Outcome] = {}
    for line in lines:
        outcome = Outcome(**json.loads(line))
        if outcome.task not in results or results[outcome.task].passed:  # a task passes only if all its tests do
            results[outcome.task] = outcome
    return [results[number] for number in sorted(results)], done.stdout + done.stderr


def title(lesson: Lesson, language: str) -> str:
    number = f"第 {lesson.number:02d} 课" if language == "zh" else f"Lesson {lesson.number:02d}"
    return f"{number} · {lesson.title[language]}"


def checks_in_a_row(lesson: Lesson, failing: int | None) -> int:
    """Count the checks in a row of lesson's exercise that stopped at task `failing` (None: none failed)."""
    try:
        seen = json.loads(HINTS_SEEN.read_text(encoding="utf-8"))
    except (OSError, ValueError):  # no file yet, or not one this wrote
        seen = {}
    if not isinstance(seen, dict):
        seen = {}
    before = seen.pop(str(lesson.path), {})
    count = before.get("count", 0) + 1 if before.get("task") == failing else 1
    if failing is None and not before:
        return count  # nothing to remember, nothing to forget
    if failing is not None:
        seen[str(lesson.path)] = {"task": failing, "count": count}
    with contextlib.suppress(OSError):  # nowhere to write: every check shows the first hint
        HINTS_SEEN.parent.mkdir(parents=True, exist_ok=True)
        HINTS_SEEN.write_text(json.dumps(seen, ensure_ascii=False, indent=1), encoding="utf-8")
    return count


def check_lesson(lesson: Lesson, target: str, language: str) -> bool:
    """Print one line per task, hints for the first failing task, and say whether every task passed."""
    words = WORDS[language]
    click.echo(words["heading"].format(title=title(lesson, language), target=target))
    outcomes, output = grade(lesson, target, language)
    by_task = {outcome.task: outcome for outcome in outcomes}
    failing = next((outcome.task for outcome in outcomes if not outcome.passed and not outcome.skipped), None)
    # The student's exercise gets one more hint each time it fails on the same task; solution/ just the first.
    shown = checks_in_a_row(lesson, failing) if target == "exercise" and outcomes else 1
    for task in lesson.tasks:
        outcome = by_task.get(task.number)
        mark = "✓" if outcome and outcome.passed else "✗"
        click.echo(f"  {mark} {task.number}. {task.title[language]}")
        if outcome is None:
            click.echo(f"      {words['not-run']}")
        elif not outcome.passed and not outcome.skipped:
            for line in outcome.message.splitlines():
                click.echo(f"      {line}")
        if task.number == failing:
            hints = task.hints[language]
            for number, hint in enumerate(hints[:shown], start=1):
                label = words["hint"] if len(hints) == 1 else words["hint-n"].format(n=number, total=len(hints))
                click.echo(f"      {label}{hint}")
    # What a skipped task lacks is the same for all of them (and no hint helps): said once.
    for line in next((outcome.message for outcome in outcomes if outcome.skipped), "").splitlines():
        click.echo(f"  {line}")
    passed = sum(1 for outcome in outcomes if outcome.passed)
    if not outcomes:
        click.echo(f"  {words['grader-error']}\n{output.strip()}", err=True)
    if outcomes and passed == len(lesson.tasks):
        click.echo(words["passed"].format(n=passed))
        if target == "exercise":
            click.echo(words["compare"].format(path=(lesson.path / "solution").relative_to(LESSONS.parent)))
        return True
    click.echo(words["failed"].format(n=passed, total=len(lesson.tasks)))
    return False


def lesson_argument(key: str, language: str) -> Lesson:
    try:
        return find_lesson(key)
    except LookupError:
        raise click.ClickException(WORDS[language]["unknown"].format(key=key)) from None


LANG = click.option("--lang", type=click.Choice(["en", "zh"]), default=None,
                    help="The language of titles and messages (default: STREAMLAB_LANG, then the locale).")


@click.group("lesson")
def lesson() -> None:
    """The course in lessons/: list the lessons, check an exercise, reset it."""


@lesson.command("list")
@LANG
def list_lessons(lang: str | None) -> None:
    """List the lessons in order, with whether each exercise passes its check."""
    language = student_language(lang)
    course = all_lessons()
    with ThreadPoolExecutor(max_workers=os.cpu_count()) as pool:  # each check is its own process
        graded = pool.map(lambda each: grade(each, "exercise", language)[0], course)
    for each, outcomes in zip(course, graded, strict=True):
        done = outcomes and all(outcome.passed for outcome in outcomes) and len(outcomes) == len(each.tasks)
        click.echo(f"{'✓' if done else '·'} {each.number:02d}  {each.slug:32}  {each.title[language]}"
                   f"  ({WORDS[language]['pass' if done else 'todo']})")


@lesson.command("check")
@click.argument("key")
@click.option("--solution", is_flag=True, help="Grade solution/ (the reference) instead of exercise/.")
@LANG
def check(key: str, solution: bool, lang: str | None) -> None:
    """Grade lesson KEY (a number or a slug): exit status 0 only when every task passes."""
    language = student_language(lang)
    if not check_lesson(lesson_argument(key, language), "solution" if solution else "exercise", language):
        sys.exit(1)


@lesson.command("reset")
@click.argument("key")
@LANG
def reset(key: str, lang: str | None) -> None:
    """Restore lesson KEY's exercise/ to its starter files (your changes there are lost)."""
    language = student_language(lang)
    folder = lesson_argument(key, language).path / "exercise"
    shown = folder.relative_to(LESSONS.parent)
    command = ["git", "checkout", "HEAD", "--", str(shown)]
    done = subprocess.run(command, cwd=LESSONS.parent, capture_output=True, text=True)
    if done.returncode != 0:
        raise click.ClickException(WORDS[language]["no-git"].format(path=shown))
    click.echo(WORDS[language]["reset"].format(path=shown))


def register(app: Flask) -> None:
    """Add `flask lesson` to app's command line."""
    app.cli.add_command(lesson)
