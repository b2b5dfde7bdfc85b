"""Lesson 10: cancel and clean up. Check your work with:  flask lesson check 10

Run it:  flask --app app.py run --port 5001
Try it:  curl -N "http://127.0.0.1:5001/stream?text=one%20two%20three&pause=3"   (Ctrl+C leaves early)
         curl http://127.0.0.1:5001/count
Read README.md first.
"""

import threading
import time
from collections.abc import Iterator

from flask import Flask, Response, request

app = Flask(__name__)

DELAY = 0.1  # seconds before each word, as a model takes time per token
HEARTBEAT = 0.25  # seconds of silence before a ping (15 is usual; short here, so the check is quick)
PING = ": ping\n\n"  # a comment: clients ignore it, but writing it tells the server whether anyone is there
SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}

open_streams = 0  # what each stream holds while it is open: here a count, in real apps an upstream request
lock = threading.Lock()  # the server runs each request in its own thread


def count_stream(change: int) -> None:
    """Add change to the count of open streams."""
    global open_streams
    with lock:
        open_streams += change


@app.get("/count")
def count() -> dict[str, int]:
    """The streams open right now, like StreamLab's /healthz."""
    return {"open_streams": open_streams}


@app.get("/stream")
def stream() -> Response:
    """Stream the words of ?text=, after a silent ?pause= of that many seconds (a model thinking)."""
    words = request.args.get("text", "").split()
    pause = request.args.get("pause", 0.0, type=float)
    return Response(generate(words, pause), mimetype="text/event-stream", headers=SSE_HEADERS)


def generate(words: list[str], pause: float) -> Iterator[str]:
    """Yield one event per word, then the end signal; hold a place in the count while open."""
    # TODO task 1: count_stream(+1) when the stream starts, count_stream(-1) when it is over.
    # TODO task 2: the client may leave at any yield: release the count in try/finally.
    yield ": ok\n\n"  # the headers leave now, not after the pause
    time.sleep(pause)  # TODO task 3: silent: wait with a PING every HEARTBEAT seconds instead
    for word in words:
        time.sleep(DELAY)
        yield f"data: {word}\n\n"
    yield "data: [DONE]\n\n"
