"""A Flask view that streams: each word of ?text= as one Server-Sent Event, then data: [DONE].

Run it:  flask --app app.py run --port 5001
Try it:  curl -N "http://127.0.0.1:5001/stream?text=Hi%20there"
"""

from collections.abc import Iterator

from flask import Flask, Response, request

app = Flask(__name__)

SSE_HEADERS = {
    "Cache-Control": "no-cache",  # every event is new: no cache may keep or replay it
    "X-Accel-Buffering": "no",  # tells nginx to pass each event on at once, not to hold the body
}


@app.get("/stream")
def stream() -> Response | tuple[dict[str, object], int]:
    """Stream the words of ?text=, one event each: bad input is a 400 before any stream byte."""
    text = request.args.get("text", "")  # read the request here, in the view, while it exists
    if not text.strip():
        return {"error": {"message": "text is missing or empty", "field": "text"}}, 400
    words = text.split()
    # The view returns at once; the server then runs generate() and sends each event as it is
    # yielded, after the request context is gone. So generate() gets plain values, never `request`.
    return Response(generate(words), headers=SSE_HEADERS)  # THE MISTAKE: no mimetype, so text/html


def generate(words: list[str]) -> Iterator[str]:
    """Yield one event per word, then the end signal."""
    for word in words:
        yield f"data: {word}\n\n"
    yield "data: [DONE]\n\n"
