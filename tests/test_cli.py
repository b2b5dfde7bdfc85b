"""`flask chat` against a real gunicorn server, run exactly as a teacher would type it."""

import json
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from streamlab.options import schema
from tests.servers import ROOT, Server, free_port

TRICKY = "Hi 你好 🙂\nline 2"


def chat(server_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "flask", "chat", *args, "--url", server_url]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize(
    "args",
    [
        pytest.param([], id="defaults"),
        pytest.param(["--frame", "json", "--chunk", "word"], id="json-words"),
        pytest.param(["--end", "event"], id="end-event"),
        pytest.param(["--drop-after", "3"], id="resumes-after-drops"),
        pytest.param(["--end", "close"], id="end-close-stops-at-204"),
    ],
)
def test_chat_prints_the_reply(gunicorn_server: Server, args: list[str]) -> None:
    result = chat(gunicorn_server.url, TRICKY, "--model", "echo", "--delay", "0", *args)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == TRICKY + "\n"


def test_chat_raw_shows_the_wire_with_timings(gunicorn_server: Server) -> None:
    result = chat(gunicorn_server.url, "Hi", "--model", "echo", "--delay", "20", "--raw", "--drop-after", "1")
    lines = [line.split(" ms  ", 1) for line in result.stdout.splitlines() if " ms  " in line]
    assert [wire for _, wire in lines] == [": ok", "", "id: 1", "data: H", "", ": ok", "", "id: 2", "data: i", "", "data: [DONE]", ""]
    assert all(ms.strip().isdigit() for ms, _ in lines)
    assert "reconnecting with Last-Event-ID: 1" in result.stdout


def test_chat_tutor_answers(gunicorn_server: Server) -> None:
    result = chat(gunicorn_server.url, "怎么重连？", "--delay", "0")
    assert result.returncode == 0 and "Last-Event-ID" in result.stdout


def test_chat_shows_the_servers_error(gunicorn_server: Server) -> None:
    result = chat(gunicorn_server.url, "x" * 4001, "--delay", "0")
    assert result.returncode == 1
    assert "message is 4001 characters; the limit is 4000 (field: message)" in result.stderr


def test_chat_says_when_no_server_is_running() -> None:
    result = chat(f"http://127.0.0.1:{free_port()}", "Hi")
    assert result.returncode == 1
    assert "cannot reach StreamLab" in result.stderr and "Is it running?" in result.stderr


def test_chat_offers_every_stream_option_the_server_has() -> None:
    """The options come from the same schema the server validates with: none can be missing."""
    result = subprocess.run([sys.executable, "-m", "flask", "chat", "--help"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert all(f"--{option.name.replace('_', '-')} " in result.stdout for option in schema())


def test_chat_shows_an_error_frame_and_stops(gunicorn_server: Server) -> None:
    result = chat(gunicorn_server.url, "abc", "--model", "echo", "--delay", "0", "--error-at", "2")
    assert (result.returncode, result.stdout) == (0, "a\n")
    assert "error from the stream: simulated error at chunk 2" in result.stderr


def test_chat_raw_shows_heartbeats(gunicorn_server: Server) -> None:
    result = chat(gunicorn_server.url, "ab", "--model", "echo", "--delay", "300", "--heartbeat", "0.1", "--raw")
    assert result.stdout.count(": ping") >= 2


@pytest.mark.parametrize(
    ("args", "signal"),
    [
        pytest.param(["--pitfall", "no-blank-line"], "data: [DONE]", id="no-event-ever-completes"),
        pytest.param(["--end", "event", "--ids", "off", "--pitfall", "end-without-data"], "event: end", id="end-never-dispatched"),
        pytest.param(["--drop-after", "2", "--ids", "off"], "data: [DONE]", id="dropped-without-ids"),
        pytest.param(["--end", "event", "--pitfall", "end-without-data"], "event: end", id="end-missing-then-204"),
    ],
)
def test_chat_exits_1_when_the_stream_is_cut_without_its_end_signal(gunicorn_server: Server, args: list[str], signal: str) -> None:
    result = chat(gunicorn_server.url, "abc", "--model", "echo", "--delay", "0", *args)
    assert result.returncode == 1
    assert f"the stream was cut without its end signal ({signal})" in result.stderr


@pytest.mark.parametrize(
    ("args", "shown"),
    [
        pytest.param(["--pitfall", "no-space"], "a你\n", id="no-space-loses-the-space"),
        pytest.param(["--split", "on", "--newline", "cr"], "a 你\n", id="split-and-cr-are-correct-sse"),
        pytest.param(["--heartbeat", "0.1", "--stall", "200", "--retry", "500", "--error-at", "9"], "a 你\n", id="faults-switches"),
    ],
)
def test_chat_has_the_pitfall_and_transport_switches(gunicorn_server: Server, args: list[str], shown: str) -> None:
    result = chat(gunicorn_server.url, "a 你\n", "--model", "echo", "--delay", "0", *args)
    assert (result.returncode, result.stdout) == (0, shown + "\n")


@pytest.mark.parametrize("newline", ["lf", "crlf", "cr"])
def test_chat_raw_shows_each_line_whatever_its_ending(gunicorn_server: Server, newline: str) -> None:
    result = chat(gunicorn_server.url, "a你", "--model", "echo", "--delay", "0", "--raw", "--split", "on", "--newline", newline)
    lines = [line.split(" ms  ", 1)[1] for line in result.stdout.splitlines() if " ms  " in line]
    assert (result.returncode, lines) == (0, [": ok", "", "id: 1", "data: a", "", "id: 2", "data: 你", "", "data: [DONE]", ""])


def test_chat_sends_history_from_a_file(gunicorn_server: Server, tmp_path: Path) -> None:
    history = tmp_path / "history.json"
    history.write_text(json.dumps([{"role": "user", "content": "你好"}, {"role": "assistant", "content": "Hi!"}]), encoding="utf-8")
    result = chat(gunicorn_server.url, "Tell me about heartbeats", "--delay", "0", "--history", str(history), "--end", "event", "--raw")
    assert result.returncode == 0
    usage = json.loads(result.stdout.split("data: ", )[-1].splitlines()[0])["usage"]
    assert usage["prompt_chars"] == len("你好" + "Hi!" + "Tell me about heartbeats")


def test_chat_refuses_a_history_file_that_is_not_a_list(tmp_path: Path) -> None:
    for content, problem in [("{", "is not JSON"), ('{"role": "user"}', "must hold a JSON list")]:
        history = tmp_path / "history.json"
        history.write_text(content, encoding="utf-8")
        result = chat(f"http://127.0.0.1:{free_port()}", "Hi", "--history", str(history))
        assert result.returncode == 2 and problem in result.stderr


SSE_HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"


def chunk(data: bytes) -> bytes:
    return b"%X\r\n%s\r\n" % (len(data), data)


def scripted_server(answers: list[bytes]) -> tuple[str, list[str | None]]:
    """A server that answers its connections with these bytes, in turn, then closes each; it records
    the Last-Event-ID each request carried."""
    listener = socket.create_server(("127.0.0.1", 0))
    seen: list[str | None] = []

    def serve() -> None:
        with listener:
            for answer in answers:
                connection, _ = listener.accept()
                with connection:
                    request = b""
                    while b"\r\n\r\n" not in request:
                        request += connection.recv(65536)
                    head, _, body = request.partition(b"\r\n\r\n")
                    fields = dict(line.split(": ", 1) for line in head.decode().split("\r\n")[1:])
                    while len(body) < int(fields.get("Content-Length", 0)):
                        body += connection.recv(65536)
                    seen.append(fields.get("Last-Event-ID"))
                    connection.sendall(answer)

    threading.Thread(target=serve, daemon=True).start()
    return f"http://127.0.0.1:{listener.getsockname()[1]}", seen


def test_chat_resumes_when_its_server_dies_mid_write() -> None:
    """A server that dies mid-write leaves a truncated chunk (nginx passes it on as it stood): the
    chat resumes on a new connection with Last-Event-ID, as a browser does, and nothing is lost."""
    cut = SSE_HEAD + chunk(b"id: 1\ndata: a\n\n") + b"40\r\nid: 2\nda"  # 64 bytes promised, 10 sent
    rest = SSE_HEAD + chunk(b"id: 2\ndata: b\n\n") + chunk(b"data: [DONE]\n\n") + b"0\r\n\r\n"
    url, seen = scripted_server([cut, rest])
    result = chat(url, "ab")
    assert (result.returncode, result.stdout, result.stderr) == (0, "ab\n", "")
    assert seen == [None, "1"]


def test_chat_shows_a_proxys_error_page() -> None:
    """A proxy in front (nginx with no server left) answers HTML, not StreamLab's JSON: say what it said."""
    page = b"<html><body>502 Bad Gateway</body></html>"
    url, _ = scripted_server([b"HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n%s" % (len(page), page)])
    result = chat(url, "Hi")
    assert result.returncode == 1
    assert "HTTP 502 Bad Gateway: <html><body>502 Bad Gateway</body></html>" in result.stderr
    assert "Traceback" not in result.stderr
