"""The SSE wire format: one event value object and the one function that frames it.

Spec: https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation
"""

import re
from dataclasses import dataclass

# "Lines must be separated by either a U+000D CARRIAGE RETURN U+000A LINE FEED (CRLF) character
# pair, a single U+000A LINE FEED (LF) character, or a single U+000D CARRIAGE RETURN (CR)
# character." Only these three: str.splitlines() would also split on U+2028, U+0085 and more.
LINE_BREAK = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True, slots=True)
class Event:
    """One block of fields ended by a blank line; every field is optional."""

    data: str | None = None
    event: str | None = None
    id: str | None = None
    retry: int | None = None
    comment: str | None = None

    def __post_init__(self) -> None:
        # A line break inside `event:` or `id:` would start a new field: refuse it here,
        # so no caller can put one on the wire.
        for name in ("event", "id"):
            value = getattr(self, name)
            if value is not None and LINE_BREAK.search(value):
                raise ValueError(f"SSE {name} cannot contain a line break: {value!r}")
        # "If the field value does not contain U+0000 NULL, then set the last event ID buffer."
        if self.id is not None and "\0" in self.id:
            raise ValueError("SSE id cannot contain U+0000 NULL")
        if self.retry is not None and self.retry < 0:
            raise ValueError("SSE retry must be a whole number of milliseconds")


def encode(event: Event) -> bytes:
    """Frame one event as UTF-8 bytes, ending with the blank line that dispatches it."""
    lines = []
    if event.comment is not None:
        # A line starting with a colon is a comment: clients ignore it, proxies see traffic.
        lines += [f": {line}" for line in LINE_BREAK.split(event.comment)]
    if event.event is not None:
        lines.append(f"event: {event.event}")
    if event.id is not None:
        lines.append(f"id: {event.id}")
    if event.retry is not None:
        lines.append(f"retry: {event.retry}")
    if event.data is not None:
        # One `data:` line per line of the payload; the client joins them with LF. The space
        # after the colon is the one the client strips, so a payload's own leading space survives.
        lines += [f"data: {line}" for line in LINE_BREAK.split(event.data)]
    return ("\n".join(lines) + "\n\n").encode("utf-8")


def data_frame(data: str, event_id: str | None = None) -> bytes:
    """Frame a data event like encode(Event(data=..., id=...)), faster: this is the hot path."""
    if "\n" in data or "\r" in data:
        return encode(Event(data=data, id=event_id))
    if event_id is None:
        return f"data: {data}\n\n".encode()
    return f"id: {event_id}\ndata: {data}\n\n".encode()


PING = encode(Event(comment="ping"))
