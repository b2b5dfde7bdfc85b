"""The stream endpoints: GET /stream for EventSource, POST /api/chat for fetch, and /healthz.

Each view reads the request completely, validates it, and only then starts the generator:
bad input is a 4xx before any stream byte, and the generator never touches `request`.
"""

from flask import Blueprint, Response, request

from streamlab.conversation import parse_conversation
from streamlab.models import reply
from streamlab.options import parse_options
from streamlab.streams import resume_point
from web.inputs import json_body, parse_stream_flag, query_values
from web.responses import answer_whole, event_stream, open_streams

bp = Blueprint("streams", __name__)


@bp.get("/stream")
def stream_get() -> Response:
    """Stream a reply to GET /stream?prompt=..., for EventSource."""
    values = query_values(request)
    conversation = parse_conversation(values, ("prompt",), with_history=False)
    options = parse_options(values)
    resume = resume_point(request.headers.get("Last-Event-ID"), values.get("lastEventId"))
    return event_stream(reply(conversation, options.model, options.chunk), options, resume)


@bp.post("/api/chat")
def chat() -> Response | dict[str, object]:
    """Stream a reply to a JSON chat request, or answer it whole with "stream": false."""
    query = query_values(request)
    values = {**query, **json_body(request)}  # options may come in either; the body wins
    conversation = parse_conversation(values, ("message", "prompt"))
    options = parse_options(values)
    answer = reply(conversation, options.model, options.chunk)
    if not parse_stream_flag(values.get("stream")):
        return answer_whole(answer, options)
    resume = resume_point(request.headers.get("Last-Event-ID"), query.get("lastEventId"))
    return event_stream(answer, options, resume)


@bp.get("/healthz")
def healthz() -> dict[str, object]:
    """Report that the server is up and how many streams it has open."""
    return {"status": "ok", "open_streams": open_streams().count}
