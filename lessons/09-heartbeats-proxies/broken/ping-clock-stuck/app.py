"""A stream that stays alive while the model thinks: a `: ping` comment whenever nothing was sent
for `heartbeat` seconds, and headers that keep proxies from holding the events back.

Run it:  flask --app app.py run --port 5001
Try it:  curl -N "http://127.0.0.1:5001/stream?text=Hi%20there&think=3&heartbeat=1"
"""

# Known-bad (lesson 09): forgets last_sent = clock.now() after yielding PING, so the next ping is
# already due: the loop pings forever without the clock moving on. The fix: set it after every yield.

import re
import time
from collections.abc import Iterator
from typing import Protocol

from flask import Flask, Response, current_app, request

PING = ": ping\n\n"  # a comment: clients ignore it; proxies and load balancers see bytes moving
SSE_HEADERS = {
    "Cache-Control": "no-cache",  # no cache may keep or replay the stream
    "X-Accel-Buffering": "no",  # nginx passes each event on at once, instead of filling its buffer first
}


class Clock(Protocol):
    """Where the stream reads the time and waits."""

    def now(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class RealClock:
    def now(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


app = Flask(__name__)
app.config["CLOCK"] = RealClock()  # the grader puts a fake clock here, so a 40 s silence takes no time


@app.get("/stream")
def stream() -> Response | tuple[dict[str, object], int]:
    """Stream the words of ?text= after ?think= seconds, one every ?delay=, pinging every ?heartbeat=."""
    try:
        think, delay = float(request.args.get("think", 0)), float(request.args.get("delay", 0.1))
        heartbeat = float(request.args.get("heartbeat", 15)) or None  # 0 turns the heartbeat off
    except ValueError:
        return {"error": {"message": "think, delay and heartbeat are numbers of seconds"}}, 400
    chunks = schedule(request.args.get("text", "Hello!"), think, delay)
    clock = current_app.config["CLOCK"]
    return Response(events(chunks, heartbeat, clock), mimetype="text/event-stream", headers=SSE_HEADERS)


def schedule(text: str, think: float, delay: float) -> list[tuple[float, str]]:
    """When each word of text is ready, in seconds after the start: a model that thinks, then types."""
    return [(think + number * delay, word) for number, word in enumerate(re.findall(r"\s*\S+\s*", text))]


def event(text: str) -> str:
    """One event: a data: line per line of text, then the blank line (lesson 03)."""
    return "".join(f"data: {line}\n" for line in re.split(r"\r\n|\r|\n", text)) + "\n"


def events(chunks: list[tuple[float, str]], heartbeat: float | None, clock: Clock) -> Iterator[str]:
    """Yield each chunk as an event when it is due, a ping whenever nothing was sent for heartbeat s, then [DONE]."""
    start = last_sent = clock.now()
    for due, text in chunks:
        # The next ping is due a heartbeat after the last bytes sent: while that comes before the
        # chunk, the stream would go quiet for too long, so wait for it and ping.
        while heartbeat and last_sent + heartbeat < start + due:
            clock.sleep(max(0.0, last_sent + heartbeat - clock.now()))
            yield PING  # the mistake: last_sent stays where it was, so the next ping is due at once
        clock.sleep(max(0.0, start + due - clock.now()))
        yield event(text)
        last_sent = clock.now()  # bytes just went out: no ping for a whole heartbeat
    yield event("[DONE]")
