"""The page's words, one table per language (static/i18n/<lang>.json), and the language of a request.

The template and the page's scripts read the same table: the server renders the static labels and
hands the whole table to the scripts, so no module holds a word of its own.
"""

import json
from pathlib import Path

from flask import Request

TABLES = Path(__file__).resolve().parent.parent / "static" / "i18n"
LANGUAGES = ("en", "zh-CN")  # the first is the default
STRINGS: dict[str, dict[str, str]] = {
    language: json.loads((TABLES / f"{language}.json").read_text(encoding="utf-8")) for language in LANGUAGES
}


def language_named(tag: str) -> str | None:
    """Map a language tag (zh, zh-CN, zh-Hans-TW, en-GB, ...) to a table, by its primary subtag."""
    primary = tag.split("-")[0].lower()
    return next((language for language in LANGUAGES if language.split("-")[0] == primary), None)


def language_of(request: Request) -> str:
    """?lang=zh or ?lang=en first, then the browser's Accept-Language in its order, then English."""
    asked = request.args.get("lang", "")
    if found := language_named(asked):
        return found
    for tag, _quality in request.accept_languages:
        if found := language_named(tag):
            return found
    return LANGUAGES[0]
