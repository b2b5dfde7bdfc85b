"""The pitfall lab: classic server mistakes, each made on purpose so a class can see it and fix it.

A pitfall is one row of PITFALLS: it swaps the framing's encoder for a mistaken one (the code a
tutorial shows, next to the correct line in sse.py), holds the frames back, or changes what the
server does around the stream. Everything else (pacing, resume, faults) is the correct core's, so
the same request with `pitfall=none` is exact. Catalogue: ../shared/research/anchors-lessons.md §4.
"""

import re
from collections.abc import Callable, Generator
from dataclasses import dataclass, replace
from typing import TypeVar

from streamlab.frames import Encoder, SSEFraming
from streamlab.sse import Event, encode

Frames = Generator[bytes, None, None]
T = TypeVar("T")


def without_blank_line(event: Event) -> bytes:
    """Each event ends with one newline, not two (`f"data: {text}\\n"`): no event is ever dispatched."""
    return encode(event).removesuffix(b"\n")


def raw_newlines(event: Event) -> bytes:
    """The text goes after one `data: ` as it is (`f"data: {text}\\n\\n"`): a line break in it starts a
    line the client reads as an unknown field and ignores, or as the blank line that ends the event."""
    if event.data is None:
        return encode(event)
    fields = encode(replace(event, data="")).removesuffix(b"\n\n")  # every field, then "data: "
    return fields + event.data.encode() + b"\n\n"


DATA_LINE = re.compile(rb"^data: ", re.MULTILINE)


def no_space(event: Event) -> bytes:
    """`data:` + the text, no space (`f"data:{text}\\n\\n"`): the client removes one leading space,
    which is now the text's own, so a chunk " world" arrives as "world" and " " as ""."""
    return DATA_LINE.sub(b"data:", encode(event))


def end_without_data(usage: dict[str, int]) -> Event:
    """`event: end` alone: an event with no data line is never dispatched, so no listener hears it."""
    return Event(event="end")


def same(value: T) -> T:
    return value


def held_back(frames: Frames) -> Frames:
    """Send the opening at once, then nothing until the reply is complete: all of it in one write,
    as nginx with `proxy_buffering on` or a gzip middleware does. The client leaving is only
    noticed at the end, as behind such a proxy."""
    try:
        yield next(frames)
        yield b"".join(frames)
    except StopIteration:
        return
    finally:
        frames.close()


@dataclass(frozen=True)
class Pitfall:
    """One mistake: what it does to the framing, to the frames, and to the server around them."""

    framing: Callable[[SSEFraming], SSEFraming] = same
    frames: Callable[[Frames], Frames] = same
    cleans_up: bool = True  # the stream stops when the client leaves
    stops_finished: bool = True  # a resume past the end is answered 204, so EventSource stops
    symptom: str = ""


def encoded_by(write: Callable[[Event], bytes]) -> Callable[[SSEFraming], SSEFraming]:
    """The framing, but with every event written by write."""
    return lambda framing: replace(framing, encoder=Encoder.of(write))


PITFALLS: dict[str, Pitfall] = {
    "none": Pitfall(),
    "no-blank-line": Pitfall(
        framing=encoded_by(without_blank_line),
        symptom="bytes arrive, but not one event: nothing appears"),
    "raw-newlines": Pitfall(
        framing=encoded_by(raw_newlines),
        symptom="line breaks vanish: the lines run together"),
    "no-space": Pitfall(
        framing=encoded_by(no_space),
        symptom="spaces vanish: words run together"),
    "end-without-data": Pitfall(
        framing=lambda framing: replace(framing, end=end_without_data),
        symptom="the end event never fires: the client waits, then reconnects"),
    "buffered": Pitfall(
        frames=held_back,
        symptom="nothing for the whole reply, then all of it at once"),
    "no-cleanup": Pitfall(
        cleans_up=False,
        symptom="after the client leaves, open_streams still counts the stream until its reply would have ended"),
    "no-204": Pitfall(
        stops_finished=False,
        symptom="a finished stream's reconnect gets 200 and an empty stream: EventSource reconnects forever"),
}
