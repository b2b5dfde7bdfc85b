"""Anthropic Messages: a request's messages in, Anthropic's named events out.

Every frame has its `event:` line (the SDKs drop frames without one) and a JSON `type`:
message_start (empty content, the usage so far), content_block_start, content_block_delta per
chunk, content_block_stop, message_delta (stop_reason and the output tokens), message_stop.
No `[DONE]`. Details: ../shared/research/anchors-api-formats.md §3.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from streamlab.conversation import Turn
from streamlab.dialects import APIRequest, api_request, text_of, turns_of
from streamlab.errors import InputError
from streamlab.frames import cut_connection, to_json
from streamlab.models import Reply

ROLES = {"user": "user", "assistant": "assistant"}
PART_TYPES = ("text",)


def parse_messages(body: Mapping[str, object]) -> APIRequest:
    """Read model, messages, system, max_tokens and stream; StreamLab's options ride as extra fields."""
    turns = turns_of(body.get("messages"), ROLES, PART_TYPES)
    system = body.get("system")
    if system is not None:
        turns.insert(0, Turn("system", text_of("system", system, PART_TYPES)))
    max_tokens = body.get("max_tokens")
    if max_tokens is not None and (isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or max_tokens < 1):
        raise InputError("max_tokens", "max_tokens must be a whole number of at least 1")
    return api_request(body, turns)


def usage_of(usage: dict[str, int], output_tokens: int | None = None) -> dict[str, int]:
    """StreamLab's usage as Anthropic counts it: a chunk is a token."""
    reply = usage["reply_chunks"] if output_tokens is None else output_tokens
    return {"input_tokens": usage["prompt_chunks"], "output_tokens": reply}


def message(id: str, model: str, content: list[object], stop_reason: str | None,
            usage: dict[str, int]) -> dict[str, object]:
    return {"id": id, "type": "message", "role": "assistant", "model": model, "content": content,
            "stop_reason": stop_reason, "stop_sequence": None, "usage": usage}


def whole_message(request: APIRequest, answer: Reply, id: str) -> dict[str, object]:
    """The whole reply as one message (`"stream": false`)."""
    return message(id, request.model, [{"type": "text", "text": answer.text}], "end_turn", usage_of(answer.usage))


def named(kind: str, data: dict[str, object]) -> bytes:
    return f"event: {kind}\ndata: {to_json({'type': kind, **data})}\n\n".encode()


PING = named("ping", {})


@dataclass(frozen=True)
class MessagesFraming:
    """Anthropic's events: a Framing, so stream() paces, faults and ends them like any other."""

    id: str
    model: str
    usage: dict[str, int]  # message_start reports the input tokens before any output

    def opening(self) -> bytes:
        started = message(self.id, self.model, [], None, usage_of(self.usage, output_tokens=0))
        return (named("message_start", {"message": started})
                + named("content_block_start", {"index": 0, "content_block": {"type": "text", "text": ""}}))

    def chunk(self, text: str, number: int) -> bytes:
        return named("content_block_delta", {"index": 0, "delta": {"type": "text_delta", "text": text}})

    def error(self, message: str, number: int) -> bytes:
        # After the 200: the SDKs raise on an `error` event (Python: APIStatusError).
        return named("error", {"error": {"type": "api_error", "message": message}})

    def closing(self, usage: dict[str, int], failed: bool) -> bytes:
        if failed:
            return b""  # the error event was the last word, as from the real API
        return (named("content_block_stop", {"index": 0})
                + named("message_delta", {"delta": {"stop_reason": "end_turn", "stop_sequence": None},
                                          "usage": {"output_tokens": usage["reply_chunks"]}})
                + named("message_stop", {}))

    def ping(self) -> bytes:
        return PING  # Anthropic's own heartbeat: an event the SDKs know and skip

    def drop(self) -> None:
        cut_connection()  # a clean end would pass in anthropic-python as a shorter, finished message
