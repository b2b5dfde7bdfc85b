"""Measure the server memory each open stream holds, for short and for the longest prompts.

    .venv/bin/python bench/memory.py            # 400 streams per case
    .venv/bin/python bench/memory.py -n 1000

Each case starts a fresh gunicorn with one gevent worker (gunicorn.conf.py otherwise), warms it
up, then opens N `echo` streams by POST (the longest Chinese prompt does not fit a GET URL) and
holds them open, mid-reply. The figure is the worker's resident
memory while they are open, less its memory before, divided by N. Memory is read from /proc.
"""

import argparse
import json
import os
import platform
import socket
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script: the project on the path
from bench.load import TEXT  # noqa: E402
from bench.run import ROOT, free_port, rss_bytes, server  # noqa: E402

CHINESE = "流式输出让回答一个字一个字地出现，学生不必等到整段写完才看到第一个字。"
CASES = {
    "short ASCII (50 characters)": TEXT,
    "short Chinese (50 characters)": (CHINESE * 2)[:50],
    "longest ASCII (4,000 characters)": (TEXT * 80)[:4000],
    "longest Chinese (4,000 characters)": (CHINESE * 120)[:4000],
    "longest emoji (4,000 characters)": "🙂👍🏽🎉" * 1000,  # 👍🏽 is two code points
}


def open_stream(port: int, prompt: str) -> socket.socket:
    """POST a chat request and read its opening comment; leave the stream open for minutes."""
    delay = max(100, 120_000 // len(prompt))  # long enough to outlast the measurement
    body = json.dumps({"message": prompt, "model": "echo", "delay": delay}, ensure_ascii=False).encode()
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    sock.sendall(b"POST /api/chat HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
                 b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
    received = b""
    while b": ok\n\n" not in received:
        if not (data := sock.recv(65536)) or not (received := received + data).startswith(b"HTTP/1.1 200"):
            raise RuntimeError(f"the stream did not open: {received[:300]!r}")
    return sock


def open_streams(port: int) -> int:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")
        response = b""
        while data := sock.recv(65536):
            response += data
    return int(json.loads(response.partition(b"\r\n\r\n")[2])["open_streams"])


def hold(port: int, prompt: str, n: int) -> list[socket.socket]:
    sockets = [open_stream(port, prompt) for _ in range(n)]
    while open_streams(port) != n:
        time.sleep(0.05)
    return sockets


def release(port: int, sockets: list[socket.socket]) -> None:
    for sock in sockets:
        sock.close()
    while open_streams(port) != 0:
        time.sleep(0.05)


def measure(prompt: str, n: int) -> float:
    """Return the KB of worker memory per open stream of this prompt."""
    port = free_port()
    env = {**os.environ, "GUNICORN_CMD_ARGS": f"--bind 127.0.0.1:{port} --workers 1"}
    with server([sys.executable, "-m", "gunicorn"], ROOT, env, {0}, port) as pids:
        # Warm up with a few: first-use allocations are not per stream. (Not with many: the measured
        # streams would reuse their freed memory, and -n 20 would read as a few KB a stream.)
        release(port, hold(port, prompt, 5))
        time.sleep(0.5)
        idle = rss_bytes(pids[1:])
        sockets = hold(port, prompt, n)
        time.sleep(0.5)
        held = rss_bytes(pids[1:])
        release(port, sockets)
    return float(held - idle) / n / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=400, help="streams held open per case")
    args = parser.parse_args()
    machine = f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    print(f"{time.strftime('%Y-%m-%d')}, {machine}; one gunicorn worker, {args.n} streams per case\n")
    print("| prompt | KB per open stream |\n|---|---|")
    for name, prompt in CASES.items():
        print(f"| {name} | {measure(prompt, args.n):.0f} |", flush=True)


if __name__ == "__main__":
    main()
