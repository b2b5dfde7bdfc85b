"""Lesson 12's grader: your Chat runs in headless Chromium against a real StreamLab server.

The browser opens a page on the server's own origin, `/lesson/`, whose files Playwright serves: an
empty page that loads runner.js (from here), which imports your chat.js, and chat.js its parser.js
(from the graded folder). Each send() streams into a new element. Every request the page sends to
/api/chat goes to the real server (`flask run`, model=echo: the reply is the message) and its JSON
body is recorded, so the grader sees the history you send; /healthz shows whether Stop ended the
server's stream.
"""

import json
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, Request

from lessons.grading import fail, lesson_page, same
from streamlab.conversation import parse_conversation
from streamlab.errors import InputError
from streamlab.models import reply
from tests.servers import Server

LESSON = Path(__file__).resolve().parent
# Markup, entities, Chinese, an emoji, a line break and two spaces: text shows all of it exactly.
MARKUP = 'Hi <b>粗体</b> & &amp; 🙂 <img src="x" onerror="window.pwned = true">\n5 > 3,  spaced'
SHORT = "你好，世界 🙂"
LONG = "Stop me: 这段回复很长，一个字一个字地来，要好几秒才能发完。Still going, still going… 🙂"  # 6.1 s at delay=100
SETTLE_MS = 3000  # every reply here at delay=0 ends within milliseconds
STOP_AT = 3  # Stop is pressed once the element shows this many characters
AFTER_STOP_MS = 1000  # how long send() may take to settle after stop(); the server gets as long to close
WHAT_EN = {"resolved": "resolved", "timeout": f"did not settle within {SETTLE_MS // 1000} s"}
WHAT_ZH = {"resolved": "兑现了", "timeout": f"在 {SETTLE_MS // 1000} 秒内一直没有结束"}


@dataclass
class Sent:
    """How one chat.send(message, element) went, as runner.js reports it."""

    message: str
    outcome: str  # resolved, rejected, timeout, timeout-after-stop
    text: object = None  # what send() resolved with
    error: str = ""
    name: str = ""  # the rejection's error name: AbortError, TypeError, ...
    shown: str = ""  # the element's textContent when it settled
    seen: list[str] = field(default_factory=list)  # each text the element showed while it streamed
    elements: list[str] = field(default_factory=list)  # elements inside it: markup that became HTML
    ran: bool = False  # the <img onerror> of MARKUP ran
    stopped: bool = False  # the runner called chat.stop()
    stop_error: str = ""
    usage: object = None
    history: object = None
    body: object = None  # the JSON body the page POSTed to /api/chat for it


class Lab:
    """The page that runs the graded chat.js."""

    def __init__(self, page: Page, target: Path) -> None:
        self.page = page
        self.target = target
        self.bodies: list[object] = []
        self.errors: list[str] = []
        page.on("request", self.record)
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def record(self, request: Request) -> None:
        if urlsplit(request.url).path == "/api/chat":
            try:
                self.bodies.append(json.loads(request.post_data or ""))
            except ValueError:
                self.bodies.append(request.post_data)

    def chat(self, **options: object) -> dict[str, object]:
        """new Chat('/api/chat', options): what it holds before any message."""
        made = self.page.evaluate("(options) => window.newChat(options)", options)
        loads(made, self.target)
        return made

    def send(self, message: str, stop_at: int = 0, timeout: int = SETTLE_MS) -> Sent:
        """chat.send(message, element); with stop_at, chat.stop() once the element shows that many characters."""
        self.bodies.clear()
        options = {"timeout": timeout, "stopAt": stop_at, "afterStop": AFTER_STOP_MS}
        report = self.page.evaluate("([message, options]) => window.send(message, options)", [message, options])
        if report["outcome"] == "threw":
            fail(f"chat.send({message!r}, element) threw {report['error']}", f"chat.send({message!r}, element) 抛出了 {report['error']}")
        if report["outcome"] == "not-a-promise":
            fail(f"chat.send() should return a Promise (write it as an async method), and returned {report['error']}",
                 f"chat.send() 应该返回一个 Promise（把它写成 async 方法），实际返回了 {report['error']}")
        if self.errors:
            fail(f"your code threw in the browser while sending {message!r}: {self.errors[0]}",
                 f"发送 {message!r} 时，你的代码在浏览器里抛出了异常：{self.errors[0]}")
        return Sent(message, report["outcome"], report.get("text"), report.get("error", ""), report.get("name", ""),
                    report["shown"], report["seen"], report["elements"], report["ran"], report["stopped"],
                    report["stopError"], report["usage"], report["history"], self.bodies[-1] if self.bodies else None)


@pytest.fixture
def lab(target: Path, browser: Browser, flask_server: Server) -> Iterator[Lab]:
    """A fresh page on the server's origin: /lesson/ served from here and from the graded folder."""
    if not (target / "chat.js").is_file():
        fail(f"{target / 'chat.js'} is missing", f"找不到 {target / 'chat.js'}")
    with lesson_page(browser, flask_server.url, LESSON, target, "typeof window.send === 'function'") as page:
        yield Lab(page, target)


def loads(made: dict[str, object], target: Path) -> None:
    """Fail unless chat.js loads, exports a class Chat, and new Chat(url, options) works."""
    path = target / "chat.js"
    if made["outcome"] == "import-error":
        where = syntax_error(path) or syntax_error(target / "parser.js") or "(the browser's console shows where)"
        fail(f"{path} does not load: {made['error']}\n{where}", f"{path} 加载失败：{made['error']}\n{where}")
    if made["outcome"] == "missing":
        fail(f"{path} exports no class Chat", f"{path} 没有导出类 Chat")
    if made["outcome"] == "threw":
        fail(f"new Chat('/api/chat', options) threw {made['error']}", f"new Chat('/api/chat', options) 抛出了 {made['error']}")


def syntax_error(path: Path) -> str:
    """Where `node --check` finds a syntax error in the ES module at path; "" without Node.js."""
    if shutil.which("node") is None or not path.is_file():
        return ""
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / f"{path.stem}.mjs"  # .mjs: Node reads it as a module, as the browser does
        copy.write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
        done = subprocess.run(["node", "--check", str(copy)], capture_output=True, text=True, timeout=60)
        lines = [line for line in done.stderr.replace(str(copy), str(path)).splitlines() if line.strip()]
    ends = [index for index, line in enumerate(lines) if line.startswith("SyntaxError")]
    return "\n".join(lines[:ends[0]]) if ends else ""


def resolved(sent: Sent) -> None:
    """Fail unless send() resolved: the stream ended normally."""
    if sent.outcome == "rejected":
        fail(f"chat.send({sent.message!r}) rejected with {sent.error!r}, though the stream ended normally",
             f"流正常结束了，chat.send({sent.message!r}) 却以 {sent.error!r} 拒绝（reject）了")
    if sent.outcome == "timeout":
        fail(f"chat.send({sent.message!r}) did not settle within {SETTLE_MS // 1000} s, though the stream ended at once "
             "with its end event: resolve with the reply there",
             f"chat.send({sent.message!r}) 在 {SETTLE_MS // 1000} 秒内没有结束，可这个流一下子就以 end 事件结束了："
             "在那里用回复兑现（resolve）")


def sent_body(sent: Sent) -> dict[str, object]:
    """The JSON object the page POSTed for this message, or a failure that says what went instead."""
    if sent.body is None:
        fail(f"chat.send({sent.message!r}) sent no request to /api/chat", f"chat.send({sent.message!r}) 没有向 /api/chat 发送请求")
    if not isinstance(sent.body, dict):
        fail(f"the body sent to /api/chat should be a JSON object, and was {sent.body!r}",
             f"发给 /api/chat 的请求体应该是一个 JSON 对象，实际是 {sent.body!r}")
    return sent.body


def usage_for(body: dict[str, object]) -> dict[str, int]:
    """The usage counts StreamLab computes for this request body (model=echo)."""
    try:
        conversation = parse_conversation(body, ("message", "prompt"))
    except InputError as error:
        fail(f"the server refused the body sent to /api/chat, {body!r}: {error}",
             f"服务器拒绝了发给 /api/chat 的请求体 {body!r}：{error}")
    return reply(conversation, "echo", str(body.get("chunk") or "char")).usage


def turns(*pairs: str) -> list[dict[str, str]]:
    """A history: user, assistant, user, assistant, ..."""
    return [{"role": ("user", "assistant")[index % 2], "content": content} for index, content in enumerate(pairs)]


@pytest.mark.task(1)
def test_the_reply_is_shown_as_text(lab: Lab) -> None:
    lab.chat(model="echo", delay=0, split="on")  # each event cut in two, inside a character
    sent = lab.send(MARKUP)
    resolved(sent)
    if sent.elements and all(element == "<br>" for element in sent.elements):
        fail("innerText turns each line break of the reply into a <br> element, so the text loses its \\n: "
             "use element.textContent = reply, which keeps the text exactly",
             "innerText 会把回复里的每个换行变成一个 <br> 元素，文字就丢了 \\n：用 element.textContent = reply，文字原样保留")
    if sent.elements:
        ran_en = " and its <img onerror=...> ran as script on your page: an attacker's code would have run as your user" if sent.ran else ""
        ran_zh = "，里面的 <img onerror=...> 还在你的页面上当脚本运行了：换成攻击者的代码，就会以你的用户的身份运行" if sent.ran else ""
        fail(f"the reply was read as HTML (innerHTML?): its markup became elements in the page, {sent.elements}{ran_en}. "
             f"The reply is text: element.textContent = reply. Received {sent.shown!r}",
             f"回复被当成了 HTML（用了 innerHTML？）：里面的标签变成了页面上的元素，{sent.elements}{ran_zh}。"
             f"回复是文字：element.textContent = reply。实际显示：{sent.shown!r}")
    if sent.shown == "":
        fail(f"the element shows nothing: chat.send({MARKUP!r}, element) should show the reply in element as it arrives "
             "(element.textContent = reply)",
             f"元素里什么也没显示：chat.send({MARKUP!r}, element) 应该在回复到达时把它显示在 element 里"
             "（element.textContent = reply）")
    same(sent.shown, MARKUP, "the text the element shows (model=echo: the message itself)", "元素显示的文字（model=echo：就是消息本身）")
    same(sent.text, MARKUP, "the reply chat.send() resolved with", "chat.send() 兑现的回复")

    lab.chat(model="echo", delay=30)  # a character every 30 ms: time to see the reply grow
    sent = lab.send(SHORT)
    resolved(sent)
    same(sent.shown, SHORT, "the text the element shows", "元素显示的文字")
    if not [text for text in sent.seen if text and text != SHORT]:
        fail(f"the element showed the reply all at once, at the end (it showed {sent.seen!r}): show each piece as it "
             "arrives, in the onText callback, so the reader sees the reply grow",
             f"元素是在最后一下子显示出整个回复的（它显示过 {sent.seen!r}）：每到一段就显示一段，写在 onText 回调里，"
             "让读者看着回复一点点长出来")


def check_usage(received: object, expected: dict[str, int], which: str, which_zh: str) -> None:
    """Fail unless chat.usage is the end event's usage object."""
    if received is None:
        fail(f"chat.usage is null after {which} ended: with end: 'event' the stream ends with `event: end` and the data "
             '{"usage": {...}}. Return JSON.parse(event.data).usage at that event',
             f"{which_zh}结束之后，chat.usage 还是 null：用 end: 'event' 时，流以 `event: end` 结束，它的 data 是 "
             '{"usage": {...}}。在这个事件里 return JSON.parse(event.data).usage')
    if isinstance(received, str):
        fail(f"chat.usage is the end event's JSON text, {received!r}: parse it, JSON.parse(event.data).usage",
             f"chat.usage 是 end 事件的 JSON 文本 {received!r}：要解析它，JSON.parse(event.data).usage")
    if isinstance(received, dict) and set(received) == {"usage"}:
        fail(f'chat.usage is the whole {{"usage": ...}} object, {received!r}: keep the usage inside it, '
             "JSON.parse(event.data).usage",
             f'chat.usage 是整个 {{"usage": ...}} 对象 {received!r}：要的是里面的 usage，JSON.parse(event.data).usage')
    same(received, expected, f"chat.usage after {which} (the end event's usage)", f"{which_zh}之后的 chat.usage（end 事件里的 usage）")


@pytest.mark.task(2)
def test_usage_comes_from_the_end_event(lab: Lab) -> None:
    made = lab.chat(model="echo", delay=0)
    same(made["usage"], None, "chat.usage before any message", "还没发消息时的 chat.usage")
    sent = lab.send(SHORT)
    resolved(sent)
    check_usage(sent.usage, usage_for(sent_body(sent)), "the first reply", "第一条回复")
    sent = lab.send("Hi <i>again</i> 🙂")  # the next reply's usage replaces it (with the history, once task 3 sends it)
    resolved(sent)
    check_usage(sent.usage, usage_for(sent_body(sent)), "the second reply", "第二条回复")


@pytest.mark.task(3)
def test_every_request_carries_the_history(lab: Lab) -> None:
    first, second = SHORT, "And <i>now</i>? 再见 👋"
    lab.chat(model="echo", delay=0)
    one = lab.send(first)
    resolved(one)
    history = sent_body(one).get("history")
    if history and isinstance(history, list) and history[-1] == {"role": "user", "content": first}:
        fail(f"the history of the first request already holds its own message, {history!r}: the server reads message "
             "and history, so it sees the new message twice. Add the turns to this.history after the request is sent",
             f"第一次请求的 history 里已经有了这条消息本身 {history!r}：服务器既读 message 也读 history，"
             "新消息就被读了两遍。要在请求发出之后再往 this.history 里追加")
    same(history or [], [], "the history the first request sent (nothing was said before it)", "第一次请求带的 history（之前还没说过话）")

    two = lab.send(second)
    resolved(two)
    body = sent_body(two)
    if not body.get("history"):
        counted = two.usage.get("prompt_chars") if isinstance(two.usage, dict) else None
        count_en = f" (usage.prompt_chars {counted} counts only the new message)" if counted is not None else ""
        count_zh = f"（usage.prompt_chars 是 {counted}，只算了这条新消息）" if counted is not None else ""
        fail(f"the second request sent no history: {body!r}. The server keeps no state, so it read {second!r} alone"
             f"{count_en}, as if nothing had been said before. Put history: this.history in the body, every time",
             f"第二次请求没有带上 history：{body!r}。服务器不记任何状态，所以它只读到了 {second!r}{count_zh}，"
             "好像之前什么都没说过。每次都要在请求体里放上 history: this.history")
    same(body["history"], turns(first, first), "the history the second request sent: the first message and its reply",
         "第二次请求带的 history：第一条消息和它的回复")
    same(two.history, turns(first, first, second, second), "chat.history after two replies", "两条回复之后的 chat.history")
    if isinstance(two.usage, dict) and "prompt_chars" in two.usage:  # once task 2 reads it
        same(two.usage["prompt_chars"], 2 * len(first) + len(second),
             "usage.prompt_chars of the second reply: the server counts the message and the whole history",
             "第二条回复的 usage.prompt_chars：服务器把新消息和整个 history 都算进去")


@pytest.mark.task(4)
def test_stop_aborts_the_stream_and_keeps_the_partial_reply(lab: Lab, flask_server: Server) -> None:
    lab.chat(model="echo", delay=100)  # a character every 100 ms: time to press Stop mid-reply
    sent = lab.send(LONG, stop_at=STOP_AT, timeout=1500)
    if not sent.stopped:
        fail(f"the element showed no text within 1.5 s ({sent.shown!r}), so the grader could not press Stop in the middle "
             "of the reply: do task 1 first",
             f"1.5 秒内元素里没有显示文字（{sent.shown!r}），检查程序没法在回复中途按“停止”：先完成任务 1")
    if sent.stop_error:
        fail(f"chat.stop() threw {sent.stop_error}", f"chat.stop() 抛出了 {sent.stop_error}")
    if sent.outcome == "rejected":
        abort = sent.name == "AbortError" or "abort" in sent.error.lower()
        if abort:
            fail(f"after stop(), chat.send() rejected with {sent.error!r}, and a page shows a rejection as an error. "
                 "The user pressed Stop: an AbortError is not an error to show. Catch it: "
                 "if (!controller.signal.aborted) throw error; otherwise return the partial reply",
                 f"stop() 之后，chat.send() 以 {sent.error!r} 拒绝（reject）了，页面会把它当成错误显示出来。"
                 "是用户自己按了停止：AbortError 不是要报告的错误。catch 住它："
                 "if (!controller.signal.aborted) throw error; 否则返回已经收到的那部分回复")
        fail(f"after stop(), chat.send() rejected with {sent.error!r}: it should resolve with the part of the reply that arrived",
             f"stop() 之后，chat.send() 以 {sent.error!r} 拒绝（reject）了：它应该用已经收到的那部分回复兑现（resolve）")
    still_open = flask_server.wait_for_open_streams(0, seconds=AFTER_STOP_MS / 1000)
    if still_open:
        late_en = f"; send() had not settled {AFTER_STOP_MS} ms after stop()" if sent.outcome == "timeout-after-stop" else ""
        late_zh = f"；stop() 之后 {AFTER_STOP_MS} 毫秒，send() 还没有结束" if sent.outcome == "timeout-after-stop" else ""
        fail(f"after stop(), the server kept streaming the reply for nobody: /healthz still counted {still_open} open "
             f"stream(s) {AFTER_STOP_MS} ms later{late_en}. Stop must abort the request: const controller = "
             "new AbortController(), signal: controller.signal in fetch's options, and controller.abort() in stop()",
             f"stop() 之后，服务器还在继续发送回复，可已经没人在读了：{AFTER_STOP_MS} 毫秒后 /healthz 仍显示 "
             f"{still_open} 个打开的流{late_zh}。停止必须中止请求：const controller = new AbortController()，"
             "在 fetch 的选项里写 signal: controller.signal，再在 stop() 里调用 controller.abort()")
    if sent.outcome != "resolved":
        fail(f"chat.send() did not settle within {AFTER_STOP_MS} ms after stop(): once aborted, resolve with the partial reply",
             f"stop() 之后 {AFTER_STOP_MS} 毫秒内 chat.send() 没有结束：中止之后，用已经收到的那部分回复兑现（resolve）")
    text = sent.text
    if not (isinstance(text, str) and text and LONG.startswith(text) and text != LONG):
        fail(f"after stop(), chat.send() should resolve with the part of the reply that arrived: a start of {LONG!r}. "
             f"Received {text!r}",
             f"stop() 之后，chat.send() 应该用已经收到的那部分回复兑现：{LONG!r} 的开头一段。实际：{text!r}")
    same(sent.shown, text, "the element after Stop: it keeps the part that arrived", "停止之后的元素：留着已经收到的那部分")
    same(sent.usage, None, "chat.usage after a stopped reply (no end event came)", "停止的回复之后的 chat.usage（没有收到 end 事件）")
    same(sent.history, turns(LONG, text),
         "chat.history after Stop: the message and the part of the reply the reader saw, so the next message can be about it",
         "停止之后的 chat.history：这条消息和读者看到的那部分回复，这样下一条消息还能接着它说")

    after = lab.send("ok")  # the chat goes on: the next request carries the stopped turn
    resolved(after)
    same(sent_body(after).get("history"), turns(LONG, text), "the history the next request sent, after Stop",
         "停止之后，下一次请求带的 history")
