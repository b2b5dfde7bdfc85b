"""Run StreamLab as a cluster on this machine: N gunicorn servers with nginx in front of them.

    deploy/cluster --servers 4 --port 8080                # the class opens http://THIS-MACHINE:8080
    deploy/cluster --servers 2 --port 8080 --host 127.0.0.1 --workers 1
    deploy/cluster --servers 4 --port 8443 --tls           # HTTPS and HTTP/2: more than six streams per page

It runs in the foreground, as the current user (no root needed): each server is the project's
gunicorn.conf.py on a free local port, and nginx (from the system: Debian's `nginx` package) runs
with deploy/nginx.conf from a temporary folder. It prints the URL; Ctrl-C or SIGTERM stops
everything it started. A server that dies is left out by nginx, and its streams resume on another.

With --tls, nginx serves HTTPS and HTTP/2, so one page can hold more than the six connections a
browser opens to a server over HTTP/1.1. The certificate is --cert and --key, or a self-signed one
made with openssl on the first start and kept in deploy/tls/ (a browser warns about it once).
"""

import argparse
import ctypes
import math
import os
import pwd
import resource
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: the project on the path
from app import DEFAULTS  # noqa: E402

TEMPLATE = ROOT / "deploy" / "nginx.conf"
STARTUP_SECONDS = 60
PR_SET_PDEATHSIG = 1  # from <sys/prctl.h>


@dataclass
class Child:
    """A process the cluster started, in its own process group so that stopping it stops its workers too."""

    name: str
    process: subprocess.Popen[bytes]
    port: int

    def stop(self, signal_number: int = signal.SIGTERM) -> None:
        try:
            os.killpg(self.process.pid, signal_number)
        except ProcessLookupError:
            pass

    def wait(self, seconds: float) -> None:
        try:
            self.process.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            self.stop(signal.SIGKILL)
            self.process.wait()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def find_nginx() -> str:
    """nginx from the system, or a clear message saying how to get it."""
    found = shutil.which("nginx") or next((path for path in ("/usr/sbin/nginx", "/usr/local/sbin/nginx")
                                           if os.access(path, os.X_OK)), None)
    if found is None:
        sys.exit("deploy/cluster needs nginx, and it is not installed. On Debian or Ubuntu: "
                 "sudo apt-get install nginx (bash scripts/test installs it when run as root).")
    return found


def wait_until_up(child: Child, url: str, folder: Path) -> None:
    """Wait until url answers; if the process exits first, stop with what it printed."""
    deadline = time.monotonic() + STARTUP_SECONDS
    trusting = ssl._create_unverified_context()  # our own certificate, perhaps self-signed
    while time.monotonic() < deadline:
        if child.process.poll() is not None:
            log = folder / f"{child.name}.log"
            sys.exit(f"{child.name} exited while starting:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=1, context=trusting):
                return
        except OSError:
            time.sleep(0.1)
    sys.exit(f"{child.name} did not answer {url} within {STARTUP_SECONDS} s")


def stop_with_parent() -> None:
    """In the child, before it runs: when the cluster dies, even by SIGKILL, the kernel sends this
    child SIGTERM (Linux's PR_SET_PDEATHSIG), so nothing is left running without its parent."""
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def start(name: str, command: list[str], port: int, folder: Path, cwd: Path,
          env: dict[str, str] | None = None) -> Child:
    log = (folder / f"{name}.log").open("wb")
    process = subprocess.Popen(command, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                               preexec_fn=stop_with_parent, env=env)
    return Child(name, process, port)


def self_signed() -> tuple[Path, Path]:
    """deploy/tls/streamlab.crt and .key, made on the first start (for localhost and 127.0.0.1)."""
    folder = ROOT / "deploy" / "tls"
    cert, key = folder / "streamlab.crt", folder / "streamlab.key"
    if not (cert.exists() and key.exists()):
        if shutil.which("openssl") is None:
            sys.exit("--tls makes its certificate with openssl, which is not installed (Debian: apt-get install "
                     "openssl); or give your own with --cert FILE --key FILE")
        folder.mkdir(exist_ok=True)
        made = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "825",
                               "-subj", "/CN=StreamLab", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                               "-keyout", str(key), "-out", str(cert)], capture_output=True, text=True)
        if made.returncode != 0:
            sys.exit(f"openssl could not make a certificate: {made.stderr}")
        key.chmod(0o600)
    return cert, key


def listen(host: str, port: int, tls: tuple[Path, Path] | None) -> str:
    """The listen lines: plain HTTP/1.1, or HTTPS with HTTP/2."""
    if tls is None:
        return f"        listen {host}:{port};"
    cert, key = tls
    return (f"        listen {host}:{port} ssl http2;\n"
            f"        ssl_certificate {cert.resolve()};\n"
            f"        ssl_certificate_key {key.resolve()};")


def open_files_limit() -> int:
    """Raise this process's open-files limit to the most it may have (the children inherit it), and
    return it: each stream holds a file in a server, and two in nginx."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard if hard != resource.RLIM_INFINITY else 1 << 20


def nginx_conf(host: str, port: int, servers: list[Child], tls: tuple[Path, Path] | None = None) -> str:
    """deploy/nginx.conf with this cluster's addresses. As root, nginx's workers would switch to
    `nobody`, which cannot use this user's temporary folder: keep them as the current user."""
    user = f"user {pwd.getpwuid(os.geteuid()).pw_name};" if os.geteuid() == 0 else ""
    upstreams = "\n".join(f"        server 127.0.0.1:{server.port} max_fails=1 fail_timeout=5s;" for server in servers)
    files = min(65536, open_files_limit())
    return (TEMPLATE.read_text()
            .replace("@USER@", user)
            .replace("@NOFILE@", str(files))
            .replace("@CONNECTIONS@", str(min(30000, files - 100)))  # a few files for logs and the listener
            .replace("@SERVERS@", upstreams)
            .replace("@LISTEN@", listen(host, port, tls)))


def addresses() -> list[str]:
    """This machine's address on its network, the one students type (none when it has no route out)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # a documentation address: a UDP connect sends nothing
            return [str(probe.getsockname()[0])]
        except OSError:
            return []


def server_environment(servers: int) -> dict[str, str]:
    """What each server runs with: the cap on open streams is the machine's, shared out among the
    servers, unless FLASK_MAX_OPEN_STREAMS says how many each may hold."""
    if "FLASK_MAX_OPEN_STREAMS" in os.environ:
        return dict(os.environ)
    cap = DEFAULTS["MAX_OPEN_STREAMS"]
    assert isinstance(cap, int)
    return {**os.environ, "FLASK_MAX_OPEN_STREAMS": str(math.ceil(cap / servers))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--servers", type=int, default=2, help="how many gunicorn servers (default 2)")
    parser.add_argument("--port", type=int, default=8080, help="the port nginx listens on (default 8080)")
    parser.add_argument("--host", default="0.0.0.0", help="the address nginx listens on (default: every one)")
    parser.add_argument("--workers", type=int, default=None,
                        help="workers per server (default: the cores shared out among the servers, at least 1)")
    parser.add_argument("--tls", action="store_true", help="HTTPS and HTTP/2 (a self-signed certificate unless --cert)")
    parser.add_argument("--cert", type=Path, help="with --tls: the certificate (PEM)")
    parser.add_argument("--key", type=Path, help="with --tls: its private key (PEM)")
    args = parser.parse_args()
    if args.servers < 1:
        parser.error("--servers must be at least 1")
    if (args.cert is None) != (args.key is None) or (args.cert and not args.tls):
        parser.error("--cert and --key go together, with --tls")
    tls = ((args.cert, args.key) if args.cert else self_signed()) if args.tls else None
    nginx = find_nginx()
    folder = Path(tempfile.mkdtemp(prefix="streamlab-cluster-"))
    (folder / "temp").mkdir()
    children: list[Child] = []
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    signal.signal(signal.SIGINT, lambda *_: stopping.append(True))
    try:
        workers = args.workers or max(1, (os.cpu_count() or 1) // args.servers)
        environment = server_environment(args.servers)
        for number in range(1, args.servers + 1):
            port = free_port()
            command = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", str(workers)]
            children.append(start(f"server-{number}", command, port, folder, ROOT, environment))
        for server in children:
            wait_until_up(server, f"http://127.0.0.1:{server.port}/healthz", folder)
        (folder / "nginx.conf").write_text(nginx_conf(args.host, args.port, children, tls))
        command = [nginx, "-p", f"{folder}/", "-c", "nginx.conf", "-e", "error.log"]
        front = start("nginx", command, args.port, folder, folder)
        children.append(front)
        shown = "127.0.0.1" if args.host == "0.0.0.0" else args.host
        url = f"{'https' if tls else 'http'}://{shown}:{args.port}/"
        wait_until_up(front, f"{url}healthz", folder)
        print(f"StreamLab cluster: {url} (nginx, pid {front.process.pid}, in front of {args.servers} servers"
              f"{', HTTP/2' if tls else ''})")
        if args.host == "0.0.0.0":
            for address in addresses():
                print(f"  for the class: {url.replace('127.0.0.1', address)}")
        for server in children[:-1]:
            print(f"  {server.name}: http://127.0.0.1:{server.port} (pid {server.process.pid})")
        print(f"Logs in {folder}. Ctrl-C or SIGTERM stops them all.", flush=True)
        reported = set()
        while not stopping:
            if front.process.poll() is not None:
                sys.exit(f"nginx exited:\n{(folder / 'error.log').read_text(errors='replace')[-3000:]}")
            for server in children[:-1]:
                if server.process.poll() is not None and server.name not in reported:
                    reported.add(server.name)
                    print(f"  {server.name} exited: nginx sends its streams to the others", flush=True)
            time.sleep(0.2)
    finally:
        for child in reversed(children):  # nginx first: no new stream reaches a server that is stopping
            child.stop()
        for child in reversed(children):
            child.wait(15)
        shutil.rmtree(folder, ignore_errors=True)
        print("StreamLab cluster stopped.", flush=True)


if __name__ == "__main__":
    main()
