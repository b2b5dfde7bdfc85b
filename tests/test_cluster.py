"""deploy/cluster: real gunicorn servers behind a real nginx (Debian's), started the way a teacher
starts it. Streams through it are exact and unbuffered (and behind nginx's defaults, buffered);
a server killed mid-stream loses no client a character; SIGTERM leaves no process behind."""

import importlib.util
import os
import re
import shlex
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, expect

from streamlab.decoder import Decoder
from tests.browser import open_classroom, screenshot, send, text_of, wait_finished
from tests.cases import TRICKY
from tests.servers import ROOT, fetch, free_port


@dataclass
class Cluster:
    url: str
    process: subprocess.Popen[str]
    servers: dict[str, tuple[str, int]]  # name: (url, pid)
    output: list[str]

    def open_streams(self) -> int:
        """The streams open on every server that is up (each counts its own)."""
        total = 0
        for url, _ in self.servers.values():
            try:
                total += httpx.get(f"{url}/healthz", timeout=2).json()["open_streams"]
            except httpx.TransportError:
                pass
        return total


def descendants(pid: int) -> set[int]:
    """pid and every process below it, from /proc."""
    found, todo = set(), [pid]
    while todo:
        current = todo.pop()
        found.add(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            children = (task / "children").read_text().split() if (task / "children").exists() else []
            todo += [int(child) for child in children]
    return found


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"  # a zombie has exited
    except (FileNotFoundError, IndexError):
        return False


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    """deploy/cluster with two one-worker servers on loopback; stopped by SIGTERM, as Ctrl-C would."""
    yield from run_cluster()


@pytest.fixture
def tls_cluster() -> Iterator[Cluster]:
    yield from run_cluster("--tls")


CLASS_TOKEN = "class-7b"


@pytest.fixture
def class_cluster() -> Iterator[Cluster]:
    """A teacher's cluster with a class access token: every server reads it from the environment."""
    yield from run_cluster(env={**os.environ, "FLASK_ACCESS_TOKEN": CLASS_TOKEN})


def run_cluster(*extra: str, env: dict[str, str] | None = None) -> Iterator[Cluster]:
    port = free_port()
    command = [str(ROOT / "deploy" / "cluster"), "--servers", "2", "--port", str(port), "--host", "127.0.0.1",
               "--workers", "1", *extra]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    output: list[str] = []
    reader = threading.Thread(target=lambda: output.extend(line.rstrip("\n") for line in process.stdout), daemon=True)  # type: ignore[union-attr]
    reader.start()
    deadline = time.monotonic() + 90
    while not any(line.startswith("Logs in") for line in output):
        if process.poll() is not None or time.monotonic() > deadline:
            process.terminate()  # SIGTERM: the cluster stops what it started
            process.wait(timeout=60)
            pytest.fail("deploy/cluster did not start:\n" + "\n".join(output))
        time.sleep(0.05)
    url = re.search(r"https?://[0-9.:]+", output[0]).group(0)  # type: ignore[union-attr]
    servers = {match[0]: (match[1], int(match[2])) for match in re.findall(r"(server-\d): (http://\S+) \(pid (\d+)\)", "\n".join(output))}
    yield Cluster(url, process, servers, output)
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=60) == 0


def test_streams_through_nginx_are_exact_and_unbuffered(cluster: Cluster) -> None:
    """Byte for byte what a server sends, each event as it is made; and refusals stay JSON (below)."""
    query = httpx.QueryParams({"prompt": TRICKY, "model": "echo", "delay": 0})
    direct = httpx.get(f"{next(iter(cluster.servers.values()))[0]}/stream?{query}").content
    assert fetch("GET", f"{cluster.url}/stream?{query}").raw == direct
    assert fetch("POST", f"{cluster.url}/api/chat", json={"message": TRICKY, "model": "echo", "delay": 0}).raw == direct
    # Unbuffered: the first event reaches the client while its server is still producing the reply.
    first = []
    with httpx.stream("GET", f"{cluster.url}/stream?prompt=abcdefghijklmnopqrst&model=echo&delay=100") as response:
        assert response.status_code == 200
        decoder = Decoder()
        for raw in response.iter_raw():
            if first := decoder.feed(raw):
                assert cluster.open_streams() == 1
                break
    assert [message.data for message in first] == ["a"]
    every_refusal_through_nginx_is_json(cluster)


def refusal(response: httpx.Response) -> tuple[int, str | None, str]:
    return response.status_code, response.json()["error"]["field"], response.headers["Content-Type"]


def said(response: httpx.Response) -> str:
    return str(response.json()["error"]["message"])


def every_refusal_through_nginx_is_json(cluster: Cluster) -> None:
    """Just over the servers' limits, a server answers (its JSON names the field); far over them,
    nginx does, in the same JSON shape, never its own HTML page."""
    json_type = "application/json"
    server = httpx.get(f"{cluster.url}/stream?prompt={'x' * 9000}")  # over gunicorn's 8,190 bytes
    nginx = httpx.get(f"{cluster.url}/stream?prompt={'x' * 20000}")  # over nginx's 16 KB
    assert refusal(server) == refusal(nginx) == (414, "url", json_type)
    assert "8,190 bytes" in said(server) and "16 KB" in said(nginx)
    server = httpx.post(f"{cluster.url}/api/chat", json={"message": "x" * (1024 * 1024 + 10)})  # over Flask's 1 MiB
    nginx = httpx.post(f"{cluster.url}/api/chat", json={"message": "x" * (3 * 1024 * 1024)})  # over nginx's 2 MiB
    assert refusal(server) == refusal(nginx) == (413, "body", json_type)
    assert "2 MiB" not in said(server) and "2 MiB" in said(nginx)
    nginx = httpx.get(f"{cluster.url}/stream?prompt=hi", headers={"X-Big": "x" * 17000})  # over nginx's 16 KB
    assert refusal(nginx) == (431, "headers", json_type)


def test_behind_nginx_defaults_the_reply_arrives_all_at_once(cluster: Cluster) -> None:
    """/buffered/ is the same servers behind HTTP/1.0 and proxy_buffering on (the lesson's demo)."""
    reads = []
    with httpx.stream("GET", f"{cluster.url}/buffered/stream?prompt=abcdefghij&model=echo&delay=100") as response:
        decoder = Decoder()
        for raw in response.iter_raw():
            reads.append([message.data for message in decoder.feed(raw)])
    texts = [read for read in reads if read]
    assert texts == [list("abcdefghij") + ["[DONE]"]]  # one read: every event, and the end, together
    lesson_15_shows_when_each_line_arrived(cluster)


LESSON_15 = ROOT / "lessons" / "15-proxies-deployment" / "README.md"


def lesson_15_shows_when_each_line_arrived(cluster: Cluster) -> None:
    """Lesson 15's two `flask chat --raw` runs (the same in both languages), on this cluster: through
    the lesson's location the lines arrive one delay apart; through /buffered/, all at the end."""
    block = LESSON_15.read_text().split(".venv/bin/flask chat", 1)[1].split("```", 1)[0]
    runs = [run.strip().split("\n") for run in (".venv/bin/flask chat" + block).split("\n\n")]
    assert len(runs) == 2 and runs[1][0].endswith("/buffered")
    for command, *shown in runs:
        args = shlex.split(command.replace("http://127.0.0.1:8080", cluster.url.rstrip("/")))[1:]
        result = subprocess.run([sys.executable, "-m", "flask", *args], cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        arrived = [(int(ms), line) for ms, line in (row.split(" ms  ") for row in result.stdout.splitlines()) if line]
        lines = [line for _, line in arrived]  # the lesson leaves out the blank lines
        head = shown[:shown.index("...")]
        assert [line.split(" ms  ")[1] for line in head] == lines[:len(head)]  # what the lesson shows
        assert shown[-1].split(" ms  ")[1] == lines[-1] == "data: [DONE]"
        first_text, done = next(ms for ms, line in arrived if line == "data: H"), arrived[-1][0]
        if command.endswith("/buffered"):
            assert done - first_text < 100  # the whole reply in one go, at the end
        else:
            # "Hi 你好": five characters due 300 ms apart. Each is due at a fixed time from the start,
            # so a late first one (a busy machine) shortens the span: ask for one delay of it at least.
            assert done - first_text >= 300


Request = tuple[str, str, object, dict[str, str]]  # method, URL, JSON body, headers


def resuming_client(request: Request, results: dict[int, str], index: int, started: threading.Barrier) -> None:
    """An EventSource (GET) or the page's fetch client (POST) in Python: on a cut, wait and ask again
    with Last-Event-ID, until [DONE]."""
    method, url, body, sent = request
    text, last, first = "", "", True
    for _ in range(50):
        decoder = Decoder()
        try:
            headers = {**sent, "Last-Event-ID": last} if last else sent
            with httpx.stream(method, url, json=body, headers=headers, timeout=30) as response:
                assert response.status_code == 200, response.read()
                for raw in response.iter_raw():
                    for message in decoder.feed(raw):
                        if message.data == "[DONE]":
                            results[index] = text
                            return
                        text += message.data
                        if first and len(text) >= 3:
                            first = False
                            started.wait()
        except httpx.TransportError:
            pass  # the server died mid-stream: nginx cut this connection
        last = decoder.last_event_id or last
        time.sleep(0.1)
    results[index] = text + " (gave up)"


def test_a_server_killed_mid_stream_loses_no_client_a_character(class_cluster: Cluster) -> None:
    """The issue's lesson: a class with a token (in the URL for EventSource, a Bearer header for
    fetch), and one server dies in the middle of it."""
    cluster = class_cluster
    prompt = "Twelve students, one server dies, nobody notices. 十二个学生 🙂"
    options: dict[str, str | int] = {"prompt": prompt, "model": "echo", "delay": 40}
    refused = httpx.get(f"{cluster.url}/stream?{httpx.QueryParams(options)}")
    assert (refused.status_code, refused.json()["error"]["field"]) == (401, "token")  # through nginx too
    requests: list[Request] = [
        ("GET", f"{cluster.url}/stream?{httpx.QueryParams({**options, 'token': CLASS_TOKEN})}", None, {}),
        ("POST", f"{cluster.url}/api/chat", options, {"Authorization": f"Bearer {CLASS_TOKEN}"}),
    ]
    results: dict[int, str] = {}
    started = threading.Barrier(13)
    clients = [threading.Thread(target=resuming_client, args=(requests[index % 2], results, index, started))
               for index in range(12)]
    for client in clients:
        client.start()
    started.wait(timeout=30)  # every client has its first three characters
    victim_url, victim = cluster.servers["server-1"]
    assert httpx.get(f"{victim_url}/healthz").json()["open_streams"] > 0  # it holds some of the class's streams
    os.killpg(victim, signal.SIGKILL)  # the server and its worker, at once, as a crash would
    for client in clients:
        client.join(timeout=60)
    assert results == {index: prompt.replace("\r\n", "\n") for index in range(12)}
    assert httpx.get(f"{cluster.url}/healthz").json()["status"] == "ok"  # the survivor serves

    # Its own 503s (a fault on demand; a full server) do not take the survivor out of nginx's group.
    bearer = {"Authorization": f"Bearer {CLASS_TOKEN}"}
    for _ in range(3):
        assert httpx.post(f"{cluster.url}/api/chat", json={**options, "fail": 503}, headers=bearer).status_code == 503
    assert httpx.get(f"{cluster.url}/healthz").status_code == 200

    # With no server left, nginx says so in JSON, with when to retry.
    os.killpg(cluster.servers["server-2"][1], signal.SIGKILL)
    gone = httpx.get(f"{cluster.url}/stream?{httpx.QueryParams({**options, 'token': CLASS_TOKEN})}")
    assert (refusal(gone), gone.headers["Retry-After"]) == ((503, None, "application/json"), "5")


def test_sigterm_stops_every_process_it_started(cluster: Cluster) -> None:
    started = descendants(cluster.process.pid)
    assert len(started) >= 1 + 2 * 2 + 2  # itself, two servers with a worker each, nginx and a worker
    cluster.process.send_signal(signal.SIGTERM)
    assert cluster.process.wait(timeout=60) == 0
    time.sleep(0.5)
    assert [pid for pid in started if alive(pid)] == []


def test_over_http2_one_page_streams_more_than_six_at_once(browser: Browser, tls_cluster: Cluster) -> None:
    """HTTPS with HTTP/2 through nginx: eight panes stream at the same time on one connection (over
    HTTP/1.1 the seventh would wait for a free connection), and the page says which protocol it is on."""
    context = browser.new_context(viewport={"width": 1280, "height": 720}, ignore_https_errors=True)  # self-signed
    page = context.new_page()
    try:
        open_classroom(page, tls_cluster, [f"transport:{('get', 'post')[i % 2]},delay:150" for i in range(8)], prompt="abcdefghij")
        expect(page.locator("#protocol")).to_have_attribute("data-protocol", "h2")
        expect(page.locator("#protocol")).to_have_text("HTTP/2")
        expect(page.locator("#protocol")).to_have_attribute("title", "HTTP/2: every stream on one connection, up to 8 panes")
        send(page)
        page.wait_for_function("() => [...document.querySelectorAll('[data-role=text]')].every(e => e.textContent.length >= 2)"
                               " && [...document.querySelectorAll('.pane')].every(p => p.dataset.state === 'streaming')")
        assert tls_cluster.open_streams() == 8  # all eight at once
        screenshot(page, "http2-eight-panes")
        wait_finished(page)
        assert [text_of(page, i) for i in range(8)] == ["abcdefghij"] * 8
    finally:
        context.close()
    # flask chat over HTTPS: it checks the certificate, says how to trust the cluster's own, and then streams.
    command = [sys.executable, "-m", "flask", "chat", "Hi 你好", "--model", "echo", "--delay", "0", "--url", tls_cluster.url]
    untrusted = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60,
                               env={key: value for key, value in os.environ.items() if key != "SSL_CERT_FILE"})
    assert untrusted.returncode == 1 and "SSL_CERT_FILE=deploy/tls/streamlab.crt" in untrusted.stderr
    chat = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60,
                          env={**os.environ, "SSL_CERT_FILE": str(ROOT / "deploy" / "tls" / "streamlab.crt")})
    assert (chat.returncode, chat.stdout, chat.stderr) == (0, "Hi 你好\n", "")


def test_the_servers_share_the_machines_stream_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    """One server holds the default 5,000 streams; four behind nginx hold 1,250 each, the same 5,000
    for the machine, unless the teacher says how many each may hold."""
    spec = importlib.util.spec_from_file_location("cluster", ROOT / "deploy" / "cluster.py")
    assert spec and spec.loader
    cluster = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cluster)
    monkeypatch.delenv("FLASK_MAX_OPEN_STREAMS", raising=False)
    assert [cluster.server_environment(n)["FLASK_MAX_OPEN_STREAMS"] for n in (1, 3, 4)] == ["5000", "1667", "1250"]
    monkeypatch.setenv("FLASK_MAX_OPEN_STREAMS", "900")
    assert cluster.server_environment(4)["FLASK_MAX_OPEN_STREAMS"] == "900"
