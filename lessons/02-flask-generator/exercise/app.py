"""Lesson 02: a Flask generator response. Check your work with:  flask lesson check 02

Run it:  flask --app app.py run --port 5001
Try it:  curl -N "http://127.0.0.1:5001/stream?text=Hi%20there"
Read README.md first.
"""

from collections.abc import Iterator

from flask import Flask, Response

app = Flask(__name__)


@app.get("/stream")
def stream() -> Response | tuple[dict[str, object], int]:
    """Stream the words of ?text=, one event each: bad input is a 400 before any stream byte."""
    # TODO task 3: read ?text= here, in the view (import request from flask), and answer 400 when it is missing or empty.
    # TODO task 1: type text/event-stream.  TODO task 2: the headers Cache-Control and X-Accel-Buffering.
    return Response(generate())


def generate() -> Iterator[str]:
    """Yield one event per word, then the end signal."""
    # TODO task 1: take the words as an argument; yield one "data: WORD\n\n" per word, then "data: [DONE]\n\n".
    yield ""
