"""The course in the browser: GET /lessons (the index) and GET /lessons/<slug> (one lesson's README).

A README is rendered with markdown-it-py with raw HTML off: a lesson's text can never put markup
into the page. The one piece of HTML the READMEs use, a hint folded in
`<details><summary>Title</summary> ... </details>`, is recognised here and built by this module.
Code is highlighted on the server with Pygments (classes, and a stylesheet from the same origin),
so the pages keep the classroom page's strict Content-Security-Policy.
"""

import functools
import re
from html import escape

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from markdown_it import MarkdownIt
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound
from werkzeug.wrappers import Response as WerkzeugResponse

from streamlab.course import all_lessons, find_lesson
from web.i18n import STRINGS, language_of

bp = Blueprint("lessons", __name__)

HINT = re.compile(r"^<details><summary>(.*?)</summary>\n(.*?)^</details>\n?", re.DOTALL | re.MULTILINE)
LOCAL = "http://127.0.0.1:5000"  # the address the READMEs use; on this server a link stays on this server
FORMATTER = HtmlFormatter(nowrap=True)


def highlighted(code: str, language: str, _attributes: str) -> str:
    """Code as Pygments' classed spans; a block whose language Pygments does not know stays plain."""
    try:
        lexer = get_lexer_by_name(language)
    except ClassNotFound:
        return ""  # markdown-it escapes it instead
    return str(highlight(code, lexer, FORMATTER))


MARKDOWN = MarkdownIt("commonmark", {"html": False, "highlight": highlighted}).enable("table")


def rendered(markdown: str) -> str:
    """The README as HTML: Markdown with raw HTML off, hints folded, local links made relative."""
    parts, start = [], 0
    for hint in HINT.finditer(markdown):
        parts.append(MARKDOWN.render(markdown[start:hint.start()]))
        parts.append(f"<details><summary>{escape(hint[1])}</summary>{MARKDOWN.render(hint[2])}</details>")
        start = hint.end()
    parts.append(MARKDOWN.render(markdown[start:]))
    return "".join(parts).replace(f'href="{LOCAL}/', 'href="/')


def course_language() -> str:
    """The lessons' language for this request: zh or en (from ?lang= or Accept-Language, as the classroom page)."""
    return "zh" if language_of(request) == "zh-CN" else "en"


def page(language: str, **values: object) -> str:
    """lessons.html in language: the page's lang attribute and word table are the classroom page's."""
    table = "zh-CN" if language == "zh" else "en"
    return render_template("lessons.html", language=language, lang=table, t=STRINGS[table], **values)


@bp.get("/lessons")
def index() -> str:
    """The course: every lesson in order, its tasks, and how to check it."""
    language = course_language()
    return page(language, lessons=all_lessons(), lesson=None)


@bp.get("/lessons/<slug>")
def lesson_page(slug: str) -> str | WerkzeugResponse:
    """One lesson's README, in the reader's language, with links to its live demo and its neighbours."""
    language = course_language()
    try:
        lesson = find_lesson(slug)
    except LookupError:
        abort(404)
    if slug != lesson.slug:  # /lessons/3 and /lessons/sse-wire-format lead to the lesson's own address
        return redirect(url_for("lessons.lesson_page", slug=lesson.slug, lang=request.args.get("lang")))
    course = all_lessons()
    position = [each.slug for each in course].index(lesson.slug)
    before = course[position - 1] if position else None
    after = course[position + 1] if position + 1 < len(course) else None
    neighbours = (before, after)
    body = rendered(lesson.readme(language).read_text(encoding="utf-8"))
    body = body.replace('href="/?', f'href="/?lesson={lesson.slug}&amp;')  # the classroom links back here
    return page(language, lessons=course, lesson=lesson, body=body, neighbours=neighbours)


@bp.get("/lessons/code.css")
def code_style() -> Response:
    """The colours of highlighted code: Pygments' own stylesheet, served from this origin."""
    return Response(style(), mimetype="text/css", headers={"Cache-Control": "max-age=3600"})


@functools.cache
def style() -> str:
    return str(HtmlFormatter().get_style_defs(".lesson pre"))

