"""Classroom scale, without timing anything: many streams, clean disconnects, limits, shutdown."""

import json
import os
import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest
from flask.testing import FlaskClient

from app import create_app
from bench import load
from bench.run import tree
from streamlab.decoder import Decoder
from streamlab.streams import FakeClock
from tests.servers import ROOT, Server, open_raw_stream, start_server


def test_300_concurrent_streams_all_arrive_exact(gunicorn_server: Server) -> None:
    """A smoke run of the benchmark's client: 300 streams of a 50-character echo at 100 ms."""
    port = str(gunicorn_server.port)
    command = [sys.executable, str(ROOT / "bench" / "load.py"), "--port", port, "-n", "300"]
    result = json.loads(subprocess.run(command, capture_output=True, text=True, check=True, timeout=120).stdout)
    assert (result["exact"], result["errors"]) == (300, {})
    assert result["events"] == 300 * len(load.TEXT) == 15_000


def test_open_streams_counts_every_worker(gunicorn_server: Server) -> None:
    master, *workers = tree(gunicorn_server.process.pid)  # the benchmark's own /proc lookup
    assert len(workers) == (os.cpu_count() or 1)  # one gevent worker per core
    sockets = [open_raw_stream(gunicorn_server, "delay=500") for _ in range(40)]
    try:
        assert gunicorn_server.wait_for_open_streams(40) == 40
        assert {gunicorn_server.open_streams() for _ in range(10)} == {40}  # whichever worker answers
    finally:
        for sock in sockets:
            sock.close()
    assert gunicorn_server.wait_for_open_streams(0) == 0


def test_100_dropped_clients_free_their_streams(server: Server) -> None:
    sockets = [open_raw_stream(server, "delay=100") for _ in range(100)]
    assert server.wait_for_open_streams(100) == 100
    for sock in sockets:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")  # close with RST
        sock.close()
    assert server.wait_for_open_streams(0) == 0


def test_a_stall_with_heartbeats_notices_a_client_that_left(server: Server) -> None:
    sock = open_raw_stream(server, "stall=20000&heartbeat=0.2&delay=10")
    time.sleep(0.3)
    sock.close()
    assert server.wait_for_open_streams(0) == 0  # a ping fails long before the 20 s stall ends


def test_above_the_cap_a_new_stream_gets_503_with_retry_after(clock: FakeClock) -> None:
    client = create_app({"TESTING": True, "STREAM_CLOCK": clock, "MAX_OPEN_STREAMS": 2}).test_client()
    first, second = (client.get("/stream?prompt=abc", buffered=False) for _ in range(2))
    third = client.get("/stream?prompt=abc")
    assert (third.status_code, third.headers["Retry-After"]) == (503, "5")
    assert third.json["error"]["message"] == "StreamLab is serving its limit of 2 streams; try again in a few seconds"
    first.close()
    assert client.get("/stream?prompt=abc").status_code == 200
    second.close()


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_stream_longer_than_the_limit_is_refused(client: FlaskClient, method: str) -> None:
    prompt, options = "x" * 1000, {"model": "echo", "delay": 1000}  # 1000 s, over the 600 s default
    if method == "GET":
        response = client.get("/stream", query_string={"prompt": prompt, **options})
    else:
        response = client.post("/api/chat", json={"message": prompt, **options, "stream": False})
    assert response.status_code == 400
    assert response.json["error"] == {"field": "delay", "message": "this reply has 1000 chunks and would take 1000 s at this delay; the limit is 600 s"}


def test_shutdown_ends_streams_cleanly_and_another_server_resumes_them() -> None:
    """SIGTERM: each stream's response ends at its next tick; the client resumes on the next server."""
    text = "abcdefghijklmnopqrstuvwxyz"
    url = f"/stream?prompt={text}&model=echo&delay=200"
    with start_server("gunicorn") as first, start_server("gunicorn") as second:
        decoder, pieces = Decoder(), []
        with httpx.stream("GET", first.url + url, timeout=30) as response:
            for raw in response.iter_raw():  # a cut connection would raise here
                pieces += [m.data for m in decoder.feed(raw)]
                if len(pieces) == 3:
                    first.process.send_signal(signal.SIGTERM)
        assert "[DONE]" not in pieces and 3 <= len(pieces) < len(text)
        rest = httpx.get(second.url + url, headers={"Last-Event-ID": decoder.last_event_id}, timeout=30)
        *resumed, done = [m.data for m in Decoder().feed(rest.content)]
        assert ("".join(pieces + resumed), done) == (text, "[DONE]")
        assert first.process.wait(timeout=15) == 0
