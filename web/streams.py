"""The stream endpoints: GET /stream for EventSource, POST /api/chat for fetch, and /healthz.

Each view reads the request completely, validates it, and only then starts the generator:
bad input is a 4xx before any stream byte, and the generator never touches `request`.
"""

import threading
from collections.abc import Iterator, Mapping

from flask import Blueprint, Flask, Response, current_app, request

from streamlab.conversation import Conversation, parse_conversation
from streamlab.models import reply
from streamlab.options import StreamOptions, parse_options
from streamlab.streams import duration, resume_point, stream
from web.inputs import json_body, parse_stream_flag, query_values

bp = Blueprint("streams", __name__)

SSE_HEADERS = {
    "Content-Type": "text/event-stream; charset=utf-8",
    "Cache-Control": "no-cache",
    "X-Accel-Buffering": "no",  # tells nginx not to buffer this response
}


class OpenStreams:
    """Count the streams this process is serving right now."""

    def __init__(self) -> None:
        self.count = 0
        self._lock = threading.Lock()  # flask run serves each request on its own thread

    def add(self, step: int) -> None:
        with self._lock:
            self.count += step


def init_app(app: Flask) -> None:
    """Give app its open-stream counter and these routes."""
    app.extensions["streamlab.open_streams"] = OpenStreams()
    app.register_blueprint(bp)


def open_streams() -> OpenStreams:
    """Return the current app's counter."""
    return current_app.extensions["streamlab.open_streams"]


def counted(frames: Iterator[bytes], counter: OpenStreams) -> Iterator[bytes]:
    """Pass frames through, counting the stream as open until it ends or the client leaves."""
    counter.add(1)
    try:
        yield from frames
    finally:
        # A client that leaves raises GeneratorExit at the next yield; this still runs.
        counter.add(-1)


def respond(conversation: Conversation, options: StreamOptions, values: Mapping[str, str]) -> Response:
    """Start the event stream, or answer 204 when the resume point is already the end."""
    answer = reply(conversation, options.model, options.chunk)
    resume = resume_point(request.headers.get("Last-Event-ID"), values.get("lastEventId"))
    if resume >= len(answer.chunks) and resume > 0:
        return Response(status=204)  # tells EventSource to stop reconnecting
    frames = stream(answer, options, resume, current_app.config["STREAM_CLOCK"])
    return Response(counted(frames, open_streams()), headers=SSE_HEADERS)


@bp.get("/stream")
def stream_get() -> Response:
    """Stream a reply to GET /stream?prompt=..., for EventSource."""
    values = query_values(request)
    conversation = parse_conversation(values, ("prompt",), with_history=False)
    return respond(conversation, parse_options(values), values)


@bp.post("/api/chat")
def chat() -> Response | dict[str, object]:
    """Stream a reply to a JSON chat request, or answer it whole with "stream": false."""
    query = query_values(request)
    values = {**query, **json_body(request)}  # options may come in either; the body wins
    conversation = parse_conversation(values, ("message", "prompt"))
    options = parse_options(values)
    if parse_stream_flag(values.get("stream")):
        return respond(conversation, options, query)
    # The "why stream?" comparison: the same reply, but nothing until all of it is ready.
    answer = reply(conversation, options.model, options.chunk)
    current_app.config["STREAM_CLOCK"].sleep(duration(answer, options))
    return {"model": options.model, "content": answer.text, "usage": answer.usage}


@bp.get("/healthz")
def healthz() -> dict[str, object]:
    """Report that the server is up and how many streams it has open."""
    return {"status": "ok", "open_streams": open_streams().count}
