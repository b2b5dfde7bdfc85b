"""Lesson 04's grader: your streamReply() runs in headless Chromium against a real StreamLab server.

The browser opens a page on the server's own origin, `/lesson/`, whose files Playwright serves from
here (no CORS): an empty page that loads runner.js, which imports your client.js. Every request the
page makes to /stream goes to the real server and is counted, so a reconnect the browser makes on
its own is seen. Each case streams a Chinese and emoji echo at delay=0, so it ends at once.
"""

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote_plus, urlencode, urlsplit

import pytest
from playwright.sync_api import Browser, Page, Request

from lessons.grading import fail, lesson_page, same
from tests.servers import Server

LESSON = Path(__file__).resolve().parent
PROMPT = "你好，世界 🙂 Hi"  # Chinese, an emoji, spaces: one chunk per code point
TEXT = "Hi 你好，世界 🙂\nline 2,  spaced"  # a line break and two spaces too
SETTLE_MS = 3000  # every stream here ends within milliseconds: waiting longer means it never settles
WATCH_MS = 800  # how long to watch for a reconnect after it settled (the streams say retry: 100)
STATES = {0: "CONNECTING", 1: "OPEN", 2: "CLOSED"}
WHAT_EN = {"resolved": "resolved", "timeout": f"did not settle within {SETTLE_MS // 1000} s"}
WHAT_ZH = {"resolved": "兑现了", "timeout": f"在 {SETTLE_MS // 1000} 秒内一直没有结束"}


def stream_url(**options: object) -> str:
    """A /stream URL for an echo of PROMPT at delay=0, with these options."""
    return "/stream?" + urlencode({"prompt": PROMPT, "model": "echo", "delay": 0, **options})


@dataclass
class Run:
    """How one call of streamReply(url, onText) went, as runner.js reports it."""

    url: str
    outcome: str  # resolved, rejected, timeout, threw, not-a-promise, import-error, missing
    text: object = None
    error: str = ""
    chunks: list[str] = field(default_factory=list)  # what onText received until it settled
    late: list[str] = field(default_factory=list)  # ... and after it settled
    ready_states: list[int] = field(default_factory=list)  # of each EventSource, when it settled
    requests: int = 0  # requests the page sent to /stream: more than 1 is a reconnect

    @property
    def shown(self) -> str:
        """The URL as a student reads it: 你好, not %E4%BD%A0%E5%A5%BD."""
        return unquote_plus(self.url)


class Lab:
    """The page that runs the graded client.js."""

    def __init__(self, page: Page, target: Path) -> None:
        self.page = page
        self.target = target
        self.requests: list[str] = []
        self.errors: list[str] = []
        page.on("request", self.count)
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def count(self, request: Request) -> None:
        if urlsplit(request.url).path == "/stream":
            self.requests.append(request.url)

    def run(self, url: str, watch: int = 0) -> Run:
        """Call streamReply(url, onText); after it settles, go on watching for watch ms."""
        self.requests.clear()
        report = self.page.evaluate("([url, options]) => window.run(url, options)", [url, {"timeout": SETTLE_MS, "after": watch}])
        run = Run(url, report["outcome"], report.get("text"), report.get("error", ""), report.get("chunks", []),
                  report.get("late", []), report.get("readyStates", []), len(self.requests))
        loads(run, self.target)
        if self.errors:
            fail(f"your code threw in the browser while streaming {unquote_plus(url)!r}: {self.errors[0]}",
                 f"流式接收 {unquote_plus(url)!r} 时，你的代码在浏览器里抛出了异常：{self.errors[0]}")
        return run


@pytest.fixture
def lab(target: Path, browser: Browser, flask_server: Server) -> Iterator[Lab]:
    """A fresh page on the server's origin, /lesson/ served from here and from the graded folder."""
    if not (target / "client.js").is_file():
        fail(f"{target / 'client.js'} is missing", f"找不到 {target / 'client.js'}")
    with lesson_page(browser, flask_server.url, LESSON, target, "typeof window.run === 'function'") as page:
        yield Lab(page, target)


def loads(run: Run, target: Path) -> None:
    """Fail unless client.js loads, exports streamReply() and that returns a Promise."""
    path = target / "client.js"
    if run.outcome == "import-error":
        where = syntax_error(path) or "(the browser's console shows where)"
        fail(f"{path} does not load: {run.error}\n{where}", f"{path} 加载失败：{run.error}\n{where}")
    if run.outcome == "missing":
        fail(f"{path} exports no function streamReply()", f"{path} 没有导出函数 streamReply()")
    if run.outcome == "threw":
        fail(f"streamReply({run.shown!r}, onText) threw {run.error}", f"streamReply({run.shown!r}, onText) 抛出了 {run.error}")
    if run.outcome == "not-a-promise":
        fail(f"streamReply() should return a Promise, and returned {run.error}", f"streamReply() 应该返回一个 Promise，实际返回了 {run.error}")


def syntax_error(path: Path) -> str:
    """Where `node --check` finds a syntax error in the ES module at path; "" without Node.js."""
    if shutil.which("node") is None:
        return ""
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / "client.mjs"  # .mjs: Node reads it as a module, as the browser does
        copy.write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
        done = subprocess.run(["node", "--check", str(copy)], capture_output=True, text=True, timeout=60)
        lines = [line for line in done.stderr.replace(str(copy), str(path)).splitlines() if line.strip()]
    ends = [index for index, line in enumerate(lines) if line.startswith("SyntaxError")]
    return "\n".join(lines[:ends[0]]) if ends else ""


def resolves(run: Run, expected: str) -> None:
    """Fail unless the run resolved with expected, having passed it to onText chunk by chunk."""
    if run.outcome == "timeout":
        fail(f"streamReply({run.shown!r}) did not settle within {SETTLE_MS // 1000} s, though the stream ended at once with "
             "data: [DONE]: at [DONE], resolve the Promise with the whole text (call finish())",
             f"streamReply({run.shown!r}) 在 {SETTLE_MS // 1000} 秒内没有结束，可这个流一下子就以 data: [DONE] 结束了："
             "收到 [DONE] 时，用完整的文字兑现（resolve）Promise（调用 finish()）")
    if run.outcome == "rejected":
        fail(f"streamReply({run.shown!r}) rejected with {run.error!r}, though the stream ended normally",
             f"流正常结束了，streamReply({run.shown!r}) 却以 {run.error!r} 拒绝（reject）了")
    if isinstance(run.text, str) and run.text.endswith("[DONE]"):
        fail(f"the text ends with '[DONE]': it is the end signal, not text. Received {run.text!r}",
             f"文字的结尾是 '[DONE]'：它是结束信号，不是文字。实际：{run.text!r}")
    same(run.text, expected, f"the text streamReply({run.shown!r}) resolved with", f"streamReply({run.shown!r}) 兑现的文字")
    same("".join(run.chunks), expected, "the chunks onText received, joined", "onText 收到的各块连起来")


def closed(run: Run, signal: str) -> None:
    """Fail unless the EventSource was closed when the run settled, and the browser never reconnected."""
    still_open = [state for state in run.ready_states if state != 2]
    if not still_open and run.requests <= 1:
        return
    number = still_open[0] if still_open else 2
    state_en, state_zh = f"{number} ({STATES[number]})", f"{number}（{STATES[number]}）"
    again = "".join(run.late)[:len(PROMPT) + 1] + "…"
    late_en = f", and the reply started over: after the end, onText received {len(run.late)} more chunks, {again!r}" if run.late else ""
    late_zh = f"，回复还从头再来：结束之后 onText 又收到了 {len(run.late)} 块，{again!r}" if run.late else ""
    fail(f"the client never calls close(): when streamReply() settled, the EventSource's readyState was {state_en}, "
         f"not 2 (CLOSED). The server then ended the response, and the browser, which cannot tell a finished stream "
         f"from a dropped one, reconnected: {run.requests} requests to {run.shown!r} in {WATCH_MS} ms instead of 1{late_en}. "
         f"Call source.close() at {signal}, before you settle the Promise",
         f"客户端没有调用 close()：streamReply() 结束时，EventSource 的 readyState 是 {state_zh}，不是 2（CLOSED）。"
         f"随后服务器结束了响应，浏览器分不清“流发完了”和“掉线了”，于是重连：{WATCH_MS} 毫秒内向 {run.shown!r} "
         f"发了 {run.requests} 次请求，而不是 1 次{late_zh}。收到 {signal} 时先调用 source.close()，再结束 Promise")


@pytest.mark.task(1)
def test_the_text_arrives_chunk_by_chunk(lab: Lab) -> None:
    run = lab.run(stream_url())
    resolves(run, PROMPT)
    same(run.chunks, list(PROMPT), "the chunks onText received, one call per event (chunk=char)",
         "onText 收到的各块，每个事件调用一次（chunk=char）")
    # Words, CRLF line endings, events cut across reads: EventSource parses them all for you.
    run = lab.run(stream_url(prompt=TEXT, chunk="word", newline="crlf", split="on"))
    resolves(run, TEXT)


@pytest.mark.task(2)
def test_the_stream_is_closed_at_done(lab: Lab) -> None:
    run = lab.run(stream_url(ids="off", retry=100), watch=WATCH_MS)
    resolves(run, PROMPT)
    closed(run, "[DONE]")


@pytest.mark.task(3)
def test_the_named_end_event_ends_the_stream(lab: Lab) -> None:
    run = lab.run(stream_url(end="event", ids="off", retry=100), watch=WATCH_MS)
    if run.outcome == "timeout" and not run.chunks:
        fail(f"streamReply({run.shown!r}) did not settle, and onText received no text: do task 1 first",
             f"streamReply({run.shown!r}) 一直没有结束，onText 也没收到任何文字：先完成任务 1")
    if run.outcome == "timeout":
        again_en = f", while the browser reconnected {run.requests - 1} times and the reply started over" if run.requests > 1 else ""
        again_zh = f"，浏览器却重连了 {run.requests - 1} 次，回复一遍遍从头再来" if run.requests > 1 else ""
        fail(f"onmessage only hears events without a name: with end=event the stream ends with `event: end` (and a data "
             f"line), which never reaches onmessage, so streamReply({run.shown!r}) never settled{again_en}. "
             "Listen for it: source.addEventListener('end', ...)",
             f"onmessage 只收没有名字的事件：end=event 时，流以 `event: end`（外加一行 data）结束，这个事件到不了 onmessage，"
             f"所以 streamReply({run.shown!r}) 一直没有结束{again_zh}。要单独监听它：source.addEventListener('end', ...)")
    if isinstance(run.text, str) and "usage" in run.text:
        fail(f"the end event's data (the usage counts) is not reply text. Received {run.text!r}",
             f"end 事件的 data（用量统计）不是回复的文字。实际：{run.text!r}")
    resolves(run, PROMPT)
    closed(run, "event: end")


@pytest.mark.task(4)
def test_errors_reject_and_a_drop_reconnects(lab: Lab) -> None:
    # The server's own error frame, in place of chunk 3: `event: error` + `data: simulated error at chunk 3`.
    run = lab.run(stream_url(error_at=3))
    if run.outcome == "timeout" and not run.chunks:
        fail(f"streamReply({run.shown!r}) did not settle, and onText received no text: do task 1 first",
             f"streamReply({run.shown!r}) 一直没有结束，onText 也没收到任何文字：先完成任务 1")
    if run.outcome != "rejected":
        got_en = {"resolved": f"it resolved with {run.text!r}", "timeout": f"it did not settle within {SETTLE_MS // 1000} s"}[run.outcome]
        got_zh = {"resolved": f"它却以 {run.text!r} 兑现了", "timeout": f"它却在 {SETTLE_MS // 1000} 秒内没有结束"}[run.outcome]
        fail(f"an `event: error` frame should reject the Promise with its data as the message, but {got_en} "
             f"({run.shown!r}). Listen with source.addEventListener('error', ...): the frame arrives as a MessageEvent",
             f"收到 `event: error` 帧时，应该以它的 data 为错误信息拒绝（reject）Promise，{got_zh}（{run.shown!r}）。"
             "用 source.addEventListener('error', ...) 监听：这个帧到来时是一个 MessageEvent")
    same(run.error, "simulated error at chunk 3", "the message streamReply() rejected with (the error frame's data)",
         "streamReply() 拒绝时的错误信息（错误帧的 data）")
    same(run.chunks, list(PROMPT[:2]), "the chunks onText received before the error", "出错之前 onText 收到的各块")

    # The same error with end=close: nothing follows it, so only close() stops the browser reconnecting.
    run = lab.run(stream_url(error_at=3, end="close", ids="off", retry=100), watch=WATCH_MS)
    if run.outcome == "rejected" and (any(state != 2 for state in run.ready_states) or run.requests > 1):
        fail(f"after the error frame the EventSource stayed open: the server ended the response, the browser reconnected "
             f"and met the same error again ({run.requests} requests to {run.shown!r} in {WATCH_MS} ms). "
             "Call source.close() before reject()",
             f"收到错误帧之后，EventSource 还开着：服务器结束响应后，浏览器重连，又遇到同一个错误"
             f"（{WATCH_MS} 毫秒内向 {run.shown!r} 发了 {run.requests} 次请求）。先调用 source.close()，再 reject()")

    # A request the server refuses (400: the prompt is empty): the browser gives up at once.
    run = lab.run("/stream?prompt=&model=echo")
    if run.outcome != "rejected":
        fail(f"the server refused {run.shown!r} (400), so the browser gave up: an error event without data, and readyState "
             f"2 (CLOSED). streamReply() should reject then, but it {WHAT_EN[run.outcome]}. "
             "Check source.readyState === EventSource.CLOSED in the error listener",
             f"服务器拒绝了 {run.shown!r}（400），浏览器随即放弃：触发一个不带 data 的 error 事件，readyState 变成 2（CLOSED）。"
             f"这时 streamReply() 应该拒绝（reject），它却{WHAT_ZH[run.outcome]}。在 error 监听器里检查 "
             "source.readyState === EventSource.CLOSED")

    # A connection that drops after every 2 chunks: EventSource reconnects and resumes (Last-Event-ID) by itself.
    run = lab.run(stream_url(drop_after=2, retry=100))
    if run.outcome == "rejected":
        fail(f"the connection dropped after every 2 chunks ({run.shown!r}): EventSource fires error with readyState 0 "
             f"(CONNECTING), reconnects by itself and resumes, but streamReply() rejected with {run.error!r}. "
             "Reject only on an error frame or at readyState 2 (CLOSED)",
             f"连接每 2 块就断一次（{run.shown!r}）：EventSource 触发 error，readyState 是 0（CONNECTING），"
             f"它会自己重连并接着发，streamReply() 却以 {run.error!r} 拒绝了。只在收到错误帧或 readyState 为 2（CLOSED）时拒绝")
    resolves(run, PROMPT)
    same(run.chunks, list(PROMPT), "the chunks onText received across the reconnects (nothing repeated, nothing lost)",
         "跨越几次重连，onText 收到的各块（不重复，不丢失）")
