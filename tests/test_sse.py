"""The encoder against the WHATWG spec's rules and examples, checked by two independent parsers."""

import json
from pathlib import Path

import httpx
import httpx_sse
import pytest
from hypothesis import given
from hypothesis import strategies as st

from streamlab.decoder import Decoder, Message, decode
from streamlab.frames import FRAMES
from streamlab.sse import PING, Event, data_frame, encode
from tests.cases import normalise


def parse_with_httpx_sse(wire: bytes, pieces: int = 1) -> list[httpx_sse.ServerSentEvent]:
    """Parse wire bytes with httpx-sse, delivered in the given number of pieces."""
    step = max(1, len(wire) // pieces)
    chunks = [wire[i:i + step] for i in range(0, len(wire), step)]
    response = httpx.Response(200, headers={"content-type": "text/event-stream"}, content=iter(chunks))
    # httpx-sse also yields blocks without data (our `: ok` opener); a browser dispatches none.
    return [event for event in httpx_sse.EventSource(response).iter_sse() if event.data or event.event]


@pytest.mark.parametrize(
    ("event", "wire"),
    [
        pytest.param(Event(data="YHOO\n+2\n10"), b"data: YHOO\ndata: +2\ndata: 10\n\n", id="spec-multiline"),
        pytest.param(Event(data=" leading"), b"data:  leading\n\n", id="leading-space-kept"),
        pytest.param(Event(data=""), b"data: \n\n", id="empty-data"),
        pytest.param(Event(data="a\r\nb\rc\nd"), b"data: a\ndata: b\ndata: c\ndata: d\n\n", id="mixed-line-endings"),
        pytest.param(Event(data="x\u2028y\x85z"), "data: x\u2028y\x85z\n\n".encode(), id="unicode-separators-are-not-breaks"),
        pytest.param(Event(data="你好🙂"), "data: 你好🙂\n\n".encode(), id="utf-8"),
        pytest.param(Event(event="end", data="{}"), b"event: end\ndata: {}\n\n", id="named-event"),
        pytest.param(Event(data="a", id="7"), b"id: 7\ndata: a\n\n", id="id"),
        pytest.param(Event(comment="ok", retry=3000), b": ok\nretry: 3000\n\n", id="comment-and-retry"),
        pytest.param(Event(comment="two\nlines"), b": two\n: lines\n\n", id="multiline-comment"),
    ],
)
def test_encode(event: Event, wire: bytes) -> None:
    assert encode(event) == wire


def test_ping_is_a_comment() -> None:
    assert PING == b": ping\n\n"
    assert decode(PING) == []


@pytest.mark.parametrize("field", ["event", "id"])
@pytest.mark.parametrize("value", ["a\nb", "a\rb", "a\r\nb"])
def test_line_break_in_event_or_id_is_refused(field: str, value: str) -> None:
    with pytest.raises(ValueError, match="line break"):
        Event(data="x", **{field: value})  # type: ignore[arg-type]


def test_nul_in_id_is_refused() -> None:
    with pytest.raises(ValueError, match="NULL"):
        Event(data="x", id="a\0b")


# The spec's own examples and more, shared with the browser parser's tests (tests/js/).
# https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation
CASES = json.loads((Path(__file__).parent / "sse_cases.json").read_text(encoding="utf-8"))
DECODER_CASES = [
    pytest.param(case["wire"].encode(), [Message(e["data"], e["type"], e["lastEventId"]) for e in case["events"]], id=case["name"])
    for case in CASES
]


@pytest.mark.parametrize(("wire", "messages"), DECODER_CASES)
def test_decoder_replays_the_shared_cases(wire: bytes, messages: list[Message]) -> None:
    assert decode(wire) == messages


@pytest.mark.parametrize(("wire", "messages"), DECODER_CASES)
def test_decoder_gives_the_same_events_for_any_split(wire: bytes, messages: list[Message]) -> None:
    for cut in range(len(wire) + 1):
        decoder = Decoder()
        assert decoder.feed(wire[:cut]) + decoder.feed(wire[cut:]) == messages


def test_decoder_keeps_a_character_split_across_reads() -> None:
    wire = encode(Event(data="你好🙂"))
    decoder = Decoder()
    messages = [message for byte in wire for message in decoder.feed(bytes([byte]))]
    assert messages == [Message("你好🙂")]


@given(text=st.text(), pieces=st.integers(1, 7))
def test_plain_frame_survives_both_parsers_with_line_breaks_normalised(text: str, pieces: int) -> None:
    wire = encode(Event(data=FRAMES["plain"].content(text), id="1"))
    assert decode(wire) == [Message(normalise(text), last_event_id="1")]
    [event] = parse_with_httpx_sse(wire, pieces)
    assert (event.data, event.id) == (normalise(text), "1")


@given(text=st.text(), pieces=st.integers(1, 7))
def test_json_frame_carries_any_text_exactly(text: str, pieces: int) -> None:
    wire = encode(Event(data=FRAMES["json"].content(text)))
    [message] = decode(wire)
    assert json.loads(message.data) == {"content": text}
    [event] = parse_with_httpx_sse(wire, pieces)
    assert json.loads(event.data) == {"content": text}


@given(text=st.text(), event_id=st.none() | st.from_regex(r"[0-9]{1,6}", fullmatch=True))
def test_the_fast_data_frame_is_exactly_the_general_encoding(text: str, event_id: str | None) -> None:
    assert data_frame(text, event_id) == encode(Event(data=text, id=event_id))


def test_an_id_only_becomes_the_resume_point_at_the_blank_line_that_ends_its_event() -> None:
    decoder = Decoder()
    decoder.feed(b"id: 1\ndata: a\n\nid: 2\ndata: b\n")
    assert decoder.last_event_id == "1"  # event 2 never ended: a reconnect must resume after 1
    assert decoder.feed(b"\nid: 3\n\n") == [Message("b", last_event_id="2")]
    assert decoder.last_event_id == "3"  # an event with no data still sets it (and dispatches nothing)
