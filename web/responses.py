"""One response builder for every stream endpoint: the cap, the 204, the count, the headers.

A view reads and validates its request, works out the reply and the resume point, and hands
them here. This module owns the open-stream counter and the shutdown signal, as flaskr's db.py
owns its connection: every endpoint that streams (now /stream and /api/chat, next the API
formats and the relay) gets the same limits and the same cleanup by calling event_stream().
"""

import itertools
import math
import select
import socket
import threading
import weakref
from collections.abc import Callable, Generator, Iterator

from flask import Flask, Response, current_app, request
from werkzeug.exceptions import ServiceUnavailable

from streamlab.errors import InputError, SimulatedFailure
from streamlab.frames import Framing
from streamlab.models import Reply
from streamlab.options import StreamOptions
from streamlab.pitfalls import PITFALLS
from streamlab.streams import duration, stream, wait
from web.open_streams import OpenStreams

FDS_KEPT_FREE = 64  # file descriptors a process keeps for everything that is not a stream

SSE_HEADERS = {
    "Content-Type": "text/event-stream; charset=utf-8",
    "Cache-Control": "no-cache",
    "X-Accel-Buffering": "no",  # tells nginx not to buffer this response
}


def init_app(app: Flask) -> None:
    """Give app its open-stream counter and its shutdown signal."""
    config = app.config
    app.extensions["streamlab.open_streams"] = OpenStreams(config["OPEN_STREAMS_FILE"], config["OPEN_STREAMS_SLOT"])
    app.extensions["streamlab.own_limit"] = streams_this_process_can_hold()
    app.extensions["streamlab.stopping"] = threading.Event()  # set by gunicorn.conf.py on shutdown


def streams_this_process_can_hold() -> float:
    """Each stream holds a file descriptor: leave room for the rest (files, listeners, a 503 to send)."""
    try:
        import resource  # POSIX only
    except ImportError:  # Windows: no such limit to read (students there use flask run)
        return math.inf
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return math.inf if soft == resource.RLIM_INFINITY else max(1, soft - FDS_KEPT_FREE)


def open_streams() -> OpenStreams:
    """Return the current app's counter."""
    counter: OpenStreams = current_app.extensions["streamlab.open_streams"]
    return counter


def check_duration(answer: Reply, options: StreamOptions) -> None:
    """Refuse a stream that would run longer than the server allows."""
    seconds, limit = duration(answer, options), current_app.config["MAX_STREAM_SECONDS"]
    if seconds > limit:
        raise InputError("delay", f"this reply has {answer.count} chunks and would take {seconds:.0f} s "
                                  f"at this delay; the limit is {limit} s")


class CountedBody:
    """A stream's WSGI body: the frames themselves, counted as open until it is closed or dropped.

    PEP 3333 has the server call close() when the response ends for any reason: finished,
    client gone (the write fails), or shutdown. close() stops the generator at its current
    yield (GeneratorExit), and the count goes down. No wrapper runs per event.

    `flask run` skips close() when the client resets the connection just as the response ends:
    Werkzeug reads what is left of the request first, and that read raises (serving.py,
    execute()); and a client that sent a stray byte more and keeps the connection open holds
    that read as long as it likes. So the count goes down as soon as the last frame has been
    handed over, too, and when the body is garbage-collected: a finalizer runs exactly once,
    whichever comes first.
    """

    def __init__(self, frames: Generator[bytes, None, None], counter: OpenStreams) -> None:
        self.frames = frames
        counter.add(1)
        self.release = weakref.finalize(self, counter.add, -1)

    def __iter__(self) -> Iterator[bytes]:
        return itertools.chain(self.frames, self.ended())  # chain: no Python runs per event

    def ended(self) -> Iterator[bytes]:
        """Count the stream out once its last frame is sent, whatever the server does next."""
        self.release()
        yield from ()

    def close(self) -> None:
        self.frames.close()
        self.release()


class UncleanBody(CountedBody):
    """The pitfall `no-cleanup`: when the client leaves, the stream goes on producing for nobody.

    This is what a server does when the work runs apart from the response (a thread or task
    feeding a queue) and nothing stops it: it costs CPU, memory and, behind a real model, money.
    Here it runs until the reply would have ended (or the server shuts down), then is counted out.
    """

    def close(self) -> None:
        threading.Thread(target=self.finish_for_nobody, daemon=True).start()  # a greenlet under gevent

    def finish_for_nobody(self) -> None:
        try:
            for _ in self.frames:
                pass
        finally:
            self.release()


def check_fault(options: StreamOptions) -> None:
    """The fault `fail`: refuse the request with that status, before any stream byte.

    With fail_times=N only the first N attempts fail. An SDK says which attempt a request is in
    its X-Stainless-Retry-Count header (0, then 1, 2, ... on its retries); any other client's
    request is always a first attempt. So `fail=429&fail_times=1` shows an SDK's retry succeed.
    """
    if options.fail is None:
        return
    attempt = request.headers.get("X-Stainless-Retry-Count", "0")
    if options.fail_times is not None and attempt.isdigit() and int(attempt) >= options.fail_times:
        return
    raise SimulatedFailure(options.fail)


def admit() -> OpenStreams:
    """Return the counter if one more stream fits, else refuse it with 503 and Retry-After.

    Better one clear "come back soon" than every stream in the room slowing down. A process also
    refuses once its own streams would leave it no file descriptors to answer anyone with.
    """
    counter, limit = open_streams(), current_app.config["MAX_OPEN_STREAMS"]
    if counter.count >= limit:
        full = f"StreamLab is serving its limit of {limit} streams"
    elif counter.own >= current_app.extensions["streamlab.own_limit"]:
        full = "this StreamLab process has no file descriptors left for another stream (see `ulimit -n`)"
    else:
        return counter
    raise ServiceUnavailable(f"{full}; try again in a few seconds", retry_after=5)


def event_stream(answer: Reply, options: StreamOptions, resume: int, framing: Framing | None = None) -> Response:
    """Stream answer from chunk resume + 1, or answer 204 when that is already past the end.

    The framing is the lesson modes' by default; an API format passes its own. A pitfall may
    change what the server does around the stream: no 204, no cleanup.
    """
    check_duration(answer, options)
    check_fault(options)
    pitfall = PITFALLS[options.pitfall]
    if resume >= answer.count and resume > 0 and pitfall.stops_finished:
        return Response(status=204)  # tells EventSource to stop reconnecting
    counter = admit()
    stopping = current_app.extensions["streamlab.stopping"].is_set
    frames = stream(answer, options, resume, current_app.config["STREAM_CLOCK"], stopping, framing)
    return respond(frames, options, counter)


def respond(frames: Generator[bytes, None, None], options: StreamOptions, counter: OpenStreams) -> Response:
    """The response that streams frames, counted as open until it ends (for `no-cleanup`, longer)."""
    body = CountedBody(frames, counter) if PITFALLS[options.pitfall].cleans_up else UncleanBody(frames, counter)
    # direct_passthrough hands the body to the server as it is: no per-event re-wrapping.
    return Response(body, headers=SSE_HEADERS, direct_passthrough=True)


def browser_socket() -> socket.socket | None:
    """The connection this request arrived on, from gunicorn or the development server."""
    client = request.environ.get("gunicorn.socket") or request.environ.get("werkzeug.socket")
    return client if isinstance(client, socket.socket) else None


def browser_gone(client: socket.socket | None) -> Callable[[], bool]:
    """A check that the browser has hung up: its side of the connection is readable and at its end
    (a request sent after this one, which HTTP/1.1 allows, is data, so the browser is still there)."""
    def gone() -> bool:
        if client is None:
            return False
        try:
            readable, _, _ = select.select([client], [], [], 0)
            return bool(readable) and client.recv(1, socket.MSG_PEEK) == b""
        except (OSError, ValueError):
            return True
    return gone


def answer_whole(answer: Reply, options: StreamOptions) -> dict[str, object]:
    """The "why stream?" comparison: the same reply, but nothing until all of it is ready.

    It holds a connection as long as a stream does, so it counts as one, until its client leaves
    (it looks every tick). On shutdown it answers at once: the reply is ready, only the wait is cut short.
    """
    check_duration(answer, options)
    check_fault(options)
    stopping, gone = current_app.extensions["streamlab.stopping"].is_set, browser_gone(browser_socket())
    counter = admit()
    counter.add(1)
    try:
        wait(duration(answer, options), current_app.config["STREAM_CLOCK"], lambda: stopping() or gone())
    finally:
        counter.add(-1)
    return {"model": options.model, "content": answer.text, "usage": answer.usage}
