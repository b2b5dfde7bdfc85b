"""A relay: the browser asks this app, this app asks the model (with the key, which stays here),
and passes the model's stream on to the browser as it arrives, in this app's own frames.

Run it:  UPSTREAM_URL=http://127.0.0.1:5000/v1 flask --app app.py run --port 5001
         (StreamLab on port 5000 is the upstream: its echo model answers with your prompt)
Try it:  curl -N "http://127.0.0.1:5001/relay?prompt=Hello%20%E4%BD%A0%E5%A5%BD&delay=200"
         curl -i "http://127.0.0.1:5001/relay?prompt=Hello&fail=429"
"""

import json
import os
from collections.abc import Iterator

import httpx
from flask import Flask, Response, request

app = Flask(__name__)

# The upstream: any OpenAI-compatible server. The key comes from the environment, never from the browser.
UPSTREAM_URL = os.environ.get("UPSTREAM_URL", "http://127.0.0.1:5000/v1")
UPSTREAM_MODEL = os.environ.get("UPSTREAM_MODEL", "echo")
UPSTREAM_API_KEY = os.environ.get("UPSTREAM_API_KEY", "")

# One client for the whole app: it keeps its connections for the next request. The read timeout is
# per read (how long the upstream may stay silent), not for the whole reply.
client = httpx.Client(timeout=httpx.Timeout(5, read=60))

# StreamLab's switches, passed on as extra body fields to slow the upstream down or make it fail.
KNOBS = ("delay", "split", "error_at", "fail")

SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


def upstream_request(prompt: str, knobs: dict[str, str]) -> httpx.Request:
    """The Chat Completions request for prompt, with the key: made here, never seen by the browser."""
    body = {**knobs, "model": UPSTREAM_MODEL, "messages": [{"role": "user", "content": prompt}], "stream": True}
    headers = {"Authorization": f"Bearer {UPSTREAM_API_KEY}"} if UPSTREAM_API_KEY else {}
    return client.build_request("POST", f"{UPSTREAM_URL}/chat/completions", json=body, headers=headers)


def event(payload: dict[str, object], name: str = "") -> str:
    """One event for the browser: an event: line if named, and the payload as one JSON data: line."""
    return (f"event: {name}\n" if name else "") + f"data: {json.dumps(payload, ensure_ascii=False)}\n\n"


def refusal(upstream: httpx.Response) -> str:
    """Read why the upstream refused: an API's {"error": {"message": ...}}, else the start of its body."""
    upstream.read()
    try:
        return str(upstream.json()["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return upstream.text[:300]


def bad_gateway(message: str) -> tuple[dict[str, object], int]:
    """502 Bad Gateway: the upstream failed us. Sent instead of a stream, before any stream byte."""
    return {"error": {"message": message}}, 502


@app.get("/relay")
def relay() -> Response | tuple[dict[str, object], int]:
    """Relay the upstream's reply to ?prompt= as it arrives; ?delay=, ?split=, ?error_at=, ?fail= go along."""
    prompt = request.args.get("prompt", "")
    if not prompt.strip():
        return {"error": {"message": "prompt is missing or empty"}}, 400
    knobs = {name: request.args[name] for name in KNOBS if name in request.args}
    return Response(relay_events(upstream_request(prompt, knobs)), mimetype="text/event-stream", headers=SSE_HEADERS)


def relay_events(asked: httpx.Request) -> Iterator[str]:
    """Each text delta as it arrives; an upstream error as an error frame; then the end signal."""
    # THE MISTAKE: the upstream is asked inside the generator, after our 200 has gone out, so its
    # refusal can only be an error frame in a successful stream.
    try:
        upstream = client.send(asked, stream=True)
    except httpx.HTTPError as error:
        yield event({"error": {"message": f"the upstream could not be reached ({type(error).__name__})"}}, "error")
        yield "data: [DONE]\n\n"
        return
    if upstream.status_code != 200:
        yield event({"error": {"message": f"the upstream answered {upstream.status_code}: {refusal(upstream)}"}}, "error")
        upstream.close()
        yield "data: [DONE]\n\n"
        return
    try:
        for line in upstream.iter_lines():  # each line as it arrives, however the network cuts the bytes
            if not line.startswith("data:"):
                continue  # the blank line after each event, and comments such as ": keep-alive"
            data = line.removeprefix("data:").strip()
            if data == "[DONE]":
                break
            chunk = json.loads(data)
            if "error" in chunk:  # the model failed mid-reply: its 200 is out, and so is ours
                yield event({"error": {"message": chunk["error"]["message"]}}, "error")
                break
            for choice in chunk["choices"]:  # the usage chunk at the end has none
                if text := choice["delta"].get("content"):  # the first delta has only the role
                    yield event({"content": text})
    except httpx.HTTPError as error:  # the upstream broke off mid-reply
        yield event({"error": {"message": f"the upstream broke off ({type(error).__name__})"}}, "error")
    finally:
        upstream.close()  # also when the browser has left: GeneratorExit arrives at a yield
    yield "data: [DONE]\n\n"
