"""The classroom page receives the server's option schema: the same one validation and `flask chat` read."""

import json
import re
from pathlib import Path

from flask.testing import FlaskClient

from streamlab.options import schema

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
