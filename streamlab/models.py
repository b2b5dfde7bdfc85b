"""The simulated LLMs: a conversation in, a deterministic reply out, cut into chunks.

A reply is a pure function of the request, computed the same way in every process (hashlib,
never the per-process salted hash()), so any server can resume any stream.
"""

import hashlib
import json
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import islice

from streamlab import tutor
from streamlab.conversation import Conversation


def seed(conversation: Conversation) -> int:
    """Return a number that is the same for the same conversation in any process."""
    turns = [[turn.role, turn.content] for turn in conversation.history]
    text = json.dumps([conversation.prompt, turns], ensure_ascii=False)
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")


def echo(conversation: Conversation) -> str:
    """Reply with the prompt verbatim, every character kept."""
    return conversation.prompt


def tutor_reply(conversation: Conversation) -> str:
    """Reply like a patient teacher, about the lesson topic the prompt mentions."""
    return tutor.answer(conversation.prompt, bool(conversation.history), seed(conversation))


MODELS: dict[str, Callable[[Conversation], str]] = {"tutor": tutor_reply, "echo": echo}

# Scripts written without spaces between words: each of their characters is a word of its own.
CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"

CHUNKERS: dict[str, re.Pattern[str]] = {
    # One code point, except that a CRLF pair stays together as one line break.
    "char": re.compile(r"\r\n|.", re.DOTALL),
    # A word with the spaces after it; leading spaces of the text form a chunk of their own.
    "word": re.compile(rf"[{CJK}]\s*|[^\s{CJK}]+\s*|\s+"),
    # Up to and including . ! ? (before a space or the end) or 。！？ or line breaks.
    # Every pattern here runs in time linear in the text: a student may paste 4,000 dots.
    # A sentence's end is looked for only where a run of end marks begins (the lookbehinds),
    # never again inside the run, so "...." + "x" is not re-scanned at each dot. The first three
    # alternatives are a run of two or more marks that opens a chunk: it ends that chunk.
    "sentence": re.compile(
        r"[.!?…]{2,}(?=\s|\Z)\s*|[。！？]{2,}\s*|[\r\n]{2,}"
        r"|.(?:.*?)(?:(?<![.!?…])[.!?…]+(?=\s|\Z)\s*|(?<![。！？])[。！？]+\s*|(?<![\r\n])[\r\n]+|\Z)",
        re.DOTALL,
    ),
}


def cut(text: str, chunk: str, skip: int = 0) -> Iterator[str]:
    """Yield the chunks of text after the first `skip`, each cut only when it is asked for."""
    return map(re.Match.group, islice(CHUNKERS[chunk].finditer(text), skip, None))


def split(text: str, chunk: str) -> tuple[str, ...]:
    """Cut text into chunks that join back to exactly the text."""
    return tuple(cut(text, chunk))


PAUSE_EVERY = 4096  # chunks counted between two pauses: well under a millisecond of work


def count(text: str, chunk: str, pause: Callable[[float], None] = time.sleep) -> int:
    """Count the chunks of text without keeping them. A history may hold 400,000 characters: the
    count pauses every few thousand chunks (a sleep of 0 s lets other greenlets run under gevent),
    so that counting it never stops a classmate's stream."""
    if chunk == "char":  # one code point each, a CRLF pair one chunk: no need to visit them
        return len(text) - text.count("\r\n")
    counted = 0
    for counted, _ in enumerate(CHUNKERS[chunk].finditer(text), 1):
        if counted % PAUSE_EVERY == 0:
            pause(0)
    return counted


@dataclass(frozen=True)
class Reply:
    """A model's whole reply, held as text: a stream cuts its chunks as it sends them.

    A tuple of 4,000 one-character strings costs about 80 bytes per Chinese character; the text
    itself costs 2 to 4. So an open stream of the longest reply stays small.
    """

    text: str
    chunk: str  # the chunker's name
    count: int  # how many chunks the text makes
    usage: dict[str, int]

    def chunks(self, skip: int = 0) -> Iterator[str]:
        """Yield the chunks after the first `skip` (the resume point)."""
        return cut(self.text, self.chunk, skip)


def reply(conversation: Conversation, model: str, chunk: str) -> Reply:
    """Run the model and cut its reply; usage counts what it read and what it wrote."""
    text = MODELS[model](conversation)
    chunks = count(text, chunk)
    read = conversation.prompt + "".join(turn.content for turn in conversation.history)
    # An echo's reply is its prompt: with no history, what was read is what will be sent.
    read_chunks = chunks if read == text else count(read, chunk)
    usage = {"prompt_chars": len(read), "prompt_chunks": read_chunks, "reply_chars": len(text), "reply_chunks": chunks}
    return Reply(text, chunk, chunks, usage)
