"""Lesson 14's grader: your app.py served by a real Werkzeug server (what `flask run` uses), relaying
a real StreamLab (gunicorn + gevent) as its upstream: UPSTREAM_URL is that StreamLab's /v1 and
UPSTREAM_MODEL is echo, which answers with the prompt, one character per chunk.

Each reply is read as it arrives and fed to StreamLab's strict WHATWG parser one byte at a time.
Nothing is timed to the millisecond: whether the relay passed the first text on before the model
had finished, and whether it let go of the upstream when the browser left, are both read from the
upstream's own /healthz, whose open_streams counts the model's stream for as long as it is open.
"""

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from lessons.grading import Served, fail, same, say, serve
from streamlab.decoder import Decoder, Message
from tests.servers import Server, free_port

KEY = "sk-lesson14-stays-on-the-server"  # UPSTREAM_API_KEY: no byte of it may reach the browser
TEXT = 'Hi 你好，世界 🙂 "quoted"\nand  two spaces'  # Chinese, an emoji, quotes, a line break, two spaces
LONG = ("流式 relay 🙂 " * 10)[:30]  # 30 chunks at 100 ms: the model streams for 3 s
LONGER = ("转发 the stream 🙂 " * 40)[:400]  # 400 chunks at 100 ms: 40 s, far longer than a check waits
LONGEST = 200_000  # bytes: far more than these replies need, so a relay that never ends fails instead of hanging
PATIENCE = 6  # seconds a check waits for the first events of a stream whose model sends one every 0.1 s
LET_GO = 6  # seconds the upstream may take to see the relay leave; it takes ~0.3 s, the reply 40 s


@pytest.fixture
def upstream(gunicorn_server: Server) -> Server:
    """The model: a real StreamLab, as an OpenAI-compatible server."""
    return gunicorn_server


@pytest.fixture
def relay(target: Path, upstream: Server, monkeypatch: pytest.MonkeyPatch) -> Iterator[Served]:
    """Your app, with the upstream in its environment, as you would start it."""
    monkeypatch.setenv("UPSTREAM_URL", f"{upstream.url}/v1")
    monkeypatch.setenv("UPSTREAM_MODEL", "echo")
    monkeypatch.setenv("UPSTREAM_API_KEY", KEY)
    with serve(target) as served:
        yield served


def described(value: str) -> str:
    """A query value as a student reads it: not percent-encoded, a line break as \\n, a long text cut short."""
    value = value.replace("\n", "\\n")
    return value if len(value) <= 60 else f"{value[:12]}...{value[-4:]}" + say(f" ({len(value)} characters)",
                                                                              f"（{len(value)} 个字符）")


class Reading:
    """GET /relay?... on your app, read as it arrives, one byte at a time into the strict parser."""

    def __init__(self, served: Served, query: dict[str, str], patience: float = 60) -> None:
        self.shown = "GET /relay?" + "&".join(f"{name}={described(value)}" for name, value in query.items())
        self.served = served
        served.errors.clear()
        self.decoder, self.raw = Decoder(), b""
        self.messages: list[Message] = []
        self.ended = self.cut = False
        self.client = httpx.Client(timeout=httpx.Timeout(10, read=patience))
        asked = self.client.build_request("GET", f"{served.url}/relay", params=query)
        try:
            self.response = self.client.send(asked, stream=True)
        except httpx.TimeoutException:  # not even the status line within patience seconds
            self.status, self.headers, self.ended = 0, httpx.Headers(), True
            self.client.close()
            return
        except httpx.HTTPError as error:
            self.client.close()
            self.app_raised()
            fail(f"{self.shown} failed: {type(error).__name__}: {error}", f"{self.shown} 失败了：{type(error).__name__}：{error}")
        self.status, self.headers = self.response.status_code, self.response.headers
        self.pieces = self.response.iter_raw()

    @property
    def kind(self) -> str:
        return str(self.headers.get("Content-Type", ""))

    @property
    def text(self) -> str:
        return self.raw.decode(errors="replace")

    @property
    def events(self) -> list[tuple[str, str]]:
        return [(message.event, message.data) for message in self.messages]

    def read(self, count: int | None = None) -> None:
        """Read until count events have arrived (None: to the end of the response)."""
        while not self.ended and (count is None or len(self.messages) < count):
            try:
                piece = next(self.pieces)
            except StopIteration:
                self.ended = True
                break
            except httpx.TimeoutException:
                self.ended = True
                break
            except httpx.HTTPError:  # cut short: the app's error, if any, says why
                self.ended = self.cut = True
                break
            self.raw += piece
            if KEY.encode() in self.raw:
                fail(f"{self.shown}: the upstream's API key reached the browser:\n    {self.text!r}\n"
                     "It must never leave the server: anyone can read what a page receives",
                     f"{self.shown}：上游的 API 密钥被发到了浏览器：\n    {self.text!r}\n"
                     "密钥绝不能离开服务器：页面收到的东西，谁都能看到")
            if len(self.raw) > LONGEST:
                fail(f"{self.shown} sent more than {LONGEST} bytes and had not ended: end the generator after "
                     '"data: [DONE]\\n\\n"',
                     f"{self.shown} 发了超过 {LONGEST} 字节还没结束：生成器在 \"data: [DONE]\\n\\n\" 之后就该结束")
            self.messages += [message for byte in piece for message in self.decoder.feed(bytes([byte]))]
        if self.ended:
            self.leave()

    def leave(self) -> None:
        """Close the connection, as a browser tab does when it is closed."""
        if hasattr(self, "response"):
            self.response.close()
        self.client.close()

    def app_raised(self) -> None:
        for problem in self.served.errors:
            fail(f"{self.shown}: your app raised {type(problem).__name__}: {problem}",
                 f"{self.shown}：你的应用抛出了 {type(problem).__name__}：{problem}")


def settled(upstream: Server) -> None:
    """Wait until the upstream has no stream open, so that what it counts next is this check's."""
    left = upstream.wait_for_open_streams(0, seconds=60)
    if left:
        fail(f"the upstream still counts {left} stream(s) open from an earlier check, a minute after it: your relay "
             "keeps reading replies nobody will see. Close the upstream when the browser leaves (task 4)",
             f"上一个检查过去一分钟了，上游还数着 {left} 个打开的流：你的中转还在读没人会看到的回复。"
             "浏览器离开时要关闭上游（任务 4）")


def contents(reply: Reading) -> list[str]:
    """The text of each event before data: [DONE]; fail, saying why, when the stream is not what a browser can read."""
    reply.app_raised()
    if reply.status != 200:
        fail(f"{reply.shown} answered {reply.status} {reply.text[:300]!r}: the upstream streamed its reply, so "
             "relay it (200, text/event-stream)",
             f"{reply.shown} 返回了 {reply.status} {reply.text[:300]!r}：上游正常地流出了回复，应该把它转发出去"
             "（200，text/event-stream）")
    if not reply.kind.startswith("text/event-stream"):
        fail(f"{reply.shown} answered 200 as {reply.kind!r}: a stream for the browser is text/event-stream "
             '(mimetype="text/event-stream")',
             f"{reply.shown} 用 {reply.kind!r} 返回了 200：发给浏览器的流应该是 text/event-stream"
             '（mimetype="text/event-stream"）')
    texts = []
    for event, data in reply.events:
        if data == "[DONE]" or event == "error":
            break
        try:
            frame = json.loads(data)
        except ValueError:
            frame = None
        if isinstance(frame, dict) and frame.get("object") == "chat.completion.chunk":
            fail(f"{reply.shown}: an event's data is the upstream's chunk as it came, {data[:100]!r}...: the browser "
                 'gets this app\'s own frames, data: {"content": TEXT}, one per text delta',
                 f"{reply.shown}：有个事件的 data 原样照搬了上游的 chunk，{data[:100]!r}...："
                 '浏览器收到的应该是这个应用自己的帧，data: {"content": TEXT}，每个文字增量一帧')
        if event != "message" or not isinstance(frame, dict) or set(frame) != {"content"} or not isinstance(frame["content"], str):
            fail(f'{reply.shown}: each text delta is one event, data: {{"content": TEXT}} made with json.dumps; '
                 f"this one is {(event, data)!r}\n    received: {reply.text!r}",
                 f'{reply.shown}：每个文字增量是一个事件，data: {{"content": TEXT}}，用 json.dumps 生成；'
                 f"这个却是 {(event, data)!r}\n    实际：{reply.text!r}")
        texts.append(frame["content"])
    return texts


def relayed(reply: Reading, prompt: str) -> None:
    """The reply to prompt, relayed whole: one event per delta (echo: one per character), then [DONE]."""
    texts = contents(reply)
    if texts != list(prompt) and "".join(texts) == prompt:
        fail(f"{reply.shown}: the text is all there, in {len(texts)} event(s) for the upstream's {len(prompt)} "
             "deltas: send each delta on as it arrives, one event each, without collecting them first",
             f"{reply.shown}：文字都在，但上游的 {len(prompt)} 个增量变成了 {len(texts)} 个事件："
             "每个增量一到就发出去，一个增量一个事件，不要先攒起来")
    same(texts, list(prompt), f"the text of each event {reply.shown} sent (the echo model: one per character)",
         f"{reply.shown} 发出的每个事件里的文字（echo 模型：每个字符一个）")
    ends = reply.events[len(texts):]
    if not ends:
        fail(f'{reply.shown}: after the last text the stream ended without the end signal: yield "data: [DONE]\\n\\n" '
             f"once the upstream has sent its own [DONE]\n    received: {reply.text[-200:]!r}",
             f'{reply.shown}：最后一块文字之后，流没有发结束信号就结束了：上游发来它的 [DONE] 之后，'
             f'yield "data: [DONE]\\n\\n"\n    实际：{reply.text[-200:]!r}')
    same(ends, [("message", "[DONE]")], f"the events after the text in {reply.shown}: the end signal, nothing else",
         f"{reply.shown} 里文字之后的事件：只有结束信号")


@pytest.mark.task(1)
def test_relay_as_it_arrives(relay: Served, upstream: Server) -> None:
    for query in ({"prompt": TEXT, "delay": "0"}, {"prompt": TEXT, "delay": "0", "split": "on"}):
        reply = Reading(relay, query)
        reply.read()
        relayed(reply, TEXT)
    # The model takes 3 s over this one. When the first event reaches the browser, is it still streaming?
    settled(upstream)
    reply = Reading(relay, {"prompt": LONG, "delay": "100"})
    reply.read(1)
    streaming = upstream.open_streams()
    contents(reply)
    if not reply.messages:
        fail(f"{reply.shown} sent no event at all\n    received: {reply.text!r}", f"{reply.shown} 一个事件也没发\n    实际：{reply.text!r}")
    if streaming == 0:
        reply.leave()
        fail(f"{reply.shown}: the first event reached the browser only after the model had finished its whole reply "
             "(the upstream's /healthz no longer counted its stream). Your relay reads the whole upstream answer "
             "first: client.send() without stream=True, .read(), .text and .json() all wait for the end of the body. "
             "Send with stream=True and read upstream.iter_lines(): each line as it arrives",
             f"{reply.shown}：第一个事件到达浏览器时，模型早已把整段回复都发完了（上游的 /healthz 已经不再数这个流）。"
             "你的中转先读完了上游的整个回答：不带 stream=True 的 client.send()、.read()、.text 和 .json() "
             "都要等响应体全部到齐。用 stream=True 发送，再读 upstream.iter_lines()：一行到了就处理一行")
    reply.read()
    relayed(reply, LONG)


def refused(reply: Reading, why: str, mention: str) -> None:
    """A 502 JSON error before any stream byte, whose message contains mention."""
    reply.read()
    if reply.status == 200:
        fail(f"{reply.shown}: {why}, and your app answered 200 ({reply.kind}) then {reply.text[:300]!r}. The browser "
             "sees a successful stream. The upstream's answer is known before the first byte: ask it in the view, "
             "not in the generator, and answer 502 JSON with bad_gateway(message) before the first byte",
             f"{reply.shown}：{why}，你的应用却返回了 200（{reply.kind}），接着是 {reply.text[:300]!r}。"
             "浏览器看到的是一个成功的流。上游怎么回答，在第一个字节之前就知道了：在视图里请求上游，"
             "不要放到生成器里，然后在第一个字节之前用 bad_gateway(message) 返回 502 JSON")
    if reply.served.errors:
        error = reply.served.errors[0]
        fail(f"{reply.shown}: {why}, and your app raised {type(error).__name__}: {error}. Catch httpx.HTTPError "
             "around client.send(...), and check upstream.status_code: either way return bad_gateway(message), a 502",
             f"{reply.shown}：{why}，你的应用抛出了 {type(error).__name__}：{error}。用 try 包住 client.send(...)，"
             "捕获 httpx.HTTPError，再检查 upstream.status_code：两种情况都 return bad_gateway(message)，也就是 502")
    same(reply.status, 502, f"the status of {reply.shown} ({why})", f"{reply.shown} 的状态码（{why}）")
    try:
        message = json.loads(reply.raw)["error"]["message"]
    except (ValueError, KeyError, TypeError):
        message = None
    if not reply.kind.startswith("application/json") or not isinstance(message, str) or not message:
        fail(f'{reply.shown} answered 502 {reply.kind!r} {reply.text!r}: the body is JSON, {{"error": {{"message": "..."}}}} '
             "(return bad_gateway(message))",
             f'{reply.shown} 返回了 502 {reply.kind!r} {reply.text!r}：响应体应该是 JSON，{{"error": {{"message": "..."}}}}'
             "（return bad_gateway(message)）")
    if mention not in message:
        fail(f"{reply.shown}: {why}; the 502's message is {message!r}. Say what the upstream answered, with its "
             f"status: f\"the upstream answered {{upstream.status_code}}: ...\"\n    expected: a message containing {mention!r}",
             f"{reply.shown}：{why}；502 的 message 是 {message!r}。要说明上游回答了什么，带上它的状态码："
             f"f\"the upstream answered {{upstream.status_code}}: ...\"\n    期望：一个包含 {mention!r} 的 message")


@pytest.mark.task(2)
def test_an_upstream_that_fails_before_the_stream_is_a_502(relay: Served, target: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for status in ("429", "503"):
        refused(Reading(relay, {"prompt": "Hi 你好", "fail": status}),
                say(f"the upstream answered {status}", f"上游返回了 {status}"), status)
    nowhere = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens there
    monkeypatch.setenv("UPSTREAM_URL", nowhere)
    with serve(target) as unreachable:
        refused(Reading(unreachable, {"prompt": "Hi 你好"}),
                say(f"the upstream ({nowhere}) could not be reached", f"连不上上游（{nowhere}）"), "")


@pytest.mark.task(3)
def test_an_upstream_error_mid_stream_is_an_error_frame(relay: Served) -> None:
    for at in (3, 1):
        reply = Reading(relay, {"prompt": TEXT, "delay": "0", "error_at": str(at)})
        reply.read()
        why = say(f"the model failed at chunk {at}: in place of it the upstream sent "
                  'data: {"error": {"message": ...}} and closed its stream',
                  f'模型在第 {at} 块失败了：上游在这一块的位置发来 data: {{"error": {{"message": ...}}}}，然后关闭了它的流')
        if reply.served.errors:
            error = reply.served.errors[0]
            fail(f"{reply.shown}: {why}. Your app raised {type(error).__name__}: {error}, and the response to the "
                 'browser was cut. Look for "error" in each chunk and yield an error frame: event: error, then '
                 'data: {"error": {"message": ...}}',
                 f"{reply.shown}：{why}。你的应用抛出了 {type(error).__name__}：{error}，发给浏览器的响应被截断了。"
                 '检查每个 chunk 里有没有 "error"，有就 yield 一个错误帧：event: error，然后 data: {"error": {"message": ...}}')
        texts = contents(reply)
        same(texts, list(TEXT)[:at - 1], f"the text before the failure in {reply.shown}", f"{reply.shown} 里失败之前的文字")
        after = reply.events[len(texts):]
        if after[:1] == [("message", "[DONE]")]:
            fail(f"{reply.shown}: {why}. Your relay ended with data: [DONE] as if the reply were complete: the browser "
                 f"shows half a reply, and no error. Pass the failure on: event: error, then data: [DONE]"
                 f"\n    received: {reply.text!r}",
                 f"{reply.shown}：{why}。你的中转却以 data: [DONE] 结束，好像回复是完整的：浏览器显示半截回复，"
                 f"也没有任何错误。要把失败转告浏览器：event: error，然后 data: [DONE]\n    实际：{reply.text!r}")
        if not after or after[0][0] != "error":
            fail(f"{reply.shown}: {why}. The next event must be an error frame, event: error with "
                 f'data: {{"error": {{"message": ...}}}}\n    received: {reply.text!r}',
                 f"{reply.shown}：{why}。下一个事件应该是错误帧：event: error，"
                 f'data: {{"error": {{"message": ...}}}}\n    实际：{reply.text!r}')
        try:
            message = json.loads(after[0][1])["error"]["message"]
        except (ValueError, KeyError, TypeError):
            message = None
        wanted = f"simulated error at chunk {at}"
        if not isinstance(message, str) or wanted not in message:
            fail(f"{reply.shown}: the error frame's data is {after[0][1]!r}; it is the JSON "
                 f'{{"error": {{"message": ...}}}} carrying the upstream\'s message\n    expected: a message containing {wanted!r}',
                 f"{reply.shown}：错误帧的 data 是 {after[0][1]!r}；它应该是 JSON "
                 f'{{"error": {{"message": ...}}}}，带着上游的错误信息\n    期望：一个包含 {wanted!r} 的 message')
        if reply.cut:
            fail(f"{reply.shown}: after the error frame the response was cut: it did not end cleanly",
                 f"{reply.shown}：错误帧之后响应被截断了，没有正常结束")
        same(after[1:], [("message", "[DONE]")], f"the events after the error frame in {reply.shown}: the end signal, nothing else",
             f"{reply.shown} 里错误帧之后的事件：只有结束信号")


@pytest.mark.task(4)
def test_the_upstream_is_closed_when_the_browser_leaves(relay: Served, upstream: Server) -> None:
    settled(upstream)
    reply = Reading(relay, {"prompt": LONGER, "delay": "100"}, patience=PATIENCE)
    reply.read(2)
    if len(reply.messages) < 2:
        reply.leave()
        reply.app_raised()
        fail(f"{reply.shown}: the model sends a character every 0.1 s, and {PATIENCE} s later the browser had "
             f"{len(reply.messages)} event(s) ({reply.status or 'not even a status line'}). Relay as it arrives "
             "first (task 1)",
             f"{reply.shown}：模型每 0.1 秒发一个字符，{PATIENCE} 秒后浏览器只收到 {len(reply.messages)} 个事件"
             f"（{reply.status or '连状态行都没有'}）。先做到边收边转（任务 1）")
    contents(reply)
    reply.leave()  # the browser leaves, 38 s before the model's reply would end
    left = upstream.wait_for_open_streams(0, seconds=LET_GO)
    if left:
        fail(f"the browser left {reply.shown} after 2 events, and {LET_GO} s later the upstream still counted the "
             "model's stream open: your relay is still reading a reply nobody will see (from a real model, one paid "
             "for by the token). When the browser leaves, the server closes your generator (GeneratorExit at its "
             "yield): close the upstream then, in try: ... finally: upstream.close(), and stop whatever reads it",
             f"浏览器收到 2 个事件后离开了 {reply.shown}，{LET_GO} 秒后上游仍然数着模型的这个流：你的中转还在读一段"
             "没人会看到的回复（真实的模型是按 token 收费的）。浏览器离开时，服务器会关闭你的生成器"
             "（在它停着的 yield 处抛出 GeneratorExit）：就在那时关闭上游，用 try: ... finally: upstream.close()，"
             "并让读上游的代码停下来")
