"""Read a request's query string and JSON body strictly, so bad bytes become a clear 4xx."""

import contextlib
import json
import socket
import threading
from urllib.parse import unquote_to_bytes

from flask import Request, current_app
from werkzeug.exceptions import RequestEntityTooLarge

from streamlab.errors import InputError

# The longest request line, "GET /stream?... HTTP/1.1", in bytes: gunicorn refuses longer ones
# itself (414), and so do proxies such as nginx. `flask run` would take 64 KB: checking here
# means a GET that works on a student's laptop also works on the classroom server.
MAX_REQUEST_LINE = 8190


def check_request_line(request: Request) -> None:
    """Refuse a URL longer than a classroom server or proxy would accept, naming what made it long."""
    target = request.environ.get("RAW_URI") or request.full_path
    line = len(request.method) + len(target) + len(request.environ.get("SERVER_PROTOCOL", "HTTP/1.1")) + 2
    if line > MAX_REQUEST_LINE:
        field = "prompt" if b"prompt=" in request.query_string else "query"
        raise InputError(field, f"the request line is {line} bytes once percent-encoded; the limit is "
                                f"{MAX_REQUEST_LINE}. Send long prompts by POST /api/chat", 414)


def query_values(request: Request) -> dict[str, str]:
    """Decode the query string as UTF-8, refusing invalid bytes instead of hiding them as U+FFFD."""
    check_request_line(request)
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


class Deadline:
    """After `seconds`, stop reading from the client: shut the socket's read side, so a body sent
    at one byte a second ends (EOF) instead of holding a connection forever. Both servers put the
    client's socket in the environ; a test client has none, and needs no deadline.
    """

    def __init__(self, request: Request, seconds: float) -> None:
        environ = request.environ
        self.socket: socket.socket | None = environ.get("gunicorn.socket") or environ.get("werkzeug.socket")
        self.expired = False
        self.timer = threading.Timer(seconds, self.expire)  # a greenlet under gevent, a thread under flask run

    def expire(self) -> None:
        self.expired = True
        if self.socket is not None:
            with contextlib.suppress(OSError):  # the client may be gone already
                self.socket.shutdown(socket.SHUT_RD)

    def __enter__(self) -> "Deadline":
        if self.socket is not None:
            self.timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.timer.cancel()


def read_body(request: Request) -> bytes:
    """Read the whole body: 413 over MAX_CONTENT_LENGTH, 408 if too slow, 400 if malformed."""
    seconds = current_app.config["MAX_BODY_SECONDS"]
    too_slow = InputError("body", f"the body took longer than {seconds} s to arrive", 408)
    try:
        with Deadline(request, seconds) as deadline:
            raw = request.get_data(cache=True)  # with a Content-Length over the limit, this raises 413
            # A chunked body has no Content-Length: get_data() stops at the limit without a word, so
            # look for one byte more (within the deadline, and malformed is malformed there too).
            limit = request.max_content_length
            chunked = request.content_length is None
            if chunked and limit is not None and len(raw) >= limit and request.environ["wsgi.input"].read(1):
                raise RequestEntityTooLarge()
    except Exception as error:  # PEP 3333 names no exception types: each server's body parser has its own
        if deadline.expired:
            raise too_slow from None
        if isinstance(error, RequestEntityTooLarge):
            raise
        raise InputError("body", f"the body could not be read ({error})") from None
    if deadline.expired:
        raise too_slow
    return raw


def json_body(request: Request) -> dict[str, object]:
    """Return the body as a JSON object, or raise InputError saying what is wrong with it."""
    if not request.is_json:
        raise InputError("Content-Type", "send the body as JSON, with Content-Type: application/json", 415)
    raw = read_body(request)
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
