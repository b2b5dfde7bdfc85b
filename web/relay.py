"""The relay: GET /relay and POST /api/relay stream an upstream model's reply to the browser.

The pattern every real chat app uses: the browser asks this server, this server asks the model
(with the API key, which never leaves the server), and relays the model's stream as it arrives,
in StreamLab's own frames. The upstream is any OpenAI-compatible server, from the environment:
FLASK_UPSTREAM_URL (a base URL ending in /v1, as an SDK's base_url), FLASK_UPSTREAM_MODEL,
FLASK_UPSTREAM_API_KEY. By default it is this StreamLab itself, so the relay works with no key,
and then the pacing and the faults are passed on and a resume is exact.

The upstream is read with httpx, streaming, with a timeout on every read, in a thread of its own
(a greenlet under gevent): so while the upstream is quiet the relay still pings on its own clock and
sees a browser that has left, and then hangs up on the upstream at once.
"""

import json
import queue
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx
from flask import Blueprint, Flask, Response, current_app
from werkzeug.exceptions import BadGateway

from streamlab.conversation import Conversation
from streamlab.frames import Framing
from streamlab.options import StreamOptions
from streamlab.pitfalls import PITFALLS, Frames
from streamlab.relay import Failed, KeepAlive, Part, read_upstream, relayed
from streamlab.streams import framing_of, shaped
from web.responses import admit, browser_gone, browser_socket, respond
from web.streams import read_get, read_post

bp = Blueprint("relay", __name__)

# Per read, not per reply: the longest silence StreamLab itself can have is a 60 s stall.
TIMEOUT = httpx.Timeout(connect=5, read=90, write=10, pool=5)
LOOK = 1.0  # seconds: how often a relay whose upstream is quiet checks that its browser is still there

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
    client = browser_socket()
    if client is None or client.family not in (socket.AF_INET, socket.AF_INET6):
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


def send(asked: httpx.Request, stream: bool) -> httpx.Response:
    """Send the request and read the status: anything but a 200 (or 204) is a 502 before the stream,
    and so is a 200 that is not the event stream asked for (an upstream that ignores "stream": true)."""
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
    kind = response.headers.get("content-type", "nothing")
    if stream and response.status_code == 200 and not kind.startswith("text/event-stream"):
        response.close()
        raise BadGateway(f"the upstream answered 200 with {kind}, not text/event-stream: does it stream?")
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
    response = send(ask(conversation, options, True, resume), True)
    if response.status_code == 204:  # StreamLab upstream: that stream is already complete
        response.close()
        if PITFALLS[options.pitfall].stops_finished:
            return Response(status=204)
        return respond(nothing_more(framing_of(options)), options, counter)  # no-204: 200, and a loop
    own = current_app.extensions["streamlab.upstream"].url is None
    stopping = current_app.extensions["streamlab.stopping"].is_set
    frames = from_upstream(response, framing_of(options), resume, 0 if own else resume, options.heartbeat, stopping,
                           browser_gone(browser_socket()))
    return respond(shaped(begun(frames), options, current_app.config["STREAM_CLOCK"]), options, counter)


def begun(frames: Frames) -> Frames:
    """frames, already started. A generator closed before it starts runs no `finally`, so a response
    nobody reads (a HEAD request) would never hang up on the upstream; a started one does, when it
    is closed or let go."""
    opening = next(frames)

    def again() -> Frames:
        yield opening
        yield from frames

    return again()


def nothing_more(framing: Framing) -> Frames:
    """A stream with nothing left to send: its opening and its end signal."""
    yield framing.opening()
    yield framing.closing({}, False)


def from_upstream(response: httpx.Response, framing: Framing, resume: int, skip: int, heartbeat: float | None,
                  stopping: Callable[[], bool], gone: Callable[[], bool]) -> Frames:
    """The relayed frames. The upstream is read by a thread of its own; when the frames end, for
    whatever reason (the browser left, GeneratorExit at a write), the relay hangs up on it at once."""
    reader = Reader(response)
    try:
        arriving = meanwhile(reader.parts, heartbeat, lambda: gone() or stopping())
        yield from relayed(arriving, framing, resume, skip, heartbeat is not None, stopping)
    finally:
        reader.hang_up()


class Reader:
    """Reads the upstream's parts into a queue (None when its body ends, however it ends), in a thread
    of its own: a greenlet under gevent."""

    def __init__(self, response: httpx.Response) -> None:
        self.response, self.parts = response, queue.Queue[Part | None]()
        self.lock, self.done = threading.Lock(), False
        self.thread = threading.Thread(target=self.read, daemon=True)
        self.thread.start()

    def read(self) -> None:
        try:
            for part in read_upstream(self.response.iter_raw()):
                self.parts.put(part)
        except httpx.TimeoutException:
            self.parts.put(Failed(f"the upstream sent nothing for {TIMEOUT.read:g} s"))
        except httpx.HTTPError:
            pass  # the upstream's connection broke (or the relay hung up): cut, and the client resumes
        finally:
            with self.lock:  # closed: a complete response's connection may now serve another relay
                self.done = True
                self.response.close()
            self.parts.put(None)

    def hang_up(self) -> None:
        """Shut the upstream connection down, unless its response is already over: the reader wakes at
        once and the upstream sees the close (closing the socket alone would not, while a thread reads it)."""
        with self.lock:
            stream = None if self.done else self.response.extensions.get("network_stream")
            connection = stream.get_extra_info("socket") if stream is not None else None
            if isinstance(connection, socket.socket):
                try:
                    connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass  # already closed
        self.thread.join(TIMEOUT.connect)


def meanwhile(parts: "queue.Queue[Part | None]", heartbeat: float | None, over: Callable[[], bool]) -> Iterator[Part]:
    """The upstream's parts as they arrive. While it is quiet: a KeepAlive every `heartbeat` seconds,
    and a look every LOOK seconds at whether the relay is over (the browser left, the server stops)."""
    wait = LOOK if heartbeat is None else min(LOOK, heartbeat)
    quiet_since = time.monotonic()
    while True:
        try:
            part = parts.get(timeout=wait)
        except queue.Empty:
            if over():
                return
            if heartbeat is not None and time.monotonic() - quiet_since >= heartbeat:
                quiet_since = time.monotonic()
                yield KeepAlive()
            continue
        if part is None:
            return
        quiet_since = time.monotonic()
        yield part



def relay_whole(conversation: Conversation, options: StreamOptions) -> dict[str, object]:
    """Ask the upstream for the whole reply at once (`"stream": false`)."""
    response = send(ask(conversation, options, False, 0), False)
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
