"""Lesson 15's grader: your streaming.conf inside a real nginx in front of a real StreamLab (gunicorn +
gevent), and your client.js in headless Chromium, against the same StreamLab, which needs a class token.

nginx runs from a folder of its own, as the current user (`nginx -p FOLDER -c nginx.conf`), with your
file included in this configuration:

    upstream streamlab {
        server 127.0.0.1:TAP;
        keepalive 8;            # idle connections to the server, kept for the next request
    }
    server {
        listen 127.0.0.1:PORT;
        proxy_read_timeout 1s;  # stands in for nginx's default, 60 s: a check cannot wait a minute
        include .../streaming.conf;
    }

TAP is the grader, listening on the wire between nginx and StreamLab: it counts the connections nginx
opens, keeps the requests nginx sends, and takes StreamLab's `X-Accel-Buffering: no` out of each
answer, so that the server behind your location is like most apps, which do not send it. Nothing is
timed: whether an event was passed on before the reply ended is read from StreamLab's /healthz.
"""

import os
import pwd
import re
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, unquote_plus, urlencode, urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, Page, Response

from lessons.grading import fail, lesson_page, same, say
from streamlab.decoder import Decoder
from tests.servers import Server, free_port, start_server, stop

LESSON = Path(__file__).resolve().parent
TOKEN = "class15+Zm9v/YmFy=="  # the class token: like many generated tokens, it holds + / and =
AUTH = {"Authorization": f"Bearer {TOKEN}"}
TEXT = "Hi 你好，世界 🙂\nline 2,  two spaces"  # Chinese, an emoji, a line break, two spaces
SLOW = "流式 stream 🙂 one by one"  # 20 characters at 100 ms: the server streams for 2 s
QUIET = "Let me think… 让我想想 🙂 OK"  # sent at once, with a 2 s silence in the middle (stall)
READ_TIMEOUT = "1s"  # the grader's server block: nginx's default is 60s
STALL_MS = 2000  # longer than READ_TIMEOUT: nginx cuts the stream unless your location waits longer
HEADER = b"X-Accel-Buffering: no\r\n"  # what the tap takes out of StreamLab's answers


@pytest.fixture(scope="module")
def streamlab() -> Iterator[Server]:
    """StreamLab as a class runs it: gunicorn with gevent, and a class token."""
    with start_server("gunicorn", ["--workers", "1"], {"FLASK_ACCESS_TOKEN": TOKEN}) as server:
        yield server


# The wire between nginx and StreamLab.


class Tap:
    """A TCP pass-through from nginx to StreamLab. It passes every byte on at once, both ways, and
    keeps what nginx sends; from StreamLab's answers it removes the X-Accel-Buffering header."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.address = self.listener.getsockname()[1]
        self.sent: list[bytearray] = []  # one per connection nginx opened: the bytes it sent
        self.sockets: list[socket.socket] = []
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self) -> None:
        while True:
            try:
                near, _ = self.listener.accept()
                far = socket.create_connection(("127.0.0.1", self.port))
            except OSError:
                return
            record = bytearray()
            self.sent.append(record)
            self.sockets += [near, far]
            threading.Thread(target=self.pipe, args=(near, far, record), daemon=True).start()
            threading.Thread(target=self.pipe, args=(far, near, None), daemon=True).start()

    def pipe(self, source: socket.socket, sink: socket.socket, record: bytearray | None) -> None:
        """Copy source to sink; keep the bytes in record, or (towards nginx) drop the header."""
        held = b""  # the end of a read that may be the start of the header: sent with the next read
        try:
            while data := source.recv(65536):
                if record is not None:
                    record += data
                else:
                    data = (held + data).replace(HEADER, b"")
                    keep = next((size for size in range(min(len(data), len(HEADER) - 1), 0, -1)
                                 if HEADER.startswith(data[-size:])), 0)
                    data, held = data[:len(data) - keep], data[len(data) - keep:]
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):  # one side is gone: so is the other
                try:
                    end.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def requests(self) -> list[tuple[str, dict[str, str]]]:
        """Each request nginx sent: its request line, and its headers (names in lower case)."""
        found = []
        for record in list(self.sent):
            for head in re.findall(rb"[A-Z]+ \S+ HTTP/1\.[01]\r\n.*?\r\n\r\n", bytes(record), re.DOTALL):
                line, *fields = head.decode("latin-1").split("\r\n")
                headers = {name.strip().lower(): value.strip() for name, _, value in (f.partition(":") for f in fields if f)}
                found.append((line, headers))
        return found

    def close(self) -> None:
        self.listener.close()
        for end in self.sockets:
            end.close()


# nginx, with your file inside the grader's server block.


@dataclass
class Proxy:
    url: str
    folder: Path
    tap: Tap

    def errors(self) -> str:
        """What nginx logged at level error and above, for a message."""
        log = self.folder / "error.log"
        lines = log.read_text(errors="replace").splitlines() if log.exists() else []
        return "\n".join(line for line in lines if re.search(r"\[(error|crit|alert|emerg)\]", line))[-1500:]


CONF = """{user}
worker_processes 1;
pid nginx.pid;
error_log error.log warn;
daemon off;

events {{
    worker_connections 256;
}}

http {{
    access_log off;
    client_body_temp_path temp/client;
    proxy_temp_path temp/proxy;
    fastcgi_temp_path temp/fastcgi;
    uwsgi_temp_path temp/uwsgi;
    scgi_temp_path temp/scgi;

    upstream streamlab {{
        server 127.0.0.1:{tap};
        keepalive 8;
    }}

    server {{
        listen 127.0.0.1:{port};
        proxy_read_timeout {read_timeout};
        include "{include}";
    }}
}}
"""


def find_nginx() -> str:
    found = shutil.which("nginx") or next((path for path in ("/usr/sbin/nginx", "/usr/local/sbin/nginx")
                                           if os.access(path, os.X_OK)), None)
    if found is None:
        fail("this check runs your file in nginx, and nginx is not installed: on Debian or Ubuntu, "
             "sudo apt-get install nginx (macOS: brew install nginx)",
             "这个检查要用 nginx 运行你的文件，但这台机器没有装 nginx：Debian 或 Ubuntu 上运行 "
             "sudo apt-get install nginx（macOS：brew install nginx）")
    return found


def start_nginx(command: list[str], folder: Path) -> subprocess.Popen[bytes] | None:
    """Start nginx in the foreground; wait until it holds its port. None if it could not (the port was taken).

    nginx writes its pid file only once it has bound its port: a connection alone could reach another
    program (another check's nginx) that took the port first, while this one retries its bind for 2.5 s."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    pid_file = folder / "nginx.pid"
    deadline = time.monotonic() + 30
    while process.poll() is None and time.monotonic() < deadline:
        if pid_file.exists() and pid_file.read_text().strip() == str(process.pid):
            return process
        time.sleep(0.02)
    stop(process)
    return None


@pytest.fixture
def proxy(target: Path, streamlab: Server, tmp_path: Path) -> Iterator[Proxy]:
    """nginx in front of StreamLab, your streaming.conf in its server block; stopped by its PID."""
    include = target / "streaming.conf"
    if not include.is_file():
        fail(f"{include} is missing", f"找不到 {include}")
    nginx = find_nginx()
    folder = tmp_path / "nginx"
    (folder / "temp").mkdir(parents=True)
    command = [nginx, "-p", f"{folder}/", "-c", "nginx.conf", "-e", "error.log"]
    # As root, nginx's workers would become `nobody`, who cannot read this folder: keep this user.
    user = f"user {pwd.getpwuid(os.geteuid()).pw_name};" if os.geteuid() == 0 else ""
    tap = Tap(streamlab.port)
    try:
        for _ in range(3):  # a free port may be taken by another program before nginx binds it: try another
            port = free_port()
            (folder / "nginx.conf").write_text(CONF.format(user=user, tap=tap.address, port=port, read_timeout=READ_TIMEOUT,
                                                           include=include.resolve()))
            tested = subprocess.run([*command, "-t", "-q"], capture_output=True, text=True, timeout=30)
            if tested.returncode != 0:
                fail(f"nginx refuses your streaming.conf:\n{tested.stderr.strip()}",
                     f"nginx 不接受你的 streaming.conf：\n{tested.stderr.strip()}")
            process = start_nginx(command, folder)
            if process is not None:
                break
        else:
            raise RuntimeError(f"nginx did not start: {(folder / 'error.log').read_text(errors='replace')}")
        try:
            yield Proxy(f"http://127.0.0.1:{port}", folder, tap)
        finally:
            stop(process)
    finally:
        tap.close()


# Asking, through nginx or straight from StreamLab.


@dataclass
class Got:
    """One answer, read to its end (or to where it was cut)."""

    shown: str
    status: int = 0
    body: bytes = b""  # as a browser reads it: decoded, should nginx compress it
    cut: str = ""  # why the body ended early, if it did

    @property
    def data(self) -> list[str]:
        return [message.data for message in Decoder().feed(self.body)]


def ask(base: str, path: str, query: dict[str, str], body: dict[str, object] | None = None,
        headers: dict[str, str] | None = None) -> Got:
    shown = f"{'POST' if body else 'GET'} {path}" + (f"?{unquote_plus(urlencode(query))}" if query else "")
    got = Got(shown.replace("\n", "\\n"))
    try:
        with httpx.stream("POST" if body else "GET", f"{base}{path}", params=query, json=body,
                          headers={**AUTH, **(headers or {})}, timeout=30) as response:
            got.status = response.status_code
            for piece in response.iter_bytes():
                got.body += piece
    except httpx.HTTPError as error:
        got.cut = f"{type(error).__name__}: {error}"
    return got


def served(proxy: Proxy, got: Got) -> None:
    """Fail unless nginx answered 200 from StreamLab, saying why in nginx's own words."""
    if not proxy.tap.sent:
        fail(f"{got.shown}: nginx answered {got.status} and never asked the server. Your location must pass "
             "requests on to the servers of the upstream block named streamlab: proxy_pass http://streamlab;",
             f"{got.shown}：nginx 回答了 {got.status}，却根本没有去问服务器。你的 location 要把请求转给名叫 streamlab "
             "的 upstream 里的服务器：proxy_pass http://streamlab;")
    if got.status == 404:
        fail(f"{got.shown}: nginx answered 404: no location of yours covers this path. location / {{ ... }} covers "
             "every path: /stream, /api/chat, and the rest of the app",
             f"{got.shown}：nginx 回答了 404：你的 location 没有覆盖这个路径。location / {{ ... }} 覆盖所有路径："
             "/stream、/api/chat，以及应用的其余部分")
    if got.status != 200:
        fail(f"{got.shown}: nginx answered {got.status} {got.body[:200]!r}\n{proxy.errors()}",
             f"{got.shown}：nginx 回答了 {got.status} {got.body[:200]!r}\n{proxy.errors()}")


def settled(server: Server) -> None:
    """Wait until no stream is open on StreamLab, so that what it counts next is this check's."""
    server.wait_for_open_streams(0, seconds=30)


def request_line(proxy: Proxy) -> str:
    requests = proxy.tap.requests()
    return requests[-1][0] if requests else ""


@pytest.mark.task(1)
def test_each_event_passes_on_as_it_comes(proxy: Proxy, streamlab: Server) -> None:
    # Exact: the bytes through nginx are StreamLab's own, events cut in two inside a character (split=on).
    asked = [("/stream", {"prompt": TEXT, "model": "echo", "delay": "0", "split": "on"}, None, None),
             ("/api/chat", {}, {"message": TEXT, "model": "echo", "delay": 0, "split": "on"}, None),
             ("/stream", {"prompt": TEXT, "model": "echo", "delay": "0"}, None, {"Last-Event-ID": "5"})]
    for path, query, body, headers in asked:
        got = ask(proxy.url, path, query, body, headers)
        served(proxy, got)
        direct = ask(streamlab.url, path, query, body, headers)
        resumed = say(" (resuming after id 5: Last-Event-ID must reach the server)", "（从 id 5 之后续传：Last-Event-ID 必须送到服务器）")
        same(got.body.decode(errors="replace"), direct.body.decode(errors="replace"),
             f"the bytes of {got.shown} through nginx: the server's own{resumed if headers else ''}",
             f"经过 nginx 的 {got.shown} 的字节：应该和服务器发出的一模一样{resumed if headers else ''}")
    # As it comes: when the first event reaches the client, is the server still streaming (2 s)?
    settled(streamlab)
    shown = f"GET /stream?prompt={SLOW}&model=echo&delay=100"
    with httpx.stream("GET", f"{proxy.url}/stream", params={"prompt": SLOW, "model": "echo", "delay": "100"},
                      headers=AUTH, timeout=30) as response:
        decoder, events = Decoder(), []
        for piece in response.iter_bytes():
            events += decoder.feed(piece)  # events only: the `: ok` comment is not one
            if events:
                break
        streaming = streamlab.open_streams()
    if response.status_code != 200 or not events:
        fail(f"{shown}: nginx answered {response.status_code}, and no event came\n{proxy.errors()}",
             f"{shown}：nginx 回答了 {response.status_code}，一个事件也没有来\n{proxy.errors()}")
    if streaming == 0:
        http10_en = http10_zh = ""
        if request_line(proxy).endswith("HTTP/1.0"):
            http10_en = (" nginx asked the server in HTTP/1.0, its default: the reply then has no chunks to tell where an "
                         "event ends, so nginx passes it on when a buffer is full (4 KB), or at the end.")
            http10_zh = "nginx 用它默认的 HTTP/1.0 去问服务器：这样回复里没有分块，看不出一个事件在哪里结束，nginx 就等缓冲区攒满（4 KB）或者回复结束才转发。"
        fail(f"{shown}: the first event reached the client only after the server had sent the whole reply (its "
             f"/healthz no longer counted the stream): nginx kept the reply in its buffers.{http10_en} The server "
             "behind it does not send X-Accel-Buffering: no (most apps do not), so your location must turn the "
             "buffering off itself: proxy_buffering off;",
             f"{shown}：第一个事件到达客户端时，服务器早已发完了整段回复（它的 /healthz 已经不再数这个流）："
             f"nginx 把回复攒在了缓冲区里。{http10_zh}它后面的服务器不发 X-Accel-Buffering: no（大多数应用都不发），"
             "所以你的 location 得自己关掉缓冲：proxy_buffering off;")


@pytest.mark.task(2)
def test_a_quiet_stream_stays_open(proxy: Proxy) -> None:
    got = ask(proxy.url, "/stream", {"prompt": QUIET, "model": "echo", "delay": "0", "stall": str(STALL_MS)})
    served(proxy, got)
    texts = [data for data in got.data if data != "[DONE]"]
    if got.cut or got.data[-1:] != ["[DONE]"]:
        found = re.search(r"upstream timed out .*? while reading upstream", proxy.errors())
        log = say(f" nginx's error.log: {found[0]}.", f"nginx 的 error.log：{found[0]}。") if found else ""
        fail(f"{got.shown}: nginx cut the stream after {len(texts)} of {len(QUIET)} events, while the server was quiet "
             f"for {STALL_MS / 1000:g} s (a model thinking, a slow tool, a queue).{log} nginx closes a stream when "
             f"the server has sent nothing for proxy_read_timeout: here the server block says {READ_TIMEOUT}, in for "
             "nginx's default of 60 s. A quiet stream is not a dead one: give your location a long "
             "proxy_read_timeout, say 1h",
             f"{got.shown}：服务器安静了 {STALL_MS / 1000:g} 秒（模型在思考、工具很慢、在排队），nginx 就在第 "
             f"{len(texts)} 个事件（共 {len(QUIET)} 个）之后把流切断了。{log}服务器超过 proxy_read_timeout 没发任何"
             f"东西，nginx 就关掉这个流：这里的 server 块设的是 {READ_TIMEOUT}，代替 nginx 默认的 60 秒。安静的流"
             "不等于死掉的流：给你的 location 设一个长的 proxy_read_timeout，比如 1h")
    same("".join(texts), QUIET, f"the text of {got.shown} through nginx", f"经过 nginx 的 {got.shown} 的文字")


@pytest.mark.task(3)
def test_kept_alive_connections_and_the_client_address(proxy: Proxy) -> None:
    query = {"prompt": "Hi 你好", "model": "echo", "delay": "0"}
    for _ in range(3):
        served(proxy, ask(proxy.url, "/stream", query))
    line, headers = proxy.tap.requests()[-1]
    opened = len(proxy.tap.sent)
    if opened > 1:
        why_en, why_zh = [], []
        if line.endswith("HTTP/1.0"):
            why_en.append("it asked in HTTP/1.0, its default, which has no kept-alive connections: proxy_http_version 1.1;")
            why_zh.append("它用的是默认的 HTTP/1.0，这个版本不能保持连接：proxy_http_version 1.1;")
        if headers.get("connection", "").lower() == "close":
            why_en.append('it sent the server Connection: close, as it does unless told otherwise: proxy_set_header Connection "";')
            why_zh.append('它给服务器发了 Connection: close，不另外设置时它总是这样发：proxy_set_header Connection "";')
        fail(f"3 streams one after the other, and nginx opened {opened} connections to the server, one per stream, "
             "though its upstream block keeps idle ones (keepalive 8). A new connection costs a handshake every "
             f"time, and a whole class reconnecting at once makes that hundreds. Here: {' '.join(why_en)}\n    the last request nginx sent: {line}",
             f"连续 3 个流，nginx 向服务器开了 {opened} 个连接，每个流一个，尽管它的 upstream 块会保留空闲连接"
             f"（keepalive 8）。每开一个新连接都要握手一次，全班一起重连时，"
             f"就是几百次。这里：{' '.join(why_zh)}\n    nginx 发出的最后一个请求：{line}")
    forwarded = [part.strip() for part in headers.get("x-forwarded-for", "").split(",")]
    if headers.get("x-real-ip") != "127.0.0.1" and "127.0.0.1" not in forwarded and "for=127.0.0.1" not in headers.get("forwarded", ""):
        fail(f"the request nginx passed on named no client address: to the server, every request came from nginx "
             "itself, and its logs and limits cannot tell one student from another. Pass it on: proxy_set_header "
             "X-Real-IP $remote_addr; and proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;"
             f"\n    the request: {line}\n    its headers: {headers}",
             "nginx 转发的请求里没有客户端的地址：在服务器看来，每个请求都来自 nginx 本身，它的日志和限流都分不出"
             "哪个学生是哪个。把地址传过去：proxy_set_header X-Real-IP $remote_addr; 和 proxy_set_header "
             f"X-Forwarded-For $proxy_add_x_forwarded_for;\n    请求：{line}\n    请求头：{headers}")


# Task 4: your client.js in Chromium, on a page of StreamLab's own origin.


SETTLE_MS = 3000  # every stream here ends within milliseconds


@dataclass
class Run:
    """How one streamReply(url, token, onText) went, as runner.js reports it, and what the server said."""

    url: str
    outcome: str  # resolved, rejected, timeout, threw, not-a-promise, import-error, missing
    text: object = None
    error: str = ""
    options: list[object] = field(default_factory=list)  # the second argument of each new EventSource()
    answers: list[tuple[str, int]] = field(default_factory=list)  # each /stream request: its URL and status

    @property
    def shown(self) -> str:
        return readable(self.url)


def readable(url: str) -> str:
    """A URL as a student reads it: its path and query, decoded, a line break shown as \\n."""
    parts = urlsplit(url)
    return unquote_plus(f"{parts.path}?{parts.query}").replace("\n", "\\n")


class Lab:
    """The page that runs the graded client.js."""

    def __init__(self, page: Page, target: Path) -> None:
        self.page, self.target = page, target
        self.answers: list[tuple[str, int]] = []
        self.errors: list[str] = []
        page.on("response", self.answered)
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def answered(self, response: Response) -> None:
        if urlsplit(response.url).path == "/stream":
            self.answers.append((response.url, response.status))

    def run(self, url: str, token: str) -> Run:
        self.answers.clear()
        self.page.context.clear_cookies()  # each case starts signed out
        report = self.page.evaluate("([url, token, timeout]) => window.run(url, token, timeout)", [url, token, SETTLE_MS])
        run = Run(url, report["outcome"], report.get("text"), report.get("error", ""), report.get("options", []), list(self.answers))
        path = self.target / "client.js"
        if run.outcome == "import-error":
            fail(f"{path} does not load: {run.error}", f"{path} 加载失败：{run.error}")
        if run.outcome == "missing":
            fail(f"{path} exports no function streamReply()", f"{path} 没有导出函数 streamReply()")
        if run.outcome in ("threw", "not-a-promise"):
            fail(f"streamReply({run.shown!r}, token, onText) {run.outcome}: {run.error}",
                 f"streamReply({run.shown!r}, token, onText) 出错（{run.outcome}）：{run.error}")
        if self.errors:
            fail(f"your code threw in the browser: {self.errors[0]}", f"你的代码在浏览器里抛出了异常：{self.errors[0]}")
        return run


@pytest.fixture
def lab(target: Path, browser: Browser, streamlab: Server) -> Iterator[Lab]:
    """A fresh page on StreamLab's origin: /lesson/ is served from here and from the graded folder."""
    if not (target / "client.js").is_file():
        fail(f"{target / 'client.js'} is missing", f"找不到 {target / 'client.js'}")
    with lesson_page(browser, streamlab.url, LESSON, target, "typeof window.run === 'function'") as page:
        yield Lab(page, target)


def refused(run: Run) -> None:
    """Explain why StreamLab refused a stream that should have come: what the request carried."""
    if not run.answers:
        fail(f"streamReply({run.shown!r}, token, onText) never asked for /stream ({run.outcome} {run.error})",
             f"streamReply({run.shown!r}, token, onText) 根本没有请求 /stream（{run.outcome} {run.error}）")
    url, status = next(((url, status) for url, status in run.answers if status != 200), run.answers[-1])
    sent = parse_qs(urlsplit(url).query).get("token", [])
    headers_en = headers_zh = ""
    if any(isinstance(options, dict) and "headers" in options for options in run.options):
        headers_en = " new EventSource(url, { headers }) ignores the headers: its second argument only knows withCredentials."
        headers_zh = "new EventSource(url, { headers }) 会忽略 headers：它的第二个参数只认识 withCredentials。"
    if status == 401 and not sent:
        fail(f"StreamLab answered 401 to GET {readable(url)}: the request carried no token. EventSource cannot send "
             f"headers (no Authorization: Bearer), so the token goes in the URL: ?token=...{headers_en}",
             f"StreamLab 对 GET {readable(url)} 回答了 401：请求里没有令牌。EventSource 不能发送请求头"
             f"（发不了 Authorization: Bearer），所以令牌要放进 URL：?token=...{headers_zh}")
    if status == 401:
        fail(f"StreamLab answered 401 to GET {readable(url)}: the token arrived as {sent[0]!r}, not {TOKEN!r}. In a query, + means "
             "a space and & starts the next field: encode the token (URLSearchParams, or encodeURIComponent)",
             f"StreamLab 对 GET {readable(url)} 回答了 401：令牌到了服务器变成了 {sent[0]!r}，而不是 {TOKEN!r}。在查询字符串里，"
             "+ 表示空格，& 开始下一个字段：要给令牌编码（URLSearchParams，或 encodeURIComponent）")
    fail(f"StreamLab answered {status} to GET {readable(url)}; streamReply() {run.outcome} {run.error}",
         f"StreamLab 对 GET {readable(url)} 回答了 {status}；streamReply() {run.outcome} {run.error}")


@pytest.mark.task(4)
def test_eventsource_carries_the_class_token(lab: Lab) -> None:
    for options in ({}, {"split": "on", "drop_after": "3", "retry": "100"}):  # drops: each reconnect needs the token too
        url = "/stream?" + urlencode({"prompt": TEXT, "model": "echo", "delay": 0, **options})
        run = lab.run(url, TOKEN)
        if run.outcome != "resolved" or any(status != 200 for _, status in run.answers):
            refused(run)
        same(run.text, TEXT, f"the text streamReply({run.shown!r}, token, onText) resolved with",
             f"streamReply({run.shown!r}, token, onText) 兑现的文字")
    # A wrong token: StreamLab refuses (401), the browser gives up, and streamReply() rejects.
    url = "/stream?" + urlencode({"prompt": TEXT, "model": "echo", "delay": 0})
    run = lab.run(url, "not-the-class-token")
    if run.outcome != "rejected":
        fail(f"with a wrong token, StreamLab answers 401 and the browser gives up (readyState 2, CLOSED): streamReply() "
             f"should reject, and it {run.outcome} {run.text if run.outcome == 'resolved' else ''}",
             f"令牌不对时，StreamLab 回答 401，浏览器随即放弃（readyState 2，CLOSED）：streamReply() 应该拒绝（reject），"
             f"它却 {run.outcome} {run.text if run.outcome == 'resolved' else ''}")
