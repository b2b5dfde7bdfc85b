"""How a chunk, an error and the end of a reply look in each lesson mode.

Modes are data: each table below maps an option value to what it does, and options.py
builds its list of valid values (and its 400 messages) from these same tables.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass

from streamlab.sse import Event


def to_json(value: object) -> str:
    """Serialise as one line, keeping Chinese and emoji readable on the wire."""
    return json.dumps(value, ensure_ascii=False)


@dataclass(frozen=True)
class Framing:
    """What goes in the data field for a chunk of text and for an error message."""

    content: Callable[[str], str]
    error: Callable[[str], str]


FRAMES: dict[str, Framing] = {
    # The text itself. A client joins data lines with LF, so a CR or CRLF arrives as LF:
    # plain frames cannot carry a carriage return. That is a lesson, not a bug.
    "plain": Framing(content=lambda text: text, error=lambda message: message),
    # JSON escapes every line break, so the text arrives exactly, spaces and CRs included.
    "json": Framing(content=lambda text: to_json({"content": text}),
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
