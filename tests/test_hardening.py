"""What a careless or hostile client could once do to a classroom, each now a regression test.

The findings are in issue 8 (the reliability probe of 2026-11). Each test measures what a
classmate would feel: the worst gap between the events of ordinary 100 ms streams on the same
worker while the abusive request runs, the open-stream count, the status codes, and that the
server still serves afterwards. Thresholds are loose (hundreds of ms): the machine is busy.
"""

import contextlib
import json
import math
import signal
import socket
import struct
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from app import ConfigError, create_app
from bench.run import tree
from streamlab.streams import FakeClock
from tests.servers import ROOT, Server, open_raw_stream, start_server

LOAD = [sys.executable, str(ROOT / "bench" / "load.py")]
WORST_GAP_MS = 400  # a classmate's 100 ms stream may be late, but never by more than this


@pytest.fixture(scope="module")
def one_worker() -> Iterator[Server]:
    """gunicorn with a single gevent worker, so the abuse and the classmates surely share it."""
    with start_server("gunicorn", ["--workers", "1"]) as server:
        yield server


@pytest.fixture(params=["one_worker", "flask_server"])
def shared(request: pytest.FixtureRequest) -> Server:
    return request.getfixturevalue(request.param)


def classmates_worst_gap(server: Server, abuse: Callable[[], object], watchers: int = 10) -> float:
    """Run ordinary streams (50 events at 100 ms) while abuse() runs; return their worst gap in ms.

    The classmates run in a process of their own (bench/load.py), so the measuring client never
    waits for the GIL behind the abusive one: a gap is the server's doing.
    """
    command = [*LOAD, "--port", str(server.port), "-n", str(watchers), "--ramp", "0"]
    watching = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    time.sleep(0.8)  # the classmates are mid-stream when the abuse starts
    abuse()
    result = json.loads(watching.communicate(timeout=60)[0])
    assert (result["exact"], result["errors"]) == (watchers, {})
    return result["gap_ms"]["max"]


def concurrently(*calls: Callable[[], httpx.Response]) -> list[httpx.Response]:
    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(lambda call: call(), calls))


@pytest.mark.serial
def test_twenty_zero_delay_streams_leave_classmates_their_cadence(shared: Server) -> None:
    """delay=0 streams never yielded: 20 of them gave classmates on the worker 760 ms gaps."""
    path = "/stream?model=echo&delay=0&prompt=" + "x" * 4000
    abuse = [*LOAD, "--port", str(shared.port), "-n", "20", "--ramp", "0", "--path", path]
    assert classmates_worst_gap(shared, lambda: subprocess.run(abuse, check=True, capture_output=True, timeout=120)) < WORST_GAP_MS
    assert shared.wait_for_open_streams(0) == 0


def longest(chunk: str) -> dict[str, object]:
    """The longest request there is: a 4,000-character prompt and 100 history messages as long."""
    return {"message": "a " * 2000, "model": "echo", "delay": 0, "chunk": chunk,
            "history": [{"role": "user", "content": "a " * 2000}] * 100}


@pytest.mark.serial
def test_long_requests_leave_classmates_their_cadence(shared: Server) -> None:
    """With chunk=sentence, ten history messages of 4,000 dots pinned a worker for 30 s; and counting
    the chunks of 400,000 characters of history held it 20 to 50 ms a request, with twenty of them 500 ms."""
    body = {"message": "." * 3999 + "x", "model": "echo", "delay": 0, "chunk": "sentence",
            "history": [{"role": "user", "content": "." * 4000}] * 10}
    post = lambda: httpx.post(f"{shared.url}/api/chat", json=body, timeout=60)  # noqa: E731
    get = lambda: httpx.get(f"{shared.url}/stream?model=echo&delay=0&chunk=sentence&prompt={'.' * 2000}x", timeout=60)  # noqa: E731
    longest_posts = [lambda chunk=chunk: httpx.post(f"{shared.url}/api/chat", json=longest(chunk), timeout=60)
                     for chunk in ["char", "word"] * 10]
    responses: list[httpx.Response] = []
    assert classmates_worst_gap(shared, lambda: responses.extend(concurrently(post, get, post, get, *longest_posts))) < WORST_GAP_MS
    assert [response.status_code for response in responses] == [200] * 24
    assert responses[0].text.endswith("data: " + "." * 3999 + "x\n\ndata: [DONE]\n\n")


def close_on_done(server: Server, query: str) -> bytes:
    """Read a stream on a raw socket and hang up the moment `[DONE]` arrives, as a page calling es.close() does."""
    with server.connect(timeout=10) as sock:
        sock.sendall(f"GET /stream?{query} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        received = b""
        while b"data: [DONE]\n\n" not in received and (data := sock.recv(65536)):
            received += data
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # reset, as a browser may
    return received


@pytest.mark.parametrize("name", ["flask", "gunicorn"])
def test_clients_that_hang_up_on_done_never_leak_a_count(name: str) -> None:
    """flask run skipped close() for these: +1 forever each, until the cap refused everyone."""
    with start_server(name, settings={"FLASK_MAX_OPEN_STREAMS": "10"}) as server:
        for _ in range(40):
            assert close_on_done(server, "prompt=Hi&model=echo&delay=0").startswith(b"HTTP/1.1 200")
        assert server.wait_for_open_streams(0) == 0
        assert httpx.get(f"{server.url}/stream?prompt=Hi&model=echo&delay=0").status_code == 200
        with server.connect(timeout=10) as sock:  # a stray byte mid-stream, and the connection kept open
            sock.sendall(b"GET /stream?prompt=Hi&model=echo&delay=100 HTTP/1.1\r\nHost: x\r\n\r\n")
            received = sock.recv(65536)
            sock.sendall(b"x")  # flask run waits for the rest of the request before close(), as long as it takes
            while b"data: [DONE]\n\n" not in received:
                received += sock.recv(65536)
            assert server.wait_for_open_streams(0) == 0  # counted out at its last frame, not when the client goes


def send_long_request_line(server: Server, megabytes: int) -> bytes:
    """Send `GET /healthz?x=aaaa...` as fast as the socket takes it; return the status line."""
    with server.connect() as sock:
        try:
            sock.sendall(b"GET /healthz?x=" + b"a" * (megabytes << 20) + b" HTTP/1.1\r\nHost: x\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and hung up before reading it all: the point
        return sock.recv(4096).split(b"\r\n", 1)[0]


@pytest.mark.serial
def test_a_huge_request_line_is_refused_at_once_and_classmates_keep_their_cadence(one_worker: Server) -> None:
    """Without a bound, gunicorn re-scanned a 4 MB line on every read: a 2.8 s freeze (16 MB: 30 s and a kill)."""
    statuses: list[bytes] = []
    assert classmates_worst_gap(one_worker, lambda: statuses.extend(send_long_request_line(one_worker, 4) for _ in range(3))) < WORST_GAP_MS
    assert statuses == [b"HTTP/1.1 414 URI Too Long"] * 3


def workers_of(server: Server) -> set[int]:
    return set(tree(server.process.pid)[1:])


def wait_until(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.2)
    return condition()


def test_a_reload_with_more_workers_than_the_old_slots_keeps_serving_and_counting() -> None:
    """The count file had 64 slots: SIGHUP with 33 workers killed the server, 65 never started."""
    with start_server("gunicorn", ["--workers", "65"]) as server:
        assert wait_until(lambda: len(workers_of(server)) == 65, 120)
        before = workers_of(server)
        server.process.send_signal(signal.SIGHUP)
        assert wait_until(lambda: len(workers_of(server)) == 65 and not workers_of(server) & before, 180)
        assert server.process.poll() is None
        sockets = [open_raw_stream(server, "delay=500") for _ in range(30)]
        try:
            assert server.wait_for_open_streams(30) == 30
        finally:
            for sock in sockets:
                sock.close()
        assert server.wait_for_open_streams(0) == 0


def raw_request(server: Server, head: bytes, pieces: list[bytes] = [], pause: float = 0.0) -> tuple[int, bytes]:  # noqa: B006
    """Send a request head, then each piece of body after `pause` s; return the status and the body."""
    with server.connect() as sock:
        sock.sendall(head)
        with contextlib.suppress(OSError):  # the server may answer and hang up before the last piece
            for piece in pieces:
                time.sleep(pause)
                sock.sendall(piece)
        response = b""
        while data := sock.recv(65536):
            response += data
            if b"\r\n\r\n" in response and (b"Content-Length" not in response or response.endswith(b"}")):
                break
    status = int(response.split(b" ", 2)[1])
    return status, response.partition(b"\r\n\r\n")[2]


CHUNKED = b"POST /api/chat HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
MESSAGE = b'{"message": "Hi", "model": "echo", "delay": 0}'


def chunks_of(body: bytes) -> bytes:
    """body in chunks of 64 KiB, without the last chunk (0) that ends it."""
    return b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 65536]), body[i:i + 65536]) for i in range(0, len(body), 65536))


FULL = chunks_of(MESSAGE + b" " * ((1 << 20) - len(MESSAGE)))  # exactly as much as a body may hold


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"zz\r\n" + MESSAGE + b"\r\n0\r\n\r\n", id="size-not-hex"),
        pytest.param(b"-2\r\n" + MESSAGE + b"\r\n0\r\n\r\n", id="size-negative"),
        pytest.param(b"%x\r\n" % len(MESSAGE) + MESSAGE + b"XX0\r\n\r\n", id="data-without-crlf"),
        pytest.param(b"%x\r\n" % len(MESSAGE) + MESSAGE + b"\r\n0\r\nbad trailer\r\n\r\n", id="bad-trailer"),
        pytest.param(FULL + b"zz\r\n\r\n", id="bad-size-after-exactly-1-mib"),
    ],
)
def test_a_malformed_chunked_body_is_a_400_naming_the_body(server: Server, body: bytes) -> None:
    """gunicorn's body parser raised inside the view, and the answer was a 500."""
    status, answer = raw_request(server, CHUNKED + body)
    assert (status, json.loads(answer)["error"]["field"]) == (400, "body")
    assert httpx.get(f"{server.url}/healthz").json()["status"] == "ok"


def test_a_chunked_body_over_1_mib_is_a_413(server: Server) -> None:
    """It was cut at 1 MiB without a word, and the rest streamed as if nothing were wrong."""
    status, answer = raw_request(server, CHUNKED + chunks_of(MESSAGE + b" " * (3 << 20)) + b"0\r\n\r\n")
    assert (status, json.loads(answer)["error"]["field"]) == (413, "body")
    exactly_small = MESSAGE + b" " * 100
    status, _ = raw_request(server, CHUNKED + b"%x\r\n%s\r\n0\r\n\r\n" % (len(exactly_small), exactly_small))
    assert status == 200


@pytest.mark.parametrize("name", ["gunicorn", "flask"])
@pytest.mark.parametrize("framing", ["content-length", "chunked", "chunked-1-mib-then-silence"])
def test_a_body_sent_a_byte_at_a_time_is_cut_off_with_408(name: str, framing: str) -> None:
    """Neither server ever timed out a slow body: each held a connection (and a file descriptor) forever."""
    with start_server(name, settings={"FLASK_MAX_BODY_SECONDS": "1"}) as server:
        if framing == "chunked":
            head, pieces = CHUNKED, [b"1\r\n%c\r\n" % byte for byte in MESSAGE]
        elif framing == "chunked-1-mib-then-silence":  # the byte that would say "more than 1 MiB" never comes
            head, pieces = CHUNKED, [FULL]
        else:
            head = b"POST /api/chat HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(MESSAGE)
            pieces = [bytes([byte]) for byte in MESSAGE]
        started = time.monotonic()
        status, answer = raw_request(server, head, pieces, pause=0.2)
        assert (status, json.loads(answer)["error"]) == (408, {"field": "body", "message": "the body took longer than 1 s to arrive"})
        assert time.monotonic() - started < 5  # not the 9 s the whole body would take
        assert httpx.get(f"{server.url}/healthz").json() == {"status": "ok", "open_streams": 0}


def test_a_blocking_reply_counts_as_a_stream_and_is_capped(clock: FakeClock) -> None:
    """"stream": false held a connection as long as a stream, yet was neither counted nor capped."""
    client = create_app({"TESTING": True, "STREAM_CLOCK": clock, "MAX_OPEN_STREAMS": 1}).test_client()
    body = {"message": "Hi", "model": "echo", "stream": False}
    assert client.post("/api/chat", json=body).json["content"] == "Hi"
    open_stream = client.get("/stream?prompt=abc", buffered=False)
    refused = client.post("/api/chat", json=body)
    assert (refused.status_code, refused.headers["Retry-After"]) == (503, "5")
    open_stream.close()
    assert client.post("/api/chat", json=body).status_code == 200


def test_a_blocking_reply_is_counted_while_it_waits(server: Server) -> None:
    body = {"message": "abcdefghij", "model": "echo", "delay": 200, "stream": False}
    with ThreadPoolExecutor(3) as pool:
        replies = [pool.submit(httpx.post, f"{server.url}/api/chat", json=body, timeout=30) for _ in range(3)]
        assert server.wait_for_open_streams(3) == 3
        assert [r.result().json()["content"] for r in replies] == ["abcdefghij"] * 3
    assert server.open_streams() == 0
    long_wait = json.dumps({"message": "x" * 20, "model": "echo", "delay": 1000, "stream": False}).encode()
    with server.connect() as sock:  # a 20 s wait, and its client leaves after a moment
        sock.sendall(b"POST /api/chat HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
                     % (len(long_wait), long_wait))
        assert server.wait_for_open_streams(1) == 1
    assert server.wait_for_open_streams(0, seconds=5) == 0  # not 20 s later: nobody is waiting for it


def test_on_shutdown_a_blocking_reply_is_answered_at_once() -> None:
    """Its client used to get a closed connection after 10 s instead of an answer."""
    with start_server("gunicorn") as server:
        body = {"message": "x" * 200, "model": "echo", "delay": 100, "stream": False}  # a 20 s wait
        with ThreadPoolExecutor(1) as pool:
            pending = pool.submit(httpx.post, f"{server.url}/api/chat", json=body, timeout=30)
            assert server.wait_for_open_streams(1) == 1
            started = time.monotonic()
            server.process.send_signal(signal.SIGTERM)
            answer = pending.result()
        assert (answer.status_code, answer.json()["content"]) == (200, "x" * 200)
        assert time.monotonic() - started < 5
        assert server.process.wait(timeout=15) == 0


@pytest.mark.parametrize("name", ["gunicorn", "flask"])
@pytest.mark.parametrize(("setting", "value"), [("MAX_OPEN_STREAMS", "3,000"), ("MAX_STREAM_SECONDS", "10m"), ("MAX_OPEN_STREAMS", "0")])
def test_a_malformed_setting_refuses_to_start_naming_it(name: str, setting: str, value: str) -> None:
    """FLASK_MAX_OPEN_STREAMS=3,000 started fine, then answered every stream with a 500."""
    with pytest.raises(RuntimeError, match=f"FLASK_{setting} must be a number of at least"):
        with start_server(name, settings={f"FLASK_{setting}": value}):
            pass


@pytest.mark.parametrize("value", [math.inf, math.nan])
def test_a_setting_must_be_a_finite_number(value: float) -> None:
    """FLASK_MAX_BODY_SECONDS=Infinity started, then every body's deadline raised."""
    with pytest.raises(ConfigError, match="FLASK_MAX_BODY_SECONDS must be a number of at least"):
        create_app({"MAX_BODY_SECONDS": value})


def test_settings_written_as_plain_numbers_are_taken() -> None:
    app = create_app({"MAX_OPEN_STREAMS": 3000, "MAX_STREAM_SECONDS": 60, "MAX_BODY_SECONDS": 2.5})
    assert (app.config["MAX_OPEN_STREAMS"], app.config["MAX_BODY_SECONDS"]) == (3000, 2.5)


@pytest.mark.parametrize(
    ("method", "url", "body", "status"),
    [
        pytest.param("GET", "/", None, 200, id="page"),
        pytest.param("GET", "/static/js/main.js", None, 200, id="static"),
        pytest.param("GET", "/stream?prompt=Hi&model=echo&delay=0", None, 200, id="stream"),
        pytest.param("POST", "/api/chat", {"message": "Hi", "model": "echo", "delay": 0}, 200, id="chat"),
        pytest.param("GET", "/healthz", None, 200, id="healthz"),
        pytest.param("GET", "/stream?prompt=Hi&frame=xml", None, 400, id="400"),
        pytest.param("GET", "/nope", None, 404, id="404"),
        pytest.param("GET", "/stream?prompt=Hi&model=echo&lastEventId=2", None, 204, id="204"),
    ],
)
def test_every_response_carries_the_security_headers(server: Server, method: str, url: str, body: object, status: int) -> None:
    response = httpx.request(method, server.url + url, json=body, timeout=30)
    assert response.status_code == status
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"


def open_files_limit(pid: int) -> tuple[int, int]:
    line = next(line for line in Path(f"/proc/{pid}/limits").read_text().splitlines() if line.startswith("Max open files"))
    soft, hard = line.split()[3:5]
    return int(soft), int(hard)


def test_gunicorn_raises_its_soft_open_files_limit_to_the_hard_one() -> None:
    with start_server("gunicorn", ["--workers", "1"], open_files=(256, 4096)) as server:
        worker = workers_of(server).pop()
        assert open_files_limit(worker) == (4096, 4096)


def test_with_few_file_descriptors_extra_streams_get_503_not_silence() -> None:
    """Under `ulimit -n 1024` the excess clients waited unanswered in the listen queue."""
    with start_server("gunicorn", ["--workers", "1"], open_files=(256, 256)) as server:
        sockets, statuses = [], []
        try:
            for _ in range(260):
                sock = server.connect(timeout=10)
                sockets.append(sock)
                sock.sendall(b"GET /stream?prompt=abcdefghij&model=echo&delay=2000 HTTP/1.1\r\nHost: x\r\n\r\n")
                statuses.append(sock.recv(4096).split(b" ", 2)[1])  # a timeout here is the silence
                if statuses[-1] == b"503":
                    sockets.pop().close()  # refused: this client comes back later
            assert set(statuses) == {b"200", b"503"}
            assert 150 <= statuses.count(b"200") <= 256 - 64
            assert server.open_streams() == statuses.count(b"200")
        finally:
            for sock in sockets:
                sock.close()
        assert server.wait_for_open_streams(0) == 0
        assert "Too many open files" not in server.log()
