"""Turn a reply into the bytes of an event stream, paced against a monotonic deadline.

Chunk k of a connection is due at start + k * delay: a late wake-up makes that one chunk
late, never the ones after it, so 50 chunks at 100 ms take 5.0 s, not 5 s plus drift.
"""

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Protocol

from streamlab.frames import NEWLINES, Framing, sse_framing, with_newline
from streamlab.models import Reply
from streamlab.options import StreamOptions
from streamlab.pitfalls import PITFALLS, Frames


class Clock(Protocol):
    """Where a stream reads the time and waits; tests pass one that never really sleeps."""

    def now(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class RealClock:
    """The monotonic clock, with time.sleep (which gevent makes cooperative)."""

    def now(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class FakeClock:
    """A clock that moves only when slept on, so tests and graders run a 100 ms stream at full speed."""

    def __init__(self, oversleep: float = 0.0) -> None:
        self.time = 0.0
        self.oversleep = oversleep  # seconds added to every sleep, like a busy machine

    def now(self) -> float:
        return self.time

    def sleep(self, seconds: float) -> None:
        self.time += seconds + self.oversleep


class Pacer:
    """Wait for each deadline in turn, sending `: ping` comments while the stream is idle."""

    def __init__(self, clock: Clock, heartbeat: float | None, ping: bytes = b"") -> None:
        self.clock = clock
        self.heartbeat = heartbeat
        self.ping = ping
        self.deadline = self.last_sent = clock.now()

    def sleep(self, seconds: float) -> None:
        """Move the deadline on by seconds and sleep until it (no heartbeats: the fast path).

        A deadline already past (delay=0, or a stream running late) still sleeps for 0 s: under
        gevent that is the one moment this greenlet lets the others run, so a fast stream can
        never hold the whole worker while it sends thousands of events.
        """
        self.deadline += seconds
        self.clock.sleep(max(0.0, self.deadline - self.clock.now()))

    def wait(self, seconds: float) -> Iterator[bytes]:
        """Move the deadline on by seconds and wait for it, yielding any pings due first (heartbeats on)."""
        assert self.heartbeat
        self.deadline += seconds
        while (now := self.clock.now()) < self.deadline:
            ping_at = self.last_sent + self.heartbeat
            if ping_at < self.deadline:
                self.clock.sleep(max(0.0, ping_at - now))
                yield self.ping
                self.sent()
            else:
                self.clock.sleep(self.deadline - now)
                return
        self.clock.sleep(0)  # already late: still let the others run (see sleep())

    def sent(self) -> None:
        """Note that bytes just went out, so no ping is needed for a while."""
        self.last_sent = self.clock.now()


def never() -> bool:
    """Never stop early: the default outside a server that can shut down."""
    return False


def framing_of(options: StreamOptions) -> Framing:
    """The framing a request's lesson modes ask for, with its pitfall (if any) and line endings."""
    framing = PITFALLS[options.pitfall].framing(sse_framing(options.frame, options.end, options.ids, options.retry))
    return replace(framing, encoder=with_newline(framing.encoder, NEWLINES[options.newline]))


SPLIT_GAP = 0.005  # seconds between the two pieces of a split event


def cut(frame: bytes) -> int:
    """Where to split a frame: just after the first byte of its first multi-byte UTF-8 character,
    so a decoder must wait for the rest; else in the middle."""
    for index, byte in enumerate(frame):
        if byte >= 0xC0:  # the lead byte of a 2-, 3- or 4-byte character
            return index + 1
    return len(frame) // 2


def split_each(frames: Frames, clock: Clock) -> Frames:
    """Write every frame in two pieces a few ms apart, as a network or proxy may deliver them."""
    try:
        for frame in frames:
            at = cut(frame)
            yield frame[:at]
            clock.sleep(SPLIT_GAP)
            yield frame[at:]
    finally:
        frames.close()


def whole(frames: Frames, clock: Clock) -> Frames:
    return frames


# Transport shaping: correct server behaviour that a client must handle.
SPLITS: dict[str, Callable[[Frames, Clock], Frames]] = {"off": whole, "on": split_each}


def stream(
    reply: Reply,
    options: StreamOptions,
    resume: int,
    clock: Clock,
    stopping: Callable[[], bool] = never,
    framing: Framing | None = None,
) -> Frames:
    """Yield the wire bytes of reply from chunk resume + 1 to the end, as the options shape them.

    The framing says what the bytes look like (by default, the one the options ask for), paced()
    says when each is sent, and the pitfall and `split` say how they are written.
    """
    return shaped(paced(reply, options, resume, clock, stopping, framing or framing_of(options)), options, clock)


def shaped(frames: Frames, options: StreamOptions, clock: Clock) -> Frames:
    """Write the frames as the pitfall (held back?) and `split` (in two pieces?) say."""
    return SPLITS[options.split](PITFALLS[options.pitfall].frames(frames), clock)


def paced(
    reply: Reply,
    options: StreamOptions,
    resume: int,
    clock: Clock,
    stopping: Callable[[], bool],
    framing: Framing,
) -> Frames:
    """Yield the framed parts of reply from chunk resume + 1 to the end, each when it is due.

    This is the one place for pacing, heartbeats, resume and the faults, for every framing.
    When stopping() turns true (the server is shutting down), the response ends at the next
    tick without an end signal, like a dropped connection: the client resumes elsewhere.
    """
    frame, last = framing.chunk, reply.count  # looked up once: the loop is the hot path
    stall_before = last // 2 + 1 if options.stall else None
    delay = options.delay / 1000
    pacer = Pacer(clock, options.heartbeat, framing.ping())
    yield framing.opening()
    sent, failed = 0, False
    for number, chunk in enumerate(reply.chunks(resume), start=resume + 1):
        if number == stall_before:
            pacer.deadline += options.stall / 1000  # type: ignore[operator]
        if options.heartbeat:
            yield from pacer.wait(delay)
            pacer.sent()
        else:
            pacer.sleep(delay)
        if stopping():
            return
        if number == options.error_at:
            yield framing.error(f"simulated error at chunk {number}", number)
            failed = True
            break
        yield frame(chunk, number)
        sent += 1
        if sent == options.drop_after and number < last:
            framing.drop()  # fault: end the response mid-reply, as a dropped connection would
            return
    if closing := framing.closing(reply.usage, failed):
        yield closing


def wait(seconds: float, clock: Clock, stopping: Callable[[], bool] = never, tick: float = 0.5) -> None:
    """Sleep for seconds on the clock, in ticks, ending early once stopping() turns true."""
    deadline = clock.now() + seconds
    while not stopping() and (left := deadline - clock.now()) > 0:
        clock.sleep(min(tick, left))


def duration(reply: Reply, options: StreamOptions) -> float:
    """Return how long the whole stream takes, in seconds (for the blocking comparison)."""
    return (reply.count * options.delay + (options.stall or 0)) / 1000


RESUME = re.compile(r"[0-9]{1,9}")


def resume_point(header: str | None, query: str | None) -> int:
    """Read Last-Event-ID (the header wins over the query); anything malformed means 0."""
    value = header if header is not None else query
    return int(value) if value is not None and RESUME.fullmatch(value) else 0
