"""The pitfall lab on the wire: each mistake changes what a spec parser sees the way its name says,
the same request without it is exact, and `split` and `newline` are correct SSE a parser reads whole."""

import codecs
from typing import Any

import httpx
import pytest
from flask.testing import FlaskClient

from streamlab.decoder import Decoder, Message, decode
from streamlab.pitfalls import PITFALLS, raw_newlines
from streamlab.sse import Event
from streamlab.streams import SPLIT_GAP
from tests.cases import TRICKY, normalise
from tests.servers import Server, fetch
from tests.wire import run, wire

CORRECT_HI = b": ok\n\nid: 1\ndata: H\n\nid: 2\ndata: i\n\ndata: [DONE]\n\n"


def text_of(messages: list[Message]) -> str:
    return "".join(m.data for m in messages if m.event == "message" and m.data != "[DONE]")


# The README shows these bytes: a two-character echo with each mistake, beside the correct one.
TWO_CHARACTERS = [
    pytest.param("no-blank-line", "Hi", b": ok\nid: 1\ndata: H\nid: 2\ndata: i\ndata: [DONE]\n", id="no-blank-line"),
    pytest.param("raw-newlines", "a\n", b": ok\n\nid: 1\ndata: a\n\nid: 2\ndata: \n\n\ndata: [DONE]\n\n", id="raw-newlines"),
    pytest.param("no-space", " a", b": ok\n\nid: 1\ndata: \n\nid: 2\ndata:a\n\ndata:[DONE]\n\n", id="no-space"),
    pytest.param("end-without-data", "Hi", b": ok\n\nid: 1\ndata: H\n\nid: 2\ndata: i\n\nevent: end\n\n", id="end-without-data"),
]


@pytest.mark.parametrize(("pitfall", "prompt", "expected"), TWO_CHARACTERS)
def test_wire_mistakes_bytes(pitfall: str, prompt: str, expected: bytes) -> None:
    assert wire(prompt, pitfall=pitfall) == expected


def test_the_correct_bytes_of_the_same_requests() -> None:
    assert wire("Hi") == CORRECT_HI
    assert wire("a\n") == b": ok\n\nid: 1\ndata: a\n\nid: 2\ndata: \ndata: \n\ndata: [DONE]\n\n"
    assert wire(" a") == b": ok\n\nid: 1\ndata:  \n\nid: 2\ndata: a\n\ndata: [DONE]\n\n"


@pytest.mark.parametrize("pitfall", ["buffered", "no-cleanup", "no-204"])
def test_transport_and_server_mistakes_leave_the_bytes_alone(pitfall: str) -> None:
    assert wire("Hi", pitfall=pitfall) == CORRECT_HI


def test_no_blank_line_dispatches_nothing() -> None:
    assert decode(wire(TRICKY, pitfall="no-blank-line")) == []
    assert text_of(decode(wire(TRICKY))) == normalise(TRICKY)


@pytest.mark.parametrize("chunk", ["char", "word", "sentence"])
def test_raw_newlines_lose_the_line_breaks(chunk: str) -> None:
    # A chunk's line break ends its event early ("data: 1" + LF + LF): the lines run together.
    assert text_of(decode(wire("line 1\nline 2\n\nend", chunk=chunk, pitfall="raw-newlines"))) == "line 1line 2end"
    assert text_of(decode(wire("line 1\nline 2\n\nend", chunk=chunk))) == "line 1\nline 2\n\nend"


def test_raw_newlines_lose_what_follows_a_line_break_inside_an_event() -> None:
    # An error message or a usage line in the middle of an event: the rest is read as unknown fields.
    assert raw_newlines(Event(data="first\nsecond: ignored\n")) == b"data: first\nsecond: ignored\n\n\n"
    assert decode(raw_newlines(Event(data="first\nsecond: ignored\n"))) == [Message("first")]


def test_no_space_loses_every_leading_space() -> None:
    assert text_of(decode(wire("a b  c", pitfall="no-space"))) == "abc"
    assert text_of(decode(wire(" a b", chunk="word", pitfall="no-space"))) == "a b"  # only the leading space
    assert text_of(decode(wire("a b  c"))) == "a b  c"


def test_end_without_data_is_never_dispatched() -> None:
    assert [m.event for m in decode(wire("Hi", end="event", pitfall="end-without-data"))] == ["message"] * 2
    assert [m.event for m in decode(wire("Hi", end="event"))] == ["message"] * 2 + ["end"]


def test_buffered_holds_everything_back_until_the_reply_is_complete() -> None:
    writes = run("abc", pitfall="buffered")
    assert writes == [(0.0, b": ok\n\n"), (pytest.approx(0.3), wire("abc").removeprefix(b": ok\n\n"))]
    assert [at for at, _ in run("abc")] == pytest.approx([0.0, 0.1, 0.2, 0.3, 0.3])


@pytest.mark.parametrize("pitfall", list(PITFALLS))
def test_every_pitfall_keeps_the_pacing_and_the_reply_length(pitfall: str) -> None:
    writes = run("abc", pitfall=pitfall)
    assert writes[-1][0] == pytest.approx(0.3)


# split and newline: correct SSE that only a buffered, spec-following client reads whole.


@pytest.mark.parametrize("frame", ["plain", "json"])
@pytest.mark.parametrize("newline", ["lf", "crlf", "cr"])
@pytest.mark.parametrize("split", ["off", "on"])
def test_split_and_newline_change_no_event(frame: str, newline: str, split: str) -> None:
    options: dict[str, Any] = {"frame": frame, "end": "event", "retry": 1000, "heartbeat": 0.05}
    expected = decode(wire(TRICKY, **options))
    decoder = Decoder()
    received = [m for _, piece in run(TRICKY, newline=newline, split=split, **options) for m in decoder.feed(piece)]
    assert received == expected
    assert decoder.retry == 1000


def test_newline_picks_every_line_ending() -> None:
    assert wire("Hi", newline="crlf") == CORRECT_HI.replace(b"\n", b"\r\n")
    assert wire("Hi", newline="cr") == CORRECT_HI.replace(b"\n", b"\r")
    assert b"\n" not in wire(TRICKY, newline="cr", heartbeat=0.05)
    assert b"\n" not in wire(TRICKY, newline="crlf", heartbeat=0.05).replace(b"\r\n", b"")


def test_split_writes_each_event_in_two_pieces_cut_inside_a_character() -> None:
    writes = run("a好", split="on")
    pieces = [piece for _, piece in writes]
    assert pieces == [b": o", b"k\n\n", b"id: 1\nd", b"ata: a\n\n", b"id: 2\ndata: \xe5", b"\xa5\xbd\n\n", b"data: [", b"DONE]\n\n"]
    assert b"".join(pieces) == wire("a好")
    with pytest.raises(UnicodeDecodeError):
        codecs.decode(pieces[4], "utf-8")
    times = [at for at, _ in writes]
    assert [b - a for a, b in zip(times[::2], times[1::2], strict=True)] == pytest.approx([SPLIT_GAP] * 4)
    assert times[::2] == pytest.approx([0.0, 0.1, 0.2, 0.2 + SPLIT_GAP])  # the schedule is the deadline's


# On a server: the option is validated, and the server-side mistakes happen around the stream.


def test_an_unknown_pitfall_is_a_400_listing_the_valid_ones(client: FlaskClient) -> None:
    for response in (client.get("/stream?prompt=hi&pitfall=typo"), client.post("/api/chat", json={"message": "hi", "pitfall": "typo"})):
        assert response.status_code == 400
        error = response.get_json()["error"]
        assert error["field"] == "pitfall"
        assert ", ".join(PITFALLS) in error["message"]


def test_no_204_answers_a_finished_streams_resume_with_an_empty_stream(client: FlaskClient) -> None:
    finished = {"Last-Event-ID": "2"}
    assert client.get("/stream?prompt=Hi&model=echo", headers=finished).status_code == 204
    response = client.get("/stream?prompt=Hi&model=echo&pitfall=no-204", headers=finished)
    assert response.status_code == 200
    assert response.data == b": ok\n\ndata: [DONE]\n\n"
    response = client.get("/stream?prompt=Hi&model=echo&end=close&pitfall=no-204", headers=finished)
    assert (response.status_code, response.data) == (200, b": ok\n\n")  # EventSource reconnects after this, forever


def test_no_204_on_a_real_server(server: Server) -> None:
    url = f"{server.url}/stream?prompt=Hi&model=echo&end=close"
    assert httpx.get(url, headers={"Last-Event-ID": "2"}).status_code == 204
    received = fetch("GET", url + "&pitfall=no-204", headers={"Last-Event-ID": "2"})
    assert (received.status, received.raw, received.messages) == (200, b": ok\n\n", [])


@pytest.mark.parametrize("pitfall", ["none", "no-cleanup"])
def test_no_cleanup_keeps_counting_a_left_stream_until_its_reply_would_end(server: Server, pitfall: str) -> None:
    before = server.wait_for_open_streams(0)
    assert before == 0
    # 30 characters at 100 ms: the reply would end 3 s after it starts.
    with server.connect() as sock:
        sock.sendall(f"GET /stream?prompt={'a' * 30}&model=echo&pitfall={pitfall} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        received = b""
        while b"id: 1\n" not in received:
            received += sock.recv(4096)
        assert server.open_streams() == 1
    if pitfall == "none":
        assert server.wait_for_open_streams(0, seconds=2.5) == 0  # gone at the next write, well before its end
    else:
        assert server.wait_for_open_streams(0, seconds=1.0) == 1  # the client left; the stream did not
        assert server.wait_for_open_streams(0, seconds=10) == 0  # and it ends when the reply would have


def test_split_arrives_in_pieces_on_a_real_server(server: Server) -> None:
    received = fetch("GET", f"{server.url}/stream?prompt=你好世界&model=echo&delay=20&split=on")
    assert text_of(received.messages) == "你好世界"
    cut_characters = 0
    for arrival in received.arrivals:
        try:
            arrival.raw.decode()
        except UnicodeDecodeError:
            cut_characters += 1
    assert cut_characters >= 2  # reads that end inside a character: a decoder must hold the rest
