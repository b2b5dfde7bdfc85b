"""Lesson 09's grader: your events() on a fake clock, and your Flask app on a real Werkzeug server.

Tasks 1 and 2 run events() with a clock that moves only when slept on, so a 40 s silence takes no
time, and note the clock's time at each piece it yields. Each piece is fed to StreamLab's strict
WHATWG parser one byte at a time: what it reads is what EventSource reads. Task 3 serves the app
(with the fake clock in app.config["CLOCK"]) and reads the response as it arrives.
"""

import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
from flask import Flask
from werkzeug.serving import make_server

from lessons.grading import fail, function, load, same, say
from streamlab.decoder import Decoder
from streamlab.streams import FakeClock

SLACK = 0.25  # seconds: a clock that ticks in small steps may overshoot a little; a mistake is off by much more
MOST = 2000  # pieces: far more than any case needs, so a loop that never ends fails instead of hanging
LONGEST = 100_000  # bytes of one response (task 3): the same guard, for the app served
REAL_SECONDS = 3  # real time for one case: on the fake clock, a correct events() takes milliseconds

Chunks = list[tuple[float, str]]


@dataclass(frozen=True)
class Sent:
    """What a client read from one piece the generator yielded, and the clock's time when it was yielded."""

    at: float
    events: tuple[str, ...]  # the data of each event the piece completed
    pings: int  # ": ping" comments in it
    other: int  # other comments in it


@pytest.fixture
def app_module(target: Path) -> ModuleType:
    return load(target, "app.py")


def call_of(chunks: Chunks, heartbeat: float | None) -> str:
    """The call, for a message: a long list of chunks is shortened."""
    shown = repr(chunks) if len(chunks) <= 5 else f"[{chunks[0]!r}, {chunks[1]!r}, ..., {chunks[-1]!r}]"
    return f"events({shown}, heartbeat={heartbeat!r}, clock)"


def seconds(at: float) -> str:
    return say(f"{at:g} s", f"{at:g} 秒")


def run(events: Callable[..., Iterable[Any]], chunks: Chunks, heartbeat: float | None) -> list[Sent]:
    """Run events(chunks, heartbeat, clock) on a fake clock; return what each non-empty piece carried, and when."""
    clock, pieces, problem = FakeClock(), [], []

    def consume() -> None:
        try:
            for piece in events(chunks, heartbeat, clock):
                pieces.append((clock.now(), piece))
                if len(pieces) > MOST:
                    return
        except Exception as error:  # the student's code: any error in it is theirs to see
            problem.append(error)

    worker = threading.Thread(target=consume, daemon=True)
    worker.start()
    worker.join(REAL_SECONDS)
    call = call_of(chunks, heartbeat)
    if worker.is_alive():
        fail(f"{call} did not finish within {REAL_SECONDS} s of real time. Wait with clock.sleep(seconds), never "
             "time.sleep(), and read the time with clock.now(): this clock moves only when slept on, so a loop that "
             "checks the time without sleeping never ends",
             f"{call} 在真实时间 {REAL_SECONDS} 秒内没有结束。等待要用 clock.sleep(seconds)，不要用 time.sleep()，"
             "读时间要用 clock.now()：这个时钟只有在 sleep 时才会走，光检查时间却不 sleep 的循环永远结束不了")
    if problem:
        fail(f"{call} raised {type(problem[0]).__name__}: {problem[0]}", f"{call} 抛出了 {type(problem[0]).__name__}：{problem[0]}")
    if len(pieces) > MOST:
        fail(f"{call} yielded more than {MOST} pieces: does a loop yield PING without the clock moving on?",
             f"{call} yield 了超过 {MOST} 段：是不是有个循环在时钟没走的情况下不停地 yield PING？")
    decoder, sent = Decoder(), []
    for at, piece in pieces:
        if not isinstance(piece, (str, bytes)):
            fail(f"{call} yielded {piece!r}: yield str (or bytes) of SSE text", f"{call} yield 了 {piece!r}：要 yield SSE 文本（str 或 bytes）")
        raw = piece.encode() if isinstance(piece, str) else piece
        if not raw:
            continue  # an empty piece sends nothing
        seen = len(decoder.comments)
        data = tuple(message.data for byte in raw for message in decoder.feed(bytes([byte])))
        comments = decoder.comments[seen:]
        sent.append(Sent(at, data, comments.count("ping"), len(comments) - comments.count("ping")))
    return sent


def timeline(sent: list[Sent]) -> str:
    """What was sent when, one line each, for a message."""
    lines = []
    for each in sent:
        what = [repr(data) for data in each.events] + [": ping"] * each.pings + [say("(comment)", "（注释）")] * each.other
        lines.append(f"\n      {each.at:8.3f} s  {', '.join(what) or say('(nothing a client reads)', '（客户端读不到内容）')}")
    more = say(f"{len(sent)} pieces in all", f"一共 {len(sent)} 段")
    return "".join(lines[:16]) + (f"\n      ... {more}" if len(sent) > 16 else "")


def check_text(sent: list[Sent], chunks: Chunks, call: str) -> None:
    received = [data for each in sent for data in each.events]
    same(received, [text for _, text in chunks] + ["[DONE]"], f"the events a client read from {call}", f"客户端从 {call} 读到的事件")


def check_chunks_on_time(sent: list[Sent], chunks: Chunks, call: str) -> None:
    """Each chunk is sent when it is due: not before, and not a heartbeat later."""
    times = [each.at for each in sent for _ in each.events]
    for (due, text), at in zip(chunks, times, strict=False):
        if at < due - 1e-6:
            fail(f"{call}: the chunk {text!r} was sent at {seconds(at)}, before it was due at {seconds(due)}: sleep until "
                 f"start + due before you yield it{timeline(sent)}",
                 f"{call}：{text!r} 这一块在 {seconds(at)} 就发了，可它要到 {seconds(due)} 才该发：要睡到 start + due 再 yield"
                 f"{timeline(sent)}")
        if at > due + SLACK:
            fail(f"{call}: the chunk {text!r} was due at {seconds(due)} and sent at {seconds(at)}, {at - due:g} s late. "
                 "Sleep until whichever comes first, the next ping or the chunk: a whole heartbeat at a time makes the "
                 f"reply wait for the next ping{timeline(sent)}",
                 f"{call}：{text!r} 这一块该在 {seconds(due)} 发，实际在 {seconds(at)} 才发，晚了 {at - due:g} 秒。"
                 f"下一个 ping 和这一块，哪个先到就睡到哪个：每次都睡满一整个 heartbeat，回复就得等下一个 ping{timeline(sent)}")


def check_never_quiet(sent: list[Sent], heartbeat: float, call: str) -> None:
    """Something is sent at least every heartbeat seconds, from the start to the end."""
    before = 0.0
    for each in sent:
        if each.at - before > heartbeat + SLACK:
            fail(f"{call}: nothing was sent from {seconds(before)} to {seconds(each.at)}. A proxy or load balancer that "
                 f"sees a quiet connection for too long closes it (nginx after 60 s). While nothing else is due, send "
                 f"PING (': ping\\n\\n') {heartbeat:g} s after the last thing you sent{timeline(sent)}",
                 f"{call}：从 {seconds(before)} 到 {seconds(each.at)} 什么都没发。代理或负载均衡器看到连接安静太久，"
                 f"就会把它关掉（nginx 是 60 秒）。没有别的要发时，在上一次发送之后 {heartbeat:g} 秒发一个 PING（': ping\\n\\n'）"
                 f"{timeline(sent)}")
        before = each.at


def check_pings_only_while_quiet(sent: list[Sent], heartbeat: float | None, call: str) -> None:
    """A ping comes only after a whole heartbeat with nothing sent."""
    before = 0.0
    for each in sent:
        if each.pings and heartbeat is None:
            fail(f"{call}: a ping at {seconds(each.at)}, but heartbeat is None: no heartbeat, no ping{timeline(sent)}",
                 f"{call}：在 {seconds(each.at)} 发了 ping，可是 heartbeat 是 None：不要心跳，就一个 ping 也不发{timeline(sent)}")
        if each.pings and heartbeat is not None and (each.at - before < heartbeat - SLACK or each.pings > 1 or each.events):
            fail(f"{call}: a ping at {seconds(each.at)}, {each.at - before:g} s after the last thing sent. Ping only while the "
                 f"stream is quiet: {heartbeat:g} s after the last bytes, whatever they were. A chunk resets the wait; "
                 f"chunks that come more often than that need no ping at all{timeline(sent)}",
                 f"{call}：在 {seconds(each.at)} 发了 ping，离上一次发送只有 {each.at - before:g} 秒。只在流安静的时候发 ping："
                 f"最后一次发出字节（不管是什么）之后 {heartbeat:g} 秒。每发一块都要重新计时；块比这更密时，根本不需要 ping"
                 f"{timeline(sent)}")
        before = each.at


def judge(events: Callable[..., Iterable[Any]], chunks: Chunks, heartbeat: float | None, task: int) -> list[Sent]:
    call = call_of(chunks, heartbeat)
    sent = run(events, chunks, heartbeat)
    check_text(sent, chunks, call)
    if heartbeat is not None:
        check_never_quiet(sent, heartbeat, call)
    check_chunks_on_time(sent, chunks, call)
    if task == 2:
        check_pings_only_while_quiet(sent, heartbeat, call)
    return sent


def pings(sent: list[Sent], before: float = float("inf")) -> list[float]:
    """When each ping went out (before a time), in seconds, rounded for reading."""
    return [round(each.at, 3) for each in sent for _ in range(each.pings) if each.at < before]


def about(received: list[float], expected: list[float], en: str, zh: str) -> None:
    """Like same(), for times: each within SLACK of the one expected."""
    if len(received) != len(expected) or any(abs(a - b) > SLACK for a, b in zip(received, expected, strict=False)):
        same(received, expected, en, zh)


THINKING = [(40.0, "你好"), (40.5, "，世界"), (41.0, " 🙂 line 1\nline 2")]  # 40 s of thought, then the reply
STEADY = [(float(second), f"{second} ") for second in range(20)]  # a chunk every second, for 20 s
STALL = [(0.0, "Hi"), (0.5, " 你好"), (1.0, " 🙂"), (40.0, " back"), (41.0, " again")]  # quiet from 1 s to 40 s


@pytest.mark.task(1)
def test_a_ping_while_quiet(app_module: ModuleType) -> None:
    events = function(app_module, "events")
    sent = judge(events, THINKING, 15, task=1)
    about(pings(sent, before=THINKING[0][0]), [15.0, 30.0], "when the pings went out, while the model thought for 40 s "
          "with heartbeat=15", "模型思考 40 秒、heartbeat=15 时，各个 ping 发出的时间")
    judge(events, STALL, 15, task=1)
    judge(events, THINKING, 0.5, task=1)


@pytest.mark.task(2)
def test_only_while_quiet(app_module: ModuleType) -> None:
    events = function(app_module, "events")
    judge(events, STEADY, 15, task=2)
    sent = judge(events, STALL, 15, task=2)
    about(pings(sent), [16.0, 31.0], "when the pings went out, with chunks up to 1 s, then nothing until 40 s "
          "(heartbeat=15): counted from the last chunk", "块发到 1 秒，然后到 40 秒之前什么都没有时"
          "（heartbeat=15），各个 ping 发出的时间：从最后一块开始算")
    judge(events, STEADY, 0.5, task=2)
    judge(events, THINKING, None, task=2)


# Task 3: the app itself, served as `flask run` serves it.


@dataclass
class Reply:
    status: int
    headers: httpx.Headers
    events: list[str]
    pieces: int  # how many pieces the app's body yielded


class Pieces:
    """WSGI middleware: count the non-empty pieces of each response body."""

    def __init__(self, app: Any) -> None:
        self.app, self.count = app, 0

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
        self.count = 0
        body = self.app(environ, start_response)
        try:
            for piece in body:
                self.count += bool(piece)
                yield piece
        finally:
            if hasattr(body, "close"):
                body.close()


def get(app: Flask, query: dict[str, str]) -> Reply:
    app.config["CLOCK"] = FakeClock()
    counted = Pieces(app)
    server = make_server("127.0.0.1", 0, counted, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        decoder, events = Decoder(), []
        with httpx.stream("GET", f"http://127.0.0.1:{server.server_port}/stream", params=query, timeout=5) as response:
            for raw in response.iter_raw():
                events += [message.data for byte in raw for message in decoder.feed(bytes([byte]))]
                if response.num_bytes_downloaded > LONGEST:
                    fail(f"GET /stream sent more than {LONGEST} bytes and had not ended: does a loop yield PING without "
                         "the clock moving on? Set last_sent = clock.now() after every yield",
                         f"GET /stream 发了超过 {LONGEST} 字节还没结束：是不是有个循环在时钟没走的情况下不停地 yield PING？"
                         "每次 yield 之后都要 last_sent = clock.now()")
            return Reply(response.status_code, response.headers, events, counted.count)
    except httpx.TimeoutException:
        fail("GET /stream sent nothing for 5 s of real time, on a fake clock where no time need pass: pass "
             'current_app.config["CLOCK"] to events(), and wait only with clock.sleep()',
             "GET /stream 在真实时间 5 秒内什么都没发，可在假时钟上根本不需要等：把 "
             'current_app.config["CLOCK"] 传给 events()，等待只用 clock.sleep()')
    except httpx.HTTPError as error:
        fail(f"GET /stream failed: {type(error).__name__}: {error}", f"GET /stream 失败了：{type(error).__name__}：{error}")
    finally:
        server.shutdown()
        thread.join(10)


@pytest.mark.task(3)
def test_headers_that_stop_the_buffering(app_module: ModuleType) -> None:
    app = getattr(app_module, "app", None)
    if not isinstance(app, Flask):
        fail("app.py has no Flask app named app", "app.py 里没有名叫 app 的 Flask 应用")
    query = {"text": "Hi 你好 🙂 again", "think": "40", "delay": "0.5", "heartbeat": "15"}
    shown = "GET /stream?" + "&".join(f"{name}={value}" for name, value in query.items())
    reply = get(app, query)
    same(reply.status, 200, f"the status of {shown}", f"{shown} 的状态码")
    kind = reply.headers.get("Content-Type", "")
    if not kind.startswith("text/event-stream"):
        fail(f"{shown}: the Content-Type is {kind!r}: an event stream is text/event-stream",
             f"{shown}：Content-Type 是 {kind!r}：事件流应该是 text/event-stream")
    missing = []
    if "no-cache" not in [part.strip().lower() for part in reply.headers.get("Cache-Control", "").split(",")]:
        missing.append(say("Cache-Control: no-cache (so no cache keeps or replays the stream)", "Cache-Control: no-cache（免得缓存把流存下来或重放）"))
    if reply.headers.get("X-Accel-Buffering", "").lower() != "no":
        missing.append(say("X-Accel-Buffering: no (so nginx passes each event on at once)", "X-Accel-Buffering: no（让 nginx 每个事件一到就转发）"))
    if missing:
        fail(f"{shown} is missing the headers {', '.join(missing)}. Without them, nginx in front of your app holds the "
             f"events back in its buffer and sends the reply in one piece at the end\n    received headers: {dict(reply.headers)!r}",
             f"{shown} 缺少这些响应头：{'，'.join(missing)}。没有它们，你的应用前面的 nginx 会把事件攒在缓冲区里，"
             f"最后才一次性发出整段回复\n    收到的响应头：{dict(reply.headers)!r}")
    same(reply.events, ["Hi ", "你好 ", "🙂 ", "again", "[DONE]"], f"the events a client read from {shown}", f"客户端从 {shown} 读到的事件")
    if reply.pieces < len(reply.events):
        fail(f"{shown}: {len(reply.events)} events came in {reply.pieces} piece(s): the app held them back itself. Pass the "
             "generator to Response, so Flask sends each event the moment it is yielded",
             f"{shown}：{len(reply.events)} 个事件只分成了 {reply.pieces} 段：应用自己把它们攒起来了。把生成器本身传给 Response，"
             "这样每 yield 一个事件，Flask 就马上把它发出去")
