"""Lesson 10's grader: your app.py served by a real Werkzeug server, your stop.js run in Node.

Tasks 1 to 3 open streams on plain sockets, as a browser tab does, read them with StreamLab's
strict WHATWG parser one byte at a time, and leave (close the socket) whenever a tab would:
mid-reply, or during a silent pause. Then they ask your /count whether the stream gave back its
place. Task 4 runs streamReply() in Node against a real StreamLab, presses Stop
(controller.abort()) and asks StreamLab's /healthz whether the server noticed.
"""

import json
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from lessons.grading import Served, fail, node, same, say, serve
from streamlab.decoder import Decoder, Message
from tests.servers import Server

WORDS = ["Hi", "there", "你好", "🙂", "streaming", "words", "one", "by", "one"]
MANY = [f"w{n}" for n in range(200)]  # 20 s of words at 0.1 s each: far longer than a check waits
QUICKLY = 1.5  # seconds: how soon a stream must give its place back once its client has left (it takes ~0.1 s)


@pytest.fixture
def served(target: Path) -> Iterator[Served]:
    with serve(target) as served:
        yield served


def raised(served: Served) -> None:
    for problem in served.errors:
        fail(f"your app raised {type(problem).__name__}: {problem}", f"你的应用抛出了 {type(problem).__name__}：{problem}")


def open_count(served: Served) -> int:
    """What GET /count says: the app's open streams."""
    response = httpx.get(f"{served.url}/count", timeout=5)
    raised(served)
    try:
        count = response.json()["open_streams"]
    except (ValueError, KeyError, TypeError):
        count = None
    if response.status_code != 200 or not isinstance(count, int):
        fail(f'GET /count answered {response.status_code} {response.text!r}: it must answer {{"open_streams": N}}',
             f'GET /count 返回了 {response.status_code} {response.text!r}：它应该返回 {{"open_streams": N}}')
    return count


def count_becomes(served: Served, wanted: int, seconds: float) -> int:
    """Ask /count until it says wanted, for at most seconds; return what it said last."""
    deadline = time.monotonic() + seconds
    while (count := open_count(served)) != wanted and time.monotonic() < deadline:
        time.sleep(0.02)
    return count


def described(value: str) -> str:
    """A query value as a student reads it: not percent-encoded, and a long text cut short."""
    words = value.split()
    return value if len(words) <= 10 else f"{' '.join(words[:3])} ... {words[-1]}" + say(f" ({len(words)} words)", f"（{len(words)} 个词）")


class Stream:
    """GET /stream on a plain socket, read as it arrives, and left whenever the grader says: a closed tab."""

    def __init__(self, served: Served, query: dict[str, str]) -> None:
        self.shown = "GET /stream?" + "&".join(f"{name}={described(value)}" for name, value in query.items())
        self.sock = socket.create_connection(("127.0.0.1", served.port), timeout=5)
        self.sock.sendall(f"GET /stream?{urlencode(query)} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        self.head, self.pending, self.size = b"", b"", None  # the response head; the chunked body being read
        self.headed = self.chunked = self.ended = False
        self.decoder = Decoder()
        self.messages: list[Message] = []
        self.comments_first = -1  # the comments that had arrived when the first event did

    def read_until(self, done: Callable[[], bool], seconds: float) -> bool:
        """Read until done() or the response ends or time runs out; say whether done()."""
        deadline = time.monotonic() + seconds
        while not done() and not self.ended:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(4096)
            except TimeoutError:
                return False
            except OSError:
                data = b""
            if not data:
                self.ended = True
            self.take(data)
        return done()

    def take(self, data: bytes) -> None:
        if not self.headed:
            self.head += data
            if b"\r\n\r\n" not in self.head:
                return
            self.head, _, data = self.head.partition(b"\r\n\r\n")
            self.headed = True
            self.chunked = b"transfer-encoding: chunked" in self.head.lower()
        self.pending += data
        if not self.chunked:
            self.parse(self.pending)
            self.pending = b""
            return
        while True:  # Transfer-Encoding: chunked: a hex size line, that many bytes, CRLF; size 0 ends it
            if self.size is None:
                line, crlf, rest = self.pending.partition(b"\r\n")
                if not crlf:
                    return
                self.size, self.pending = int(line.split(b";")[0], 16), rest
                if self.size == 0:
                    self.ended = True
                    return
            if len(self.pending) < self.size + 2:
                return
            self.parse(self.pending[:self.size])
            self.pending, self.size = self.pending[self.size + 2:], None

    def parse(self, body: bytes) -> None:
        for byte in body:
            for message in self.decoder.feed(bytes([byte])):
                if not self.messages:
                    self.comments_first = len(self.decoder.comments)
                self.messages.append(message)

    @property
    def status(self) -> str:
        return self.head.split(b"\r\n")[0].decode(errors="replace")

    def events(self, count: int, seconds: float = 3) -> None:
        """Wait for count events; fail, saying what arrived, if they do not come."""
        if not self.read_until(lambda: len(self.messages) >= count, seconds):
            fail(f"{self.shown}: expected {count} event(s) within {seconds:g} s, received {len(self.messages)} "
                 f"({self.status or 'no response'}; data so far {[m.data for m in self.messages]!r}). Keep the "
                 'stream as the starter has it: ": ok", then "data: WORD" per word, then "data: [DONE]"',
                 f"{self.shown}：{seconds:g} 秒内应该收到 {count} 个事件，实际收到 {len(self.messages)} 个"
                 f"（{self.status or '没有响应'}；目前的数据 {[m.data for m in self.messages]!r}）。"
                 '流的内容保持起始代码的样子：": ok"，每个词一个 "data: 词"，最后 "data: [DONE]"')

    def finish(self, seconds: float = 5) -> list[str]:
        """Read to the end of the response; return the events' data."""
        if not self.read_until(lambda: False, seconds) and not self.ended:
            fail(f"{self.shown} had not ended after {seconds:g} s", f"{self.shown} 过了 {seconds:g} 秒还没有结束")
        self.sock.close()
        return [message.data for message in self.messages]

    def leave(self) -> None:
        self.sock.close()


def opened(served: Served, query: dict[str, str]) -> Stream:
    """A stream, open and counted: fail when /count does not count it."""
    before = open_count(served)
    stream = Stream(served, query)
    stream.read_until(lambda: stream.headed, 3)
    count = count_becomes(served, before + 1, 0.5)
    if count != before + 1:
        fail(f"while {stream.shown} was open, GET /count said {count}, not {before + 1}. Count the stream first "
             "(task 1): count_stream(+1) when the generator starts",
             f"{stream.shown} 打开期间，GET /count 返回的是 {count}，不是 {before + 1}。先把流数上（任务 1）："
             "生成器一开始就 count_stream(+1)")
    return stream


def left_and_released(served: Served, query: dict[str, str], events: int) -> tuple[Stream, int]:
    """Open a stream, read events, leave; return it and how many streams it left counted QUICKLY seconds later."""
    before = open_count(served)
    stream = opened(served, query)
    if events:
        stream.events(events)
    stream.leave()
    return stream, count_becomes(served, before, QUICKLY) - before


def no_finally(stream: Stream) -> None:
    fail(f"the client left {stream.shown} after {len(stream.messages)} event(s), and {QUICKLY:g} s later GET /count "
         "still counted it: release it in finally. When a client leaves, the server closes the generator: "
         "GeneratorExit is raised at the yield where it waits, and the code after the loop never runs. "
         "Put count_stream(-1) in the finally block of a try around the whole stream",
         f"客户端在收到 {len(stream.messages)} 个事件后离开了 {stream.shown}，{QUICKLY:g} 秒后 GET /count 还在数它："
         "要在 finally 里释放。客户端离开时，服务器会关闭生成器：在它停着的那个 yield 处抛出 GeneratorExit，"
         "循环后面的代码根本不会运行。用 try 包住整个流，把 count_stream(-1) 放进 finally")


@pytest.mark.task(1)
def test_count_each_open_stream(served: Served) -> None:
    same(open_count(served), 0, "GET /count before any stream", "还没有流的时候 GET /count 的结果")
    first = Stream(served, {"text": " ".join(WORDS * 3)})  # 2.7 s: still open when the second one starts, however busy the machine
    first.events(1)
    count = open_count(served)
    if count == 0:
        fail(f"while {first.shown} was open, GET /count said 0: count_stream(+1) at the start of generate(), "
             "before its first yield",
             f"{first.shown} 打开期间，GET /count 返回 0：在 generate() 开头、第一个 yield 之前 count_stream(+1)")
    same(count, 1, f"GET /count while {first.shown} was open", f"{first.shown} 打开期间 GET /count 的结果")
    second = Stream(served, {"text": "one two"})
    second.events(1)
    same(open_count(served), 2, "GET /count while two streams were open", "两个流同时打开时 GET /count 的结果")
    same(first.finish(10), [*WORDS * 3, "[DONE]"], f"the events a client read from {first.shown}", f"客户端从 {first.shown} 读到的事件")
    same(second.finish(), ["one", "two", "[DONE]"], f"the events a client read from {second.shown}", f"客户端从 {second.shown} 读到的事件")
    count = count_becomes(served, 0, 1)
    if count != 0:
        fail(f"both streams had ended (after data: [DONE]), and GET /count still said {count}: count_stream(-1) "
             "once the stream is over",
             f"两个流都已经结束（发完了 data: [DONE]），GET /count 还是 {count}：流结束时要 count_stream(-1)")


@pytest.mark.task(2)
def test_release_it_when_the_client_leaves(served: Served) -> None:
    stream, kept = left_and_released(served, {"text": " ".join(MANY)}, events=2)
    if kept:
        no_finally(stream)
    stream, kept = left_and_released(served, {"text": " ".join(MANY)}, events=0)  # before the first word
    if kept:
        no_finally(stream)
    finished = Stream(served, {"text": "and one that ends"})
    finished.finish()
    same(count_becomes(served, 0, 1), 0, "GET /count after a stream that ended (data: [DONE])",
         "一个流正常结束（data: [DONE]）之后 GET /count 的结果")


@pytest.mark.task(3)
def test_a_heartbeat_while_the_stream_is_silent(served: Served) -> None:
    stream = Stream(served, {"text": "Hi 你好", "pause": "1"})
    data = stream.finish()
    same(data, ["Hi", "你好", "[DONE]"], f"the events a client read from {stream.shown}", f"客户端从 {stream.shown} 读到的事件")
    if stream.comments_first < 2:
        fail(f"{stream.shown} was silent for 1 s before its first word: {stream.comments_first} comment(s) arrived "
             "in that time. A stream that writes nothing cannot notice that its client has left. Send a heartbeat: "
             f'PING (": ping\\n\\n") every HEARTBEAT seconds while it waits\n    comments received: {stream.decoder.comments!r}',
             f"{stream.shown} 在第一个词之前安静了 1 秒：这段时间里只收到 {stream.comments_first} 条注释。"
             "什么都不写的流，发现不了客户端已经走了。要发心跳：等待的时候每 HEARTBEAT 秒发一次 PING（\": ping\\n\\n\"）"
             f"\n    收到的注释：{stream.decoder.comments!r}")
    stream, kept = left_and_released(served, {"text": "Hi 你好", "pause": "10"}, events=0)
    if kept:
        leaving, still = left_and_released(served, {"text": " ".join(MANY)}, events=2)
        if still:
            no_finally(leaving)
        fail(f"the client left {stream.shown} during its 10 s silent pause, and {QUICKLY:g} s later GET /count still "
             "counted it. The server notices a client has gone only when it writes, so a silent stream holds its "
             f'place until the pause is over. Send a heartbeat: PING (": ping\\n\\n") every HEARTBEAT seconds while it waits',
             f"客户端在 {stream.shown} 安静等待的 10 秒里离开了，{QUICKLY:g} 秒后 GET /count 还在数它。"
             "服务器只有在写数据时才会发现客户端走了，所以安静的流要等停顿结束才让出位置。"
             '要发心跳：等待的时候每 HEARTBEAT 秒发一次 PING（": ping\\n\\n"）')


# Task 4: streamReply() in Node, against a real StreamLab. Each body gets model=echo.
RUNNER = Path(__file__).with_name("runner.mjs")
MARKER = "@@lesson-10-runner@@ "
HELLO = "Hello, 你好，世界 🙂 streaming!"
LONG = "Stop me 你好 🙂 " * 5  # 65 characters at 25 ms: 1.6 s, if nothing stops it
CASES = {
    "whole": ({"message": HELLO, "delay": 0, "split": "on"}, None),
    "stop": ({"message": LONG, "delay": 25}, 3),
    "stop at once": ({"message": LONG, "delay": 25}, 0),
    "refused": ({"message": ""}, None),
}


def shown(body: dict[str, Any]) -> str:
    return f"streamReply(url, {json.dumps(body, ensure_ascii=False)}, onText, signal)"


def abort_is_error(request: str, result: dict[str, Any], when: str, zh_when: str) -> None:
    fail(f"{request} rejected with {result['name']}: {result['error']!r} when Stop was pressed {when}: an AbortError "
         "is not a failure. The user asked to stop, so the page must not show an error: catch it "
         "(if (error.name === 'AbortError') return { text, stopped: true }) and throw only other errors",
         f"{zh_when}按下了停止，{request} 却以 {result['name']}：{result['error']!r} reject 了：AbortError 不是失败。"
         "是用户自己要停的，页面不该显示错误：捕获它"
         "（if (error.name === 'AbortError') return { text, stopped: true }），只把别的错误抛出去")


@pytest.mark.task(4)
def test_stop_from_the_page(target: Path, flask_server: Server) -> None:
    cases = [{"name": name, "body": {"model": "echo", **body}, "abortAfter": after} for name, (body, after) in CASES.items()]
    done = node(RUNNER, str(target / "stop.js"), json.dumps(cases), flask_server.url, timeout=30)
    if MARKER not in done.stdout:
        fail(f"{target / 'stop.js'} could not be run in Node:\n{done.stderr.strip()}",
             f"{target / 'stop.js'} 无法在 Node 里运行：\n{done.stderr.strip()}")
    found = json.loads(done.stdout.rpartition(MARKER)[2])
    if "importError" in found:
        fail(f"{target / 'stop.js'} does not load: {found['importError']}", f"{target / 'stop.js'} 加载出错：{found['importError']}")
    if "missing" in found:
        fail(f"{target / 'stop.js'} exports no function streamReply()", f"{target / 'stop.js'} 没有导出函数 streamReply()")
    results = {case["name"]: (case["body"], found["results"][case["name"]]) for case in cases}

    for body, result in results.values():
        if result["outcome"] in ("threw", "not-a-promise"):
            fail(f"{shown(body)} must return a Promise (write it as an async function)",
                 f"{shown(body)} 要返回一个 Promise（把它写成 async 函数）")
        if result["outcome"] == "timeout":
            fail(f"{shown(body)} did not settle within 4 s", f"{shown(body)} 4 秒内既没有 resolve 也没有 reject")

    body, result = results["whole"]
    if result["outcome"] != "resolved":
        fail(f"{shown(body)}, never stopped, rejected with {result['error']!r}: resolve with {{ text, stopped: false }} at data: [DONE]",
             f"{shown(body)} 没有被停止，却 reject 了：{result['error']!r}。读到 data: [DONE] 时要 resolve {{ text, stopped: false }}")
    same(result["value"], {"text": HELLO, "stopped": False}, f"what {shown(body)} resolved with, never stopped",
         f"没有按停止时 {shown(body)} resolve 的值")

    body, result = results["stop"]
    if result["outcome"] == "rejected" and result["name"] == "AbortError":
        abort_is_error(shown(body), result, "after 3 pieces", "收到 3 段之后")
    if result["outcome"] == "resolved" and isinstance(result["value"], dict) and result["value"].get("stopped") is False:
        fail(f"Stop was pressed (controller.abort()) after 3 pieces, but {shown(body)} read the whole reply: give fetch "
             "the signal, fetch(url, { ..., signal }), so that abort() closes the connection",
             f"收到 3 段后就按了停止（controller.abort()），{shown(body)} 却把整个回复读完了：把 signal 交给 fetch，"
             "fetch(url, { ..., signal })，这样 abort() 才会关闭连接")
    if result["outcome"] == "rejected":
        fail(f"Stop was pressed after 3 pieces, and {shown(body)} rejected with {result['name']}: {result['error']!r}: "
             "resolve with { text, stopped: true } instead",
             f"收到 3 段后按了停止，{shown(body)} 以 {result['name']}：{result['error']!r} reject 了："
             "应该 resolve { text, stopped: true }")
    pieces = result["pieces"]
    same(result["value"], {"text": "".join(pieces), "stopped": True},
         f"what {shown(body)} resolved with when Stop was pressed after 3 pieces: the text so far (what onText received), and stopped: true",
         f"收到 3 段后按停止时 {shown(body)} resolve 的值：目前为止的文字（onText 收到的内容），以及 stopped: true")
    if result["noticedAfter"] is None:
        fail("after Stop, StreamLab's /healthz still counted the stream 0.8 s later: the connection stayed open. Give "
             "fetch the signal (fetch(url, { ..., signal })): abort() then closes the connection, and the server "
             "notices at its next write",
             "按了停止 0.8 秒后，StreamLab 的 /healthz 还在数这个流：连接一直开着。把 signal 交给 fetch"
             "（fetch(url, { ..., signal })）：abort() 才会关闭连接，服务器在下一次写入时就会发现")

    body, result = results["stop at once"]
    if result["outcome"] == "rejected" and result["name"] == "AbortError":
        abort_is_error(shown(body), result, "before the response arrived", "响应还没到就")
    if result["outcome"] == "rejected":
        fail(f"Stop was pressed before the response arrived, and {shown(body)} rejected with {result['error']!r}: "
             "fetch() itself rejects with an AbortError then, so catch it around the fetch too",
             f"响应还没到就按了停止，{shown(body)} reject 了：{result['error']!r}。这时 fetch() 本身就会以 AbortError "
             "失败，所以 fetch 也要放在 try/catch 里")
    same(result["value"], {"text": "", "stopped": True},
         f"what {shown(body)} resolved with when Stop was pressed before the response arrived",
         f"响应还没到就按停止时 {shown(body)} resolve 的值")

    body, result = results["refused"]
    message = httpx.post(f"{flask_server.url}/api/chat", json=body).json()["error"]["message"]
    if result["outcome"] != "rejected" or message not in result["error"]:
        received = result.get("error") if result["outcome"] == "rejected" else f"resolved {result['value']!r}"
        fail(f"{shown(body)} must still throw an Error with the server's message: only an AbortError is a stop"
             f"\n    expected: an Error whose message contains {message!r}\n    received: {received!r}",
             f"{shown(body)} 仍然要抛出带有服务器错误信息的 Error：只有 AbortError 才算停止"
             f"\n    期望：一个 message 包含 {message!r} 的 Error\n    实际：{received!r}")
