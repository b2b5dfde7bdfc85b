"""Read the real APIs' streams without an SDK: OpenAI Chat Completions and Anthropic Messages.

Each reader takes the response's lines, as httpx's `iter_lines()` yields them, and yields the
reply's text piece by piece, the moment each piece arrives. An error the provider sends inside
the stream raises StreamError; lines that stop before the format's end raise StreamCut, so half
a reply never passes for a whole one. A connection that breaks makes httpx itself raise
(httpx.RemoteProtocolError) from inside the lines: the readers let it through.

Run it to stream one prompt from both APIs:  python api_stream.py BASE_URL PROMPT ['{"error_at": 3}']
"""

import json
import sys
from collections.abc import Callable, Iterable, Iterator

import httpx

TIMEOUT = 60  # seconds without a byte before giving up


class StreamError(Exception):
    """The provider reported an error inside the stream, after its 200."""


class StreamCut(Exception):
    """The lines ended before the format's end signal: the reply is incomplete."""


def events(lines: Iterable[str]) -> Iterator[tuple[str, str]]:
    """Yield (event name, data) for each event, at the blank line that ends it (lesson 03)."""
    name = "message"  # the event being read: its name and its data lines
    data: list[str] = []
    for line in lines:
        if line == "":  # the blank line ends the event; one without data is nothing
            if data:
                yield name, "\n".join(data)
            name, data = "message", []
        elif line.startswith("data:"):
            data.append(line.removeprefix("data:").removeprefix(" "))
        elif line.startswith("event:"):
            name = line.removeprefix("event:").removeprefix(" ")
        # a comment (": ping") or another field carries no text


def openai_text(lines: Iterable[str]) -> Iterator[str]:
    """Yield the text of a Chat Completions stream, piece by piece, until data: [DONE]."""
    for _, data in events(lines):  # OpenAI sends no event: names, only data
        if data == "[DONE]":  # the end signal: not JSON, and not text
            return
        chunk = json.loads(data)
        if chunk.get("error"):  # after the 200, an error travels as a chunk of its own
            raise StreamError(chunk["error"].get("message") or "the stream reported an error")
        for choice in chunk["choices"]:  # [] in the usage chunk
            text = choice["delta"].get("content")
            if text:  # the first delta's "" (it carries the role) and the last one's {} carry none
                yield text
    raise StreamCut("the stream ended before data: [DONE]")


def anthropic_text(lines: Iterable[str]) -> Iterator[str]:
    """Yield the text of a Messages stream, piece by piece, until event: message_stop."""
    for name, data in events(lines):  # every Anthropic event is named: the name says what it is
        if name == "content_block_delta":
            delta = json.loads(data)["delta"]
            if delta["type"] == "text_delta":
                yield delta["text"]
        elif name == "error":  # after the 200, an error is an event of its own
            raise StreamError(json.loads(data)["error"]["message"])
        elif name == "message_stop":  # the end signal: Anthropic sends no [DONE]
            return
        # message_start, content_block_start, content_block_stop, message_delta, ping: no text
    raise StreamCut("the stream ended before event: message_stop")


Reader = Callable[[Iterable[str]], Iterator[str]]
APIS: dict[str, tuple[str, Reader, dict[str, object]]] = {  # path, reader, the fields that API adds
    "openai": ("/v1/chat/completions", openai_text, {"stream_options": {"include_usage": True}}),
    "anthropic": ("/v1/messages", anthropic_text, {"max_tokens": 1024}),
}


def ask(base: str, api: str, prompt: str, options: dict[str, object]) -> str:
    """Stream prompt from one API of the StreamLab at base; say what arrived and how it ended."""
    path, reader, fields = APIS[api]
    body = {"model": "echo", "messages": [{"role": "user", "content": prompt}], "stream": True, "delay": 0,
            **fields, **options}  # StreamLab's options (delay, faults) ride as extra fields
    pieces: list[str] = []
    try:
        with httpx.stream("POST", base + path, json=body, timeout=TIMEOUT) as response:
            if response.status_code != 200:  # refused before the stream: the provider's error object
                return f"HTTP {response.status_code}: {json.loads(response.read())['error']['message']}"
            for text in reader(response.iter_lines()):
                pieces.append(text)
        ending = "whole"
    except (StreamError, StreamCut, httpx.TransportError) as error:
        ending = f"{type(error).__name__}: {error}"
    return f"{pieces!r} {ending}"


if __name__ == "__main__":
    base = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:5000"
    prompt = sys.argv[2] if len(sys.argv) > 2 else "Hi 你好"
    options = json.loads(sys.argv[3]) if len(sys.argv) > 3 else {}
    for api in ("openai", "anthropic"):
        print(f"{api + ':':10} {ask(base, api, prompt, options)}")
