"""Errors in a stream: bad input is a 400 JSON answer before any stream byte; a failure in the
middle is an error frame, then the end signal.

Run it:  flask --app app.py run --port 5001
Try it:  curl -N "http://127.0.0.1:5001/stream?text=one%20two%20three&fail_at=3"
         curl -i "http://127.0.0.1:5001/stream?text=Hi&fail_at=soon"
"""

import json
from collections.abc import Iterator

from flask import Flask, Response, request

app = Flask(__name__)

SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


class ModelError(Exception):
    """What the model raises when it fails in the middle of a reply."""


def produce(words: list[str], fail_at: int | None) -> Iterator[str]:
    """The model (given, do not change it): yields the reply's chunks, and fails at chunk fail_at."""
    for number, word in enumerate(words, start=1):
        if number == fail_at:
            raise ModelError(f'the model failed at chunk {number}: "overloaded"\n请稍后再试 (try again later)')
        yield word


@app.get("/stream")
def stream() -> Response:
    """Stream the words of ?text=; the model fails at chunk ?fail_at= (a whole number from 1), if given."""
    text, fail_at = request.args.get("text", ""), request.args.get("fail_at")
    return Response(generate(text, fail_at), mimetype="text/event-stream", headers=SSE_HEADERS)


def refuse(field: str, message: str) -> str:
    """The error as JSON, sent where the stream goes."""
    return json.dumps({"error": {"message": message, "field": field}})


def generate(text: str, fail_at: str | None) -> Iterator[str]:
    """Yield one event per chunk of the model's reply; an error frame if it fails; then the end signal."""
    # THE MISTAKE: the checks run in the generator, after the 200 and the headers have gone out.
    if not text.strip():
        yield refuse("text", "text is missing or empty")
        return
    if fail_at is not None and not (fail_at.isdecimal() and int(fail_at) >= 1):
        yield refuse("fail_at", f"fail_at must be a whole number from 1 (got {fail_at!r})")
        return
    words, number = text.split(), int(fail_at) if fail_at else None
    try:
        for chunk in produce(words, number):
            yield f"data: {chunk}\n\n"
    except ModelError as error:  # the 200 is long gone: tell the client in the stream itself
        yield "event: error\ndata: " + json.dumps({"error": {"message": str(error)}}, ensure_ascii=False) + "\n\n"
    yield "data: [DONE]\n\n"  # the end, either way: the client stops, and does not reconnect
