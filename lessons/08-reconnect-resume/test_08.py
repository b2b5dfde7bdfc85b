"""Lesson 08's grader: your resume.js, run in Node by runner.mjs against a real StreamLab server.

Every case POSTs Chinese and emoji to `flask run`, most with `drop_after` (the server ends the
response after N chunks, without `data: [DONE]`) and `retry`. That end is a clean one, so
reader.read() says done. A network that fails is not so polite: the "reset" case goes through a
proxy that resets its first connection in the middle of the reply, and reader.read() rejects.
The runner logs each request resumeChat() sends: its Last-Event-ID, its body, when it went out
and when the response before it ended. The text expected is what StreamLab's strict parser reads
from the same request without the cuts: nothing lost, nothing repeated.
"""

import contextlib
import json
import select
import socket
import struct
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from lessons.grading import fail, node, same, say
from tests.servers import Server, fetch

RUNNER = Path(__file__).with_name("runner.mjs")
MARKER = "@@lesson-08-runner@@ "
HELLO = "Hello, 你好，世界 🙂 again!"
RETRY = 200  # ms, the wait task 2 measures
RESET = "reset"  # the case whose first connection the network cuts
CUT_AFTER = 150  # bytes of that response's body that arrive before the reset: a few events, and half of one

# Each case needs at most two reconnects: a client still waiting its own default (DEFAULT_RETRY,
# 1000 ms) instead of the server's retry: fails task 2, and still settles in time for the others.
CASES: dict[str, dict[str, Any]] = {
    "cut every 8": {"message": HELLO, "drop_after": 8, "retry": 50, "split": "on"},
    "words, crlf": {"message": "  two leading spaces, 你好  and 🙂 more ", "chunk": "word", "drop_after": 4, "retry": 50,
                    "split": "on", "newline": "crlf"},
    "retry": {"message": "你好🙂 retry", "drop_after": 4, "retry": RETRY},
    "end=close": {"message": HELLO, "drop_after": 11, "retry": 50, "end": "close"},
    "refused": {"message": "Hi", "model": "gpt-4o"},
    "ids off": {"message": HELLO, "drop_after": 3, "retry": 50, "ids": "off"},
    RESET: {"message": HELLO, "retry": 50},
}


def body_of(name: str) -> dict[str, Any]:
    return {"model": "echo", "delay": 0, **CASES[name]}


def shown(body: dict[str, Any]) -> str:
    return json.dumps(body, ensure_ascii=False)


def call_of(name: str) -> str:
    return f"resumeChat(url, {shown(body_of(name))}, onText)"


def relay(client: socket.socket, upstream: socket.socket, cut: bool) -> None:
    """Pass bytes both ways until a side closes. With cut, the response is held back until CUT_AFTER
    bytes of its body have come; exactly those are passed on, then the connection is reset."""
    held = b""  # the response so far, when it is to be cut
    with client, upstream:
        while True:
            ready, _, _ = select.select([client, upstream], [], [])
            if client in ready:
                data = client.recv(65536)
                if not data:
                    return
                upstream.sendall(data)
            if upstream in ready:
                data = upstream.recv(65536)
                if not data:
                    client.sendall(held)  # a response too short to cut: passed on whole
                    return
                if not cut:
                    client.sendall(data)
                    continue
                held += data
                body = held.find(b"\r\n\r\n") + 4  # the body starts after the headers' blank line
                if body >= 4 and len(held) >= body + CUT_AFTER:
                    # Without flask run's "Connection: close", as from a server that keeps connections open
                    # (gunicorn, nginx): on a response that says it, Node's fetch takes a cut body for a whole one.
                    client.sendall(held[:body].replace(b"Connection: close\r\n", b"") + held[body:body + CUT_AFTER])
                    time.sleep(0.2)  # the bytes arrive, then the network dies
                    client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close = reset
                    return


@contextlib.contextmanager
def network_that_fails_once(server: Server) -> Iterator[str]:
    """A proxy in front of server, like Wi-Fi that drops once: the first connection through it is reset
    in the middle of the reply, the later ones pass whole. Yields its URL."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)  # so that accept() returns now and then, to see the block has ended
    done = threading.Event()

    def accept() -> None:
        first = True
        while not done.is_set():
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            upstream = socket.create_connection(("127.0.0.1", server.port))
            threading.Thread(target=relay, args=(client, upstream, first), daemon=True).start()
            first = False

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        done.set()
        thread.join(5)
        listener.close()


_runs: dict[tuple[str, str], dict[str, Any]] = {}


def results(target: Path, server: Server) -> dict[str, Any]:
    """Run runner.mjs once on the target's resume.js, every case at once; return each case's result."""
    key = (str(target), server.url)
    if key not in _runs:
        graded = target / "resume.js"
        with network_that_fails_once(server) as proxy:
            cases = [{"name": name, "body": body_of(name), "url": f"{proxy if name == RESET else server.url}/api/chat"}
                     for name in CASES]
            done = node(RUNNER, str(graded), json.dumps(cases), timeout=30)
        if MARKER not in done.stdout:
            fail(f"{graded} could not be run in Node:\n{done.stderr.strip()}", f"{graded} 无法在 Node 里运行：\n{done.stderr.strip()}")
        _runs[key] = json.loads(done.stdout.rpartition(MARKER)[2])
    found = _runs[key]
    if "importError" in found:
        fail(f"{target / 'resume.js'} does not load: {found['importError']}", f"{target / 'resume.js'} 加载出错：{found['importError']}")
    if "missing" in found:
        fail(f"{target / 'resume.js'} exports no function {found['missing']}()", f"{target / 'resume.js'} 没有导出函数 {found['missing']}()")
    return found["results"]


def whole_reply(name: str, server: Server) -> list[str]:
    """The pieces of the reply, read by the strict parser from the same request without cuts."""
    body = {key: value for key, value in body_of(name).items() if key not in ("drop_after", "ids", "end")}
    return [chunk.data for chunk in fetch("POST", f"{server.url}/api/chat", json=body).chunks]


def parsed(text: str) -> object:
    try:
        return json.loads(text)
    except ValueError:
        return text


def clip(pieces: list[str], most: int = 80) -> str:
    """The text onText received, shown with repr(), cut short when a loop repeated it many times."""
    text = "".join(pieces)
    return repr(text) if len(text) <= most else f"{text[:most]!r}... " + say(f"({len(text)} characters)", f"（共 {len(text)} 个字符）")


def resumed_from(request: dict[str, Any]) -> str | None:
    """Where a request asked to resume: its Last-Event-ID header, else a lastEventId query."""
    return request["lastEventId"] or request["query"]


def listed(requests: list[dict[str, Any]]) -> str:
    """The requests a case sent, one per line, for a message."""
    lines = []
    for number, request in enumerate(requests, 1):
        header = f"Last-Event-ID: {request['lastEventId']}" if request["lastEventId"] else say("no Last-Event-ID", "没有 Last-Event-ID")
        query = f", ?lastEventId={request['query']}" if request["query"] else ""
        at = say(f"at {request['at']} ms", f"第 {request['at']} 毫秒")
        lines.append(f"\n      {number}. {request['method']} {at}, {header}{query} -> {request['status']}")
    more = say(f"{len(requests)} requests in all", f"一共 {len(requests)} 个请求")
    return "".join(lines[:12]) + (f"\n      ... {more}" if len(requests) > 12 else "")


def check_reply(name: str, result: dict[str, Any], server: Server) -> None:
    """The case resolved with the whole reply, each piece once, each reconnect resuming at the last id."""
    body, call, pieces = body_of(name), call_of(name), whole_reply(name, server)
    text, requests, got = "".join(pieces), result["requests"], result["pieces"]
    drop = body.get("drop_after")  # None: the network cuts the connection instead (RESET)
    if result["outcome"] in ("threw", "not-a-promise"):
        fail(f"{call} must return a Promise (write it as an async function)", f"{call} 要返回一个 Promise（把它写成 async 函数）")
    if not requests:
        fail(f"{call} sent no request with fetch()", f"{call} 没有用 fetch() 发出任何请求")
    missing = [number for number, request in enumerate(requests[1:], 2) if not resumed_from(request)]
    if missing:
        fail(f"{call}: request {missing[0]} reconnected without a Last-Event-ID header, so the server started the reply "
             f"over, and the text repeated. Send the id of the last chunk you have: headers['Last-Event-ID'] = lastEventId"
             f"\n    requests:{listed(requests)}\n    expected text: {text!r}\n    onText received: {clip(got)}",
             f"{call}：第 {missing[0]} 个请求重连时没有带 Last-Event-ID 请求头，服务器只好从头再发，文字重复了。"
             f"把手里最后一块的 id 发回去：headers['Last-Event-ID'] = lastEventId"
             f"\n    请求：{listed(requests)}\n    期望的文字：{text!r}\n    onText 收到的：{clip(got)}")
    if result["outcome"] == "rejected" and len(requests) == 1 and drop is None:
        fail(f"{call} rejected with {result['error']!r} after the first response. The network cut that connection in the "
             f"middle of the reply (a reset after {CUT_AFTER} bytes of the body, as when Wi-Fi drops), and a real drop "
             "does not end with done: reader.read() throws. Put a try/catch around reader.read(), and resume just as "
             f"after a response that ended early\n    onText received: {got!r}",
             f"{call} 在第一个响应之后就 reject 了：{result['error']!r}。网络在回复中途切断了那个连接（响应体发了 {CUT_AFTER} "
             "字节后被重置，就像 Wi-Fi 突然断了）。真正的断线不会以 done 结束：reader.read() 会抛出错误。用 try/catch "
             f"包住 reader.read()，然后和响应提前结束时一样续传\n    onText 收到的：{got!r}")
    if result["outcome"] == "rejected" and len(requests) == 1:
        fail(f"{call} rejected with {result['error']!r} after the first response. The server ended that response after "
             f"{drop} chunks, without data: [DONE] (drop_after={drop}): that is a dropped connection, so resume it. Send "
             f"the same request again with the header Last-Event-ID: {drop}, and keep the text you have"
             f"\n    onText received: {got!r}",
             f"{call} 在第一个响应之后就 reject 了：{result['error']!r}。服务器发了 {drop} 块就结束了响应，没有 data: [DONE]"
             f"（drop_after={drop}）：这就是断线，要续传。再发一次同样的请求，加上请求头 Last-Event-ID: {drop}，已经拿到的文字留着"
             f"\n    onText 收到的：{got!r}")
    if any(request["status"] == 204 for request in requests) and result["outcome"] != "resolved":
        fail(f"{call}: the last request was answered 204 No Content, and then it {result['outcome']}"
             f"{': ' + repr(result.get('error')) if result.get('error') else ''}. A 204 has no body (response.body is "
             "null): it means there is nothing after that id, so the reply is complete. Check response.status === 204 "
             f"first, and return the reply\n    requests:{listed(requests)}",
             f"{call}：最后一个请求得到的是 204 No Content，之后却{'超时了' if result['outcome'] == 'timeout' else '出错了'}"
             f"{'：' + repr(result.get('error')) if result.get('error') else ''}。204 没有响应体（response.body 是 null），"
             f"意思是那个 id 之后什么都没有了，回复已经完整。先检查 response.status === 204，然后返回 reply\n    请求：{listed(requests)}")
    if result["outcome"] == "timeout":
        fail(f"{call} did not settle within 4 s: resolve with the whole reply at data: [DONE] (or at a 204)"
             f"\n    requests:{listed(requests)}\n    onText received: {clip(got)}",
             f"{call} 4 秒内既没有 resolve 也没有 reject：读到 data: [DONE]（或者得到 204）时，要 resolve 整个回复"
             f"\n    请求：{listed(requests)}\n    onText 收到的：{clip(got)}")
    sent = [request["body"] for request in requests]
    if any(parsed(each) != body for each in sent):
        fail(f"{call}: every request must carry the same JSON body: the server works out the reply again from it, and "
             f"continues after the id\n    expected: {shown(body)} each time\n    received: {sent!r}",
             f"{call}：每个请求都要带同样的 JSON 请求体：服务器靠它重新算出回复，再从那个 id 之后接着发"
             f"\n    期望：每次都是 {shown(body)}\n    实际：{sent!r}")
    if drop is not None:
        stops = [str(at) for at in range(drop, len(pieces), drop)]  # the server cuts after every `drop` chunks, but not at the end
        if body.get("end") == "close":
            stops.append(str(len(pieces)))  # closing is the end: the client cannot tell, resumes, and gets 204
        same([resumed_from(request) for request in requests[1:]], stops, f"{call}: the Last-Event-ID of each reconnect (the id of the last chunk received)",
             f"{call}：每次重连的 Last-Event-ID（收到的最后一块的 id）")
    same(got, pieces, f"what onText received from {call}: each piece once, in order", f"{call} 的 onText 收到的内容：每一段一次，按顺序")
    if result["outcome"] == "rejected":
        fail(f"{call} rejected with {result['error']!r}: resolve with the whole reply", f"{call} reject 了：{result['error']!r}：要 resolve 整个回复")
    same(result["text"], text, f"what {call} resolved with: the whole reply", f"{call} resolve 的值：整个回复")


@pytest.mark.task(1)
@pytest.mark.parametrize("name", ["cut every 8", "words, crlf", RESET])
def test_resume_with_last_event_id(target: Path, flask_server: Server, name: str) -> None:
    check_reply(name, results(target, flask_server)[name], flask_server)


@pytest.mark.task(2)
def test_wait_as_long_as_retry_says(target: Path, flask_server: Server) -> None:
    result, call = results(target, flask_server)["retry"], call_of("retry")
    check_reply("retry", result, flask_server)
    requests = result["requests"]
    for number, (before, after) in enumerate(zip(requests, requests[1:], strict=False), 2):
        ended = before["endedAt"] if before["endedAt"] is not None else before["at"]
        waited = after["at"] - ended
        if waited < RETRY * 0.8:
            fail(f"{call}: request {number} went out {waited} ms after the response before it ended, but the stream said "
                 f"retry: {RETRY}. Wait that long before you reconnect: a client that reconnects at once turns a struggling "
                 f"server's hiccup into a storm of requests\n    requests:{listed(requests)}",
                 f"{call}：前一个响应结束后只过了 {waited} 毫秒就发出了第 {number} 个请求，可是流里说的是 retry: {RETRY}。"
                 f"重连之前要等这么久：马上重连的客户端会让本来只是卡一下的服务器收到一大堆请求\n    请求：{listed(requests)}")
        if waited > RETRY + 500:
            fail(f"{call}: request {number} went out {waited} ms after the response before it ended, but the stream said "
                 f"retry: {RETRY}. Take the wait from the server's retry: (parser.retry), not a fixed number"
                 f"\n    requests:{listed(requests)}",
                 f"{call}：前一个响应结束 {waited} 毫秒后才发出第 {number} 个请求，可是流里说的是 retry: {RETRY}。"
                 f"等待时间要用服务器的 retry:（parser.retry），而不是写死的数字\n    请求：{listed(requests)}")


@pytest.mark.task(3)
def test_204_means_done_and_4xx_is_an_error(target: Path, flask_server: Server) -> None:
    found = results(target, flask_server)
    check_reply("end=close", found["end=close"], flask_server)
    same([request["status"] for request in found["end=close"]["requests"]][-1], 204,
         f"the status of the last request {call_of('end=close')} sent", f"{call_of('end=close')} 最后一个请求的状态码")

    result, call = found["refused"], call_of("refused")
    refusal = httpx.post(f"{flask_server.url}/api/chat", json=body_of("refused"))
    message = refusal.json()["error"]["message"]
    received = result.get("error") if result["outcome"] == "rejected" else f"{result['outcome']}: {result.get('text', '')!r}"
    if result["outcome"] != "rejected" or message not in str(result.get("error")):
        fail(f"{call} must throw an Error with the server's message: after the 204 check, check response.ok. The server "
             f"refused with {refusal.status_code} and the JSON {refusal.text}, before any stream byte"
             f"\n    expected: an Error whose message contains {message!r}\n    received: {received!r}",
             f"{call} 应该抛出带有服务器错误信息的 Error：检查完 204，再检查 response.ok。服务器在发出任何流字节之前，"
             f"就用 {refusal.status_code} 和 JSON {refusal.text} 拒绝了请求\n    期望：一个 message 包含 {message!r} 的 Error\n    实际：{received!r}")
    if len(result["requests"]) > 1:
        fail(f"{call}: the server refused the request with {refusal.status_code}, and the client sent it again: the "
             f"same request is refused again. Throw, do not reconnect\n    requests:{listed(result['requests'])}",
             f"{call}：服务器用 {refusal.status_code} 拒绝了请求，客户端却又发了一次：同样的请求还会被拒绝。"
             f"要抛出错误，不要重连\n    请求：{listed(result['requests'])}")


@pytest.mark.task(4)
def test_no_id_no_resume(target: Path, flask_server: Server) -> None:
    result, call = results(target, flask_server)["ids off"], call_of("ids off")
    requests, got, first = result["requests"], result["pieces"], whole_reply("ids off", flask_server)[:3]
    if len(requests) > 1:
        fail(f"{call}: the stream had no ids, so the reconnect could not say where to continue: the server started the "
             f"reply over, and the text repeated. When a cut response brought no new id, throw an Error instead of "
             f"reconnecting\n    requests:{listed(requests)}\n    onText received: {clip(got)}",
             f"{call}：这个流没有 id，重连时说不出从哪里接着发，服务器只好从头再发，文字重复了。"
             f"被切断的响应如果没有带来新的 id，就抛出 Error，不要重连\n    请求：{listed(requests)}\n    onText 收到的：{clip(got)}")
    if result["outcome"] != "rejected":
        fail(f"{call} {result['outcome']}: the response ended after 3 chunks without data: [DONE] and without ids, so "
             f"the reply is incomplete and cannot be resumed: throw an Error",
             f"{call} 的结果是 {result['outcome']}：响应发了 3 块就结束了，没有 data: [DONE]，也没有 id，"
             f"回复不完整，又没法续传：要抛出 Error")
    if not result["isError"]:
        fail(f"{call} rejected with {result['error']!r}, which is not an Error: throw new Error(message)",
             f"{call} reject 的 {result['error']!r} 不是 Error：要 throw new Error(message)")
    same(got, first, f"what onText received from {call}", f"{call} 的 onText 收到的内容")
