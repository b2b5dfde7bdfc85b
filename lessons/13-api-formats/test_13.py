"""Lesson 13's grader: the student's readers, fed the lines of real StreamLab streams (`flask run`).

Each check streams one request with httpx, as a backend does, and hands `response.iter_lines()`
to the student's reader: Chinese, an emoji, line breaks and leading spaces in an echo prompt,
every event cut across two reads (split=on), pings, and the faults error_at and drop_after.
drop_after cuts the connection, so httpx raises from inside the lines; a stream that ends
cleanly but early (a proxy that closes it politely) is the same lines replayed as a list that
just stops.

The documented contract, README.md "Exercise": text pieces in order; StreamError on an error in
the stream; StreamCut when the lines end before the format's end; httpx's own error, when the
connection breaks, passes through untouched.
"""

import json
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import httpx
import pytest

from lessons.grading import fail, function, load, same
from streamlab.models import split
from tests.servers import Server

TEXT = "  两个空格开头\n第二行：emoji 🙂\n\nthe end"  # leading spaces, Chinese, an emoji, line breaks
PATHS = {"openai": "/v1/chat/completions", "anthropic": "/v1/messages"}
ENDS = {"openai": "data: [DONE]", "anthropic": "event: message_stop"}
READERS = {"openai": "openai_text", "anthropic": "anthropic_text"}
SECONDS = 30  # a reader of a stream the server sends at once has no reason to take longer


@pytest.fixture
def api_stream(target: Path) -> ModuleType:
    return load(target, "api_stream.py")


@dataclass
class Read:
    """What a reader did with some lines: the pieces it yielded, what it raised, the lines it was fed."""

    pieces: list[object] = field(default_factory=list)
    error: BaseException | None = None
    lines: list[str] = field(default_factory=list)
    done: bool = False

    @property
    def last(self) -> str:
        """The last line with something on it that the reader had asked for."""
        return next((line for line in reversed(self.lines) if line), "")


def body(api: str, **options: object) -> dict[str, object]:
    """A streaming request for the echo model, in the API's own shape, StreamLab's options as extra fields."""
    fields: dict[str, object] = {"stream_options": {"include_usage": True}} if api == "openai" else {"max_tokens": 1024}
    return {"model": "echo", "messages": [{"role": "user", "content": TEXT}], "stream": True, "delay": 0,
            "split": "on", **fields, **options}


def run(work: Callable[[Read], None], call: str) -> Read:
    """Run work in a thread; a reader that never finishes is a failure, not a hung check."""
    read = Read()

    def target() -> None:
        try:
            work(read)
        except Exception as error:  # the student's code: any error is theirs to see, or the check's to expect
            read.error = error
        finally:
            read.done = True

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(SECONDS)
    if not read.done:
        fail(f"{call} had not finished after {SECONDS} s, on a stream the server sends at once: does it wait for "
             "more lines after the end signal?",
             f"{call} 过了 {SECONDS} 秒还没有结束，而服务器一下子就把流发完了：是不是读到结束信号以后还在等更多的行？")
    return read


def feed(reader: Callable[[Iterable[str]], Iterable[object]], lines: Iterable[str], read: Read) -> None:
    """Pass lines to the reader, keeping each line it asks for and each piece it yields."""
    def fed() -> Iterator[str]:
        for line in lines:
            read.lines.append(line)
            yield line

    for piece in reader(fed()):
        read.pieces.append(piece)


def live(server: Server, module: ModuleType, api: str, **options: object) -> Read:
    """The student's reader over response.iter_lines() of a real stream."""
    reader = function(module, READERS[api])

    def work(read: Read) -> None:
        with httpx.stream("POST", server.url + PATHS[api], json=body(api, **options), timeout=SECONDS) as response:
            response.raise_for_status()
            feed(reader, response.iter_lines(), read)

    return run(work, f"{READERS[api]}(response.iter_lines())")


def replay(module: ModuleType, api: str, lines: list[str]) -> Read:
    """The student's reader over a list of lines: a stream that ends where the list ends."""
    reader = function(module, READERS[api])
    return run(lambda read: feed(reader, lines, read), f"{READERS[api]}(lines)")


def lines_of(server: Server, api: str, **options: object) -> tuple[list[str], Exception | None]:
    """The lines of a real stream, read by the grader itself, and the error httpx raised, if any."""
    lines: list[str] = []
    try:
        with httpx.stream("POST", server.url + PATHS[api], json=body(api, **options), timeout=SECONDS) as response:
            lines.extend(response.iter_lines())
    except httpx.TransportError as error:
        return lines, error
    return lines, None


def raised(read: Read, call: str) -> None:
    """Fail when the reader raised, naming the usual slips before the error itself."""
    error = read.error
    if error is None:
        return
    if isinstance(error, json.JSONDecodeError) and error.doc.strip() == "[DONE]":
        fail(f"{call} raised JSONDecodeError on data: [DONE]: [DONE] is not JSON. It is the end signal: compare "
             "the data with \"[DONE]\" and return, before json.loads()",
             f"{call} 在 data: [DONE] 上抛出了 JSONDecodeError：[DONE] 不是 JSON。它是结束信号：先把 data 和 "
             "\"[DONE]\" 比较，相等就 return，然后才 json.loads()")
    if '"choices": []' in read.last:
        fail(f"{call} raised {type(error).__name__}: {error} at the usage chunk. With stream_options.include_usage, "
             "the last chunk before [DONE] holds the usage and \"choices\": [], an empty list: loop over "
             f"chunk[\"choices\"] instead of taking choices[0]\n    the chunk: {read.last!r}",
             f"{call} 在用量块上抛出了 {type(error).__name__}：{error}。带上 stream_options.include_usage 时，"
             "[DONE] 前的最后一块只有用量，\"choices\" 是空列表 []：遍历 chunk[\"choices\"]，不要直接取 choices[0]"
             f"\n    这一块：{read.last!r}")
    if '"type": "ping"' in read.last:
        fail(f"{call} raised {type(error).__name__}: {error} at a ping event. Anthropic sends event: ping while the "
             "model is slow; it carries no text: take text only from content_block_delta events and skip the rest"
             f"\n    the event: {read.last!r}",
             f"{call} 在 ping 事件上抛出了 {type(error).__name__}：{error}。模型慢的时候 Anthropic 会发 event: ping，"
             f"它不带文字：只从 content_block_delta 事件里取文字，其他事件都跳过\n    这个事件：{read.last!r}")
    fail(f"{call} raised {type(error).__name__}: {error}\n    the last line it read: {read.last!r}",
         f"{call} 抛出了 {type(error).__name__}：{error}\n    它读到的最后一行：{read.last!r}")


def squeezed(pieces: Sequence[object]) -> str:
    """The text of the pieces without any whitespace: what is left when only spaces went missing."""
    return "".join("".join(map(str, pieces)).split())


def text_pieces(read: Read, expected: list[str], call: str) -> None:
    """The pieces, in order: the usual slips named before both lists are shown."""
    raised(read, call)
    if "" in read.pieces:
        fail(f"{call} yielded an empty piece, ''. The first chunk's delta carries the role, with \"content\": \"\": "
             f"it is not text, skip it\n    received: {read.pieces!r}",
             f"{call} 产出了一段空文字 ''。第一块的 delta 带的是角色，\"content\" 是 \"\"：它不是文字，跳过它"
             f"\n    实际：{read.pieces!r}")
    if None in read.pieces:
        fail(f"{call} yielded None. The last chunk's delta is {{}}: it carries finish_reason, no content; yield only "
             f"when there is text\n    received: {read.pieces!r}",
             f"{call} 产出了 None。最后一块的 delta 是 {{}}：它带的是 finish_reason，没有 content；有文字才 yield"
             f"\n    实际：{read.pieces!r}")
    if read.pieces and read.pieces[-1] == "[DONE]":
        fail(f"{call} yielded '[DONE]': it is the end signal, not text\n    received: {read.pieces!r}",
             f"{call} 把 '[DONE]' 当文字产出了：它是结束信号，不是文字\n    实际：{read.pieces!r}")
    if read.pieces != expected and squeezed(read.pieces) == squeezed(expected):
        fail(f"{call}: spaces or line breaks were lost. The text is a JSON string: json.loads gives it exactly, "
             f"never strip() it\n    expected: {expected!r}\n    received: {read.pieces!r}",
             f"{call}：空格或换行丢了。文字是 JSON 字符串：json.loads 给出的就是原样的文字，不要 strip()"
             f"\n    期望：{expected!r}\n    实际：{read.pieces!r}")
    same(read.pieces, expected, f"{call}: the pieces of text, in order", f"{call}：按顺序产出的每段文字")


def yields_as_it_reads(module: ModuleType, api: str, lines: list[str]) -> None:
    """The first piece must come out before the reader has read every line: a reader streams."""
    reader = function(module, READERS[api])
    call = f"{READERS[api]}(lines)"

    def first(read: Read) -> None:
        def fed() -> Iterator[str]:
            for line in lines:
                read.lines.append(line)
                yield line
        read.pieces.append(next(iter(reader(fed()))))

    read = run(first, call)
    raised(read, call)
    if len(read.lines) == len(lines):
        fail(f"{call} read all {len(lines)} lines before it gave its first piece of text: a reply that takes 20 s "
             "would show nothing for 20 s. Yield each piece as soon as its chunk arrives",
             f"{call} 把 {len(lines)} 行全部读完了才给出第一段文字：要 20 秒的回复就会 20 秒一片空白。"
             "每块一到，就把它的文字 yield 出去")


@pytest.mark.task(1)
def test_openai_text(api_stream: ModuleType, flask_server: Server) -> None:
    call = "openai_text(response.iter_lines())"
    text_pieces(live(flask_server, api_stream, "openai"), list(TEXT), f"{call}, split=on, include_usage")
    words = list(split(TEXT, "word"))
    read = live(flask_server, api_stream, "openai", chunk="word", stream_options={})
    text_pieces(read, words, f"{call}, chunk=word, no usage chunk")
    yields_as_it_reads(api_stream, "openai", lines_of(flask_server, "openai")[0])


@pytest.mark.task(2)
def test_anthropic_text(api_stream: ModuleType, flask_server: Server) -> None:
    call = "anthropic_text(response.iter_lines())"
    text_pieces(live(flask_server, api_stream, "anthropic"), list(TEXT), f"{call}, split=on")
    words = list(split(TEXT, "word"))
    text_pieces(live(flask_server, api_stream, "anthropic", chunk="word"), words,
                f"{call}, chunk=word")
    # A pause in the middle of the reply, with a ping every 0.1 s while it lasts.
    text_pieces(live(flask_server, api_stream, "anthropic", chunk="word", stall=600, heartbeat=0.1), words,
                f"{call}, with ping events")
    yields_as_it_reads(api_stream, "anthropic", lines_of(flask_server, "anthropic")[0])


def exception_class(module: ModuleType, name: str) -> type[BaseException]:
    found = getattr(module, name, None)
    if not (isinstance(found, type) and issubclass(found, Exception)):
        fail(f"{module.__file__} has no exception class {name}: keep `class {name}(Exception)`",
             f"{module.__file__} 里没有异常类 {name}：保留 `class {name}(Exception)`")
    return found


@pytest.mark.parametrize("api", ["openai", "anthropic"])
@pytest.mark.task(3)
def test_an_error_in_the_stream_raises_stream_error(api_stream: ModuleType, flask_server: Server, api: str) -> None:
    stream_error = exception_class(api_stream, "StreamError")
    call = f"{READERS[api]}(response.iter_lines()), error_at=4"
    read = live(flask_server, api_stream, api, error_at=4)
    message = "simulated error at chunk 4"
    where = "an error chunk, data: {\"error\": {...}}" if api == "openai" else "an error event, event: error"
    where_zh = "一个错误块 data: {\"error\": {...}}" if api == "openai" else "一个 error 事件 event: error"
    if read.error is None:
        fail(f"{call} returned as if the reply were whole, after {read.pieces!r}, but the stream carried {where} in "
             "place of chunk 4: raise StreamError with its message",
             f"{call} 在 {read.pieces!r} 之后就当回复完整地返回了，可流里在第 4 块的位置上是{where_zh}："
             "用它的 message 抛出 StreamError")
    if not isinstance(read.error, stream_error):
        if type(read.error).__name__ == "StreamCut":
            kind, missed_zh = ("error chunk", "漏掉了错误块") if api == "openai" else ("error event", "漏掉了 error 事件")
            fail(f"{call} missed the {kind}: it raised StreamCut, as if the stream had merely stopped, but the "
                 f"provider said why it stopped, in {where}. Raise StreamError with its message, so the user sees "
                 f"it\n    the error: {read.last!r}",
                 f"{call} {missed_zh}：它抛出的是 StreamCut，好像流只是断了，可服务方在{where_zh}里说明了原因。"
                 f"用它的 message 抛出 StreamError，让用户看到原因\n    这个错误：{read.last!r}")
        if isinstance(read.error, KeyError) and api == "openai":
            fail(f"{call} raised KeyError: {read.error} at the error chunk: it has no \"choices\", only \"error\". "
                 f"Look for chunk.get(\"error\") before reading the choices\n    the chunk: {read.last!r}",
                 f"{call} 在错误块上抛出了 KeyError：{read.error}。错误块没有 \"choices\"，只有 \"error\"："
                 f"先看 chunk.get(\"error\")，再读 choices\n    这一块：{read.last!r}")
        raised(read, call)
    if message not in str(read.error):
        fail(f"{call} raised StreamError({str(read.error)!r}): give it the provider's message, the error's "
             f"\"message\" field\n    expected it to contain: {message!r}",
             f"{call} 抛出了 StreamError({str(read.error)!r})：把服务方的信息，也就是错误的 \"message\" 字段交给它"
             f"\n    期望其中包含：{message!r}")
    same(read.pieces, list(TEXT)[:3], f"{call}: the pieces before the error", f"{call}：错误之前的文字")


@pytest.mark.parametrize("api", ["openai", "anthropic"])
@pytest.mark.task(4)
def test_a_cut_stream_never_passes_for_a_whole_one(api_stream: ModuleType, flask_server: Server, api: str) -> None:
    stream_cut = exception_class(api_stream, "StreamCut")
    # drop_after=5 cuts the connection after chunk 5: replayed as a list, the same lines just stop.
    lines, error = lines_of(flask_server, api, drop_after=5)
    assert isinstance(error, httpx.RemoteProtocolError), error
    for cut, case, case_zh in [(lines, "after chunk 5", "在第 5 块之后"), ([], "at once, with no line at all", "刚开始")]:
        call = f"{READERS[api]}(lines), lines that end {case}"
        read = replay(api_stream, api, cut)
        if read.error is None:
            fail(f"{call} returned {read.pieces!r} as if the reply were whole, but the lines ended before "
                 f"{ENDS[api]}: a stream cut short passed as a whole reply. After the loop, raise StreamCut",
                 f"{READERS[api]}(lines) 收到的行{case_zh}就没了，没有 {ENDS[api]}，它却正常返回了 {read.pieces!r}："
                 "被截断的流被当成了完整的回复。在循环后面 raise StreamCut")
        if not isinstance(read.error, stream_cut):
            raised(read, call)
        same(read.pieces, list(TEXT)[:5] if cut else [], f"{call}: the pieces before the cut", f"{call}：截断之前的文字")
    # Live, the connection breaks: httpx raises from inside iter_lines(), and the reader lets it through.
    call = f"{READERS[api]}(response.iter_lines()), drop_after=5"
    read = live(flask_server, api_stream, api, drop_after=5)
    if read.error is None:
        fail(f"{call} returned {read.pieces!r} as if the reply were whole, but the connection broke after chunk 5: "
             "httpx raised RemoteProtocolError inside the loop, and the reader swallowed it. Let it through",
             f"{call} 把 {read.pieces!r} 当成完整的回复返回了，可连接在第 5 块之后就断了：httpx 在循环里抛出了 "
             "RemoteProtocolError，被读取函数吞掉了。让它原样抛出去")
    if isinstance(read.error, stream_cut):
        fail(f"{call} turned httpx's RemoteProtocolError into StreamCut. In this lesson a reader lets httpx's own "
             "error through untouched: it already says the connection broke, and StreamCut is for lines that "
             "end cleanly before the end signal",
             f"{call} 把 httpx 的 RemoteProtocolError 换成了 StreamCut。这一课约定：读取函数让 httpx 自己的错误"
             "原样抛出去，它本身就说明了连接断了；StreamCut 只用于行正常结束、却没有等到结束信号的情况")
    if not isinstance(read.error, httpx.RemoteProtocolError):
        raised(read, call)
    same(read.pieces, list(TEXT)[:5], f"{call}: the pieces before the cut", f"{call}：截断之前的文字")
