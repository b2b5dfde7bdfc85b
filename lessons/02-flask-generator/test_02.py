"""Lesson 02's grader: the student's Flask app, served by a real Werkzeug server (what `flask run` uses).

Each response is read as it arrives and fed to StreamLab's strict WHATWG parser one byte at a
time, so what passes here is what EventSource reads. A wrapper around the app records any error
raised while the server runs the generator: the server itself can only cut the response short.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest

from lessons.grading import Served, fail, same, serve
from streamlab.decoder import Decoder, Message

TEXT = "Hi there 你好 🙂 streaming"
WORDS = TEXT.split()
LONGEST = 100_000  # bytes: far more than these replies need, so a stream that never ends fails instead of hanging


@pytest.fixture
def served(target: Path) -> Iterator[Served]:
    with serve(target) as served:
        yield served


@dataclass
class Reply:
    status: int
    headers: httpx.Headers
    raw: bytes
    messages: list[Message]


def get(served: Served, query: dict[str, str]) -> Reply:
    """GET /stream, reading the body as it arrives, one byte at a time into the strict parser."""
    decoder, raw, messages = Decoder(), b"", []
    try:
        with httpx.stream("GET", f"{served.url}/stream", params=query, timeout=30) as response:
            for chunk in response.iter_raw():
                raw += chunk
                if len(raw) > LONGEST:
                    fail(f"GET /stream?{urlencode(query)} sent more than {LONGEST} bytes and had not ended: end the "
                         'generator after "data: [DONE]\\n\\n"',
                         f"GET /stream?{urlencode(query)} 发了超过 {LONGEST} 字节还没结束：生成器在 "
                         '"data: [DONE]\\n\\n" 之后就该结束')
                messages += [message for byte in chunk for message in decoder.feed(bytes([byte]))]
            status, headers = response.status_code, response.headers
    except httpx.HTTPError as error:  # cut short: the app's error, if any, says why
        status, headers = 0, httpx.Headers()
        if not served.errors:
            fail(f"GET /stream?{urlencode(query)} failed: {type(error).__name__}: {error}",
                 f"GET /stream?{urlencode(query)} 失败了：{type(error).__name__}：{error}")
    for problem in served.errors:
        if isinstance(problem, RuntimeError) and "request context" in str(problem):
            fail("the generator read `request` after the view had returned: RuntimeError: Working outside of request "
                 "context. Flask runs the generator only once the view has returned its Response, and by then the "
                 "request is gone. Read request.args in the view and pass the values to the generator (or wrap it "
                 "in stream_with_context)",
                 "生成器在视图返回之后才去读 `request`：RuntimeError: Working outside of request context（在请求上下文之外）。"
                 "Flask 要等视图返回了 Response 才开始运行生成器，那时请求已经不在了。"
                 "在视图里读 request.args，把值作为参数传给生成器（或者用 stream_with_context 包住它）")
        fail(f"your app raised {type(problem).__name__}: {problem}", f"你的应用抛出了 {type(problem).__name__}：{problem}")
    return Reply(status, headers, raw, messages)


def stream_of(served: Served, text: str) -> Reply:
    reply = get(served, {"text": text})
    same(reply.status, 200, f"the status of GET /stream?text={text}", f"GET /stream?text={text} 的状态码")
    kind = reply.headers.get("Content-Type", "")
    if not kind.startswith("text/event-stream"):
        fail(f"the Content-Type is {kind!r}, not text/event-stream: EventSource refuses any other type, and proxies "
             'may buffer it. Return Response(generate(...), mimetype="text/event-stream")',
             f"Content-Type 是 {kind!r}，不是 text/event-stream：EventSource 不接受别的类型，代理也可能把它攒着不发。"
             '返回 Response(generate(...), mimetype="text/event-stream")')
    return reply


@pytest.mark.task(1)
def test_one_event_per_word(served: Served) -> None:
    reply = stream_of(served, TEXT)
    data = [message.data for message in reply.messages]
    if not data:
        fail(f"a client read no event from {reply.raw!r}: each event is \"data: WORD\" then a blank line, \"\\n\\n\"",
             f"客户端从 {reply.raw!r} 里一个事件也没读到：每个事件是 \"data: 词\" 再加一个空行 \"\\n\\n\"")
    same(data, [*WORDS, "[DONE]"], f"the events a client read from GET /stream?text={TEXT}",
         f"客户端从 GET /stream?text={TEXT} 读到的事件")
    same([m.event for m in reply.messages], ["message"] * (len(WORDS) + 1), "the events' names (none: message)", "事件的名字（不写就是 message）")
    if len([size for size in served.pieces if size]) < len(WORDS) + 1:
        fail(f"the body came in {len(served.pieces)} piece(s) for {len(WORDS) + 1} events: build it as you send it, "
             "with a generator that yields each event, so each goes out the moment it is ready",
             f"{len(WORDS) + 1} 个事件，响应体却只分成了 {len(served.pieces)} 段：用生成器一个事件一个事件地 yield，"
             "每个事件一准备好就发出去，而不是先拼好整段再返回")
    same([m.data for m in stream_of(served, "one").messages], ["one", "[DONE]"], "the events for ?text=one", "?text=one 的事件")


@pytest.mark.task(2)
def test_headers_that_keep_it_streaming(served: Served) -> None:
    reply = get(served, {"text": TEXT})  # the type is task 1's: here only these two headers count
    same(reply.status, 200, f"the status of GET /stream?text={TEXT}", f"GET /stream?text={TEXT} 的状态码")
    cache = [part.strip().lower() for part in reply.headers.get("Cache-Control", "").split(",")]
    if "no-cache" not in cache:
        fail(f"Cache-Control is {reply.headers.get('Cache-Control')!r}: send Cache-Control: no-cache, so no cache "
             "keeps or replays the stream",
             f"Cache-Control 是 {reply.headers.get('Cache-Control')!r}：要发送 Cache-Control: no-cache，免得缓存把流存下来或重放")
    buffering = reply.headers.get("X-Accel-Buffering")
    if (buffering or "").lower() != "no":
        fail(f"X-Accel-Buffering is {buffering!r}: send X-Accel-Buffering: no, or nginx in front of your app holds "
             "the events back and sends the whole reply at the end",
             f"X-Accel-Buffering 是 {buffering!r}：要发送 X-Accel-Buffering: no，否则前面的 nginx 会把事件攒着，"
             "最后才一次性发出整段回复")


@pytest.mark.task(3)
def test_bad_input_is_refused_before_the_stream(served: Served) -> None:
    for query, shown in [({}, "/stream"), ({"text": ""}, "/stream?text=")]:
        reply = get(served, query)
        if reply.status == 200:
            fail(f"GET {shown} answered 200 with {reply.raw!r}: once the first byte is sent the status cannot change. "
                 "Check ?text= in the view, and return a 400 before you return the stream",
                 f"GET {shown} 返回了 200 和 {reply.raw!r}：第一个字节发出去以后，状态码就改不了了。"
                 "在视图里检查 ?text=，在返回流之前先返回 400")
        same(reply.status, 400, f"the status of GET {shown} (no text)", f"GET {shown}（没有文字）的状态码")
        if reply.headers.get("Content-Type", "").startswith("text/event-stream"):
            fail(f"GET {shown} answered 400 as text/event-stream: an error before the stream is not a stream "
                 '(return {"error": ...}, 400: JSON)',
                 f"GET {shown} 用 text/event-stream 返回了 400：流开始之前的错误不是流"
                 '（return {"error": ...}, 400：返回 JSON）')
