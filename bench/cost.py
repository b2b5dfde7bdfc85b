"""Where each server's CPU goes: its cost per request and per event; print a Markdown table.

    .venv/bin/python bench/cost.py             # 2,000 streams per run
    .venv/bin/python bench/cost.py -n 500 --lengths 1,100,200

A stream of k characters is one request (the connection, HTTP parsing, routing, headers, the
closing `[DONE]`, the close) and k events (a timer, a write, a send), so a server's CPU per stream
is a straight line in k: request + k * event. Each server streams replies of 1, 50 and 100
characters by default (every stream exact, or the run fails); the line fitted through them gives
the CPU of one request (where it meets k = 0) and of one event (its slope), each split into user
time (the server's own code and runtime) and kernel time (system calls, TCP). As in bench/run.py,
each server runs pinned to core 0 (StreamLab with one worker) and the load client (bench/load.py)
on core 1. Last, two parts of StreamLab's event measured alone: its own code (the stream
generator, on a clock that never sleeps), and gevent's sleep (a libev timer and two greenlet
switches) that waits for each event.
"""

import argparse
import os
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import gevent

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script: the project on the path
from bench.load import TEXT  # noqa: E402
from bench.run import measure  # noqa: E402
from streamlab.conversation import Conversation  # noqa: E402
from streamlab.models import reply  # noqa: E402
from streamlab.options import parse_options  # noqa: E402
from streamlab.streams import FakeClock, stream  # noqa: E402


def slope_and_intercept(points: list[tuple[float, float]]) -> tuple[float, float]:
    """The least-squares line through (x, y) points."""
    mean_x = sum(x for x, _ in points) / len(points)
    mean_y = sum(y for _, y in points) / len(points)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in points) / sum((x - mean_x) ** 2 for x, _ in points)
    return slope, mean_y - slope * mean_x


def generator_cost(events: int = 200_000) -> float:
    """Microseconds per event of StreamLab's stream generator (pacing, framing, chunking), best of three."""
    options = parse_options({})
    text = reply(Conversation("x" * events), "echo", options.chunk)
    times = []
    for _ in range(3):
        start = time.perf_counter()
        count = sum(1 for _ in stream(text, options, 0, FakeClock()))
        times.append((time.perf_counter() - start) / count * 1e6)
    return min(times)


def gevent_sleep_cost(greenlets: int = 2000, sleeps: int = 50) -> float:
    """Microseconds of CPU per gevent.sleep(20 ms), with that many greenlets sleeping at once."""

    def sleeper() -> None:
        for _ in range(sleeps):
            gevent.sleep(0.02)

    before = resource.getrusage(resource.RUSAGE_SELF)
    gevent.joinall([gevent.spawn(sleeper) for _ in range(greenlets)])
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return cpu / (greenlets * sleeps) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=2000, help="concurrent streams per run")
    parser.add_argument("--servers", default="streamlab,express")
    parser.add_argument("--lengths", default="1,50,100", help="comma-separated reply lengths, in characters")
    args = parser.parse_args()
    lengths = [int(value) for value in args.lengths.split(",")]
    if len(set(lengths)) < 2 or min(lengths) < 1:
        parser.error("--lengths needs at least two different lengths of 1 or more: a line needs two points")
    machine = f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    print(f"{time.strftime('%Y-%m-%d')}, {machine}; {args.n} streams of {', '.join(map(str, lengths))} characters; "
          "server on core 0, client on core 1\n")
    print("| server | request µs: all / user / kernel | event µs: all / user / kernel |\n|---|---|---|")
    with tempfile.TemporaryDirectory() as workdir:
        for name in args.servers.split(","):
            per_stream: dict[str, list[tuple[float, float]]] = {"all": [], "user": [], "kernel": []}
            for length in lengths:
                prompt = (TEXT * (length // len(TEXT) + 1))[:length]
                r = measure(name, args.n, {0}, {1}, Path(workdir), 1.0, "/stream?model=echo&prompt=" + quote(prompt), prompt)
                if r["completion"] != 1.0:
                    sys.exit(f"{name}: only {r['completion']:.1%} of the {length}-character streams arrived exact")
                user, kernel = float(r["server_user_s"]), float(r["server_system_s"])  # type: ignore[arg-type]
                for key, seconds in (("all", user + kernel), ("user", user), ("kernel", kernel)):
                    per_stream[key].append((length, seconds / args.n * 1e6))
            fits = {key: slope_and_intercept(points) for key, points in per_stream.items()}
            request = " / ".join(f"{fits[key][1]:.0f}" for key in ("all", "user", "kernel"))
            event = " / ".join(f"{fits[key][0]:.1f}" for key in ("all", "user", "kernel"))
            print(f"| {name} | {request} | {event} |", flush=True)
    print(f"\nStreamLab's stream generator alone: {generator_cost():.1f} µs per event")
    print(f"gevent's sleep alone: {gevent_sleep_cost():.1f} µs per event")


if __name__ == "__main__":
    main()
