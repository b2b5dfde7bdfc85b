"""Start a real StreamLab server process on a free port, and read its streams incrementally."""

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Coroutine, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TypeVar

import httpx

from streamlab.decoder import Decoder, Message

ROOT = Path(__file__).resolve().parent.parent

# Each server starts exactly as the README says to start it, with only the port moved aside:
# plain `gunicorn` reads gunicorn.conf.py, and plain `flask run` finds app.py.
COMMANDS = {"gunicorn": [sys.executable, "-m", "gunicorn"], "flask": [sys.executable, "-m", "flask", "run"]}
PORT_SETTINGS = {"gunicorn": ("GUNICORN_CMD_ARGS", "--bind 127.0.0.1:{port}"), "flask": ("FLASK_RUN_PORT", "{port}")}


@dataclass
class Server:
    """A running server: its name, base URL and process."""

    name: str
    url: str
    process: subprocess.Popen[bytes]
    output: IO[bytes]  # what the server printed (its log), in a temporary file

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    def connect(self, timeout: float = 30) -> socket.socket:
        """Open a plain socket to the server, for requests no HTTP client would send."""
        return socket.create_connection(("127.0.0.1", self.port), timeout=timeout)

    def log(self) -> str:
        """Return everything the server has printed so far."""
        self.output.seek(0)
        return self.output.read().decode(errors="replace")

    def open_streams(self) -> int:
        return httpx.get(f"{self.url}/healthz").json()["open_streams"]

    def wait_for_open_streams(self, count: int, seconds: float = 15) -> int:
        """Poll /healthz until it reports count open streams (or time runs out); return the last figure."""
        deadline = time.monotonic() + seconds
        while (now := self.open_streams()) != count and time.monotonic() < deadline:
            time.sleep(0.05)
        return now


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_env(name: str, port: int, settings: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment without any FLASK_ or GUNICORN_ setting, plus the port and settings."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("FLASK_", "GUNICORN_"))}
    variable, value = PORT_SETTINGS[name]
    return {**env, variable: value.format(port=port), **(settings or {})}


@contextlib.contextmanager
def start_server(
    name: str, args: Sequence[str] = (), settings: Mapping[str, str] | None = None, open_files: tuple[int, int] | None = None
) -> Iterator[Server]:
    """Run the named server until the block ends, then stop it by its PID.

    args go on the command line (`--workers 1`); settings into the environment (`FLASK_...`);
    open_files is the (soft, hard) limit on its file descriptors, as `ulimit -n` sets them.
    """
    port = free_port()
    env = server_env(name, port, settings)
    output = tempfile.TemporaryFile()  # a file, not a pipe: a pipe nobody reads fills up and blocks the server
    limit = (lambda: set_open_files(open_files)) if open_files else None
    process = subprocess.Popen([*COMMANDS[name], *args], cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT, preexec_fn=limit)
    server = Server(name, f"http://127.0.0.1:{port}", process, output)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited: {server.log()}")
            try:
                if httpx.get(f"{server.url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield server
    finally:
        stop(process)
        output.close()


T = TypeVar("T")


def run_async(coroutine: Coroutine[object, object, T]) -> T:
    """Run a coroutine to its end on a thread of its own: in a test worker that has used Playwright's
    sync API, an event loop is still running on the main thread, and asyncio.run() refuses there."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def set_open_files(limits: tuple[int, int]) -> None:
    """In the child, before it starts: `ulimit -n`. (resource is POSIX only, so it is imported here:
    the lessons' graders load this module on Windows too.)"""
    import resource

    resource.setrlimit(resource.RLIMIT_NOFILE, limits)


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop a process this test started: SIGTERM (a server's graceful stop), then SIGKILL after 10 s."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def open_raw_stream(server: Server, query: str) -> socket.socket:
    """Start a stream on a plain socket, so a test can drop it the way a network would."""
    sock = server.connect()
    sock.sendall(f"GET /stream?prompt=abcdefghijklmnopqrstuvwxyz&model=echo&{query} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    assert sock.recv(4096).startswith(b"HTTP/1.1 200")
    return sock


@dataclass
class Arrival:
    """What one read from the socket brought, and when."""

    at: float
    raw: bytes
    messages: list[Message]


@dataclass
class Received:
    """A whole response as the client saw it, read by read."""

    status: int
    headers: httpx.Headers
    arrivals: list[Arrival] = field(default_factory=list)
    decoder: Decoder = field(default_factory=Decoder)

    @property
    def raw(self) -> bytes:
        return b"".join(arrival.raw for arrival in self.arrivals)

    @property
    def messages(self) -> list[Message]:
        return [message for arrival in self.arrivals for message in arrival.messages]

    @property
    def chunks(self) -> list[Message]:
        return [message for message in self.messages if message.event == "message" and message.data != "[DONE]"]


def fetch(method: str, url: str, **kwargs: object) -> Received:
    """Send one request and read its body as it arrives, feeding each read to a decoder."""
    with httpx.stream(method, url, timeout=30, **kwargs) as response:  # type: ignore[arg-type]
        received = Received(response.status_code, response.headers)
        for raw in response.iter_raw():
            received.arrivals.append(Arrival(time.monotonic(), raw, received.decoder.feed(raw)))
    return received
