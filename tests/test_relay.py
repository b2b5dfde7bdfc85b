"""The relay on a real server, relaying to itself (gunicorn + gevent with one worker, and flask run)
and to another server: exact bytes, resume, faults passed on, cleanup, and a clear error, never a hang."""

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from tests.cases import TRICKY
from tests.servers import Server, fetch, free_port, start_server


@pytest.fixture(scope="module", params=["gunicorn", "flask"])
def server(request: pytest.FixtureRequest) -> Iterator[Server]:
    """One worker: the relay and the stream it relays share it, so nothing may block (no deadlock)."""
    with start_server(request.param, ["--workers", "1"] if request.param == "gunicorn" else []) as server:
        yield server


@pytest.mark.parametrize("query", ["", "&frame=json", "&ids=off&end=close", "&newline=crlf&retry=3000", "&chunk=word",
                                   "&split=on&frame=json"])
def test_the_relay_sends_the_same_bytes_as_the_stream_itself(server: Server, query: str) -> None:
    params = {"prompt": TRICKY, "model": "echo", "delay": "0"}
    direct = httpx.get(f"{server.url}/stream?{httpx.QueryParams(params)}{query}")
    relayed = fetch("GET", f"{server.url}/relay?{httpx.QueryParams(params)}{query}")
    assert relayed.status == 200 and relayed.headers["content-type"] == "text/event-stream; charset=utf-8"
    assert relayed.raw == direct.content


def test_post_relays_history_and_answers_whole(server: Server) -> None:
    body = {"message": "How does fetch stream?", "history": [{"role": "user", "content": "Hi"},
                                                               {"role": "assistant", "content": "Hello!"}], "delay": 0}
    assert fetch("POST", f"{server.url}/api/relay", json=body).raw == httpx.post(f"{server.url}/api/chat", json=body).content
    whole = httpx.post(f"{server.url}/api/relay", json={**body, "stream": False}).json()
    assert whole["content"] == httpx.post(f"{server.url}/api/chat", json={**body, "stream": False}).json()["content"]
    assert whole["model"] == "tutor" and whole["usage"]["completion_tokens"] > 0


def test_a_reconnect_resumes_through_the_relay_exactly(server: Server) -> None:
    """drop_after is passed on: each upstream response is cut, the relay's too, and Last-Event-ID
    (passed on as well) continues with the next chunk, until a finished stream answers 204."""
    query = httpx.QueryParams({"prompt": TRICKY, "model": "echo", "delay": 0, "drop_after": 5, "frame": "json"})
    url, texts, last, statuses = f"{server.url}/relay?{query}", [], "", []
    while True:
        received = fetch("GET", url, headers={"Last-Event-ID": last} if last else {})
        statuses.append(received.status)
        if received.status == 204:
            break
        texts += [message.data for message in received.messages if message.data != "[DONE]"]
        last = received.decoder.last_event_id
    assert "".join(httpx.Response(200, content=text).json()["content"] for text in texts) == TRICKY
    assert statuses.count(204) == 1 and len(statuses) == (len(TRICKY) - 1) // 5 + 2  # CRLF is one chunk


def test_faults_are_passed_on(server: Server) -> None:
    error = fetch("GET", f"{server.url}/relay?prompt=abcdef&model=echo&delay=0&error_at=3")
    assert [(m.event, m.data) for m in error.messages] == [
        ("message", "a"), ("message", "b"), ("error", "the upstream failed: simulated error at chunk 3"), ("message", "[DONE]")]
    refused = httpx.get(f"{server.url}/relay?prompt=abc&model=echo&fail=429")
    assert refused.status_code == 502
    assert refused.json()["error"]["message"] == "the upstream answered 429: simulated failure: the request asked for fail=429"
    assert httpx.get(f"{server.url}/relay?prompt=abc&model=robot").json()["error"]["field"] == "model"  # checked here, 400


def test_when_the_browser_leaves_the_upstream_stream_is_closed_too(server: Server) -> None:
    sock = server.connect()
    sock.sendall(b"GET /relay?prompt=abcdefghijklmnopqrstuvwxyz&model=echo&delay=100 HTTP/1.1\r\nHost: x\r\n\r\n")
    received = b""
    while received.count(b"data: ") < 2:
        received += sock.recv(4096)
    assert server.open_streams() == 2  # the browser's stream and the relay's own, upstream
    sock.close()
    assert server.wait_for_open_streams(0, seconds=5) == 0  # both, at the next chunk: not at the end of the reply


def test_a_head_request_leaves_no_upstream_stream_behind(server: Server) -> None:
    """HEAD runs the GET view and reads no body: the relay had asked its upstream, and that stream ran on."""
    answer = httpx.head(f"{server.url}/relay?prompt=abcdefghijklmnopqrstuvwxyz&model=echo&delay=200")  # 5.2 s of reply
    assert answer.status_code == 200
    assert server.wait_for_open_streams(0, seconds=3) == 0


@pytest.mark.parametrize("name", ["gunicorn", "flask"])
def test_an_unreachable_upstream_is_a_clear_502_not_a_hang(name: str) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens there
    with start_server(name, settings={"FLASK_UPSTREAM_URL": nowhere, "FLASK_UPSTREAM_MODEL": "gpt-any"}) as server:
        started = time.monotonic()
        answer = httpx.get(f"{server.url}/relay?prompt=Hi", timeout=30)
        assert answer.status_code == 502 and time.monotonic() - started < 10
        assert answer.json()["error"]["message"].startswith(f"the upstream {nowhere}/chat/completions could not be reached")
        assert server.open_streams() == 0 and httpx.get(f"{server.url}/healthz").json()["status"] == "ok"


def test_any_openai_compatible_upstream_with_its_model_and_key(server: Server) -> None:
    """Another server as the upstream, configured as a real one would be: StreamLab's options are not
    sent there (it paces its own way), and a resume skips what the client already has."""
    settings = {"FLASK_UPSTREAM_URL": f"{server.url}/v1/", "FLASK_UPSTREAM_MODEL": "echo", "FLASK_UPSTREAM_API_KEY": "sk-x"}
    with start_server("gunicorn", ["--workers", "1"], settings=settings) as relay:
        received = fetch("GET", f"{relay.url}/relay?prompt=Hi&frame=json&end=event")
        assert [m.data for m in received.chunks] == ['{"content": "H"}', '{"content": "i"}']
        end = received.messages[-1]
        assert end.event == "end" and httpx.Response(200, content=end.data).json()["usage"]["completion_tokens"] == 2
        assert [m.data for m in fetch("GET", f"{relay.url}/relay?prompt=Hi", headers={"Last-Event-ID": "1"}).chunks] == ["i"]


def test_a_setting_that_cannot_work_stops_the_start() -> None:
    with pytest.raises(RuntimeError, match="FLASK_UPSTREAM_MODEL must name the model"):
        with start_server("flask", settings={"FLASK_UPSTREAM_URL": "https://api.example.com/v1"}):
            pass


class FakeUpstream(BaseHTTPRequestHandler):
    """An OpenAI-compatible upstream that answers by the prompt: `quiet` sends "A" and then nothing
    (noting when its client hangs up), `json` ignores "stream": true, `finish` ends after its
    finish_reason without [DONE]."""

    protocol_version = "HTTP/1.0"  # the body ends when the connection closes
    hung_up: dict[str, float] = {}

    def do_POST(self) -> None:
        prompt = json.loads(self.rfile.read(int(self.headers["Content-Length"])))["messages"][-1]["content"]
        if prompt == "json":
            self.answer("application/json", json.dumps({"choices": [{"message": {"content": "whole"}}]}).encode())
            return
        self.answer("text/event-stream", b"".join(completion_chunk(text, finish) for text, finish in [("A", None), ("B", "stop")]
                                                  if prompt == "finish" or text == "A"))
        if prompt == "quiet":
            self.connection.settimeout(20)
            started = time.monotonic()
            if self.connection.recv(1) == b"":  # the relay hung up
                FakeUpstream.hung_up[self.path] = time.monotonic() - started

    def answer(self, kind: str, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()

    def log_message(self, *args: object) -> None:
        pass


def completion_chunk(text: str, finish: str | None) -> bytes:
    chunk = {"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": finish}]}
    return f"data: {json.dumps(chunk)}\n\n".encode()


@pytest.fixture(scope="module", params=["gunicorn", "flask"])
def relay_to_fake(request: pytest.FixtureRequest) -> Iterator[Server]:
    upstream = ThreadingHTTPServer(("127.0.0.1", 0), FakeUpstream)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{upstream.server_address[1]}"
    settings = {"FLASK_UPSTREAM_URL": f"{base}/{request.param}/v1", "FLASK_UPSTREAM_MODEL": "fake"}
    try:
        with start_server(request.param, ["--workers", "1"] if request.param == "gunicorn" else [], settings=settings) as server:
            yield server
    finally:
        upstream.shutdown()


def test_a_quiet_upstream_is_hung_up_on_as_soon_as_the_browser_leaves(relay_to_fake: Server) -> None:
    """No write tells the relay that its browser left while the upstream is quiet (a model thinking):
    it looks at the browser's connection itself, and hangs up on the upstream within a second or so."""
    sock = relay_to_fake.connect()
    sock.sendall(b"GET /relay?prompt=quiet HTTP/1.1\r\nHost: x\r\n\r\n")
    received = b""
    while b"data: A" not in received:
        received += sock.recv(4096)
    path = f"/{relay_to_fake.name}/v1/chat/completions"
    FakeUpstream.hung_up.pop(path, None)
    sock.close()
    assert relay_to_fake.wait_for_open_streams(0, seconds=10) == 0
    deadline = time.monotonic() + 10
    while path not in FakeUpstream.hung_up and time.monotonic() < deadline:
        time.sleep(0.05)
    assert FakeUpstream.hung_up[path] < 10  # not the 20 s the upstream would have stayed quiet


def test_the_relay_pings_on_its_own_clock_while_the_upstream_is_quiet(relay_to_fake: Server) -> None:
    sock = relay_to_fake.connect()
    sock.sendall(b"GET /relay?prompt=quiet&heartbeat=0.2 HTTP/1.1\r\nHost: x\r\n\r\n")
    received = b""
    while received.count(b": ping") < 3:  # the upstream sends no comment: these are the relay's own
        received += sock.recv(4096)
    assert received.index(b"data: A") < received.index(b": ping")
    sock.close()


def test_an_upstream_that_does_not_stream_is_a_502_before_the_stream(relay_to_fake: Server) -> None:
    answer = httpx.get(f"{relay_to_fake.url}/relay?prompt=json")
    assert answer.status_code == 502
    assert answer.json()["error"]["message"] == "the upstream answered 200 with application/json, not text/event-stream: does it stream?"


def test_an_upstream_that_ends_after_its_finish_reason_has_finished(relay_to_fake: Server) -> None:
    """The SDKs take such a body as complete (no [DONE]); so does the relay: its client gets the end signal."""
    received = fetch("GET", f"{relay_to_fake.url}/relay?prompt=finish")
    assert [message.data for message in received.messages] == ["A", "B", "[DONE]"]


def test_no_204_through_the_relay_is_the_same_mistake_as_on_the_stream(server: Server) -> None:
    query = "prompt=Hi&model=echo&delay=0&pitfall=no-204"
    direct = fetch("GET", f"{server.url}/stream?{query}", headers={"Last-Event-ID": "2"})
    relayed = fetch("GET", f"{server.url}/relay?{query}", headers={"Last-Event-ID": "2"})
    assert (relayed.status, relayed.raw) == (direct.status, direct.raw) == (200, b": ok\n\ndata: [DONE]\n\n")
