"""The relay: GET /relay and POST /api/relay stream an upstream model's reply to the browser.

The pattern every real chat app uses: the browser asks this server, this server asks the model
(with the API key, which never leaves the server), and relays the model's stream as it arrives,
in StreamLab's own frames. The upstream is any OpenAI-compatible server, from the environment:
FLASK_UPSTREAM_URL (a base URL ending in /v1, as an SDK's base_url), FLASK_UPSTREAM_MODEL,
FLASK_UPSTREAM_API_KEY. By default it is this StreamLab itself, so the relay works with no key,
and then the pacing and the faults are passed on and a resume is exact.

The upstream is read with httpx, streaming, with a timeout on every read; when the browser
leaves, the generator is closed at its next write and closes the upstream response with it.
"""

import json
import socket
from collections.abc import Callable
from dataclasses import dataclass

import httpx
from flask import Blueprint, Flask, Response, current_app, request
from werkzeug.exceptions import BadGateway

from streamlab.conversation import Conversation
from streamlab.frames import Framing
from streamlab.options import StreamOptions
from streamlab.pitfalls import Frames
from streamlab.relay import read_upstream, relayed
from streamlab.streams import framing_of, shaped
from web.responses import admit, respond
from web.streams import read_get, read_post

bp = Blueprint("relay", __name__)

# Per read, not per reply: the longest silence StreamLab itself can have is a 60 s stall.
TIMEOUT = httpx.Timeout(connect=5, read=90, write=10, pool=5)

# What StreamLab's own /v1 understands beyond OpenAI's fields: the relay passes these on to it.
PASSED_ON = ("delay", "chunk", "heartbeat", "drop_after", "error_at", "stall", "fail", "fail_times")


@dataclass(frozen=True)
class Upstream:
    """Where the relay asks: a base URL, a model and a key, or (url None) this StreamLab itself."""

    url: str | None
    model: str | None
    key: str | None


def init_app(app: Flask) -> None:
    """Give app its upstream and one HTTP client (a pool of connections) to reach it."""
    config = app.config
    app.extensions["streamlab.upstream"] = Upstream(config["UPSTREAM_URL"], config["UPSTREAM_MODEL"],
                                                    config["UPSTREAM_API_KEY"])
    # As many connections as streams (the default pool of 100 would make the 101st relay wait), and
    # the bytes as sent: a compressed upstream would arrive in bursts.
    app.extensions["streamlab.upstream_client"] = httpx.Client(
        timeout=TIMEOUT, limits=httpx.Limits(max_connections=None, max_keepalive_connections=32),
        headers={"Accept-Encoding": "identity"})


def own_url() -> str:
    """This server's own /v1, at the address the browser's connection arrived on (never the Host
    header, which a client could point at any machine)."""
    client = request.environ.get("gunicorn.socket") or request.environ.get("werkzeug.socket")
    if not isinstance(client, socket.socket) or client.family not in (socket.AF_INET, socket.AF_INET6):
        raise BadGateway("the relay cannot find this server's own address to relay from; set FLASK_UPSTREAM_URL")
    host, port = client.getsockname()[:2]
    return f"http://{f'[{host}]' if ':' in host else host}:{port}/v1"


def ask(conversation: Conversation, options: StreamOptions, stream: bool, resume: int) -> httpx.Request:
    """The upstream Chat Completions request for this conversation."""
    upstream: Upstream = current_app.extensions["streamlab.upstream"]
    messages = [{"role": turn.role, "content": turn.content} for turn in conversation.history]
    messages.append({"role": "user", "content": conversation.prompt})
    body: dict[str, object] = {"messages": messages, "stream": stream}
    if stream:
        body["stream_options"] = {"include_usage": True}
    headers = {}
    if upstream.url is None:  # StreamLab itself: its model, pacing and faults, and it resumes where asked
        url, body["model"] = own_url(), options.model
        body.update({name: value for name in PASSED_ON if (value := getattr(options, name)) is not None})
        if (token := current_app.config["ACCESS_TOKEN"]) is not None:
            headers["Authorization"] = f"Bearer {token}"  # this server guards its own /v1 too
        if resume:
            headers["Last-Event-ID"] = str(resume)
    else:
        url, body["model"] = upstream.url.rstrip("/"), upstream.model
        if upstream.key:
            headers["Authorization"] = f"Bearer {upstream.key}"
    client: httpx.Client = current_app.extensions["streamlab.upstream_client"]
    return client.build_request("POST", f"{url}/chat/completions", json=body, headers=headers)


def send(asked: httpx.Request) -> httpx.Response:
    """Send the request and read the status: anything but a 200 (or 204) is a 502 before the stream."""
    client: httpx.Client = current_app.extensions["streamlab.upstream_client"]
    try:
        response = client.send(asked, stream=True)
    except httpx.TimeoutException:
        raise BadGateway(f"the upstream {asked.url} did not answer in time") from None
    except httpx.HTTPError as error:
        raise BadGateway(f"the upstream {asked.url} could not be reached ({type(error).__name__}: {error})") from None
    if response.status_code not in (200, 204):
        try:
            detail = error_message(response.read())
        except httpx.HTTPError:
            detail = "(its answer could not be read)"
        finally:
            response.close()
        raise BadGateway(f"the upstream answered {response.status_code}: {detail}")
    return response


def error_message(answer: bytes) -> str:
    """The message of an API's JSON error ({"error": {"message": ...}}), else the start of the body."""
    try:
        error = json.loads(answer)["error"]
        return str(error["message"] if isinstance(error, dict) else error)
    except (ValueError, KeyError, TypeError):
        return answer[:300].decode(errors="replace")


def relay_stream(conversation: Conversation, options: StreamOptions, resume: int) -> Response:
    """Relay the upstream's stream from chunk resume + 1, framed as the options ask."""
    counter = admit()  # before asking upstream: a full server asks nobody
    response = send(ask(conversation, options, True, resume))
    if response.status_code == 204:  # StreamLab upstream: that stream is already complete
        response.close()
        return Response(status=204)
    own = current_app.extensions["streamlab.upstream"].url is None
    stopping = current_app.extensions["streamlab.stopping"].is_set
    frames = from_upstream(response, framing_of(options), resume, 0 if own else resume, options.heartbeat is not None,
                           stopping)
    return respond(shaped(frames, options, current_app.config["STREAM_CLOCK"]), options, counter)


def from_upstream(response: httpx.Response, framing: Framing, resume: int, skip: int, heartbeat: bool,
                  stopping: Callable[[], bool]) -> Frames:
    """The relayed frames; the upstream response is closed when they end, for whatever reason."""
    try:
        yield from relayed(read_upstream(response.iter_raw()), framing, resume, skip, heartbeat, stopping)
    except httpx.TimeoutException:
        yield framing.error(f"the upstream sent nothing for {TIMEOUT.read:g} s", resume + 1)
        yield framing.closing({}, True)
    except httpx.HTTPError:
        return  # the upstream's connection broke: end this one the same way, and the client resumes
    finally:
        response.close()  # also when the browser has left (GeneratorExit): the upstream stops at once


def relay_whole(conversation: Conversation, options: StreamOptions) -> dict[str, object]:
    """Ask the upstream for the whole reply at once (`"stream": false`)."""
    response = send(ask(conversation, options, False, 0))
    try:
        answer = response.read()
    finally:
        response.close()
    try:
        completion = json.loads(answer)
        content = completion["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError):
        raise BadGateway(f"the upstream's answer is not a chat completion: {answer[:200]!r}") from None
    return {"model": completion.get("model"), "content": content, "usage": completion.get("usage")}


@bp.get("/relay")
def relay_get() -> Response:
    """Relay to GET /relay?prompt=..., for EventSource: the same prompt and options as /stream."""
    conversation, options, resume = read_get()
    return relay_stream(conversation, options, resume)


@bp.post("/api/relay")
def relay_post() -> Response | dict[str, object]:
    """Relay to a JSON chat request, as /api/chat takes it (history, options, "stream": false)."""
    conversation, options, streaming, resume = read_post()
    if not streaming:
        return relay_whole(conversation, options)
    return relay_stream(conversation, options, resume)
