"""Streaming against real servers (gunicorn + gevent, and `flask run`) over real sockets."""

import json
import time
from urllib.parse import quote, urlencode

import httpx
import httpx_sse
import pytest
from flask.testing import FlaskClient

from streamlab.decoder import decode
from streamlab.models import split
from tests.cases import BAD_REQUESTS, TRICKY, normalise
from tests.servers import Arrival, Received, Server, fetch


def test_events_arrive_one_by_one(server: Server) -> None:
    """The first event is in the client's hands while the server is still streaming the rest."""
    with httpx.stream("GET", f"{server.url}/stream?prompt=abc&model=echo&delay=400", timeout=30) as response:
        received = Received(response.status_code, response.headers)
        for raw in response.iter_raw():
            received.arrivals.append(Arrival(time.monotonic(), raw, received.decoder.feed(raw)))
            if [m.data for m in received.messages] == ["a"]:
                assert server.open_streams() >= 1  # the generator has more to send
    reads = [[m.data for m in arrival.messages] for arrival in received.arrivals if arrival.messages]
    assert reads == [["a"], ["b"], ["c"], ["[DONE]"]] or reads == [["a"], ["b"], ["c", "[DONE]"]]
    assert server.wait_for_open_streams(0) == 0


OPTION_CASES = [
    {"model": "echo"}, {"model": "tutor", "delay": 0}, {"model": "tutor", "delay": 0, "prompt": "怎么重连？"},
    {"chunk": "word"}, {"chunk": "sentence"}, {"frame": "json"}, {"end": "event"}, {"end": "close"},
    {"ids": "off"}, {"retry": 1500}, {"drop_after": 4}, {"error_at": 3},
    {"error_at": 3, "frame": "json", "end": "event"}, {"stall": 300},
    {"frame": "json", "chunk": "word", "end": "event", "ids": "off"},
]


@pytest.mark.parametrize("case", OPTION_CASES, ids=lambda case: urlencode(case))
def test_every_option_gives_the_generators_exact_bytes_over_get_and_post(
    server: Server, client: FlaskClient, case: dict[str, object]
) -> None:
    values = {"prompt": TRICKY, "model": "echo", "delay": 5, **case}
    expected = client.get(f"/stream?{urlencode(values)}").data  # the unit-tested generator, on a fake clock
    got = fetch("GET", f"{server.url}/stream?{urlencode(values)}")
    assert (got.status, got.headers["content-type"]) == (200, "text/event-stream; charset=utf-8")
    assert got.headers["cache-control"] == "no-cache" and got.headers["x-accel-buffering"] == "no"
    assert got.raw == expected
    assert fetch("POST", f"{server.url}/api/chat", json=values).raw == expected


@pytest.mark.parametrize("frame", ["plain", "json"])
@pytest.mark.parametrize("chunk", ["char", "word", "sentence"])
def test_chinese_emoji_and_line_breaks_in_every_framing(server: Server, frame: str, chunk: str) -> None:
    got = fetch("POST", f"{server.url}/api/chat", json={"message": TRICKY, "model": "echo", "delay": 0, "frame": frame, "chunk": chunk})
    contents = [json.loads(m.data)["content"] if frame == "json" else m.data for m in got.chunks]
    assert "".join(contents) == (TRICKY if frame == "json" else normalise(TRICKY))


def test_delay_and_stall_pace_the_stream_with_heartbeats(server: Server) -> None:
    started = time.monotonic()
    got = fetch("GET", f"{server.url}/stream?prompt=abcd&model=echo&delay=100&stall=600&heartbeat=0.1")
    assert time.monotonic() - started >= 0.4 + 0.6  # four delays and the stall, at the least
    assert [m.data for m in got.chunks] == ["a", "b", "c", "d"]
    assert "ping" in got.decoder.comments


def chunks_of(text: str) -> tuple[str, ...]:
    return split(text, "char")


@pytest.mark.parametrize("cut", [0, 1, 5, 17, len(chunks_of(TRICKY)) - 1])
def test_resume_at_cut_points_over_get_and_post(server: Server, cut: int) -> None:
    chunks = chunks_of(TRICKY)
    header = {"Last-Event-ID": str(cut)}
    get = fetch("GET", f"{server.url}/stream?prompt={quote(TRICKY)}&model=echo&delay=0&frame=json", headers=header)
    post = fetch("POST", f"{server.url}/api/chat", json={"message": TRICKY, "model": "echo", "delay": 0, "frame": "json"}, headers=header)
    for got in (get, post):
        assert "".join(json.loads(m.data)["content"] for m in got.chunks) == "".join(chunks[cut:])
        assert [m.last_event_id for m in got.chunks] == [str(n) for n in range(cut + 1, len(chunks) + 1)]
    via_query = fetch("GET", f"{server.url}/stream?prompt={quote(TRICKY)}&model=echo&delay=0&lastEventId={cut}")
    assert [m.last_event_id for m in via_query.chunks][0] == str(cut + 1)


def test_httpx_sse_reads_a_real_stream(server: Server) -> None:
    """An independent SSE client, reading the real server, sees the same events."""
    with httpx.Client(timeout=30) as http:
        query = urlencode({"prompt": TRICKY, "model": "echo", "delay": 0, "chunk": "word", "end": "event"})
        with httpx_sse.connect_sse(http, "GET", f"{server.url}/stream?{query}") as source:
            events = list(source.iter_sse())
    chunks = [event for event in events if event.event == "message" and event.data]
    assert "".join(event.data for event in chunks) == normalise(TRICKY)
    assert [event.id for event in chunks] == [str(n) for n in range(1, len(chunks) + 1)]
    assert json.loads(events[-1].data)["usage"]["reply_chars"] == len(TRICKY)


def test_resume_after_the_end_is_204(server: Server) -> None:
    n = len(chunks_of(TRICKY))
    for last_id in (n, n + 10):
        get = fetch("GET", f"{server.url}/stream?prompt={quote(TRICKY)}&model=echo", headers={"Last-Event-ID": str(last_id)})
        post = fetch("POST", f"{server.url}/api/chat", json={"message": TRICKY, "model": "echo"}, headers={"Last-Event-ID": str(last_id)})
        assert (get.status, get.raw, post.status) == (204, b"", 204)


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_drop_after_reconnecting_with_last_event_id_loses_and_repeats_nothing(server: Server, method: str) -> None:
    """A client that reconnects the way EventSource does rebuilds the exact text."""
    text, last_id, connections, pieces = TRICKY, "", 0, []
    while True:
        connections += 1
        headers = {"Last-Event-ID": last_id} if last_id else {}
        if method == "GET":
            got = fetch("GET", f"{server.url}/stream?prompt={quote(text)}&model=echo&delay=0&frame=json&drop_after=4", headers=headers)
        else:
            got = fetch("POST", f"{server.url}/api/chat", json={"message": text, "model": "echo", "delay": 0, "frame": "json", "drop_after": 4}, headers=headers)
        pieces += [json.loads(m.data)["content"] for m in got.chunks]
        if any(m.data == "[DONE]" for m in got.messages):
            break
        last_id = got.decoder.last_event_id
        assert connections < 50
    assert "".join(pieces) == text
    assert connections == -(-len(chunks_of(text)) // 4)


def test_without_ids_a_reconnect_starts_over(server: Server) -> None:
    first = fetch("GET", f"{server.url}/stream?prompt=abcdef&model=echo&delay=0&ids=off&drop_after=2")
    assert (first.decoder.last_event_id, [m.data for m in first.chunks]) == ("", ["a", "b"])
    again = fetch("GET", f"{server.url}/stream?prompt=abcdef&model=echo&delay=0&ids=off&drop_after=2")
    assert [m.data for m in again.chunks] == ["a", "b"]  # nothing to resume from: the duplicate


def test_blocking_mode_answers_once_after_the_whole_reply(server: Server) -> None:
    started = time.monotonic()
    response = httpx.post(f"{server.url}/api/chat", json={"message": "abc", "model": "echo", "stream": False}, timeout=30)
    assert time.monotonic() - started >= 0.3
    assert response.json()["content"] == "abc"


@pytest.mark.parametrize(("method", "url", "headers", "body", "status", "field"), BAD_REQUESTS)
def test_bad_input_gets_json_4xx_before_any_stream_byte(
    server: Server, method: str, url: str, headers: dict[str, str], body: bytes | None, status: int, field: str | None
) -> None:
    response = httpx.request(method, server.url + url, headers=headers, content=body, timeout=30)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    assert response.json()["error"]["field"] == field


def test_a_4500_character_prompt_in_a_get_url_gets_the_json_error(server: Server) -> None:
    response = httpx.get(f"{server.url}/stream?{urlencode({'prompt': 'a' * 4500})}", timeout=30)
    assert response.status_code == 400
    assert response.json()["error"] == {"message": "prompt is 4500 characters; the limit is 4000", "field": "prompt"}
    assert httpx.get(f"{server.url}/healthz").json()["status"] == "ok"


@pytest.mark.parametrize(("prompt", "fits"), [("你" * 900, True), ("你" * 910, False), ("a" * 4000, True), ("a b" * 1000, True)])
def test_a_get_prompt_must_fit_a_request_line_of_8190_bytes(server: Server, prompt: str, fits: bool) -> None:
    """The same on both servers: what works on a laptop with flask run works in the classroom."""
    response = httpx.get(f"{server.url}/stream?{urlencode({'prompt': prompt, 'model': 'echo', 'delay': 0})}", timeout=30)
    assert response.status_code == (200 if fits else 414)
    if fits:
        assert "".join(m.data for m in decode(response.content) if m.data != "[DONE]") == prompt
    else:  # the app names the prompt; gunicorn refuses the line before the app sees it (web/worker.py)
        assert response.headers["content-type"] == "application/json"
        assert response.json()["error"]["field"] == ("prompt" if server.name == "flask" else "url")
        assert (response.headers["X-Content-Type-Options"], response.headers["Referrer-Policy"]) == ("nosniff", "no-referrer")
    assert httpx.get(f"{server.url}/healthz").json()["status"] == "ok"


def test_gunicorns_own_refusal_of_too_many_headers_is_json(gunicorn_server: Server) -> None:
    """gunicorn reads at most 100 headers; it refuses more itself, and the worker says so in JSON."""
    headers = {f"X-Header-{number}": "1" for number in range(120)}
    response = httpx.get(f"{gunicorn_server.url}/stream?prompt=hi", headers=headers, timeout=30)
    assert (response.status_code, response.headers["content-type"]) == (431, "application/json")
    assert response.json()["error"]["field"] == "headers"
    assert (response.headers["X-Content-Type-Options"], response.headers["Referrer-Policy"]) == ("nosniff", "no-referrer")
    assert httpx.get(f"{gunicorn_server.url}/healthz").json()["status"] == "ok"


def test_a_head_request_is_not_left_counted_as_open(server: Server) -> None:
    """Flask answers HEAD with the GET view but sends no body: the stream it opened must still close."""
    for _ in range(5):
        response = httpx.head(f"{server.url}/stream?prompt=abcdefgh&model=echo&delay=1000", timeout=30)
        assert (response.status_code, response.content) == (200, b"")
    assert server.wait_for_open_streams(0) == 0


def test_a_client_that_leaves_is_cleaned_up(server: Server) -> None:
    for _ in range(3):
        with httpx.stream("GET", f"{server.url}/stream?prompt=abcdefgh&model=echo&delay=200", timeout=30) as response:
            for raw in response.iter_raw():
                if b"data: a" in raw:
                    break
    assert server.wait_for_open_streams(0) == 0
