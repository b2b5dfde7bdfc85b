"""Read an event stream the way a browser does: bytes in, events out, any split of the input.

Spec: https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation
"""

import codecs
from collections.abc import Iterator
from dataclasses import dataclass

from streamlab.sse import LINE_BREAK


@dataclass(frozen=True)
class Message:
    """One dispatched event, as EventSource hands it to a listener."""

    data: str
    event: str = "message"
    last_event_id: str = ""


class Decoder:
    """Incremental parser: feed() any bytes, get back the events they complete."""

    def __init__(self) -> None:
        # "Streams must be decoded using the UTF-8 decode algorithm": an incremental decoder
        # keeps a character split across two reads whole (the `stream: true` of TextDecoder).
        self._utf8 = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._buffer = ""
        self._after_cr = False
        self._data: list[str] = []
        self._event = ""
        self._started = False
        self._id = ""  # the spec's "last event ID buffer": set by an id: line, committed at the blank line
        self.last_event_id = ""  # what a reconnect sends as Last-Event-ID
        self.retry: int | None = None
        self.comments: list[str] = []

    def feed(self, chunk: bytes) -> list[Message]:
        """Parse more bytes and return the events they complete."""
        text = self._utf8.decode(chunk)
        if not self._started and text:
            # "One leading U+FEFF BYTE ORDER MARK character must be ignored if any are present."
            self._started = True
            text = text.removeprefix("\ufeff")
        return [message for line in self._lines(text) if (message := self._line(line))]

    def _lines(self, text: str) -> Iterator[str]:
        """Yield the lines text completes; keep the unfinished rest for the next read."""
        if not text:  # nothing new (a read that ended inside a character): keep every state as it is
            return
        if self._after_cr:  # the last read ended with a CR: an LF now is the rest of that CRLF pair
            self._after_cr = False
            text = text.removeprefix("\n")
        *lines, self._buffer = LINE_BREAK.split(self._buffer + text)
        self._after_cr = text.endswith("\r")
        yield from lines

    def _line(self, line: str) -> Message | None:
        if line == "":
            return self._dispatch()
        if line.startswith(":"):
            self.comments.append(line[1:].removeprefix(" "))
            return None
        name, colon, value = line.partition(":")
        if colon:
            value = value.removeprefix(" ")  # only one leading space is removed
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        elif name == "id" and "\0" not in value:
            self._id = value
        elif name == "retry" and value.isascii() and value.isdigit():
            self.retry = int(value)
        return None  # any other field is ignored

    def _dispatch(self) -> Message | None:
        # "Set the last event ID string of the event source to the value of the last event ID buffer",
        # at every blank line: an event that never ends never moves the resume point.
        self.last_event_id = self._id
        data, event = self._data, self._event or "message"
        self._data, self._event = [], ""
        if not data:  # "If the data buffer is an empty string ... return": no event fires
            return None
        return Message("\n".join(data), event, self.last_event_id)


def decode(stream: bytes) -> list[Message]:
    """Parse a whole stream at once; an unfinished last event is discarded, as the spec says."""
    return Decoder().feed(stream)
