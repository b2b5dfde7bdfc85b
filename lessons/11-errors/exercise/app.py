"""Lesson 11: errors before and during the stream. Check your work with:  flask lesson check 11

Run it:  flask --app app.py run --port 5001
Try it:  curl -N "http://127.0.0.1:5001/stream?text=one%20two%20three&fail_at=3"
         curl -i "http://127.0.0.1:5001/stream?text=Hi&fail_at=soon"
Read README.md first.
"""

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
def stream() -> Response | tuple[dict[str, object], int]:
    """Stream the words of ?text=; the model fails at chunk ?fail_at= (a whole number from 1), if given."""
    text = request.args.get("text", "")
    fail_at = request.args.get("fail_at")
    # TODO task 1: refuse bad input here, before the stream starts, with refuse(field, message):
    #   a missing or empty text, and a fail_at that is given but is not a whole number from 1.
    return Response(generate(text.split(), int(fail_at) if fail_at else None),
                    mimetype="text/event-stream", headers=SSE_HEADERS)


def refuse(field: str, message: str) -> tuple[dict[str, object], int]:
    """A 400 JSON error naming the field: sent instead of a stream, before any stream byte."""
    return {"error": {"message": message, "field": field}}, 400


def generate(words: list[str], fail_at: int | None) -> Iterator[str]:
    """Yield one event per chunk of the model's reply; an error frame if it fails; then the end signal."""
    # TODO task 2: when produce() raises ModelError, yield an error frame instead of letting it escape:
    #   "event: error", then one data: line holding {"error": {"message": ...}} made by json.dumps (import json).
    # TODO task 3: after the error frame, the end signal all the same.
    for chunk in produce(words, fail_at):
        yield f"data: {chunk}\n\n"
    yield "data: [DONE]\n\n"
