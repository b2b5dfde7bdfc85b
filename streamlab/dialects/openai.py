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

from streamlab.conversation import Conversation, Turn, check_text
from streamlab.errors import InputError
from streamlab.frames import to_json
from streamlab.models import MODELS, Reply
from streamlab.options import StreamOptions, parse_options
from streamlab.sse import PING, data_frame

ROLES = {"system": "system", "developer": "system", "user": "user", "assistant": "assistant"}
DONE = data_frame("[DONE]")


@dataclass(frozen=True)
class ChatRequest:
    """A Chat Completions request, read: the conversation, StreamLab's options, and how to answer."""

    conversation: Conversation
    options: StreamOptions
    model: str  # the name the client asked for, echoed back in every chunk
    stream: bool
    include_usage: bool


def text_of(field: str, content: object) -> str:
    """A message's content: a string, or a list of {"type": "text", "text": ...} parts."""
    if isinstance(content, list):
        parts = [part.get("text") if isinstance(part, dict) and part.get("type") == "text" else None
                 for part in content]
        if not parts or any(part is None for part in parts):
            raise InputError(field, f"{field} must be a string or a list of text parts")
        content = "".join(str(part) for part in parts)
    return check_text(field, content, allow_empty=True)


def parse_chat(body: Mapping[str, object]) -> ChatRequest:
    """Read messages, model, stream and stream_options; StreamLab's options ride as extra fields."""
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise InputError("model", "model is required: any name works (echo and tutor are StreamLab's own)")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise InputError("messages", "messages must be a non-empty list of {role, content}")
    turns = []
    for index, message in enumerate(messages):
        field = f"messages[{index}]"
        role = message.get("role") if isinstance(message, dict) else None
        if role not in ROLES:
            raise InputError(f"{field}.role", f"{field}.role must be one of: {', '.join(ROLES)}")
        turns.append(Turn(ROLES[role], text_of(f"{field}.content", message.get("content"))))
    if turns[-1].role != "user":
        raise InputError("messages", "the last message must be the user's: it is what the model answers")
    if not turns[-1].content:
        raise InputError(f"messages[{len(turns) - 1}].content", "the user's message must not be empty")
    stream = body.get("stream", False)
    if not isinstance(stream, bool):
        raise InputError("stream", "stream must be true or false")
    stream_options = body.get("stream_options") or {}
    if not isinstance(stream_options, dict):
        raise InputError("stream_options", "stream_options must be an object")
    include_usage = stream_options.get("include_usage", False) is True
    # Any model name works: StreamLab's own answer as themselves, any other is answered by the tutor.
    options = parse_options({**body, "model": model if model in MODELS else "tutor"})
    conversation = Conversation(turns[-1].content, tuple(turns[:-1]))
    return ChatRequest(conversation, options, model, stream, include_usage)


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

    def error(self, message: str) -> bytes:
        # After the 200, an error object in the stream: the SDKs raise APIError with its message.
        return data_frame(to_json({"error": {"message": message, "type": "server_error", "param": None,
                                             "code": "simulated_error"}}))

    def closing(self, usage: dict[str, int]) -> bytes:
        finish = self.frame([{"index": 0, "delta": {}, "logprobs": None, "finish_reason": "stop"}])
        counted = self.frame([], usage=tokens(usage)) if self.include_usage else b""
        return finish + counted + DONE

    def ping(self) -> bytes:
        return PING  # a comment: the SDKs skip it (no id: is ever sent, so no empty event either)


def completion(request: ChatRequest, answer: Reply, id: str, created: int) -> dict[str, object]:
    """The whole reply as one `chat.completion` object (`"stream": false`)."""
    message: dict[str, object] = {"role": "assistant", "content": answer.text, "refusal": None, "annotations": []}
    return {"id": id, "object": "chat.completion", "created": created, "model": request.model,
            "system_fingerprint": "fp_streamlab",
            "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": "stop"}],
            "usage": tokens(answer.usage)}


def models(names: list[str], created: int) -> dict[str, object]:
    """GET /v1/models: StreamLab's models, in the list shape both SDKs read."""
    return {"object": "list", "data": [{"id": name, "object": "model", "created": created, "owned_by": "streamlab"}
                                       for name in names]}
