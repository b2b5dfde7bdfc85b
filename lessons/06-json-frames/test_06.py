"""Lesson 06's grader: your frames.js, run in Node by runner.mjs.

Tasks 1 and 2 call textOf(event, frame) on events as a parser hands them over: plain and JSON
frames with leading spaces, CR and LF, quotes, Chinese and emoji; [DONE]; named events. Task 3
runs readReply() against a real StreamLab server (`flask run`) in both framings, with `split=on`
and CRLF and CR line endings; the text expected is what StreamLab's strict parser reads from the
same request, and in JSON frames it is the echoed message exactly, every \\r included.
"""

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from lessons.grading import fail, node, same
from tests.servers import Server, fetch

RUNNER = Path(__file__).with_name("runner.mjs")
MARKER = "@@lesson-06-runner@@ "
Event = dict[str, str]


def message(data: str) -> Event:
    return {"type": "message", "data": data}


def json_frame(content: str, **more: object) -> str:
    """A JSON frame's data, as StreamLab writes it: one line, Chinese and emoji kept readable."""
    return json.dumps({"content": content, **more}, ensure_ascii=False)


def shown(event: Event, frame: str) -> str:
    return f"textOf({json.dumps(event, ensure_ascii=False)}, {frame!r})"


# Task 1: (name, event, frame, the text expected, what it checks)
TEXTS = [
    ("plain", message("Hi"), "plain", "Hi", "a plain frame: the data is the text", "纯文本帧：data 就是文字"),
    ("plain spaces", message("  two leading spaces "), "plain", "  two leading spaces ",
     "a plain frame's spaces stay", "纯文本帧里的空格要保留"),
    ("plain lines", message("line 1\nline 2"), "plain", "line 1\nline 2",
     "a plain frame of two data: lines, joined with \\n by the parser", "两行 data: 组成的纯文本帧，解析器已经用 \\n 连起来了"),
    ("plain like json", message('{"content": "not a frame"}'), "plain", '{"content": "not a frame"}',
     "in plain frames the data is the text, even when it looks like JSON", "纯文本帧里 data 就是文字，哪怕它看起来像 JSON"),
    ("json", message(json_frame("Hi")), "json", "Hi", "a JSON frame: the text is its content field",
     "JSON 帧：文字是它的 content 字段"),
    ("json spaces", message(json_frame("  two leading spaces ")), "json", "  two leading spaces ",
     "the spaces inside the JSON string", "JSON 字符串里的空格"),
    ("json crlf", message(json_frame(" Hi\r\n")), "json", " Hi\r\n",
     "\\r\\n escaped inside the JSON string comes back as a real CR and LF", "JSON 字符串里转义的 \\r\\n 要还原成真正的 CR 和 LF"),
    ("json unicode", message(json_frame("你好 🙂")), "json", "你好 🙂", "Chinese and emoji", "中文和 emoji"),
    ("json ascii escapes", message(json.dumps({"content": "你好 🙂"})), "json", "你好 🙂",
     "Chinese and emoji written as \\u escapes (as Python's json.dumps does by default)",
     "写成 \\u 转义的中文和 emoji（Python 的 json.dumps 默认就这样写）"),
    ("json quotes", message(json_frame('say "hi" \\o/\tnow')), "json", 'say "hi" \\o/\tnow',
     "quotes, a backslash and a tab, escaped in the JSON string", "JSON 字符串里转义过的引号、反斜杠和制表符"),
    ("json more fields", message(json_frame("Hi", index=0, model="echo")), "json", "Hi",
     "a JSON frame with more fields than content", "除了 content 还有别的字段的 JSON 帧"),
]

# Task 2: (name, event, frame, what textOf returns: None is null, what it checks)
ENDS = [
    ("done json", message("[DONE]"), "json", None, "data: [DONE] in JSON frames: the end", "JSON 帧里的 data: [DONE]：结束"),
    ("done plain", message("[DONE]"), "plain", None, "data: [DONE] in plain frames: the end", "纯文本帧里的 data: [DONE]：结束"),
    ("done as text", message(json_frame("[DONE]")), "json", "[DONE]",
     'a JSON frame whose content is the text "[DONE]": text, not the end', '内容恰好是 "[DONE]" 的 JSON 帧：是文字，不是结束'),
    ("end json", {"type": "end", "data": json.dumps({"usage": {"reply_chars": 2}})}, "json", "",
     "a named event (event: end) carries no reply text", "有名字的事件（event: end）不带回复文字"),
    ("end plain", {"type": "end", "data": "{}"}, "plain", "", "a named event (event: end) carries no reply text",
     "有名字的事件（event: end）不带回复文字"),
    ("error", {"type": "error", "data": json.dumps({"error": {"message": "simulated error at chunk 2"}})}, "json", "",
     "a named event (event: error) carries no reply text", "有名字的事件（event: error）不带回复文字"),
]

_runs: dict[tuple[str, ...], dict[str, Any]] = {}


def run(mode: str, target: Path, cases: list[dict[str, Any]], *extra: str) -> dict[str, Any]:
    """Run runner.mjs on the target's frames.js once per mode; return each case's result by name."""
    key = (mode, str(target), *extra)
    if key not in _runs:
        try:
            done = node(RUNNER, mode, str(target / "frames.js"), json.dumps(cases), *extra, timeout=60)
        except subprocess.TimeoutExpired:
            fail(f"{target / 'frames.js'} did not finish: is there a loop that never ends?",
                 f"{target / 'frames.js'} 一直没有结束：是不是有个永远不会结束的循环？")
        if MARKER not in done.stdout:
            fail(f"{target / 'frames.js'} could not be run in Node:\n{done.stderr.strip()}",
                 f"{target / 'frames.js'} 无法在 Node 里运行：\n{done.stderr.strip()}")
        _runs[key] = json.loads(done.stdout.rpartition(MARKER)[2])
    found = _runs[key]
    if "importError" in found:
        fail(f"{target / 'frames.js'} does not load: {found['importError']}", f"{target / 'frames.js'} 加载出错：{found['importError']}")
    if "missing" in found:
        fail(f"{target / 'frames.js'} exports no function {found['missing']}()", f"{target / 'frames.js'} 没有导出函数 {found['missing']}()")
    return found["results"]


def texts(target: Path) -> dict[str, Any]:
    cases = [{"name": name, "event": event, "frame": frame} for name, event, frame, *_ in TEXTS + ENDS]
    return run("text", target, cases)


def returned(result: dict[str, Any], call: str) -> object:
    """What textOf returned (None for null), or a failure that says what happened instead."""
    if "error" in result:
        if "[DONE]" in call and result["error"].startswith("SyntaxError"):
            fail(f"[DONE] is not JSON: {call} threw {result['error']}. data: [DONE] is the end signal, plain text in "
                 "both framings: test for it before JSON.parse, and return null",
                 f"[DONE] 不是 JSON：{call} 抛出了 {result['error']}。data: [DONE] 是结束信号，两种帧里都是普通文字："
                 "先判断它，再 JSON.parse，遇到它就返回 null")
        fail(f"{call} threw {result['error']}", f"{call} 抛出了 {result['error']}")
    if "kind" in result:
        value = result.get("shown", result["kind"])
        fail(f"{call} returned {value} ({result['kind']}): return a string, or null at [DONE]",
             f"{call} 返回了 {value}（{result['kind']}）：要返回字符串，遇到 [DONE] 返回 null")
    return result["value"]


@pytest.mark.task(1)
def test_the_text_of_a_frame(target: Path) -> None:
    results = texts(target)
    for name, event, frame, expected, en, zh in TEXTS:
        call = shown(event, frame)
        received = returned(results[name], call)
        if frame == "json" and received == event["data"]:
            fail(f"the braces show: {call} returned the frame's data as it is, {received!r}. A JSON frame's data is "
                 "JSON text; the reply text is its content field: JSON.parse(event.data).content",
                 f"大括号也显示出来了：{call} 把帧的 data 原样返回了：{received!r}。JSON 帧的 data 是一段 JSON 文本，"
                 "回复的文字是它的 content 字段：JSON.parse(event.data).content")
        same(received, expected, f"{call}: {en}", f"{call}：{zh}")


@pytest.mark.task(2)
def test_done_before_json_parse(target: Path) -> None:
    results = texts(target)
    for name, event, frame, expected, en, zh in ENDS:
        call = shown(event, frame)
        if name == "end json" and "error" in results[name]:
            fail(f"{call} threw {results[name]['error']}: {en}; return '' for any event whose type is not 'message'",
                 f"{call} 抛出了 {results[name]['error']}：{zh}；type 不是 'message' 的事件，一律返回 ''")
        received = returned(results[name], call)
        if expected is None and received == "[DONE]":
            fail(f"{call} returned '[DONE]' as text: it is the end signal, not part of the reply. Return null for it",
                 f"{call} 把 '[DONE]' 当成文字返回了：它是结束信号，不是回复的一部分。遇到它要返回 null")
        if name == "done as text" and received is None:
            fail(f"{call} returned null: {en}. Compare the raw data with '[DONE]' before parsing, not the parsed text",
                 f"{call} 返回了 null：{zh}。要在解析之前拿原始的 data 和 '[DONE]' 比较，而不是比较解析出来的文字")
        same(received, expected, f"{call}: {en}", f"{call}：{zh}")


# Task 3: readReply() against a real server. Each body gets model=echo and delay=0.
JSON_TEXT = '  Hi,\r\n你好 🙂 "quoted" \\o/\r\n  indented, and then\n[DONE]'  # with chunk=word, "[DONE]" is a chunk of its own
PLAIN_TEXT = '  Hi,\r\n你好 🙂 "quoted" \\o/\r\n  indented'
READS = {
    "json, chunk=word, split=on": {"message": JSON_TEXT, "frame": "json", "chunk": "word", "split": "on"},
    "json, newline=crlf, split=on": {"message": JSON_TEXT, "frame": "json", "newline": "crlf", "split": "on"},
    "json, chunk=sentence, newline=cr": {"message": JSON_TEXT, "frame": "json", "chunk": "sentence", "newline": "cr"},
    "plain by default, chunk=word, split=on": {"message": PLAIN_TEXT, "chunk": "word", "split": "on"},
    "plain, newline=crlf, split=on": {"message": PLAIN_TEXT, "frame": "plain", "newline": "crlf", "split": "on"},
}
CUT_SHORT = {"message": JSON_TEXT, "frame": "json", "drop_after": 3}  # the response ends after 3 chunks, without [DONE]


def bodies() -> dict[str, dict[str, Any]]:
    return {name: {"model": "echo", "delay": 0, **body} for name, body in {**READS, "cut short": CUT_SHORT}.items()}


def expected_pieces(server: Server, body: dict[str, Any]) -> list[str]:
    """The text of each chunk, as the strict parser reads the same request, up to data: [DONE]."""
    frame, pieces = body.get("frame", "plain"), []
    for each in fetch("POST", f"{server.url}/api/chat", json=body).messages:
        if each.event != "message":
            continue
        if each.data == "[DONE]":
            break
        pieces.append(json.loads(each.data)["content"] if frame == "json" else each.data)
    return pieces


@pytest.mark.task(3)
def test_read_reply_in_either_framing(target: Path, flask_server: Server) -> None:
    results = run("read", target, [{"name": name, "body": body} for name, body in bodies().items()], f"{flask_server.url}/api/chat")
    for name in READS:
        body = bodies()[name]
        pieces = expected_pieces(flask_server, body)
        text = "".join(pieces)
        # The oracle itself: JSON frames carry the text exactly; plain frames turn every CR into LF.
        assert text == (body["message"] if body.get("frame") == "json" else body["message"].replace("\r\n", "\n"))
        result, call = results[name], f"readReply(url, {json.dumps(body, ensure_ascii=False)}, onText)"
        got, outcome = result["pieces"], result["outcome"]
        if outcome == "timeout":
            fail(f"{call} did not settle within 3 s: resolve with the whole reply at data: [DONE]",
                 f"{call} 3 秒内既没有 resolve 也没有 reject：读到 data: [DONE] 时要 resolve 整个回复")
        if outcome in ("not-a-promise", "threw"):
            fail(f"{call} must return a Promise (write it as an async function)",
                 f"{call} 要返回一个 Promise（把它写成 async 函数）")
        if any('{"content"' in piece for piece in got):
            fail(f"the braces show: {call} gave the JSON frames' data as text. Pass the body's frame to textOf, which "
                 f"parses a JSON frame\n    expected: {pieces!r}\n    received: {got!r}",
                 f"大括号也显示出来了：{call} 把 JSON 帧的 data 当成了文字。把请求体里的 frame 传给 textOf，由它来解析 JSON 帧"
                 f"\n    期望：{pieces!r}\n    实际：{got!r}")
        if outcome == "rejected" and result["error"].startswith("SyntaxError"):
            if body.get("frame") == "json":
                fail(f"[DONE] is not JSON: {call} rejected with {result['error']}. Test for data: [DONE] before JSON.parse",
                     f"[DONE] 不是 JSON：{call} reject 了，错误是 {result['error']}。先判断 data: [DONE]，再 JSON.parse")
            fail(f"{call} rejected with {result['error']}: this request asks for plain frames "
                 f"({'StreamLab default, when the body has no frame' if 'frame' not in body else 'frame: plain'}), whose data is "
                 "the text itself: use textOf(event, body.frame ?? 'plain')",
                 f"{call} reject 了，错误是 {result['error']}：这个请求要的是纯文本帧"
                 f"（{'请求体里没有 frame 时 StreamLab 默认就是它' if 'frame' not in body else 'frame: plain'}），"
                 "data 就是文字本身：用 textOf(event, body.frame ?? 'plain')")
        if outcome == "rejected":
            fail(f"{call} rejected with {result['error']!r}: resolve with the whole reply at data: [DONE]"
                 f"\n    expected: {text!r}\n    onText received: {got!r}",
                 f"{call} reject 了，错误是 {result['error']!r}：读到 data: [DONE] 时要 resolve 整个回复"
                 f"\n    期望：{text!r}\n    onText 收到了：{got!r}")
        if body.get("frame") == "json" and pieces[-1] == "[DONE]" and got == pieces[:-1]:
            fail(f"{call} stopped at the text \"[DONE]\": in JSON frames the end is the raw data [DONE], and "
                 "data: {\"content\": \"[DONE]\"} is text. Compare event.data before parsing"
                 f"\n    expected: {pieces!r}\n    received: {got!r}",
                 f"{call} 在文字 \"[DONE]\" 处就停了：JSON 帧里，结束是原始 data 为 [DONE] 的事件，"
                 "data: {\"content\": \"[DONE]\"} 是文字。要在解析之前比较 event.data"
                 f"\n    期望：{pieces!r}\n    实际：{got!r}")
        same(got, pieces, f"what onText received from {call}, one call per chunk", f"{call} 的 onText 收到的内容，每块调用一次")
        same(result["text"], text, f"what {call} resolved with: the whole reply", f"{call} resolve 的值：整个回复")

    result, call = results["cut short"], f"readReply(url, {json.dumps(bodies()['cut short'], ensure_ascii=False)}, onText)"
    if result["outcome"] == "resolved":
        fail(f"{call} resolved with {result['text']!r}, but the response ended after 3 chunks, before data: [DONE]: "
             "that reply is cut, so throw an Error instead of resolving with part of it",
             f"{call} resolve 了 {result['text']!r}，可是响应只发了 3 块就结束了，没有 data: [DONE]："
             "回复是不完整的，要抛出 Error，不要把半截回复当成整个回复")
    same(result["outcome"], "rejected", f"how {call} settled when the stream ended before data: [DONE]",
         f"流在 data: [DONE] 之前就结束时，{call} 的结果")
