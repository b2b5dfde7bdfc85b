"""The course: the lessons in lessons/NN-slug/, each described by its lesson.toml.

    lessons/03-sse-wire-format/
      README.md  README.zh-CN.md   the lesson, in English and in Chinese
      lesson.toml                  titles, the classroom preset, the tasks and their hints
      exercise/                    the starter files a student edits (`flask lesson reset` restores them)
      solution/                    the reference solution, the same file names
      broken/<mistake>/            known-bad solutions: each must fail, with a message that names it
      test_lesson.py               the grader: one test per task, marked @pytest.mark.task(N)

Nothing here runs a grader or a server: web/course.py does, for `flask lesson` and the pages.
"""

import locale
import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

# STREAMLAB_LESSONS moves the course elsewhere (the tests grade a copy): by default, lessons/ here.
LESSONS = Path(os.environ.get("STREAMLAB_LESSONS") or Path(__file__).resolve().parent.parent / "lessons")
LANGUAGES = ("en", "zh")  # the course's two languages; a README in Chinese is README.zh-CN.md
FOLDER = re.compile(r"(?P<number>[0-9]{2})-(?P<name>[a-z0-9-]+)")


@dataclass(frozen=True)
class Task:
    """One numbered task of an exercise, its title and its hints, in both languages."""

    number: int
    title: dict[str, str]
    hints: dict[str, list[str]]


@dataclass(frozen=True)
class Lesson:
    """One lesson folder, as its lesson.toml describes it."""

    number: int
    slug: str  # the folder's name: "03-sse-wire-format"
    path: Path
    title: dict[str, str]
    preset: str  # the classroom page's query string that demonstrates the lesson
    pitfall: str  # the classroom preset of its pitfall box ("" for none)
    tasks: tuple[Task, ...]
    mistakes: dict[str, dict[str, str]]  # broken/<name>: words its failure message contains, per language

    def readme(self, language: str) -> Path:
        return self.path / ("README.md" if language == "en" else "README.zh-CN.md")

    def target(self, name: str) -> Path:
        """The folder a check grades: "exercise", "solution" or "broken/<mistake>"."""
        return self.path / name



def student_language(chosen: str | None = None) -> str:
    """zh or en: chosen (--lang) first, then STREAMLAB_LANG, then the locale's variables in the order
    POSIX reads them (LC_ALL, LC_MESSAGES, LANG: zh_CN.UTF-8 is Chinese), then the system's locale
    (Windows sets none of them; its locale is named like "Chinese (Simplified)_China")."""
    value = (chosen or os.environ.get("STREAMLAB_LANG") or os.environ.get("LC_ALL") or os.environ.get("LC_MESSAGES")
             or os.environ.get("LANG") or locale.getlocale()[0] or "")
    return "zh" if value.lower().startswith(("zh", "chinese")) else "en"


def read_lesson(path: Path) -> Lesson:
    """Read one lesson folder's lesson.toml."""
    found = FOLDER.fullmatch(path.name)
    if not found:
        raise ValueError(f"{path.name}: a lesson folder is named NN-slug, e.g. 03-sse-wire-format")
    data = tomllib.loads((path / "lesson.toml").read_text(encoding="utf-8"))
    tasks = tuple(
        Task(number, task["title"], task["hints"]) for number, task in enumerate(data["tasks"], start=1)
    )
    return Lesson(int(found["number"]), path.name, path, data["title"], data["preset"], data.get("pitfall", ""), tasks,
                  data.get("mistakes", {}))


def all_lessons(root: Path = LESSONS) -> list[Lesson]:
    """Every lesson, in teaching order."""
    return [read_lesson(path) for path in sorted(root.iterdir()) if path.is_dir() and FOLDER.fullmatch(path.name)]


def find_lesson(key: str, root: Path = LESSONS) -> Lesson:
    """A lesson by number ("3", "03") or slug ("03-sse-wire-format", "sse-wire-format")."""
    for lesson in all_lessons(root):
        if key.isdigit() and int(key) == lesson.number or key in (lesson.slug, lesson.slug[3:]):
            return lesson
    raise LookupError(key)
