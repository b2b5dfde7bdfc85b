"""Relay overhead: the same streams read directly (/stream) and through the relay (/relay, with
StreamLab as its own upstream); print a Markdown table.

    .venv/bin/python bench/relay.py            # N = 100, 500, 1000
    .venv/bin/python bench/relay.py -n 200

One gunicorn worker pinned to core 0 serves both the browser's streams and, for the relay, the
upstream streams it reads from itself; the load client runs on core 1 (bench/load.py). Each stream
is the benchmark's 50-character echo at 100 ms. A relayed event costs its direct stream, plus the
upstream stream it reads (OpenAI chunks, on the same worker), plus the relay's reading and parsing:
the difference in server CPU per event is what relaying to itself costs.
"""

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script: the project on the path
from bench.run import DIRECT, measure  # noqa: E402

PATHS = {"direct": DIRECT, "relay": DIRECT.replace("/stream?", "/relay?", 1)}


def row(path: str, r: dict[str, Any]) -> str:
    def ms(key: str, q: str) -> str:
        return f"{r[key][q]:.0f}" if r[key][q] is not None else "–"

    return (f"| {path} | {r['n']} | {r['completion']:.1%} | {ms('ttfb_ms', 'p50')} / {ms('ttfb_ms', 'p99')} "
            f"| {ms('gap_ms', 'p50')} / {ms('gap_ms', 'p99')} / {ms('gap_ms', 'max')} | {r['cpu_us_per_event']} "
            f"| {r['kb_per_stream']} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", default="100,500,1000", help="comma-separated stream counts")
    parser.add_argument("--ramp", type=float, default=1.0, help="seconds over which each run's connections open")
    args = parser.parse_args()
    machine = f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    print(f"{time.strftime('%Y-%m-%d')}, {machine}; one worker on core 0, client on core 1\n")
    print("| path | streams | exact | first byte p50 / p99 | gap p50 / p99 / max | CPU µs/event | KB/stream |\n"
          "|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as workdir:
        for n in [int(value) for value in args.n.split(",")]:
            cost = {}
            for name, path in PATHS.items():
                result = measure("streamlab", n, {0}, {1}, Path(workdir), args.ramp, path=path)
                cost[name] = float(result["cpu_us_per_event"])  # type: ignore[arg-type]
                print(row(name, result), flush=True)
            print(f"| relay overhead | {n} | | | | +{cost['relay'] - cost['direct']:.0f} | |", flush=True)


if __name__ == "__main__":
    main()
