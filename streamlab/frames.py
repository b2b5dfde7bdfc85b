"""How a stream looks on the wire: what opens it, each chunk, an error, and what ends it.

A Framing is that whole look, and stream() takes one: StreamLab's own lesson modes are one kind
(SSEFraming, built from the tables below), and other framings (pitfalls, provider formats) are
other kinds beside it, each reusing the same pacing, resume, heartbeats and faults.

Modes are data: each table below maps an option value to what it does, and options.py
builds its list of valid values (and its 400 messages) from these same tables.
"""

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

    def error(self, message: str) -> bytes:
        """A failure in the middle of the stream, sent in place of a chunk."""
        ...

    def closing(self, usage: dict[str, int]) -> bytes:
        """What says the reply is complete (may be nothing at all)."""
        ...


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
    """StreamLab's own frames: a payload (plain or json), an end signal, ids on or off, a retry."""

    payload: Payload
    end: Callable[[dict[str, int]], Event | None]
    ids: bool
    retry: int | None = None

    def opening(self) -> bytes:
        # A comment, so the client sees the 200 and its headers without waiting a delay.
        return encode(Event(comment="ok", retry=self.retry))

    def chunk(self, text: str, number: int) -> bytes:
        # id N = chunks delivered so far, so Last-Event-ID: N resumes with chunk N + 1
        return data_frame(self.payload.content(text), str(number) if self.ids else None)

    def error(self, message: str) -> bytes:
        return encode(Event(event="error", data=self.payload.error(message)))

    def closing(self, usage: dict[str, int]) -> bytes:
        end = self.end(usage)
        return b"" if end is None else encode(end)


def sse_framing(frame: str, end: str, ids: str, retry: int | None = None) -> SSEFraming:
    """Look each lesson mode up in its table."""
    return SSEFraming(FRAMES[frame], END_SIGNALS[end], IDS[ids], retry)
