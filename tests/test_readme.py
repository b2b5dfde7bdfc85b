"""Every command in the README runs, and shows what the README says it shows."""

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from flask.testing import FlaskClient

from streamlab.options import CHOICES, StreamOptions
from tests.servers import ROOT, Server, free_port

README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```(\w*)\n(.*?)```", README, re.DOTALL)
COMMANDS = [(body.strip(), BLOCKS[i + 1][1] if i + 1 < len(BLOCKS) and BLOCKS[i + 1][0] == "text" else None)
            for i, (lang, body) in enumerate(BLOCKS) if lang == "sh"]
SERVE, TEST, *REST = COMMANDS
CLASSROOM = [command for command, _ in REST if command.startswith(".venv/bin/gunicorn")]
BENCHES = [command for command, _ in REST if "bench/run.py" in command]
MEMORY_BENCHES = [command for command, _ in REST if "bench/memory.py" in command]
RELAY_BENCHES = [command for command, _ in REST if "bench/relay.py" in command]
COST_BENCHES = [command for command, _ in REST if "bench/cost.py" in command]
CLUSTERS = [command for command, _ in REST if command.startswith("deploy/cluster")]
EXAMPLES = [(command, output) for command, output in REST
            if command not in CLASSROOM + BENCHES + MEMORY_BENCHES + RELAY_BENCHES + COST_BENCHES + CLUSTERS]


def section(title: str) -> str:
    return README.split(title, 1)[1].split("\n#", 1)[0]


def test_readme_opens_with_the_two_commands() -> None:
    assert "flask run" in SERVE[0] and TEST[0] == "bash scripts/test"
    assert README.index(SERVE[0]) < README.index(TEST[0]) < README.index("## Try it")


def test_ci_runs_exactly_the_readme_test_command() -> None:
    assert (ROOT / ".ci" / "run").read_text().strip().splitlines()[-1] == f"exec {TEST[0]}"


def test_the_setup_command_serves_from_a_fresh_copy(tmp_path: Path) -> None:
    """Nothing to configure: a copy without a virtualenv comes up with the README's command."""
    copy = tmp_path / "streamlab"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(".venv", ".git", "__pycache__", ".*cache", ".hypothesis"))
    port = free_port()
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "VIRTUAL_ENV"))}, "FLASK_RUN_PORT": str(port)}
    process = subprocess.Popen(["bash", "-c", SERVE[0]], cwd=copy, env=env, start_new_session=True,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and process.poll() is None:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).json()
                break
            except httpx.TransportError:
                time.sleep(0.5)
        else:
            pytest.fail(f"the server did not come up: {process.stdout.read().decode()[-2000:]}")  # type: ignore[union-attr]
        assert health == {"status": "ok", "open_streams": 0}
        assert "StreamLab" in httpx.get(f"http://127.0.0.1:{port}/").text  # the page the README says to open
        got = httpx.get(f"http://127.0.0.1:{port}/stream?prompt=Hi&model=echo&delay=0")
        assert got.text.endswith("data: [DONE]\n\n")
        # The course runs on the same setup: a student needs nothing else to check a lesson.
        check = subprocess.run([str(copy / ".venv" / "bin" / "flask"), "lesson", "check", "03", "--solution"], cwd=copy,
                               env=env, capture_output=True, text=True, timeout=120)
        assert check.returncode == 0 and "All 4 tasks pass." in check.stdout, check.stdout + check.stderr
    finally:
        os.killpg(process.pid, signal.SIGTERM)  # the group this test started: bash, pip, flask
        process.wait(timeout=30)


def serves_and_stops(command: str, port: int) -> None:
    """Run command as a shell would, wait until it answers on port, stream from it, then SIGTERM it:
    it must stop cleanly."""
    process = subprocess.Popen(["bash", "-c", f"exec {command}"], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).json()["status"] == "ok"
                break
            except httpx.TransportError:
                time.sleep(0.2)
        got = httpx.get(f"http://127.0.0.1:{port}/stream?prompt=Hi&model=echo&delay=0")
        assert got.text.endswith("data: [DONE]\n\n")
    finally:
        process.terminate()
        assert process.wait(timeout=60) == 0


def test_the_classroom_command_serves() -> None:
    """The same command, moved from 0.0.0.0:5000 to a free loopback port so nothing else is disturbed."""
    [command] = CLASSROOM
    port = free_port()
    serves_and_stops(command.replace(".venv/bin/", str(Path(sys.executable).parent) + "/").replace("0.0.0.0:5000", f"127.0.0.1:{port}"),
                     port)


@pytest.mark.parametrize("command", BENCHES)
def test_the_benchmark_commands_run(command: str) -> None:
    """A smoke run of each: 20 streams per server, the whole pipeline including npm and Express."""
    command = command.replace(".venv/bin/python", sys.executable) + " -n 20"
    result = subprocess.run(["bash", "-c", command], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    named = re.search(r"--servers (\S+)", command)
    servers = (named.group(1) if named else "streamlab,express").split(",")
    rows = [line for line in result.stdout.splitlines() if line.startswith(tuple(f"| {name} " for name in servers))]
    assert [row.split(" | ")[:3] for row in rows] == [[f"| {name}", "20", "100.0%"] for name in servers]


@pytest.mark.parametrize("command", MEMORY_BENCHES)
def test_the_memory_benchmark_runs_and_its_figures_are_in_the_readme(command: str) -> None:
    """A smoke run with 20 streams per case; the README's table has a row for every case it measures."""
    result = subprocess.run(["bash", "-c", command.replace(".venv/bin/python", sys.executable) + " -n 20"],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    cases = [line.split(" | ")[0] for line in result.stdout.splitlines() if line.startswith(("| short", "| longest"))]
    assert len(cases) == 5
    assert all(case + " | " in section("### Memory per open stream") for case in cases)


@pytest.mark.parametrize("command", CLUSTERS)
def test_the_cluster_command_serves_and_stops(command: str) -> None:
    """The README's command, on a free port and loopback only, with one worker per server."""
    port = free_port()
    serves_and_stops(re.sub(r"--port \d+", f"--port {port}", command) + " --host 127.0.0.1 --workers 1", port)


@pytest.mark.parametrize("command", RELAY_BENCHES)
def test_the_relay_benchmark_runs(command: str) -> None:
    """A smoke run with 20 streams: each path is exact, and the overhead row follows."""
    result = subprocess.run(["bash", "-c", command.replace(".venv/bin/python", sys.executable) + " -n 20"],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    rows = [line.split(" | ")[:3] for line in result.stdout.splitlines() if line.startswith(("| direct", "| relay"))]
    assert rows[:2] == [["| direct", "20", "100.0%"], ["| relay", "20", "100.0%"]]
    assert [row[:2] for row in rows[2:]] == [["| relay overhead", "20"]]


@pytest.mark.parametrize("command", COST_BENCHES)
def test_the_cost_benchmark_runs(command: str) -> None:
    """A smoke run with 20 streams of 1, 2 and 3 characters, StreamLab only (the benchmark run above
    covers Express): it fits a request and an event cost, each split into user and kernel time, and
    times the stream generator and gevent's sleep alone."""
    smoke = " -n 20 --servers streamlab --lengths 1,2,3"
    result = subprocess.run(["bash", "-c", command.replace(".venv/bin/python", sys.executable) + smoke],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    number = r"-?[0-9]+(?:\.[0-9])?"
    assert re.search(rf"^\| streamlab \| {number} / {number} / {number} \| {number} / {number} / {number} \|$", result.stdout, re.M)
    for part in ("StreamLab's stream generator", "gevent's sleep"):
        alone = re.search(rf"^{part} alone: ([0-9.]+) µs per event$", result.stdout, re.M)
        assert alone and float(alone.group(1)) > 0, result.stdout


@pytest.mark.parametrize(("command", "expected"), EXAMPLES, ids=[command[:40] for command, _ in EXAMPLES])
def test_try_it_examples(gunicorn_server: Server, command: str, expected: str | None) -> None:
    bindir = str(Path(sys.executable).parent) + "/"
    command = command.replace("http://127.0.0.1:5000", gunicorn_server.url).replace(".venv/bin/", bindir)
    env = {**os.environ, "STREAMLAB_URL": gunicorn_server.url}
    result = subprocess.run(["bash", "-c", command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    if expected is None:
        assert "data: [DONE]" in result.stdout
    else:  # a JSON error has no final newline; the README's block does
        assert result.stdout in (expected, expected.removesuffix("\n"))


WIRE_ROWS = re.findall(r"^\| (`[^`]*`|\(nothing\)) \| `([^`]*)`", section("### On the wire"), re.MULTILINE)


@pytest.mark.parametrize(("query", "wire"), WIRE_ROWS, ids=[query for query, _ in WIRE_ROWS])
def test_wire_table_shows_the_exact_bytes(client: FlaskClient, query: str, wire: str) -> None:
    extra = "" if query == "(nothing)" else "&" + query.strip("`")
    assert client.get(f"/stream?prompt=Hi&model=echo{extra}").data == unescape(wire)


def unescape(shown: str) -> bytes:
    return shown.replace("\\n", "\n").replace("\\r", "\r").encode()


PITFALL_ROWS = re.findall(r"^\| `([a-z0-9-]+)` \| ([^|]+) \| `([^`]*)`", section("### The pitfall lab"), re.MULTILINE)
PROMPTS = {"`Hi`": "Hi", "`a` + LF": "a\n", "space + `a`": " a", "`Hi`, resumed with `Last-Event-ID: 2`": "Hi"}


@pytest.mark.parametrize(("pitfall", "prompt", "wire"), PITFALL_ROWS, ids=[pitfall for pitfall, _, _ in PITFALL_ROWS])
def test_pitfall_table_shows_the_exact_bytes(client: FlaskClient, pitfall: str, prompt: str, wire: str) -> None:
    headers = {"Last-Event-ID": "2"} if "Last-Event-ID: 2" in prompt else {}
    response = client.get("/stream", query_string={"model": "echo", "prompt": PROMPTS[prompt], "pitfall": pitfall},
                          headers=headers, buffered=False)
    writes = list(response.iter_encoded())  # each as the app yielded it: one write each
    assert (response.status_code, b"".join(writes)) == (200, unescape(wire))
    if pitfall == "buffered":
        assert writes == [b": ok\n\n", unescape(wire).removeprefix(b": ok\n\n")]
    assert client.get("/stream?prompt=Hi&model=echo", headers=headers).status_code == (204 if headers else 200)  # without it


def test_wire_table_has_a_row_for_every_mode() -> None:
    """Every option but the model appears in a row, and every value of each mode other than its default."""
    pitfalls = section("### The pitfall lab")
    assert all(f"`{name}`" in pitfalls for name in list(CHOICES["pitfall"])[1:])
    queries = " ".join(query for query, _ in WIRE_ROWS) + " ".join(f"pitfall={name}" for name in CHOICES["pitfall"])
    for name in StreamOptions.__dataclass_fields__:
        if name in CHOICES and name != "model":
            assert all(f"{name}={value}" in queries for value in list(CHOICES[name])[1:]), name
        elif name != "model":
            assert f"{name}=" in queries, name


OPTION_ROWS = re.findall(r"^\| `(\w+)` \| ([^|]+) \|", section("Options have the same names"), re.MULTILINE)


def test_option_table_matches_the_code() -> None:
    assert [name for name, _ in OPTION_ROWS] == [field for field in StreamOptions.__dataclass_fields__]
    for name, values in OPTION_ROWS:
        if name in CHOICES:
            assert re.findall(r"`([\w-]+)`", values) == list(CHOICES[name])
