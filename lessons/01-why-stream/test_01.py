"""Lesson 01's grader: the student's client, run against a real StreamLab server (`flask run`).

Options ride in the endpoint's query string, so each check picks its own stream: split=on (every
event cut across two reads, inside a character when it can), newline=crlf, a stall of a minute,
a delay. No check depends on a tight timing: a function that reads the whole body first cannot
return a chunk sent a minute before the body ends, however fast or slow the machine is.
"""

import threading
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from lessons.grading import fail, function, load, same
from tests.servers import Server

TEXT = "Hi 你好，世界 🙂  two spaces"  # Chinese, an emoji, two spaces in a row
PATIENCE = 5  # seconds a first chunk may take to come back; the body it must not wait for takes 60
TIMED_OUT = object()


@pytest.fixture
def timing(target: Path) -> ModuleType:
    return load(target, "timing.py")


def chat(server: Server, options: str) -> str:
    """The chat endpoint with these options (the echo model repeats the prompt, every character kept)."""
    return f"{server.url}/api/chat?model=echo&{options}"


def call(module: ModuleType, name: str, *args: str, seconds: float = 60) -> Any:
    """Call the student's function in a thread; return what it returns, or TIMED_OUT after seconds."""
    student: Callable[..., Any] = function(module, name)
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = student(*args)
        except Exception as error:  # the student's code: any error is theirs to see
            outcome["error"] = error

    thread = threading.Thread(target=run, daemon=True)  # daemon: one that waits for a minute-long body is left behind
    thread.start()
    thread.join(seconds)
    if "error" in outcome:
        error = outcome["error"]
        fail(f"{name}{args!r} raised {type(error).__name__}: {error}", f"{name}{args!r} 抛出了 {type(error).__name__}：{error}")
    return outcome.get("value", TIMED_OUT)


def text_of(module: ModuleType, name: str, url: str, prompt: str, seconds: float = 60) -> object:
    value = call(module, name, url, prompt, seconds=seconds)
    if value is TIMED_OUT:
        fail(f"{name}() had not returned after {seconds} s, for a reply the server sends at once",
             f"{name}() 过了 {seconds} 秒还没有返回，而服务器一下子就把回复发完了")
    return value


def check_text(received: object, expected: str, en: str, zh: str) -> None:
    """Compare a reply's text, naming the usual slips before showing both values."""
    if isinstance(received, str) and received != expected:
        if received.endswith("[DONE]"):
            fail(f"{en}: it ends with [DONE]. data: [DONE] is the end signal, not text: stop there\n    received: {received!r}",
                 f"{zh}：结尾多了 [DONE]。data: [DONE] 是结束信号，不是文字：读到它就停下\n    实际：{received!r}")
        if received.replace(" ", "") == expected.replace(" ", ""):
            fail(f"{en}: spaces were lost. Remove only the one space after \"data:\", never strip() the text"
                 f"\n    expected: {expected!r}\n    received: {received!r}",
                 f"{zh}：空格丢了。只去掉 \"data:\" 后面的那一个空格，不要对文字 strip()"
                 f"\n    期望：{expected!r}\n    实际：{received!r}")
    same(received, expected, en, zh)


@pytest.mark.task(1)
def test_blocking_text(timing: ModuleType, flask_server: Server) -> None:
    url = chat(flask_server, "delay=0")
    received = text_of(timing, "blocking_text", url, TEXT)
    same(received, TEXT, f"blocking_text({url!r}, {TEXT!r}): the reply's content",
         f"blocking_text({url!r}, {TEXT!r})：回复的 content")


@pytest.mark.task(2)
def test_whole_text(timing: ModuleType, flask_server: Server) -> None:
    url = chat(flask_server, "delay=0")
    check_text(text_of(timing, "whole_text", url, TEXT), TEXT,
               f"whole_text({url!r}, {TEXT!r})", f"whole_text({url!r}, {TEXT!r})")
    url = chat(flask_server, "delay=0&split=on")
    received = text_of(timing, "whole_text", url, TEXT)
    if received != TEXT:
        fail("with split=on every event is written in two pieces, as a network may cut it, so one read is not one "
             "event: an event can arrive across two reads. Keep the unfinished line until the rest arrives "
             f"(response.iter_lines() does that for you)\n    expected: {TEXT!r}\n    received: {received!r}",
             "加上 split=on 后，每个事件都分成两段写出（网络也会这样切），所以一次读取不等于一个事件：一个事件可能分在两次读取里到达。"
             f"把没读完的那一行留着，等后半段到了再拼上（response.iter_lines() 会替你做）\n    期望：{TEXT!r}\n    实际：{received!r}")
    url = chat(flask_server, "delay=0&newline=crlf")
    received = text_of(timing, "whole_text", url, TEXT)
    if received != TEXT:
        fail("with newline=crlf every line ends with \\r\\n, which is correct SSE (so is \\r alone): "
             f"split lines on all three, as response.iter_lines() does\n    expected: {TEXT!r}\n    received: {received!r}",
             "加上 newline=crlf 后，每行以 \\r\\n 结尾，这也是正确的 SSE（单独的 \\r 也是）："
             f"三种换行都要认，response.iter_lines() 就是这样拆行的\n    期望：{TEXT!r}\n    实际：{received!r}")
    url = chat(flask_server, "delay=0&chunk=word&split=on&newline=crlf&ids=off")
    check_text(text_of(timing, "whole_text", url, TEXT), TEXT, f"whole_text({url!r}, {TEXT!r})", f"whole_text({url!r}, {TEXT!r})")


@pytest.mark.task(3)
def test_first_text(timing: ModuleType, flask_server: Server) -> None:
    for options, prompt, first in [
        ("delay=0&chunk=word", "Hello, 世界", "Hello, "),
        ("delay=0", " 🙂 leading space", " "),
        ("delay=0&split=on&newline=crlf", "你好 world", "你"),
    ]:
        url = chat(flask_server, options)
        received = text_of(timing, "first_text", url, prompt)
        if received == "" and first == " ":
            fail(f"first_text({url!r}, {prompt!r}) lost the first chunk, a space: remove only the one space after \"data:\"",
                 f"first_text({url!r}, {prompt!r}) 丢了第一块文字（一个空格）：只去掉 \"data:\" 后面的那一个空格")
        same(received, first, f"first_text({url!r}, {prompt!r}): the first chunk", f"first_text({url!r}, {prompt!r})：第一块文字")
    # The first word goes out at once, then the stream pauses for a minute (pings keep it alive):
    # only a client that reads as the bytes arrive can return it within PATIENCE seconds.
    url = chat(flask_server, "delay=0&chunk=word&stall=60000&heartbeat=0.5")
    prompt = "Hello, 世界 and then a long pause"
    received = call(timing, "first_text", url, prompt, seconds=PATIENCE)
    if received is TIMED_OUT:
        fail(f"first_text({url!r}, {prompt!r}) had not returned {PATIENCE} s after the server sent the first word; "
             "the rest comes a minute later. It waits for the whole reply: httpx.post(), response.read(), .text and "
             ".json() all wait for the end of the body. Use httpx.stream() and read the lines as they arrive",
             f"服务器发出第一个词 {PATIENCE} 秒后，first_text({url!r}, {prompt!r}) 还没有返回；剩下的要再过一分钟才来。"
             "它在等整段回复：httpx.post()、response.read()、.text 和 .json() 都要等响应体全部到齐。"
             "改用 httpx.stream()，一行到了就读一行")
    same(received, "Hello, ", f"first_text({url!r}, {prompt!r}): the first chunk", f"first_text({url!r}, {prompt!r})：第一块文字")


@pytest.mark.task(4)
def test_measure(timing: ModuleType, flask_server: Server) -> None:
    # 10 characters at one every 200 ms: the first after 0.2 s, and the server cannot end before 2.0 s.
    url = chat(flask_server, "delay=200")
    prompt = "0123456789"
    received = call(timing, "measure", url, prompt)
    if not (isinstance(received, tuple) and len(received) == 2 and all(isinstance(x, (int, float)) for x in received)):
        fail(f"measure({url!r}, {prompt!r}) should return two numbers of seconds (first text, total), got {received!r}",
             f"measure({url!r}, {prompt!r}) 应该返回两个秒数（首字时间, 总时间），实际返回了 {received!r}")
    first, total = received
    if total < 2.0:
        fail(f"measure({url!r}, {prompt!r}) returned total={total:.2f} s, but the last of 10 chunks at 200 ms apart "
             "leaves the server after 2.0 s: take the total after the whole reply has arrived (after data: [DONE])",
             f"measure({url!r}, {prompt!r}) 返回的总时间是 {total:.2f} 秒，可 10 块文字每块间隔 200 毫秒，"
             "最后一块 2.0 秒之后才离开服务器：总时间要在整段回复都到了之后（读到 data: [DONE] 之后）再记")
    if not 0 < first <= total - 1.0:
        fail(f"measure({url!r}, {prompt!r}) returned first={first:.2f} s and total={total:.2f} s, but the first chunk "
             "left the server 1.8 s before the last: note the time as soon as the first chunk arrives, while the "
             "stream is still open, not after reading the whole reply",
             f"measure({url!r}, {prompt!r}) 返回首字 {first:.2f} 秒、总共 {total:.2f} 秒，可第一块文字比最后一块早 1.8 秒"
             "离开服务器：第一块一到就记下时间，那时流还开着，不要等读完整段回复再记")
