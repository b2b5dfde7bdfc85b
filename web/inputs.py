"""Read a request's query string and JSON body strictly, so bad bytes become a clear 4xx."""

import json
from urllib.parse import unquote_to_bytes

from flask import Request

from streamlab.errors import InputError


def query_values(request: Request) -> dict[str, str]:
    """Decode the query string as UTF-8, refusing invalid bytes instead of hiding them as U+FFFD."""
    values: dict[str, str] = {}
    for pair in request.query_string.split(b"&"):
        if not pair:
            continue
        raw_name, _, raw_value = pair.partition(b"=")
        try:
            name = unquote_to_bytes(raw_name.replace(b"+", b" ")).decode("utf-8")
        except UnicodeDecodeError:
            raise InputError("query", "the query string is not valid UTF-8") from None
        try:
            value = unquote_to_bytes(raw_value.replace(b"+", b" ")).decode("utf-8")
        except UnicodeDecodeError:
            raise InputError(name, f"{name} is not valid UTF-8") from None
        values.setdefault(name, value)  # the first of repeated names wins, as in request.args
    return values


def json_body(request: Request) -> dict[str, object]:
    """Return the body as a JSON object, or raise InputError saying what is wrong with it."""
    if not request.is_json:
        raise InputError("Content-Type", "send the body as JSON, with Content-Type: application/json", 415)
    raw = request.get_data(cache=True)  # over MAX_CONTENT_LENGTH this raises 413
    try:
        text = raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError:
        raise InputError("body", "the body is not valid UTF-8") from None
    try:
        body = json.loads(text)
    except RecursionError:  # deeply nested arrays exhaust the parser's stack
        raise InputError("body", "the body is nested too deeply") from None
    except ValueError as error:
        raise InputError("body", f"the body is not valid JSON: {error}") from None
    if not isinstance(body, dict):
        raise InputError("body", "the body must be a JSON object, like {\"message\": \"Hi\"}")
    return body


def parse_stream_flag(value: object) -> bool:
    """Read the `stream` field: true (the default) streams, false answers once, at the end."""
    flags = {None: True, True: True, False: False, "true": True, "false": False}
    if isinstance(value, (bool, str, type(None))) and value in flags:
        return flags[value]
    raise InputError("stream", "stream must be true or false")
