"""The stream generator on a fake clock: exact frames, exact schedule, every mode and fault."""

import json
import tracemalloc
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from streamlab.conversation import Conversation
from streamlab.decoder import Message, decode
from streamlab.models import CHUNKERS, reply, split
from streamlab.options import StreamOptions
from streamlab.sse import PING
from streamlab.streams import FakeClock, duration, resume_point, stream
from tests.cases import normalise
from tests.wire import run, wire


def test_default_wire_bytes() -> None:
    assert wire("Hi") == b": ok\n\nid: 1\ndata: H\n\nid: 2\ndata: i\n\ndata: [DONE]\n\n"


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        pytest.param({"frame": "json"}, b'id: 1\ndata: {"content": "H"}\n\nid: 2\ndata: {"content": "i"}\n\ndata: [DONE]\n\n', id="json"),
        pytest.param({"ids": "off"}, b"data: H\n\ndata: i\n\ndata: [DONE]\n\n", id="ids-off"),
        pytest.param({"end": "close"}, b"id: 1\ndata: H\n\nid: 2\ndata: i\n\n", id="end-close"),
        pytest.param(
            {"end": "event"},
            b'id: 1\ndata: H\n\nid: 2\ndata: i\n\nevent: end\ndata: {"usage": {"prompt_chars": 2, '
            b'"prompt_chunks": 2, "reply_chars": 2, "reply_chunks": 2}}\n\n',
            id="end-event-carries-usage",
        ),
        pytest.param({"chunk": "word"}, b"id: 1\ndata: Hi\n\ndata: [DONE]\n\n", id="word"),
        pytest.param({"error_at": 2}, b"id: 1\ndata: H\n\nevent: error\ndata: simulated error at chunk 2\n\ndata: [DONE]\n\n", id="error-plain"),
        pytest.param(
            {"error_at": 1, "frame": "json", "end": "close"},
            b'event: error\ndata: {"error": {"message": "simulated error at chunk 1"}}\n\n',
            id="error-json",
        ),
    ],
)
def test_mode_wire_bytes(options: dict[str, Any], expected: bytes) -> None:
    assert wire("Hi", **options) == b": ok\n\n" + expected


def test_retry_is_sent_once_at_the_start() -> None:
    frames = [frame for _, frame in run("Hi", retry=2500)]
    assert frames[0] == b": ok\nretry: 2500\n\n"
    assert sum(b"retry:" in frame for frame in frames) == 1


def test_chunks_are_due_on_a_deadline_schedule() -> None:
    times = [at for at, _ in run("abcde", delay=100)]
    assert times == pytest.approx([0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.5])


def test_late_wake_ups_do_not_accumulate() -> None:
    """Every sleep overshoots by 13 ms, yet chunk 50 is due at 5.0 s, not 50 x 113 ms."""
    frames = run("x" * 50, clock=FakeClock(oversleep=0.013), delay=100)
    chunk_times = [at for at, frame in frames if frame.startswith(b"id:")]
    assert len(chunk_times) == 50
    for number, at in enumerate(chunk_times, start=1):
        assert number * 0.1 <= at <= number * 0.1 + 0.013 + 1e-9


def test_heartbeat_pings_while_idle_only() -> None:
    frames = run("ab", delay=1000, heartbeat=0.3)
    pings = [at for at, frame in frames if frame == PING]
    assert pings == pytest.approx([0.3, 0.6, 0.9, 1.3, 1.6, 1.9])
    assert not any(frame == PING for _, frame in run("abc", delay=100, heartbeat=0.3))


def test_stall_pauses_once_in_the_middle_with_heartbeats() -> None:
    frames = run("abcd", delay=100, stall=500, heartbeat=0.2)
    chunk_times = [at for at, frame in frames if frame.startswith(b"id:")]
    assert chunk_times == pytest.approx([0.1, 0.2, 0.8, 0.9])  # the stall comes before chunk 3
    assert [at for at, frame in frames if frame == PING] == pytest.approx([0.4, 0.6])


def test_drop_after_ends_each_connection_after_n_chunks() -> None:
    assert decode(wire("abcde", drop_after=2)) == [Message("a", last_event_id="1"), Message("b", last_event_id="2")]
    assert [m.data for m in decode(wire("abcde", resume=2, drop_after=2))] == ["c", "d"]
    assert [m.data for m in decode(wire("abcde", resume=4, drop_after=2))] == ["e", "[DONE]"]


def test_resume_continues_with_the_next_chunk() -> None:
    messages = decode(wire("abcde", resume=3))
    assert [(m.data, m.last_event_id) for m in messages] == [("d", "4"), ("e", "5"), ("[DONE]", "5")]


@pytest.mark.parametrize(
    ("header", "query", "point"),
    [
        pytest.param("3", None, 3, id="header"),
        pytest.param(None, "4", 4, id="query"),
        pytest.param("3", "4", 3, id="header-wins"),
        pytest.param("abc", "4", 0, id="malformed-header-starts-over"),
        pytest.param(None, "-1", 0, id="negative"),
        pytest.param(None, "1.5", 0, id="fraction"),
        pytest.param(None, "", 0, id="empty"),
        pytest.param(None, "9" * 20, 0, id="huge"),
        pytest.param(None, None, 0, id="none"),
    ],
)
def test_resume_point(header: str | None, query: str | None, point: int) -> None:
    assert resume_point(header, query) == point


def test_blocking_duration_is_the_streams() -> None:
    answer = reply(Conversation("x" * 50), "echo", "char")
    assert duration(answer, StreamOptions(delay=100, stall=700)) == pytest.approx(5.7)


@given(text=st.text(min_size=1), chunk=st.sampled_from(list(CHUNKERS)), resume=st.integers(0, 5))
def test_any_text_arrives_exactly_in_json_and_normalised_in_plain(text: str, chunk: str, resume: int) -> None:
    chunks = split(text, chunk)
    resume = min(resume, len(chunks) - 1)
    expected = "".join(chunks[resume:])
    json_messages = decode(wire(text, resume, chunk=chunk, frame="json", end="close", delay=0))
    assert "".join(json.loads(m.data)["content"] for m in json_messages) == expected
    plain_messages = decode(wire(text, resume, chunk=chunk, end="close", delay=0))
    assert "".join(m.data for m in plain_messages) == normalise(expected)
    assert [m.last_event_id for m in plain_messages] == [str(n) for n in range(resume + 1, len(chunks) + 1)]


def test_stopping_ends_the_response_at_the_next_tick_without_an_end_signal() -> None:
    clock = FakeClock()
    answer = reply(Conversation("abcdef"), "echo", "char")
    frames = stream(answer, StreamOptions(model="echo"), 0, clock, stopping=lambda: clock.time > 0.25)
    assert [m.data for m in decode(b"".join(frames))] == ["a", "b"]  # no [DONE]: the client resumes elsewhere


class CountingClock(FakeClock):
    """A fake clock that counts its sleeps: each one is a moment other greenlets may run."""

    def __init__(self, oversleep: float) -> None:
        super().__init__(oversleep)
        self.sleeps = 0

    def sleep(self, seconds: float) -> None:
        self.sleeps += 1
        super().sleep(seconds)


@pytest.mark.parametrize(
    ("options", "late"),
    [
        pytest.param({"delay": 0}, 0.0, id="delay-0"),
        pytest.param({"delay": 0, "heartbeat": 1.0}, 0.0, id="delay-0-heartbeat"),
        pytest.param({"delay": 10}, 0.05, id="running-late"),
        pytest.param({"delay": 10, "heartbeat": 1.0}, 0.05, id="running-late-heartbeat"),
    ],
)
def test_a_stream_lets_others_run_before_every_event(options: dict[str, Any], late: float) -> None:
    """delay=0 once sent 4,000 events without a pause, and every classmate's stream on the worker waited."""
    clock = CountingClock(late)
    events = [frame for _, frame in run("x" * 200, clock=clock, **options)]
    assert len(events) == 1 + 200 + 1  # : ok, the chunks, [DONE]
    assert clock.sleeps >= 200


@pytest.mark.parametrize("text", ["a" * 4000, "你" * 4000, "🙂" * 4000])
def test_an_open_stream_of_the_longest_reply_stays_small(text: str) -> None:
    """The reply is held as text and cut as it is sent: no tuple of 4,000 strings per stream."""
    tracemalloc.start()
    try:
        before = tracemalloc.take_snapshot()
        answer = reply(Conversation(text), "echo", "char")
        frames = stream(answer, StreamOptions(model="echo", delay=0), 0, FakeClock())
        next(frames), next(frames)  # open, mid-reply
        held = sum(stat.size_diff for stat in tracemalloc.take_snapshot().compare_to(before, "filename"))
    finally:
        tracemalloc.stop()
    assert held < 64 * 1024


class CountingFraming:
    """The smallest framing that is not SSE: one line per part, so a test can read what stream() chose."""

    def opening(self) -> bytes:
        return b"open\n"

    def chunk(self, text: str, number: int) -> bytes:
        return f"{number}={text}\n".encode()

    def error(self, message: str, number: int) -> bytes:
        return f"error {number}: {message}\n".encode()

    def closing(self, usage: dict[str, int], failed: bool) -> bytes:
        return f"{'failed' if failed else 'end'} {usage['reply_chunks']}\n".encode()

    def ping(self) -> bytes:
        return b"ping\n"

    def drop(self) -> None:
        return None


@pytest.mark.parametrize(
    ("options", "resume", "expected", "seconds"),
    [
        pytest.param({}, 0, b"open\n1=a\n2=b\n3=c\nend 3\n", 0.3, id="whole"),
        pytest.param({}, 1, b"open\n2=b\n3=c\nend 3\n", 0.2, id="resumed"),
        pytest.param({"drop_after": 1}, 0, b"open\n1=a\n", 0.1, id="dropped"),
        pytest.param({"error_at": 2}, 0, b"open\n1=a\nerror 2: simulated error at chunk 2\nfailed 3\n", 0.2, id="error"),
        pytest.param({"stall": 500}, 0, b"open\n1=a\n2=b\n3=c\nend 3\n", 0.8, id="stall"),
        pytest.param({"heartbeat": 0.06}, 0, b"open\nping\n1=a\nping\n2=b\nping\n3=c\nend 3\n", 0.3, id="its-own-ping"),
    ],
)
def test_any_framing_gets_the_same_pacing_resume_and_faults(
    options: dict[str, Any], resume: int, expected: bytes, seconds: float
) -> None:
    clock = FakeClock()
    answer = reply(Conversation("abc"), "echo", "char")
    frames = stream(answer, StreamOptions(model="echo", **options), resume, clock, framing=CountingFraming())
    assert b"".join(frames) == expected
    assert clock.now() == pytest.approx(seconds)
