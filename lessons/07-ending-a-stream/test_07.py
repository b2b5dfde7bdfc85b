"""Lesson 07's grader: your Flask app, served by a real Werkzeug server (what `flask run` uses).

Each response is read as it arrives and fed to StreamLab's strict WHATWG parser one byte at a
time, so the events seen here are the ones EventSource dispatches. Task 3 then does what
EventSource does when a response ends: it sends the same request again, with the last id it saw
as Last-Event-ID. A wrapper around the app keeps any error raised while the server runs it.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from lessons.grading import Served, fail, same, serve
from streamlab.decoder import Decoder, Message

TEXT = "Hi there 你好 🙂 streaming"
WORDS = TEXT.split()
LONGEST = 100_000  # bytes: far more than these replies need, so a stream that never ends fails instead of hanging
WAIT = 5  # seconds: every response here is ready at once, so waiting longer means it never comes


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
    last_event_id: str  # what EventSource would send as Last-Event-ID when it reconnects
    request: str  # the request, as a student reads it

    @property
    def wire(self) -> str:
        """The bytes as text, for a message: 你好 readable, \n visible in its repr."""
        return self.raw.decode("utf-8", errors="replace")

    @property
    def chunks(self) -> list[Message]:
        return [m for m in self.messages if m.event == "message" and m.data != "[DONE]"]


def get(served: Served, query: dict[str, str], last_event_id: str | None = None) -> Reply:
    """GET /stream, reading the body as it arrives, one byte at a time into the strict parser."""
    shown = "&".join(f"{name}={value}" for name, value in query.items())  # 你好, not %E4%BD%A0%E5%A5%BD
    request = f"GET /stream?{shown}" + (f" with Last-Event-ID: {last_event_id}" if last_event_id else "")
    headers = {"Last-Event-ID": last_event_id} if last_event_id else {}
    decoder, raw, messages = Decoder(), b"", []
    try:
        with httpx.stream("GET", f"{served.url}/stream", params=query, headers=headers, timeout=WAIT) as response:
            for chunk in response.iter_raw():
                raw += chunk
                if len(raw) > LONGEST:
                    fail(f"{request} sent more than {LONGEST} bytes and had not ended: end the generator after the end signal",
                         f"{request} 发了超过 {LONGEST} 字节还没结束：发完结束信号，生成器就该结束")
                messages += [message for byte in chunk for message in decoder.feed(bytes([byte]))]
            status, headers = response.status_code, response.headers
    except httpx.TimeoutException:
        fail(f"{request}: nothing more came for {WAIT} s, and the response did not end. Is the generator waiting for something?",
             f"{request}：{WAIT} 秒内没有再收到任何东西，响应也没有结束。生成器是不是在等什么东西？")
    except httpx.HTTPError as error:  # cut short: the app's error, if any, says why
        status, headers = 0, httpx.Headers()
        if not served.errors:
            fail(f"{request} failed: {type(error).__name__}: {error}", f"{request} 失败了：{type(error).__name__}：{error}")
    for problem in served.errors:
        if last_event_id and not last_event_id.isdigit():
            fail(f"{request}: your app raised {type(problem).__name__}: {problem}. Last-Event-ID comes from the client and "
                 "can be anything: a value that is not a number counts as 0 (send the stream from the start), it must not "
                 "break the view",
                 f"{request}：你的应用抛出了 {type(problem).__name__}：{problem}。Last-Event-ID 是客户端发来的，什么值都可能有："
                 "不是数字的值当作 0（从头发送整个流），不能让视图出错")
        fail(f"{request}: your app raised {type(problem).__name__}: {problem}",
             f"{request}：你的应用抛出了 {type(problem).__name__}：{problem}")
    return Reply(status, headers, raw, messages, decoder.last_event_id, request)


def stream_of(served: Served, end: str | None, text: str = TEXT) -> Reply:
    """A whole stream, checked to be one: 200 and text/event-stream."""
    reply = get(served, {"text": text} if end is None else {"text": text, "end": end})
    same(reply.status, 200, f"the status of {reply.request}", f"{reply.request} 的状态码")
    kind = reply.headers.get("Content-Type", "")
    if not kind.startswith("text/event-stream"):
        fail(f"{reply.request}: the Content-Type is {kind!r}, not text/event-stream",
             f"{reply.request}：Content-Type 是 {kind!r}，不是 text/event-stream")
    return reply


def chunks_only(reply: Reply, words: list[str]) -> None:
    """Every word, one event each."""
    same([m.data for m in reply.chunks], words, f"the chunks a client read from {reply.request}",
         f"客户端从 {reply.request} 读到的块")


def chunks_with_ids(reply: Reply, words: list[str]) -> None:
    """Every word, one event each, each with its number as id."""
    chunks_only(reply, words)
    ids = [m.last_event_id for m in reply.chunks]
    if ids != [str(n) for n in range(1, len(words) + 1)]:
        fail(f"the ids of the chunks from {reply.request}: put \"id: N\" before each chunk's data, N = 1, 2, 3... (the "
             "chunks sent so far), so a reconnect can say how far it got\n"
             f"    expected: {[str(n) for n in range(1, len(words) + 1)]!r}\n    received: {ids!r}\n    the bytes: {reply.wire!r}",
             f"{reply.request} 里各块的 id：每块的 data 前面都要有一行 \"id: N\"，N = 1, 2, 3……（到这一块为止发出的块数），"
             f"这样重连时才说得清收到了哪里\n    期望：{[str(n) for n in range(1, len(words) + 1)]!r}\n    实际：{ids!r}\n    字节：{reply.wire!r}")


def ending(reply: Reply, words: list[str]) -> list[tuple[str, str]]:
    """The events after the chunks, as (event, data)."""
    return [(m.event, m.data) for m in reply.messages[len(words):]]


@pytest.mark.task(1)
def test_an_id_on_every_chunk_then_done(served: Served) -> None:
    for end in (None, "sentinel"):
        reply = stream_of(served, end)
        if not reply.messages:
            fail(f"a client read no event from {reply.request}: {reply.wire!r}", f"客户端从 {reply.request} 里一个事件也没读到：{reply.wire!r}")
        chunks_with_ids(reply, WORDS)
        if end is None and not ending(reply, WORDS):
            fail(f"{reply.request} ended without an end signal: with no ?end=, end with data: [DONE] (sentinel, the default)"
                 f"\n    the bytes: {reply.wire!r}",
                 f"{reply.request} 没有结束信号就结束了：没有 ?end= 时，要以 data: [DONE] 结束（默认的 sentinel）\n    字节：{reply.wire!r}")
        same(ending(reply, WORDS), [("message", "[DONE]")], f"the events after the last chunk of {reply.request}",
             f"{reply.request} 最后一块之后的事件")
    reply = stream_of(served, None, "one")
    chunks_with_ids(reply, ["one"])
    same(ending(reply, ["one"]), [("message", "[DONE]")], f"the events after the last chunk of {reply.request}",
         f"{reply.request} 最后一块之后的事件")


@pytest.mark.task(2)
def test_end_event_with_data_or_close(served: Served) -> None:
    reply = stream_of(served, "event")
    chunks_only(reply, WORDS)
    after = ending(reply, WORDS)
    if not after and b"event: end" in reply.raw:
        fail(f"the end event is never dispatched: {reply.request} sent \"event: end\" without a data: line, and an event "
             "whose data is empty is never dispatched, so no listener ever hears it. Add a data line: "
             f"\"event: end\\ndata: {{}}\\n\\n\"\n    the bytes: {reply.wire!r}",
             f"end 事件不会派发：{reply.request} 发的 \"event: end\" 没有 data: 行，data 为空的事件根本不会派发，"
             f"任何监听器都收不到它。加上一行 data：\"event: end\\ndata: {{}}\\n\\n\"\n    字节：{reply.wire!r}")
    same([event for event, _ in after], ["end"], f"the events after the last chunk of {reply.request}: one event named end",
         f"{reply.request} 最后一块之后的事件：一个名叫 end 的事件")

    reply = stream_of(served, "close")
    chunks_only(reply, WORDS)
    same(ending(reply, WORDS), [], f"the events after the last chunk of {reply.request}: none, the response just ends",
         f"{reply.request} 最后一块之后的事件：没有，响应直接结束")

    for end in ("banana", "DONE"):
        refused = get(served, {"text": TEXT, "end": end})
        if refused.status == 200:
            fail(f"{refused.request} answered 200: an unknown ?end= is bad input, refused with a 400 JSON error before the stream",
                 f"{refused.request} 返回了 200：不认识的 ?end= 是错误的输入，要在流开始之前用 400 和 JSON 错误拒绝")
        same(refused.status, 400, f"the status of {refused.request}", f"{refused.request} 的状态码")


@pytest.mark.task(3)
def test_204_for_a_finished_stream(served: Served) -> None:
    for end in ("close", "sentinel", "event"):
        reply = stream_of(served, end)
        if reply.last_event_id != str(len(WORDS)):
            fail(f"after {reply.request} a reconnect would send Last-Event-ID: {reply.last_event_id!r}: the last chunk's "
                 f"id must be its number, {len(WORDS)} (task 1)",
                 f"{reply.request} 之后重连时发送的 Last-Event-ID 会是 {reply.last_event_id!r}：最后一块的 id 应该是它的序号 {len(WORDS)}（任务 1）")
        # What EventSource does when a response ends: the same request, with the last id it saw.
        for last in (reply.last_event_id, str(len(WORDS) + 5)):
            again = get(served, {"text": TEXT, "end": end}, last)
            if again.status == 200:
                fail(f"{again.request} got 200 (body {again.wire!r}), but that client already has all {len(WORDS)} chunks. "
                     "EventSource takes any 200 for a stream and, when it ends, reconnects again: it reconnects forever. "
                     "Answer a finished stream's reconnect with 204 No Content, which tells EventSource to stop",
                     f"{again.request} 得到了 200（响应体 {again.wire!r}），可是这个客户端已经收全了 {len(WORDS)} 块。"
                     "EventSource 把任何 200 都当成一个流，流一结束就再重连：它会一直重连下去。"
                     "已经结束的流再来重连，要回答 204 No Content，告诉 EventSource 停下来")
            same(again.status, 204, f"the status of {again.request}", f"{again.request} 的状态码")
    middle = get(served, {"text": TEXT, "end": "close"}, "1")
    if middle.status == 204:
        fail(f"{middle.request} got 204, but that client has only chunk 1 of {len(WORDS)}: it would stop with part of "
             "the reply. Answer 204 only when Last-Event-ID is the last chunk (or past it)",
             f"{middle.request} 得到了 204，可是这个客户端只收到了 {len(WORDS)} 块里的第 1 块：它会带着半截回复停下来。"
             "只有 Last-Event-ID 已经是最后一块（或者更后面）时才回答 204")
    same(middle.status, 200, f"the status of {middle.request}", f"{middle.request} 的状态码")
    junk = get(served, {"text": TEXT, "end": "close"}, "abc")  # not a number: as if the client sent none
    same(junk.status, 200, f"the status of {junk.request}", f"{junk.request} 的状态码")
    chunks_with_ids(junk, WORDS)
