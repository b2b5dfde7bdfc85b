"""The classroom page receives the server's option schema: the same one validation and `flask chat` read."""

import json
import re
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from streamlab.options import schema
from web.i18n import STRINGS

OPTIONS_FIXTURE = Path(__file__).parent / "js" / "options.json"


def page_options(client: FlaskClient) -> list[dict[str, object]]:
    html = client.get("/").get_data(as_text=True)
    found = re.search(r"data-options='([^']*)'", html)
    assert found is not None
    return json.loads(found.group(1))  # Jinja's tojson escapes ' < > & as \u0027 and so on: plain JSON


def test_the_page_gets_every_option_of_the_schema(client: FlaskClient) -> None:
    options = page_options(client)
    assert [option["name"] for option in options] == [option.name for option in schema()]
    for given, option in zip(options, schema(), strict=True):
        assert given["values"] == list(option.values) and given["help"] == option.help
        assert (given["low"], given["high"]) == ((option.number.low, option.number.high) if option.number else (None, None))


def test_the_page_modules_tests_read_the_same_schema(client: FlaskClient) -> None:
    """tests/js/options.json stands in for the page in `node --test`: it must be what the page gets."""
    assert json.loads(OPTIONS_FIXTURE.read_text(encoding="utf-8")) == page_options(client), (
        "an option changed: regenerate the fixture with\n  .venv/bin/python -c 'import json; from web.pages import "
        "PAGE_OPTIONS; print(json.dumps(PAGE_OPTIONS, indent=1, ensure_ascii=False))' > tests/js/options.json")


@pytest.mark.parametrize(
    ("query", "accept", "language", "word"),
    [
        pytest.param("", None, "en", "Send", id="no-preference"),
        pytest.param("", "zh-CN,zh;q=0.9,en;q=0.8", "zh-CN", "发送", id="browser-in-chinese"),
        pytest.param("", "zh-TW", "zh-CN", "发送", id="any-chinese"),
        pytest.param("", "fr-FR,en;q=0.5,zh;q=0.4", "en", "Send", id="first-known-in-order"),
        pytest.param("?lang=zh", "en", "zh-CN", "发送", id="lang-zh-wins"),
        pytest.param("?lang=en", "zh-CN", "en", "Send", id="lang-en-wins"),
        pytest.param("?lang=klingon", "zh-CN", "zh-CN", "发送", id="unknown-lang-falls-back"),
    ],
)
def test_the_page_speaks_the_class_language(client: FlaskClient, query: str, accept: str | None, language: str, word: str) -> None:
    response = client.get("/" + query, headers={"Accept-Language": accept} if accept else {})
    html = response.get_data(as_text=True)
    assert f'<html lang="{language}">' in html
    assert response.headers["Content-Language"] == language and "Accept-Language" in response.headers["Vary"]
    assert f">{word}</button>" in html
    strings = json.loads(re.search(r"data-strings='([^']*)'", html).group(1))  # type: ignore[union-attr]
    assert strings == STRINGS[language]


def test_both_tables_have_every_key_with_the_same_placeholders() -> None:
    english, chinese = STRINGS["en"], STRINGS["zh-CN"]
    assert english.keys() == chinese.keys()
    for key, text in english.items():
        assert set(re.findall(r"\{\w+\}", text)) == set(re.findall(r"\{\w+\}", chinese[key])), key
    for option in schema()[1:]:  # the page labels every pane option of the schema (model is the page's), and explains it
        assert f"option.{option.name}" in english and f"help.{option.name}" in english
        assert option.number is None or f"unit.{option.number.unit}" in english
