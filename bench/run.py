"""Benchmark StreamLab against the Express baseline at N concurrent streams; print a Markdown table.

    .venv/bin/python bench/run.py                      # N = 100, 500, 1000, 2000, 5000
    .venv/bin/python bench/run.py -n 100 --servers streamlab
    .venv/bin/python bench/run.py --server-cpus 0,1 --client-cpus 0,1   # as deployed: all cores
    .venv/bin/python bench/run.py --servers cluster --server-cpus 0,1 --client-cpus 0,1   # behind nginx

By default each server runs pinned to core 0 with one worker, and the load client
(bench/load.py) on core 1, so the client's limits are not mistaken for the server's; both
report their own CPU. With --server-cpus 0,1, StreamLab runs one gevent worker per listed core,
as gunicorn.conf.py does; Express is one Node process either way. `cluster` is deploy/cluster:
one one-worker server per listed core behind nginx (its CPU and memory counted too). Every stream is a
50-character echo at 100 ms. Express is installed with npm into a temporary folder.
"""

import argparse
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script: the project on the path
from bench.load import TEXT  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
TICKS = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def tree(pid: int) -> list[int]:
    """The process and all below it: gunicorn's master and workers; for a cluster, nginx's too."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            parents.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        found.append(current := todo.pop())
        todo += parents.get(current, [])
    return found


def cpu_seconds(pids: list[int]) -> tuple[float, float]:
    """The user and the kernel (system) CPU time the processes have used."""
    user = system = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            user, system = user + int(fields[11]), system + int(fields[12])  # utime, stime
        except OSError:
            continue
    return user / TICKS, system / TICKS


def rss_bytes(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
        except OSError:
            continue
    return total


def wait_for_port(port: int, process: subprocess.Popen[bytes], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {process.stdout.read().decode()[-2000:]}")  # type: ignore[union-attr]
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing listening on {port}")


@contextmanager
def server(command: list[str], cwd: Path, env: dict[str, str], cpus: set[int], port: int) -> Iterator[list[int]]:
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               preexec_fn=lambda: os.sched_setaffinity(0, cpus))
    try:
        wait_for_port(port, process)
        time.sleep(0.5)  # let workers finish booting
        yield tree(process.pid)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def streamlab(port: int, cpus: set[int], workdir: Path) -> tuple[list[str], Path, dict[str, str]]:
    # No cap: this measures what the machine can do (the README's cap is chosen from it).
    env = {**os.environ, "GUNICORN_CMD_ARGS": f"--bind 127.0.0.1:{port} --workers {len(cpus)}",
           "FLASK_MAX_OPEN_STREAMS": "1000000"}
    return [sys.executable, "-m", "gunicorn"], ROOT, env


def express(port: int, cpus: set[int], workdir: Path) -> tuple[list[str], Path, dict[str, str]]:
    folder = workdir / "express"
    if not (folder / "node_modules").exists():
        shutil.copytree(ROOT / "bench" / "express", folder, dirs_exist_ok=True)
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--silent"], cwd=folder, check=True)
    return ["node", "server.js", str(port)], folder, dict(os.environ)


def cluster(port: int, cpus: set[int], workdir: Path) -> tuple[list[str], Path, dict[str, str]]:
    """StreamLab as deploy/cluster runs it: one one-worker server per listed core, nginx in front."""
    command = [str(ROOT / "deploy" / "cluster"), "--servers", str(len(cpus)), "--workers", "1",
               "--port", str(port), "--host", "127.0.0.1"]
    return command, ROOT, {**os.environ, "FLASK_MAX_OPEN_STREAMS": "1000000"}


SERVERS: dict[str, Callable[[int, set[int], Path], tuple[list[str], Path, dict[str, str]]]] = {
    "streamlab": streamlab, "express": express, "cluster": cluster,
}


DIRECT = "/stream?model=echo&prompt=" + quote(TEXT)  # what every stream of the benchmark asks for


def measure(name: str, n: int, server_cpus: set[int], client_cpus: set[int], workdir: Path, ramp: float,
            path: str = DIRECT, prompt: str = TEXT) -> dict[str, object]:
    """Run n streams of path, each of which must arrive as prompt, against the named server."""
    port = free_port()
    command, cwd, env = SERVERS[name](port, server_cpus, workdir)
    with server(command, cwd, env, server_cpus, port) as pids:
        idle_rss, cpu_before = rss_bytes(pids), cpu_seconds(pids)
        peak = [idle_rss]
        sampling = True

        def sample() -> None:
            while sampling:
                peak[0] = max(peak[0], rss_bytes(pids))
                time.sleep(0.2)

        sampler = threading.Thread(target=sample)
        sampler.start()
        client = subprocess.run(
            [sys.executable, str(ROOT / "bench" / "load.py"), "--port", str(port), "-n", str(n),
             "--path", path, "--prompt", prompt, "--cpus", ",".join(map(str, sorted(client_cpus))), "--ramp", str(ramp)],
            capture_output=True, text=True, check=True)
        sampling = False
        sampler.join()
        user, system = (after - before for after, before in zip(cpu_seconds(pids), cpu_before, strict=True))
    result: dict[str, Any] = json.loads(client.stdout)
    events, cpu = max(1, int(result["events"])), user + system
    result.update(server=name, n=n, server_cpu_s=round(cpu, 2), cpu_us_per_event=round(cpu / events * 1e6, 1),
                  server_user_s=round(user, 3), server_system_s=round(system, 3),
                  peak_rss_mb=round(peak[0] / 2**20, 1), kb_per_stream=round((peak[0] - idle_rss) / n / 1024, 1))
    return result


def row(r: dict[str, Any]) -> str:
    def ms(key: str, q: str) -> str:
        return f"{r[key][q]:.0f}" if r[key][q] is not None else "–"

    return (f"| {r['server']} | {r['n']} | {r['completion']:.1%} | {ms('ttfb_ms', 'p50')} / {ms('ttfb_ms', 'p99')} / {ms('ttfb_ms', 'max')} "
            f"| {ms('gap_ms', 'p50')} / {ms('gap_ms', 'p99')} / {ms('gap_ms', 'max')} | {ms('drift_ms', 'p99')} "
            f"| {r['server_cpu_s']} | {r['cpu_us_per_event']} | {r['peak_rss_mb']} | {r['kb_per_stream']} | {r['client_cpu_s']} |")


HEADER = ("| server | streams | exact | first byte ms p50/p99/max | gap ms p50/p99/max | drift ms p99 "
          "| server CPU s | CPU µs/event | peak RSS MB | KB/stream | client CPU s |\n|" + "---|" * 11)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", default="100,500,1000,2000,5000", help="comma-separated stream counts")
    parser.add_argument("--servers", default="streamlab,express")
    parser.add_argument("--server-cpus", default="0", help="cores for the server (StreamLab: one worker each)")
    parser.add_argument("--client-cpus", default="1", help="cores for the load client")
    parser.add_argument("--ramp", type=float, default=1.0, help="seconds over which each run's connections open")
    parser.add_argument("--json", type=Path, default=None, help="also write every figure here")
    args = parser.parse_args()
    machine = f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    server_cpus, client_cpus = ({int(c) for c in value.split(",")} for value in (args.server_cpus, args.client_cpus))
    print(f"{time.strftime('%Y-%m-%d')}, {machine}; server on cores {args.server_cpus}, client on cores {args.client_cpus}\n")
    print(HEADER)
    results = []
    with tempfile.TemporaryDirectory() as workdir:
        for n in [int(value) for value in args.n.split(",")]:
            for name in args.servers.split(","):
                results.append(measure(name, n, server_cpus, client_cpus, Path(workdir), args.ramp))
                print(row(results[-1]), flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
