"""OpenAI Chat Completions: a request's messages in, `chat.completion.chunk` frames out.

The same reply, pacing and faults as StreamLab's own endpoints: only the bytes differ. What the
official SDKs require, chunk by chunk, is in ../shared/research/anchors-api-formats.md §1: the same
id, created and model on every chunk, `role` only in the first delta, `finish_reason` "stop" on the
last choice chunk, then (with `stream_options.include_usage`) a chunk with `choices: []` and the
usage, then `data: [DONE]`. Never an `id:` line: openai-python would then read every later blank
line as an event.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from streamlab.dialects import APIRequest, api_request, turns_of
from streamlab.errors import InputError
from streamlab.frames import cut_connection, to_json
from streamlab.models import Reply
from streamlab.sse import PING, data_frame

# A tool's result is what the model reads next, as it reads the user's words.
ROLES = {"system": "system", "developer": "system", "user": "user", "assistant": "assistant", "tool": "user",
         "function": "user"}
PART_TYPES = ("text",)
DONE = data_frame("[DONE]")


def parse_chat(body: Mapping[str, object]) -> APIRequest:
    """Read messages, model, stream and stream_options; StreamLab's options ride as extra fields."""
    turns = turns_of(body.get("messages"), ROLES, PART_TYPES)
    stream_options = body.get("stream_options") or {}
    if not isinstance(stream_options, dict):
        raise InputError("stream_options", "stream_options must be an object")
    return api_request(body, turns, include_usage=stream_options.get("include_usage", False) is True)


def tokens(usage: dict[str, int]) -> dict[str, int]:
    """StreamLab's usage as OpenAI counts it: a chunk is a token."""
    prompt, completion = usage["prompt_chunks"], usage["reply_chunks"]
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


@dataclass(frozen=True)
class ChatCompletionFraming:
    """Chat Completions chunks: a Framing, so stream() paces, faults and ends them like any other."""

    id: str
    created: int
    model: str
    include_usage: bool = False

    def frame(self, choices: list[object], **more: object) -> bytes:
        head = {"id": self.id, "object": "chat.completion.chunk", "created": self.created, "model": self.model,
                "system_fingerprint": "fp_streamlab", "choices": choices, **more}
        return data_frame(to_json(head))

    def opening(self) -> bytes:
        # The role, once, in the first delta: sent at once, before the first chunk is due.
        return self.frame([{"index": 0, "delta": {"role": "assistant", "content": ""}, "logprobs": None,
                            "finish_reason": None}])

    def chunk(self, text: str, number: int) -> bytes:
        return self.frame([{"index": 0, "delta": {"content": text}, "logprobs": None, "finish_reason": None}])

    def error(self, message: str, number: int) -> bytes:
        # After the 200, an error object in the stream: the SDKs raise APIError with its message.
        return data_frame(to_json({"error": {"message": message, "type": "server_error", "param": None,
                                             "code": "simulated_error"}}))

    def closing(self, usage: dict[str, int], failed: bool) -> bytes:
        if failed:
            return b""  # the error event was the last word, as from the real API
        finish = self.frame([{"index": 0, "delta": {}, "logprobs": None, "finish_reason": "stop"}])
        counted = self.frame([], usage=tokens(usage)) if self.include_usage else b""
        return finish + counted + DONE

    def ping(self) -> bytes:
        return PING  # a comment: the SDKs skip it (no id: is ever sent, so no empty event either)

    def drop(self) -> None:
        cut_connection()  # a clean end without [DONE] would pass in openai-python as a whole reply


def completion(request: APIRequest, answer: Reply, id: str, created: int) -> dict[str, object]:
    """The whole reply as one `chat.completion` object (`"stream": false`)."""
    message: dict[str, object] = {"role": "assistant", "content": answer.text, "refusal": None, "annotations": []}
    return {"id": id, "object": "chat.completion", "created": created, "model": request.model,
            "system_fingerprint": "fp_streamlab",
            "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": "stop"}],
            "usage": tokens(answer.usage)}


def models(names: list[str], created: int) -> dict[str, object]:
    """GET /v1/models: StreamLab's models, in one list both the OpenAI and the Anthropic SDKs read
    (each takes its own fields and ignores the other's)."""
    stamp = datetime.fromtimestamp(created, UTC).isoformat().replace("+00:00", "Z")
    data = [{"id": name, "object": "model", "created": created, "owned_by": "streamlab",
             "type": "model", "display_name": name, "created_at": stamp} for name in names]
    return {"object": "list", "data": data, "has_more": False, "first_id": names[0], "last_id": names[-1]}
