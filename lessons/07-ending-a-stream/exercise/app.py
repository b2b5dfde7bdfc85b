"""Lesson 07: end a stream three ways, and stop a finished stream's reconnects. Check your work with:  flask lesson check 07

Run it:  flask --app app.py run --port 5001
Try it:  curl -N "http://127.0.0.1:5001/stream?text=Hi%20there&end=event"
Read README.md first.
"""

from collections.abc import Iterator

from flask import Flask, Response, request

app = Flask(__name__)

SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


@app.get("/stream")
def stream() -> Response | tuple[dict[str, object], int]:
    """Stream the words of ?text=, or answer 204 to a reconnect that already has every one."""
    text = request.args.get("text", "")
    if not text.strip():
        return {"error": {"message": "text is missing or empty", "field": "text"}}, 400
    words = text.split()
    # TODO task 2: read ?end= here: "sentinel" (the default), "event" or "close"; any other value is a 400 JSON error.
    # TODO task 3: the Last-Event-ID header says how many chunks the client has. When it has every one, answer 204.
    return Response(generate(words), mimetype="text/event-stream", headers=SSE_HEADERS)


def generate(words: list[str]) -> Iterator[str]:
    """Yield one event per word, then the end signal."""
    for word in words:
        # TODO task 1: put an "id: N" line before the data, N = 1, 2, 3...: the chunks sent so far.
        yield f"data: {word}\n\n"
    # TODO task 1: end with data: [DONE].
    # TODO task 2: or, as ?end= asks, with event: end and a data line, or with nothing at all (close).
