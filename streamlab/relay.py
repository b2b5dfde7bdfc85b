"""The relay's core: an upstream model's OpenAI-format stream in, StreamLab's own frames out.

read_upstream() turns the upstream body (bytes, as they arrive) into parts: text, a keep-alive,
the usage, an error. relayed() frames them with the options' framing, numbering the chunks so
that a reconnect resumes exactly, and passes on the upstream's end: [DONE] becomes the client's
end signal, an error object an error frame, and a stream cut short a stream cut short.
"""

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from streamlab.decoder import Decoder
from streamlab.frames import Framing
from streamlab.pitfalls import Frames
from streamlab.streams import never


@dataclass(frozen=True)
class Text:
    text: str


@dataclass(frozen=True)
class KeepAlive:
    """A comment from the upstream (`: ping`, DeepSeek's `: keep-alive`): it is alive, just quiet."""


@dataclass(frozen=True)
class Usage:
    usage: dict[str, int]  # the upstream's counts (prompt_tokens, completion_tokens, ...)


@dataclass(frozen=True)
class Failed:
    message: str


@dataclass(frozen=True)
class Done:
    """`data: [DONE]`: the upstream finished the reply."""


Part = Text | KeepAlive | Usage | Failed | Done


def read_upstream(body: Iterable[bytes]) -> Iterator[Part]:
    """Parse an OpenAI Chat Completions stream, read by a spec-following SSE decoder. A body that
    ends after a choice's finish_reason without `data: [DONE]` is complete too, as the SDKs take it."""
    decoder, finished = Decoder(), False
    for raw in body:
        for message in decoder.feed(raw):
            if message.data == "[DONE]":
                yield Done()
                return
            try:
                chunk = json.loads(message.data)
            except ValueError:
                yield Failed(f"the upstream sent an event that is not JSON: {message.data[:80]!r}")
                return
            if not isinstance(chunk, dict):
                continue
            if error := chunk.get("error"):
                yield Failed(f"the upstream failed: {error.get('message') if isinstance(error, dict) else error}")
                return
            for choice in chunk.get("choices") or []:
                if not isinstance(choice, dict):
                    continue
                delta = choice.get("delta")
                content = delta.get("content") if isinstance(delta, dict) else None
                if isinstance(content, str) and content:  # the role-only and empty deltas carry no text
                    yield Text(content)
                finished = finished or bool(choice.get("finish_reason"))
            if isinstance(usage := chunk.get("usage"), dict):
                yield Usage({name: count for name, count in usage.items() if type(count) is int})
        if decoder.comments:
            decoder.comments.clear()
            yield KeepAlive()
    if finished:
        yield Done()


def relayed(parts: Iterable[Part], framing: Framing, resume: int, skip: int, heartbeat: bool,
            stopping: Callable[[], bool] = never) -> Frames:
    """Frame the upstream's parts as chunk resume + 1, resume + 2, ...; the first `skip` texts are
    dropped (an upstream that cannot resume sends the reply from the start). When stopping() turns
    true (the server is shutting down), the response ends without an end signal: the client resumes."""
    yield framing.opening()
    number, usage = resume, dict[str, int]()
    for part in parts:
        if stopping():
            return
        if isinstance(part, Text):
            if skip:
                skip -= 1
                continue
            number += 1
            yield framing.chunk(part.text, number)
        elif isinstance(part, KeepAlive):
            if heartbeat:
                yield framing.ping()
        elif isinstance(part, Usage):
            usage = part.usage
        elif isinstance(part, Failed):
            yield framing.error(part.message, number + 1)
            yield framing.closing(usage, True)
            return
        else:
            yield framing.closing(usage, False)
            return
    # The upstream's body ended without [DONE]: the reply was cut, so this one is cut too (no end
    # signal), and the client reconnects and resumes, as from a dropped stream.
