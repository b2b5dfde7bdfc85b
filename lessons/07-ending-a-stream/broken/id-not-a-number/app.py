"""A Flask view that streams the words of ?text=, an id on each, and ends as ?end= asks.

Run it:  flask --app app.py run --port 5001
Try it:  curl -N "http://127.0.0.1:5001/stream?text=Hi%20there&end=event"
"""

import json
from collections.abc import Callable, Iterator

from flask import Flask, Response, request

app = Flask(__name__)

SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}

# How a finished reply says so, one row per ?end= value: the last frame, given the number of chunks.
END_SIGNALS: dict[str, Callable[[int], str]] = {
    "sentinel": lambda chunks: "data: [DONE]\n\n",
    # An event with no data: line is never dispatched, so `end` carries one: here, the count.
    "event": lambda chunks: f"event: end\ndata: {json.dumps({'chunks': chunks})}\n\n",
    "close": lambda chunks: "",  # nothing: the response just ends
}


@app.get("/stream")
def stream() -> Response | tuple[dict[str, object], int]:
    """Stream the words of ?text=, or answer 204 to a reconnect that already has every one."""
    text = request.args.get("text", "")
    end = request.args.get("end", "sentinel")
    if not text.strip():
        return {"error": {"message": "text is missing or empty", "field": "text"}}, 400
    if end not in END_SIGNALS:
        return {"error": {"message": f"end must be one of: {', '.join(END_SIGNALS)}", "field": "end"}}, 400
    words = text.split()
    sent = chunks_received(request.headers.get("Last-Event-ID"))
    if sent >= len(words):
        return Response(status=204)  # the stream is complete: 204 tells EventSource to stop reconnecting
    return Response(generate(words, END_SIGNALS[end], sent), mimetype="text/event-stream", headers=SSE_HEADERS)


def chunks_received(last_event_id: str | None) -> int:
    """How many chunks the client has: Last-Event-ID: N means chunks 1 to N (0 when it sends none)."""
    # THE MISTAKE: int() of whatever the client sent. "Last-Event-ID: abc" raises ValueError, and the
    # view answers 500 instead of streaming from the start.
    return max(int(last_event_id or 0), 0)


def generate(words: list[str], end: Callable[[int], str], sent: int = 0) -> Iterator[str]:
    """Yield each word the client does not have yet, with its number as id, then the end signal."""
    # id N = chunks sent so far. A reconnect in the middle continues after the last id it saw (lesson 08).
    for number, word in enumerate(words[sent:], start=sent + 1):
        yield f"id: {number}\ndata: {word}\n\n"
    yield end(len(words))  # "" for close: nothing more, and the response ends
