"""The simulated LLMs: a conversation in, a deterministic reply out, cut into chunks.

A reply is a pure function of the request, computed the same way in every process (hashlib,
never the per-process salted hash()), so any server can resume any stream.
"""

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass

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
    "sentence": re.compile(r".+?(?:[.!?…]+(?=\s|\Z)\s*|[。！？]+\s*|[\r\n]+|\Z)", re.DOTALL),
}


def split(text: str, chunk: str) -> tuple[str, ...]:
    """Cut text into chunks that join back to exactly the text."""
    return tuple(CHUNKERS[chunk].findall(text))


@dataclass(frozen=True)
class Reply:
    """A model's whole reply, already cut into the chunks the stream will carry."""

    text: str
    chunks: tuple[str, ...]
    usage: dict[str, int]


def reply(conversation: Conversation, model: str, chunk: str) -> Reply:
    """Run the model and cut its reply; usage counts what it read and what it wrote."""
    text = MODELS[model](conversation)
    chunks = split(text, chunk)
    read = conversation.prompt + "".join(turn.content for turn in conversation.history)
    usage = {
        "prompt_chars": len(read),
        "prompt_chunks": len(split(read, chunk)),
        "reply_chars": len(text),
        "reply_chunks": len(chunks),
    }
    return Reply(text, chunks, usage)
