"""Open N concurrent SSE streams over raw sockets and record how each one arrived.

Per stream: connect time, time to first byte, the time of every event, total duration, and
whether the text arrived exact. Run it alone (`python bench/load.py --port 5000 -n 100`) or
through bench/run.py, which also starts the servers and measures their CPU and memory.
"""

import argparse
import asyncio
import itertools
import json
import os
import resource
import time
from dataclasses import dataclass, field
from urllib.parse import quote

TEXT = "Streams arrive one event at a time, 100 ms apart!!"
assert len(TEXT) == 50  # the reply: 50 characters, one event each


@dataclass
class Stream:
    """What one connection saw; times are seconds since its connect() began."""

    started: float = 0.0
    connected: float | None = None
    first_byte: float | None = None
    events: list[float] = field(default_factory=list)
    text: list[str] = field(default_factory=list)
    done: bool = False
    error: str = ""


class StreamProtocol(asyncio.Protocol):
    """Send one GET, then decode the chunked body and its `data:` lines as they arrive."""

    def __init__(self, request: bytes, stream: Stream, finished: asyncio.Future[None]) -> None:
        self.request, self.stream, self.finished = request, stream, finished
        self.buffer = b""
        self.headers_done = False
        self.body = b""  # dechunked bytes not yet split into events

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        self.stream.connected = time.monotonic() - self.stream.started
        transport.write(self.request)  # type: ignore[attr-defined]

    def data_received(self, data: bytes) -> None:
        now = time.monotonic() - self.stream.started
        if self.stream.first_byte is None:
            self.stream.first_byte = now
        self.buffer += data
        if not self.headers_done:
            head, sep, rest = self.buffer.partition(b"\r\n\r\n")
            if not sep:
                return
            if not head.startswith(b"HTTP/1.1 200"):
                self.fail(head.split(b"\r\n", 1)[0].decode(errors="replace"))
                return
            self.headers_done, self.buffer = True, rest
        self.dechunk()
        *events, self.body = self.body.split(b"\n\n")
        for event in events:
            for line in event.split(b"\n"):
                if line.startswith(b"data: "):
                    value = line[6:].decode()
                    if value == "[DONE]":
                        self.stream.done = True
                    else:
                        self.stream.events.append(now)
                        self.stream.text.append(value)
        if self.stream.done:
            self.transport.close()

    def dechunk(self) -> None:
        while True:
            size_line, sep, rest = self.buffer.partition(b"\r\n")
            if not sep:
                return
            size = int(size_line, 16)
            if len(rest) < size + 2:
                return
            self.body += rest[:size]
            self.buffer = rest[size + 2:]
            if size == 0:
                self.transport.close()
                return

    def fail(self, message: str) -> None:
        self.stream.error = message
        self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        if exc and not self.stream.error:
            self.stream.error = str(exc)
        if not self.finished.done():
            self.finished.set_result(None)


async def open_stream(host: str, port: int, request: bytes, start_at: float, timeout: float) -> Stream:
    await asyncio.sleep(max(0.0, start_at - time.monotonic()))
    stream = Stream(started=time.monotonic())
    finished: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    try:
        await asyncio.get_running_loop().create_connection(lambda: StreamProtocol(request, stream, finished), host, port)
        await asyncio.wait_for(finished, timeout)
    except (TimeoutError, OSError) as error:
        stream.error = stream.error or type(error).__name__
    return stream


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def summarise(streams: list[Stream], text: str, delay: float) -> dict[str, object]:
    """Reduce per-stream records to the figures the README reports (times in ms)."""
    exact = [s for s in streams if s.done and "".join(s.text) == text and not s.error]
    gaps = [(b - a) * 1000 for s in streams for a, b in itertools.pairwise(s.events)]
    ttfb = [s.first_byte * 1000 for s in streams if s.first_byte is not None]
    drift = [(s.events[-1] - len(text) * delay) * 1000 for s in streams if len(s.events) == len(text)]
    connect = [s.connected * 1000 for s in streams if s.connected is not None]

    def stats(values: list[float]) -> dict[str, float | None]:
        return {"p50": percentile(values, 0.5), "p99": percentile(values, 0.99), "max": max(values, default=None)}

    errors: dict[str, int] = {}
    for s in streams:
        if s.error:
            errors[s.error] = errors.get(s.error, 0) + 1
    return {
        "streams": len(streams), "exact": len(exact), "completion": len(exact) / len(streams),
        "events": sum(len(s.events) for s in streams), "connect_ms": stats(connect), "ttfb_ms": stats(ttfb),
        "gap_ms": stats(gaps), "drift_ms": stats(drift), "errors": errors,
    }


async def run(host: str, port: int, path: str, n: int, ramp: float, timeout: float, text: str, delay: float) -> dict[str, object]:
    request = f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: text/event-stream\r\n\r\n".encode()
    begin = time.monotonic() + 0.05
    tasks = [open_stream(host, port, request, begin + ramp * i / n, timeout) for i in range(n)]
    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    streams = await asyncio.gather(*tasks)
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    result = summarise(list(streams), text, delay)
    result["client_cpu_s"] = round((cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime), 3)
    result["wall_s"] = round(time.monotonic() - begin, 3)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    parser.add_argument("-n", type=int, default=100, help="concurrent streams")
    parser.add_argument("--prompt", default=TEXT, help="the text each stream must arrive as, one event per character")
    parser.add_argument("--path", default=None, help="default: an echo of the prompt at 100 ms")
    parser.add_argument("--ramp", type=float, default=1.0, help="seconds over which connections open")
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("--cpus", default=None, help="pin this client to these cores, e.g. 1 or 0,1")
    args = parser.parse_args()
    if args.cpus:
        os.sched_setaffinity(0, {int(core) for core in args.cpus.split(",")})
    try:
        import uvloop  # a faster event loop, so the client is not the bottleneck

        uvloop.install()
    except ImportError:
        pass
    path = args.path or "/stream?model=echo&prompt=" + quote(args.prompt)
    print(json.dumps(asyncio.run(run(args.host, args.port, path, args.n, args.ramp, args.timeout, args.prompt, 0.1))))


if __name__ == "__main__":
    main()
