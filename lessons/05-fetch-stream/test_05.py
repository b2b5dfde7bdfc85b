"""Lesson 05's grader: your parser.js, run in Node by runner.mjs.

Tasks 1 and 2 push bytes into createParser(): whole streams, then the same streams cut into
pieces (one byte at a time, inside characters, between a CR and its LF). The events expected are
what StreamLab's strict WHATWG parser reads from the same bytes. Tasks 3 and 4 run streamChat()
against a real StreamLab server, with Chinese and emoji, `split=on`, CRLF and CR line endings,
and requests the server refuses; the text expected is what the strict parser reads from the
same request.
"""

import json
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from lessons.grading import fail, node, same
from streamlab.decoder import Decoder
from tests.servers import Server, fetch

RUNNER = Path(__file__).with_name("runner.mjs")
MARKER = "@@lesson-05-runner@@ "
HELLO = "Hello, 你好，世界 🙂 streaming!"
Event = dict[str, str]


def events(*pairs: tuple[str, str]) -> list[Event]:
    return [{"type": kind, "data": data} for kind, data in pairs]


def expected_events(wire: bytes) -> list[Event]:
    """What a spec-following client reads from these bytes."""
    return events(*((message.event, message.data) for message in Decoder().feed(wire)))


def stream(*texts: str, newline: str = "\n") -> bytes:
    """A stream as StreamLab writes it: the opening comment, one event per text (with its id), [DONE]."""
    blocks = [": ok", *(f"id: {n}\n" + "\n".join(f"data: {line}" for line in text.split("\n")) for n, text in enumerate(texts, 1)),
              "data: [DONE]"]
    return "".join(block + "\n\n" for block in blocks).replace("\n", newline).encode()


def pieces(wire: bytes, size: int) -> list[bytes]:
    return [wire[start:start + size] for start in range(0, len(wire), size)]


def split_on(event: bytes) -> tuple[bytes, bytes]:
    """An event in two pieces, as split=on writes it: cut inside its first multi-byte character, else in the middle."""
    cut = next((index + 1 for index, byte in enumerate(event) if byte >= 0x80), len(event) // 2)
    return event[:cut], event[cut:]


def held_back(received: list[Event], expected: list[Event]) -> None:
    """Fail when every event came but the last: the final CR was kept back, waiting for a LF that never comes."""
    if received and received == expected[:-1]:
        fail("a CR ends its line at once: the stream's last blank line is a lone CR, and no LF will follow it. "
             "Do not wait for the next read; remember that the text ended with CR, and skip a LF that starts the next one"
             f"\n    expected: {expected!r}\n    received: {received!r}",
             "CR 一出现，这一行就结束了：流的最后一个空行就是单独一个 CR，后面不会再有 LF。不要等下一次读取；"
             f"记住这段文字以 CR 结尾，下一段开头如果是 LF 就跳过它\n    期望：{expected!r}\n    实际：{received!r}")


# Task 1: whole streams, each pushed at once. (name, bytes, the events expected, what it checks)
WHOLE = [
    ("one event", b"data: Hi\n\n", events(("message", "Hi")),
     "one data: line and the blank line that ends the event", "一行 data: 加上结束事件的空行"),
    ("two events and comments", b": ok\n\ndata: a\n\n: ping\ndata: b\n\n", events(("message", "a"), ("message", "b")),
     "two events; a line starting with \":\" is a comment, not data", "两个事件；以 \":\" 开头的行是注释，不是数据"),
    ("lines", b"data: line 1\ndata: line 2\n\n", events(("message", "line 1\nline 2")),
     "an event's data: lines, joined with \"\\n\"", "一个事件的几行 data:，用 \"\\n\" 连起来"),
    ("one space", b"data:  two\n\ndata:none\n\ndata\n\ndata: \n\n", events(("message", " two"), ("message", "none"), ("message", ""), ("message", "")),
     "one space after \"data:\" is removed, no more (and \"data\" alone is an empty line of data)",
     "\"data:\" 后面只去掉一个空格，不多去（单独一个 \"data\" 是一行空数据）"),
    ("named", b"event: end\ndata: {}\n\nid: 7\nretry: 3000\ndata: x\n\n", events(("end", "{}"), ("message", "x")),
     "\"event:\" names the event (type); id: and retry: are not data", "\"event:\" 给事件起名字（type）；id: 和 retry: 不是数据"),
    ("no data", b"event: end\n\ndata: a\n\ndata: b\n", events(("message", "a")),
     "an event without a data: line is not dispatched, nor one whose blank line has not arrived",
     "没有 data: 行的事件不会派发，还没等到空行的事件也不会"),
    ("unicode", "data: 你好 🙂\n\n".encode(), events(("message", "你好 🙂")), "Chinese and emoji", "中文和 emoji"),
    ("crlf", stream("Hi", "a\nb", newline="\r\n"), expected_events(stream("Hi", "a\nb")),
     "lines ended with CRLF (newline=crlf)", "以 CRLF 结尾的行（newline=crlf）"),
    ("cr", stream("Hi", "a\nb", newline="\r"), expected_events(stream("Hi", "a\nb")),
     "lines ended with CR (newline=cr)", "以 CR 结尾的行（newline=cr）"),
]

# Task 2: the same kind of bytes, pushed in pieces. (name, the pieces, what it checks)
WIRE = stream("你好", "，世界 ", "🙂", " streaming!", "line 1\nline 2")
CUT = [
    ("byte by byte", pieces(WIRE, 1), "the stream, one byte per push", "整个流，一次推一个字节"),
    ("3 bytes", pieces(WIRE, 3), "the stream, 3 bytes per push, so reads end inside characters",
     "整个流，一次推 3 个字节，所以读取会在字符中间断开"),
    ("split=on", [piece for event in WIRE.split(b"\n\n")[:-1] for piece in split_on(event + b"\n\n")],
     "each event in two pieces, cut inside its first character of several bytes, as split=on does",
     "每个事件切成两块，切口在它第一个多字节字符的中间，和 split=on 一样"),
    ("crlf byte by byte", pieces(stream("你好", "a\nb", " c", newline="\r\n"), 1),
     "CRLF lines, one byte per push, so a CR and its LF arrive in two reads",
     "以 CRLF 结尾的行，一次推一个字节，所以一个 CR 和它后面的 LF 分两次读到"),
    ("cr in pieces", pieces(stream("你好", "a\nb", " c", newline="\r"), 2), "CR lines, 2 bytes per push",
     "以 CR 结尾的行，一次推 2 个字节"),
]

_runs: dict[tuple[str, ...], dict[str, Any]] = {}


def run(mode: str, target: Path, cases: list[dict[str, Any]], *extra: str) -> dict[str, Any]:
    """Run runner.mjs on the target's parser.js once per mode; return each case's result by name."""
    key = (mode, str(target), *extra)
    if key not in _runs:
        try:
            done = node(RUNNER, mode, str(target / "parser.js"), json.dumps(cases), *extra, timeout=150)
        except subprocess.TimeoutExpired:
            fail(f"{target / 'parser.js'} did not finish: is there a loop that never ends?",
                 f"{target / 'parser.js'} 一直没有结束：是不是有个永远不会结束的循环？")
        output = done.stdout.rpartition(MARKER)[2]
        if MARKER not in done.stdout:
            fail(f"{target / 'parser.js'} could not be run in Node:\n{done.stderr.strip()}",
                 f"{target / 'parser.js'} 无法在 Node 里运行：\n{done.stderr.strip()}")
        _runs[key] = json.loads(output)
    found = _runs[key]
    if "importError" in found:
        fail(f"{target / 'parser.js'} does not load: {found['importError']}", f"{target / 'parser.js'} 加载出错：{found['importError']}")
    if "missing" in found:
        fail(f"{target / 'parser.js'} exports no function {found['missing']}()", f"{target / 'parser.js'} 没有导出函数 {found['missing']}()")
    return found["results"]


def parsed(target: Path) -> dict[str, Any]:
    cases = [{"name": name, "pieces": [wire.hex()]} for name, wire, *_ in WHOLE]
    cases += [{"name": name, "pieces": [piece.hex() for piece in cut]} for name, cut, *_ in CUT]
    return run("parser", target, cases)


def received_events(result: dict[str, Any], en: str, zh: str) -> list[Event]:
    if "error" in result:
        fail(f"createParser().push() failed ({en}): {result['error']}", f"createParser().push() 出错了（{zh}）：{result['error']}")
    return result["events"]


@pytest.mark.task(1)
def test_lines_into_events(target: Path) -> None:
    results = parsed(target)
    for name, wire, expected, en, zh in WHOLE:
        received = received_events(results[name], en, zh)
        if not received and expected:
            fail(f"push() returned no event for {wire.decode()!r}: at each blank line, return the event "
                 "{ type, data } whose data: lines came before it",
                 f"push() 对 {wire.decode()!r} 一个事件也没返回：每遇到一个空行，就返回前面那几行 data: 组成的事件 {{ type, data }}")
        if name == "cr":
            held_back(received, expected)
        if name in ("crlf", "cr") and received != expected:
            fail(f"the events in {wire.decode()!r}: a line ends with CRLF, LF or CR, all three (split with /\\r\\n|\\r|\\n/)"
                 f"\n    expected: {expected!r}\n    received: {received!r}",
                 f"{wire.decode()!r} 里的事件：一行可以以 CRLF、LF 或 CR 结尾，三种都要认（用 /\\r\\n|\\r|\\n/ 拆分）"
                 f"\n    期望：{expected!r}\n    实际：{received!r}")
        same(received, expected, f"the events push() returned for {wire.decode()!r}: {en}", f"push() 对 {wire.decode()!r} 返回的事件：{zh}")


@pytest.mark.task(2)
def test_reads_are_pieces_of_bytes(target: Path) -> None:
    results = parsed(target)
    for name, cut, en, zh in CUT:
        wire = b"".join(cut)
        expected = expected_events(wire)
        received = received_events(results[name], en, zh)
        if received == expected:
            continue
        if any("\ufffd" in str(event.get("data")) for event in received):
            fail(f"TextDecoder without stream: true. Pushed: {en} ({len(cut)} pushes). A character's bytes came in two "
                 "reads, and each half was decoded on its own as \ufffd. Decode with decoder.decode(bytes, { stream: true })"
                 f"\n    expected: {expected!r}\n    received: {received!r}",
                 f"TextDecoder 没有 stream: true。推送方式：{zh}（共 {len(cut)} 次 push）。一个字符的字节分两次读到，两半各自被解码成了 \ufffd。"
                 f"要用 decoder.decode(bytes, {{ stream: true }})\n    期望：{expected!r}\n    实际：{received!r}")
        if name.startswith("cr "):
            held_back(received, expected)
        if name.startswith("crlf") and len(received) > len(expected):
            fail(f"Pushed: {en}. A CR at the end of one read and the LF at the start of the next are one line break (CRLF), "
                 "not two: after a read that ends with \"\\r\", skip a \"\\n\" that starts the next one"
                 f"\n    expected: {expected!r}\n    received: {received!r}",
                 f"推送方式：{zh}。一次读取末尾的 CR 和下一次开头的 LF 是同一个换行（CRLF），不是两个："
                 f"上一次以 \"\\r\" 结尾时，跳过下一次开头的 \"\\n\"\n    期望：{expected!r}\n    实际：{received!r}")
        fail(f"one read is not one event: keep the unfinished part in a buffer. Pushed: {en} ({len(cut)} pushes). A line "
             "is only whole when its line break arrives: keep what follows the last line break for the next push()"
             f"\n    expected: {expected!r}\n    received: {received!r}",
             f"读一次不等于一个事件：把没读完的部分留在缓冲区里。推送方式：{zh}（共 {len(cut)} 次 push）。一行要等它的换行到了才算完整："
             f"最后一个换行之后的内容留到下一次 push()\n    期望：{expected!r}\n    实际：{received!r}")


# Tasks 3 and 4: streamChat() against a real server. Each body gets model=echo and delay=0.
CHATS = {
    "plain": {"message": HELLO, "frame": "plain"},
    "split=on": {"message": HELLO, "split": "on"},
    "newline=crlf": {"message": HELLO, "newline": "crlf"},
    "newline=cr, split=on": {"message": HELLO, "newline": "cr", "split": "on"},
    "chunk=word, split=on, newline=crlf": {"message": "  two leading spaces, 你好  and 🙂 more ", "chunk": "word", "split": "on", "newline": "crlf"},
    "lines and history": {"message": "line 1\nline 2\n\n  indented 你好", "chunk": "sentence", "split": "on",
                          "history": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}]},
}
CUT_SHORT = {"message": HELLO, "drop_after": 3}  # the response ends after 3 chunks, without [DONE]
REFUSED = {"empty message": {"message": ""}, "unknown model": {"message": "Hi", "model": "gpt-4o"}}


def bodies() -> dict[str, dict[str, Any]]:
    return {name: {"model": "echo", "delay": 0, **body} for name, body in {**CHATS, "cut short": CUT_SHORT, **REFUSED}.items()}


def chatted(target: Path, server: Server) -> dict[str, Any]:
    return run("chat", target, [{"name": name, "body": body} for name, body in bodies().items()], f"{server.url}/api/chat")


def shown(body: dict[str, Any]) -> str:
    return json.dumps(body, ensure_ascii=False)


@pytest.mark.task(3)
def test_stream_chat_reads_the_reply(target: Path, flask_server: Server) -> None:
    results = chatted(target, flask_server)
    for name in CHATS:
        body = bodies()[name]
        oracle = fetch("POST", f"{flask_server.url}/api/chat", json=body)
        pieces, text = [chunk.data for chunk in oracle.chunks], "".join(chunk.data for chunk in oracle.chunks)
        result = results[name]
        got, outcome = result["pieces"], result["outcome"]
        request = f"streamChat(url, {shown(body)}, onText)"
        if outcome == "timeout":
            fail(f"{request} did not settle within 10 s: resolve with the whole reply at data: [DONE]",
                 f"{request} 10 秒内既没有 resolve 也没有 reject：读到 data: [DONE] 时要 resolve 整个回复")
        if outcome in ("not-a-promise", "threw"):
            fail(f"{request} must return a Promise (write it as an async function)",
                 f"{request} 要返回一个 Promise（把它写成 async 函数）")
        if any("\ufffd" in piece for piece in [*got, result.get("text", "")]):
            fail(f"TextDecoder without stream: true: {request} gave \ufffd where a character was cut across two reads"
                 f"\n    expected: {text!r}\n    received: {''.join(got)!r}",
                 f"TextDecoder 没有 stream: true：{request} 在字符被切到两次读取的地方得到了 \ufffd"
                 f"\n    期望：{text!r}\n    实际：{''.join(got)!r}")
        if any("\r" in piece for piece in got):
            fail(f"{request}: a \"\\r\" is left in the text: with newline=crlf or cr, a line ends with CRLF or CR, "
                 f"not only LF\n    expected: {pieces!r}\n    received: {got!r}",
                 f"{request}：文字里留下了 \"\\r\"：newline=crlf 或 cr 时，一行以 CRLF 或 CR 结尾，不只是 LF"
                 f"\n    期望：{pieces!r}\n    实际：{got!r}")
        if outcome == "rejected" and got == []:
            fail(f"{request} rejected with {result['error']!r}, and onText received nothing: expected {pieces!r}",
                 f"{request} reject 了，错误是 {result['error']!r}，onText 什么也没收到：期望 {pieces!r}")
        if got != pieces and ("split" in name or len("".join(got)) < len(text)):
            fail(f"one read is not one event: keep the unfinished part in a buffer. With split=on each event comes "
                 f"in two reads, and text was lost. What onText received from {request}"
                 f"\n    expected: {pieces!r}\n    received: {got!r}",
                 f"读一次不等于一个事件：把没读完的部分留在缓冲区里。split=on 时每个事件分两次读到，文字丢了。"
                 f"{request} 的 onText 收到的内容\n    期望：{pieces!r}\n    实际：{got!r}")
        if len(got) == len(pieces) > 1 and got == ["".join(pieces[:n]) for n in range(1, len(pieces) + 1)]:
            fail(f"onText received the reply so far each time: call it with each event's data, the new piece only"
                 f"\n    expected: {pieces!r}\n    received: {got!r}",
                 f"onText 每次收到的都是到目前为止的整个回复：应该用每个事件的 data 调用它，只传新的这一段"
                 f"\n    期望：{pieces!r}\n    实际：{got!r}")
        same(got, pieces, f"what onText received from {request}, one call per event", f"{request} 的 onText 收到的内容，每个事件调用一次")
        if outcome == "rejected":
            fail(f"{request} rejected with {result['error']!r}: resolve with the whole reply at data: [DONE]",
                 f"{request} reject 了，错误是 {result['error']!r}：读到 data: [DONE] 时要 resolve 整个回复")
        same(result["text"], text, f"what {request} resolved with: the whole reply", f"{request} resolve 的值：整个回复")

    result, request = results["cut short"], f"streamChat(url, {shown(bodies()['cut short'])}, onText)"
    if result["outcome"] == "resolved":
        fail(f"{request} resolved with {result['text']!r}, but the response ended after 3 chunks, before data: [DONE]: "
             "that reply is cut, so throw an Error instead of resolving with part of it",
             f"{request} resolve 了 {result['text']!r}，可是响应只发了 3 块就结束了，没有 data: [DONE]："
             "回复是不完整的，要抛出 Error，不要把半截回复当成整个回复")
    same(result["outcome"], "rejected", f"how {request} settled when the stream ended before data: [DONE]",
         f"流在 data: [DONE] 之前就结束时，{request} 的结果")


@pytest.mark.task(4)
def test_stream_chat_checks_response_ok(target: Path, flask_server: Server) -> None:
    results = chatted(target, flask_server)
    for name in REFUSED:
        body = bodies()[name]
        refusal = httpx.post(f"{flask_server.url}/api/chat", json=body)
        message = refusal.json()["error"]["message"]
        result, request = results[name], f"streamChat(url, {shown(body)}, onText)"
        received = result.get("error") if result["outcome"] == "rejected" else f"{result['outcome']}: {result.get('text', '')!r}"
        if result["outcome"] != "rejected" or message not in str(result.get("error")):
            fail(f"{request} must throw an Error with the server's message. Check response.ok before reading the body: "
                 f"the server refused with {refusal.status_code} and the JSON {refusal.text}, before any stream byte"
                 f"\n    expected: an Error whose message contains {message!r}\n    received: {received!r}",
                 f"{request} 应该抛出带有服务器错误信息的 Error。读取响应体之前先检查 response.ok："
                 f"服务器在发出任何流字节之前，就用 {refusal.status_code} 和 JSON {refusal.text} 拒绝了请求"
                 f"\n    期望：一个 message 包含 {message!r} 的 Error\n    实际：{received!r}")
        if not result.get("isError"):
            fail(f"{request} rejected with {result['error']!r}, which is not an Error: throw new Error(message)",
                 f"{request} reject 的 {result['error']!r} 不是 Error：要 throw new Error(message)")
        same(result["pieces"], [], f"what onText received from {request}", f"{request} 的 onText 收到的内容")
