"""Lesson 03: write Server-Sent Events by hand. Check your work with:  flask lesson check 03

Each function returns the text a server writes on the wire. Read README.md first.
"""


def event(data: str, id: str | None = None, name: str | None = None) -> str:
    """One event carrying data."""
    # TODO task 1: "data: " and the text, then the blank line that ends the event.
    # TODO task 2: text with line breaks: one "data: " line per line of the text.
    # TODO task 3: an "event: NAME" line when name is given, an "id: ID" line when id is given.
    return f"data: {data}"


def comment(text: str) -> str:
    """A comment, which clients ignore."""
    # TODO task 4: a line that starts with ":", ended like an event.
    return ""


def retry(milliseconds: int) -> str:
    """How long the client should wait before it reconnects."""
    # TODO task 4: a "retry: " line, ended like an event.
    return ""
