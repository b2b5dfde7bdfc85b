"""Streams on a fake clock, for tests and graders: the exact bytes a request's options put on the wire."""

from typing import Any

from streamlab.conversation import Conversation
from streamlab.models import reply
from streamlab.options import StreamOptions
from streamlab.streams import FakeClock, stream


def run(text: str, resume: int = 0, clock: FakeClock | None = None, **options: Any) -> list[tuple[float, bytes]]:
    """Stream an echo of text; return each write with the clock time it was made at."""
    clock = clock or FakeClock()
    opts = StreamOptions(model="echo", **options)
    answer = reply(Conversation(text), opts.model, opts.chunk)
    return [(clock.now(), frame) for frame in stream(answer, opts, resume, clock)]


def wire(text: str, resume: int = 0, **options: Any) -> bytes:
    """The whole body of an echo of text."""
    return b"".join(frame for _, frame in run(text, resume, **options))
