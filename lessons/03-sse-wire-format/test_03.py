"""Lesson 03's grader: what a spec-following client reads from the text your functions write.

The client is StreamLab's strict WHATWG parser, fed one byte at a time, so what passes here is
what EventSource and any correct parser would read, however the network splits the bytes.
"""

from pathlib import Path
from types import ModuleType

import pytest

from lessons.grading import fail, function, load, same
from streamlab.decoder import Decoder, Message

pytestmark = pytest.mark.time_limit(3)  # seconds: these functions take microseconds, so a loop that takes seconds never ends


@pytest.fixture
def sse(target: Path) -> ModuleType:
    return load(target, "sse.py")


def read(text: object) -> tuple[list[Message], Decoder]:
    """What a client makes of text: the events it dispatches (and the parser, for its state)."""
    if not isinstance(text, str):
        fail(f"expected a str of SSE text, got {type(text).__name__}: {text!r}",
             f"应该返回 SSE 文本（str），实际返回了 {type(text).__name__}：{text!r}")
    decoder = Decoder()
    messages = [message for byte in text.encode() for message in decoder.feed(bytes([byte]))]
    return messages, decoder


def one_event(text: str, expected: Message) -> None:
    messages, _ = read(text)
    if not messages:
        fail(f"a client read no event from {text!r}: an event is only dispatched at the blank line that ends it, "
             'so end every event with "\\n\\n"',
             f"客户端从 {text!r} 里一个事件也没读到：只有遇到结束事件的空行，事件才会派发，"
             '所以每个事件都要以 "\\n\\n" 结尾')
    same(messages, [expected], f"what a client reads from {text!r}", f"客户端从 {text!r} 读到的内容")


@pytest.mark.task(1)
def test_one_event(sse: ModuleType) -> None:
    event = function(sse, "event")
    one_event(event("Hi"), Message("Hi"))
    one_event(event("你好 🙂 with  two spaces"), Message("你好 🙂 with  two spaces"))
    messages, _ = read(event("a") + event("b"))
    same([m.data for m in messages], ["a", "b"], "two events written one after the other", "连着写的两个事件")
    messages, _ = read(event(" world"))
    if [m.data for m in messages] == ["world"]:
        fail("the text's leading space was lost: a client removes one space after \"data:\", so write \"data: \" "
             "(with the space) and then the text",
             "文字开头的空格丢了：客户端会去掉 \"data:\" 后面的一个空格，所以要先写 \"data: \"（带空格），再写文字")
    one_event(event(" world"), Message(" world"))


@pytest.mark.task(2)
def test_text_with_line_breaks(sse: ModuleType) -> None:
    event = function(sse, "event")
    text = event("line 1\nline 2")
    messages, _ = read(text)
    if [m.data for m in messages] == ["line 1"]:
        fail(f"a client read only \"line 1\" from {text!r}: a line break inside the data ends the data: line, and "
             "what follows is read as another field. Write one data: line per line of text",
             f"客户端从 {text!r} 里只读到了 \"line 1\"：data 里的换行提前结束了 data: 这一行，后面的内容被当成了别的字段。"
             "文字有几行，就写几行 data:")
    one_event(text, Message("line 1\nline 2"))
    one_event(event("a\r\nb\rc"), Message("a\nb\nc"))  # CRLF and CR are line breaks too; a client joins with \n
    one_event(event("\n"), Message("\n"))
    one_event(event(""), Message(""))


@pytest.mark.task(3)
def test_name_and_id(sse: ModuleType) -> None:
    event = function(sse, "event")
    one_event(event("bye", id="7", name="end"), Message("bye", "end", "7"))
    one_event(event("x", name="note"), Message("x", "note"))
    messages, decoder = read(event("a", id="1") + event("b"))
    same([(m.data, m.last_event_id) for m in messages], [("a", "1"), ("b", "1")],
         "the id of each event (an event without id: keeps the last one)", "每个事件的 id（没有 id: 的事件沿用上一个）")
    same(decoder.last_event_id, "1", "the id a reconnect would send as Last-Event-ID", "重连时作为 Last-Event-ID 发送的 id")


@pytest.mark.task(4)
def test_comment_and_retry(sse: ModuleType) -> None:
    comment, retry, event = function(sse, "comment"), function(sse, "retry"), function(sse, "event")
    messages, decoder = read(comment("ping"))
    same((messages, decoder.comments), ([], ["ping"]), f"what a client reads from comment('ping') = {comment('ping')!r}",
         f"客户端从 comment('ping') = {comment('ping')!r} 读到的内容")
    messages, decoder = read(retry(2500))
    same((messages, decoder.retry), ([], 2500), f"what a client reads from retry(2500) = {retry(2500)!r}",
         f"客户端从 retry(2500) = {retry(2500)!r} 读到的内容")
    messages, decoder = read(comment("ping") + event("Hi") + retry(2500))
    same([m.data for m in messages], ["Hi"], "a comment is never an event", "注释不会成为事件")
    same(decoder.comments, ["ping"], "the comments a client saw", "客户端看到的注释")
    same(decoder.retry, 2500, "the reconnect wait a client took from retry(2500)", "客户端从 retry(2500) 得到的重连等待时间")
