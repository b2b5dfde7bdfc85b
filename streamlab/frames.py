"""How a stream looks on the wire: what opens it, each chunk, an error, and what ends it.

A Framing is that whole look, and stream() takes one: StreamLab's own lesson modes are one kind
(SSEFraming, built from the tables below), and other framings (pitfalls, provider formats) are
other kinds beside it, each reusing the same pacing, resume, heartbeats and faults.

Modes are data: each table below maps an option value to what it does, and options.py
builds its list of valid values (and its 400 messages) from these same tables.
"""

import errno
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from streamlab.sse import Event, data_frame, encode


class Framing(Protocol):
    """The bytes of one stream's parts; stream() decides when each is sent."""

    def opening(self) -> bytes:
        """What is sent at once, before the first chunk is due."""
        ...

    def chunk(self, text: str, number: int) -> bytes:
        """Chunk `number` (1, 2, ...) of the reply: this is the hot path."""
        ...

    def error(self, message: str, number: int) -> bytes:
        """A failure in the middle of the stream, sent in place of chunk `number`."""
        ...

    def closing(self, usage: dict[str, int], failed: bool) -> bytes:
        """What ends the stream (may be nothing at all): the whole reply was sent, or it failed
        (an error frame was sent in place of a chunk)."""
        ...

    def ping(self) -> bytes:
        """A heartbeat, sent while the stream is idle (heartbeats on)."""
        ...

    def drop(self) -> None:
        """The fault drop_after: return to end the body early but cleanly, or raise Dropped to cut it."""
        ...


class Dropped(ConnectionResetError):
    """Raised from a stream's body to cut the connection: both servers then close the socket without
    the body's last chunk (quietly: to them it is a connection reset), so the client sees a broken
    transfer, as when a network or a server dies mid-reply, not a reply that ended early."""

    def __init__(self) -> None:
        super().__init__(errno.ECONNRESET, "drop_after: the connection was cut on purpose")


def cut_connection() -> None:
    """drop_after as the API formats do it: an SDK must raise, not return half a reply as if whole."""
    raise Dropped()


@dataclass(frozen=True)
class Encoder:
    """How an event becomes bytes: any event, and (the hot path) a data event with an optional id."""

    event: Callable[[Event], bytes]
    data: Callable[[str, str | None], bytes]

    @classmethod
    def of(cls, write: Callable[[Event], bytes]) -> "Encoder":
        """An encoder that writes every event, data events included, with write."""
        return cls(event=write, data=lambda data, event_id: write(Event(data=data, id=event_id)))


SSE = Encoder(event=encode, data=data_frame)  # the correct one, with its fast path


def with_newline(encoder: Encoder, newline: bytes) -> Encoder:
    """The same events with other line endings. The encoder writes every line break as LF and keeps
    none inside a value (data is split into lines, event and id refuse them), so replacing LF is exact."""
    if newline == b"\n":
        return encoder
    return Encoder(event=lambda event: encoder.event(event).replace(b"\n", newline),
                   data=lambda data, event_id: encoder.data(data, event_id).replace(b"\n", newline))


# "Lines must be separated by either a CRLF pair, a single LF, or a single CR": all three are
# correct, and a client that only splits on "\n\n" fails on the other two.
NEWLINES: dict[str, bytes] = {"lf": b"\n", "crlf": b"\r\n", "cr": b"\r"}


def to_json(value: object) -> str:
    """Serialise as one line, keeping Chinese and emoji readable on the wire."""
    return json.dumps(value, ensure_ascii=False)


@dataclass(frozen=True)
class Payload:
    """What goes in the data field for a chunk of text and for an error message."""

    content: Callable[[str], str]
    error: Callable[[str], str]


FRAMES: dict[str, Payload] = {
    # The text itself. A client joins data lines with LF, so a CR or CRLF arrives as LF:
    # plain frames cannot carry a carriage return. That is a lesson, not a bug.
    "plain": Payload(content=lambda text: text, error=lambda message: message),
    # JSON escapes every line break, so the text arrives exactly, spaces and CRs included.
    "json": Payload(content=lambda text: to_json({"content": text}),
                    error=lambda message: to_json({"error": {"message": message}})),
}

# How a finished reply says so. None means: say nothing and close the connection.
END_SIGNALS: dict[str, Callable[[dict[str, int]], Event | None]] = {
    "sentinel": lambda usage: Event(data="[DONE]"),
    # An event with no data line is never dispatched to a listener, so `end` carries the usage.
    "event": lambda usage: Event(event="end", data=to_json({"usage": usage})),
    "close": lambda usage: None,
}

IDS: dict[str, bool] = {"on": True, "off": False}


@dataclass(frozen=True)
class SSEFraming:
    """StreamLab's own frames: a payload (plain or json), an end signal, ids on or off, a retry,
    written by an encoder (the correct one, unless a pitfall swaps in a mistaken one)."""

    payload: Payload
    end: Callable[[dict[str, int]], Event | None]
    ids: bool
    retry: int | None = None
    encoder: Encoder = SSE

    def opening(self) -> bytes:
        # A comment, so the client sees the 200 and its headers without waiting a delay.
        return self.encoder.event(Event(comment="ok", retry=self.retry))

    def chunk(self, text: str, number: int) -> bytes:
        # id N = chunks delivered so far, so Last-Event-ID: N resumes with chunk N + 1
        return self.encoder.data(self.payload.content(text), str(number) if self.ids else None)

    def error(self, message: str, number: int) -> bytes:
        return self.encoder.event(Event(event="error", data=self.payload.error(message)))

    def closing(self, usage: dict[str, int], failed: bool) -> bytes:
        end = self.end(usage)  # after an error frame too: the client stops waiting either way
        return b"" if end is None else self.encoder.event(end)

    def ping(self) -> bytes:
        return self.encoder.event(Event(comment="ping"))

    def drop(self) -> None:
        # The body ends cleanly without its end signal: EventSource reconnects, a fetch client sees
        # the end of the body and can tell, by the missing end signal, that the reply was cut.
        return None


def sse_framing(frame: str, end: str, ids: str, retry: int | None = None) -> SSEFraming:
    """Look each lesson mode up in its table."""
    return SSEFraming(FRAMES[frame], END_SIGNALS[end], IDS[ids], retry)
