"""The stream endpoints: GET /stream for EventSource, POST /api/chat for fetch, and /healthz.

Each view reads the request completely, validates it, and only then starts the generator:
bad input is a 4xx before any stream byte, and the generator never touches `request`.
"""

from flask import Blueprint, Response, request

from streamlab.conversation import Conversation, parse_conversation
from streamlab.models import reply
from streamlab.options import StreamOptions, parse_options
from streamlab.streams import resume_point
from web.inputs import json_body, parse_stream_flag, query_values
from web.responses import answer_whole, event_stream, open_streams

bp = Blueprint("streams", __name__)


def read_get() -> tuple[Conversation, StreamOptions, int]:
    """A GET stream request: the prompt, the options and the resume point, from the URL and headers."""
    values = query_values(request)
    conversation = parse_conversation(values, ("prompt",), with_history=False)
    resume = resume_point(request.headers.get("Last-Event-ID"), values.get("lastEventId"))
    return conversation, parse_options(values), resume


def read_post() -> tuple[Conversation, StreamOptions, bool, int]:
    """A JSON chat request: the conversation, the options (from the query or the body, which wins),
    whether to stream, and the resume point."""
    query = query_values(request)
    values = {**query, **json_body(request)}
    conversation = parse_conversation(values, ("message", "prompt"))
    options = parse_options(values)
    streaming = parse_stream_flag(values.get("stream"))
    resume = resume_point(request.headers.get("Last-Event-ID"), query.get("lastEventId"))
    return conversation, options, streaming, resume


@bp.get("/stream")
def stream_get() -> Response:
    """Stream a reply to GET /stream?prompt=..., for EventSource."""
    conversation, options, resume = read_get()
    return event_stream(reply(conversation, options.model, options.chunk), options, resume)


@bp.post("/api/chat")
def chat() -> Response | dict[str, object]:
    """Stream a reply to a JSON chat request, or answer it whole with "stream": false."""
    conversation, options, streaming, resume = read_post()
    answer = reply(conversation, options.model, options.chunk)
    if not streaming:
        return answer_whole(answer, options)
    return event_stream(answer, options, resume)


@bp.get("/healthz")
def healthz() -> dict[str, object]:
    """Report that the server is up and how many streams it has open."""
    return {"status": "ok", "open_streams": open_streams().count}
