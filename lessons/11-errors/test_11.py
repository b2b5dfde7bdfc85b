"""Lesson 11's grader: your app.py, served by a real Werkzeug server (what `flask run` uses).

Each response is read as it arrives and fed to StreamLab's strict WHATWG parser one byte at a
time, so what passes here is what EventSource and a fetch client read. Bad input must be
refused with a 400 JSON answer before any stream byte; a model that fails in the middle must
become an `event: error` frame, then the end signal, in a response that ends cleanly. A wrapper
around the app records what it raised: the server itself can only cut the response short.
"""

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from lessons.grading import Served, fail, same, serve
from streamlab.decoder import Decoder, Message

WORDS = ["one", "two", "你好", "🙂", "three"]
LONGEST = 100_000  # bytes: far more than these replies need, so a stream that never ends fails instead of hanging


@pytest.fixture
def served(target: Path) -> Iterator[Served]:
    with serve(target) as served:
        yield served


@dataclass
class Reply:
    shown: str  # the request, as a student reads it
    status: int
    headers: httpx.Headers
    raw: bytes
    messages: list[Message]
    cut: bool  # the response stopped before its end: the connection closed mid-body
    errors: list[BaseException]  # what the app raised meanwhile

    @property
    def kind(self) -> str:
        return self.headers.get("Content-Type", "")

    @property
    def text(self) -> str:
        return self.raw.decode(errors="replace")

    @property
    def events(self) -> list[tuple[str, str]]:
        return [(message.event, message.data) for message in self.messages]


def get(served: Served, query: dict[str, str]) -> Reply:
    """GET /stream, reading the body as it arrives, one byte at a time into the strict parser."""
    shown = "GET /stream" + ("?" + "&".join(f"{name}={value}" for name, value in query.items()) if query else "")
    served.errors.clear()
    decoder, raw, messages, cut = Decoder(), b"", [], False
    status, headers = 0, httpx.Headers()
    try:
        with httpx.stream("GET", f"{served.url}/stream", params=query, timeout=10) as response:
            status, headers = response.status_code, response.headers
            for chunk in response.iter_raw():
                raw += chunk
                if len(raw) > LONGEST:
                    fail(f"{shown} sent more than {LONGEST} bytes and had not ended: end the generator after "
                         '"data: [DONE]\\n\\n"',
                         f"{shown} 发了超过 {LONGEST} 字节还没结束：生成器在 \"data: [DONE]\\n\\n\" 之后就该结束")
                messages += [message for byte in chunk for message in decoder.feed(bytes([byte]))]
    except httpx.HTTPError as error:  # cut short: the app's error, if any, says why
        cut = True
        if not served.errors and not status:
            fail(f"{shown} failed: {type(error).__name__}: {error}", f"{shown} 失败了：{type(error).__name__}：{error}")
    return Reply(shown, status, headers, raw, messages, cut, list(served.errors))


def model_error(served: Served, words: list[str], fail_at: int) -> str:
    """The message of the error the given model raises at chunk fail_at."""
    try:
        list(served.module.produce(words, fail_at))
    except Exception as error:  # the student's model: whatever it raises is what the stream must report
        return str(error)
    fail(f"produce(words, fail_at={fail_at}) raised nothing: keep the given model as it is",
         f"produce(words, fail_at={fail_at}) 没有抛出异常：给定的模型保持原样，不要改它")


def app_raised(reply: Reply) -> None:
    for problem in reply.errors:
        fail(f"{reply.shown}: your app raised {type(problem).__name__}: {problem}",
             f"{reply.shown}：你的应用抛出了 {type(problem).__name__}：{problem}")


# Task 1: (query, the field the 400 must name)
BAD = [
    ({}, "text"),
    ({"text": ""}, "text"),
    ({"text": "   "}, "text"),
    ({"text": "Hi", "fail_at": "soon"}, "fail_at"),
    ({"text": "Hi", "fail_at": "0"}, "fail_at"),
    ({"text": "Hi", "fail_at": "-1"}, "fail_at"),
    ({"text": "Hi", "fail_at": "1.5"}, "fail_at"),
]


@pytest.mark.task(1)
def test_refuse_bad_input_before_the_first_byte(served: Served) -> None:
    for query, named in BAD:
        reply = get(served, query)
        if reply.status == 200:
            fail(f"{reply.shown} answered 200 ({reply.kind}) and then {reply.text!r}: the 200 and the headers left "
                 "with the first byte, and once they are out the status cannot change. Check every input before the "
                 "first byte: in the view, return refuse(field, message) before you return the stream",
                 f"{reply.shown} 返回了 200（{reply.kind}），接着是 {reply.text!r}：状态码和响应头随第一个字节一起发出，"
                 "发出去以后就改不了了。每个输入都要在第一个字节之前检查：在视图里，先 return refuse(field, message)，"
                 "再返回流")
        if reply.status >= 500 or reply.errors:
            raised = "; ".join(f"{type(error).__name__}: {error}" for error in reply.errors) or "no error recorded"
            fail(f"{reply.shown} answered {reply.status}: your app raised {raised}. Check {named} in the view and refuse "
                 f"it with a 400 naming the field: return refuse({named!r}, message)",
                 f"{reply.shown} 返回了 {reply.status}：你的应用抛出了 {raised}。在视图里检查 {named}，"
                 f"用一个指明字段的 400 拒绝它：return refuse({named!r}, message)")
        same(reply.status, 400, f"the status of {reply.shown}", f"{reply.shown} 的状态码")
        if not reply.kind.startswith("application/json"):
            fail(f"{reply.shown} answered 400 as {reply.kind!r}: an error before the stream is not a stream, but JSON "
                 '(return {"error": {...}}, 400)',
                 f"{reply.shown} 用 {reply.kind!r} 返回了 400：流开始之前的错误不是流，而是 JSON"
                 '（return {"error": {...}}, 400）')
        try:
            error = json.loads(reply.raw)["error"]
            shape = isinstance(error["message"], str) and bool(error["message"]) and "field" in error
        except (ValueError, KeyError, TypeError):
            shape = False
        if not shape:
            fail(f'{reply.shown} answered {reply.text!r}: the body is {{"error": {{"message": "...", "field": "{named}"}}}}',
                 f'{reply.shown} 返回的是 {reply.text!r}：响应体应该是 {{"error": {{"message": "...", "field": "{named}"}}}}')
        same(error["field"], named, f"the field named by {reply.shown}", f"{reply.shown} 指明的字段")
    for query, words in [({"text": "Hi there 你好"}, ["Hi", "there", "你好"]), ({"text": "a b", "fail_at": "5"}, ["a", "b"])]:
        reply = get(served, query)
        app_raised(reply)
        same(reply.status, 200, f"the status of {reply.shown} (good input)", f"{reply.shown}（输入正确）的状态码")
        same([data for _, data in reply.events], [*words, "[DONE]"], f"the events a client read from {reply.shown}",
             f"客户端从 {reply.shown} 读到的事件")


def failing(served: Served, fail_at: int) -> tuple[Reply, str]:
    """The stream whose model fails at chunk fail_at, and the model's message; fail if it was not read as an error frame."""
    reply = get(served, {"text": " ".join(WORDS), "fail_at": str(fail_at)})
    message = model_error(served, WORDS, fail_at)
    before = [("message", word) for word in WORDS[:fail_at - 1]]
    if any(type(error).__name__ == "ModelError" for error in reply.errors):
        fail(f"{reply.shown}: the model raised ModelError at chunk {fail_at}, and your generator let it escape: the "
             f"response was cut after {len(reply.messages)} event(s), with no error frame and no end signal. The 200 "
             "was sent long before, so a client sees only a dropped connection (and EventSource reconnects, to meet "
             "the same error again). Catch ModelError in the generator and yield an error frame: event: error, then "
             'data: {"error": {"message": ...}}'
             f"\n    received: {reply.text!r}",
             f"{reply.shown}：模型在第 {fail_at} 块抛出了 ModelError，你的生成器没有接住它：响应被截断了，只发出了 "
             f"{len(reply.messages)} 个事件，没有错误帧，也没有结束信号。200 早就发出去了，所以客户端只看到连接断了"
             "（EventSource 还会重连，然后再碰上同一个错误）。在生成器里捕获 ModelError，yield 一个错误帧："
             'event: error，然后 data: {"error": {"message": ...}}'
             f"\n    实际：{reply.text!r}")
    if reply.status != 200:
        fail(f"{reply.shown} answered {reply.status} {reply.text!r}: fail_at={fail_at} is good input, so stream the "
             "reply (the model fails while it is being produced)",
             f"{reply.shown} 返回了 {reply.status} {reply.text!r}：fail_at={fail_at} 是正确的输入，要把回复流出去"
             "（模型是在生成回复的过程中才失败的）")
    app_raised(reply)
    same(reply.events[:fail_at - 1], before, f"the events before chunk {fail_at} in {reply.shown}",
         f"{reply.shown} 里第 {fail_at} 块之前的事件")
    frames = reply.events[fail_at - 1:]
    if not frames or frames[0][0] != "error":
        fail(f"{reply.shown}: after {len(before)} chunk(s) the model failed, so the next event must be named error "
             f'(event: error) and carry {{"error": {{"message": ...}}}}\n    received: {reply.text!r}',
             f"{reply.shown}：发了 {len(before)} 块以后模型失败了，所以下一个事件的名字应该是 error（event: error），"
             f'内容是 {{"error": {{"message": ...}}}}\n    实际：{reply.text!r}')
    try:
        sent = json.loads(frames[0][1])["error"]["message"]
    except (ValueError, KeyError, TypeError):
        fail(f"{reply.shown}: the error frame's data is {frames[0][1]!r}, which is not the JSON "
             '{"error": {"message": ...}}. The model\'s message has quotes and a line break: written by hand into an '
             "f-string they break the JSON and the data: line. Make it with json.dumps, which escapes them"
             f"\n    received: {reply.text!r}",
             f"{reply.shown}：错误帧的 data 是 {frames[0][1]!r}，不是 JSON "
             '{"error": {"message": ...}}。模型的消息里有引号和换行：手写进 f-string，'
             "它们会弄坏 JSON，也会把 data: 行截断。用 json.dumps 生成，它会把它们转义"
             f"\n    实际：{reply.text!r}")
    if not isinstance(sent, str) or message not in sent:
        fail(f"{reply.shown}: the error frame's message is {sent!r}; it must carry the model's message, str(error)"
             f"\n    expected: a message containing {message!r}",
             f"{reply.shown}：错误帧里的 message 是 {sent!r}；它应该带上模型的错误信息 str(error)"
             f"\n    期望：一个包含 {message!r} 的 message")
    return reply, message


@pytest.mark.task(2)
def test_a_failure_mid_stream_is_an_error_frame(served: Served) -> None:
    failing(served, 3)
    failing(served, 1)  # before the first chunk: the 200 is out already, with the headers


@pytest.mark.task(3)
def test_then_the_end_signal(served: Served) -> None:
    for fail_at in (3, 1):
        reply, _ = failing(served, fail_at)
        after = reply.events[fail_at:]
        if reply.cut:
            fail(f"{reply.shown}: after the error frame the response was cut: it did not end cleanly. Let the "
                 "generator return after the end signal",
                 f"{reply.shown}：错误帧之后响应被截断了，没有正常结束。发完结束信号以后让生成器正常返回")
        if not after:
            fail(f"{reply.shown}: the stream ended right after the error frame, without an end signal. Yield "
                 '"data: [DONE]\\n\\n" after it: a client that does not know the error event still sees the end '
                 f"(and EventSource does not reconnect)\n    received: {reply.text!r}",
                 f"{reply.shown}：错误帧之后流就结束了，没有结束信号。在它后面 yield \"data: [DONE]\\n\\n\"："
                 f"不认识 error 事件的客户端也能看到结束（EventSource 也不会重连）\n    实际：{reply.text!r}")
        same(after, [("message", "[DONE]")], f"the events after the error frame in {reply.shown}: the end signal, nothing else",
             f"{reply.shown} 里错误帧之后的事件：只有结束信号")
