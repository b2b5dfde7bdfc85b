"""The real APIs' formats: each dialect reads its provider's request and writes its provider's bytes.

A dialect is a parser (the provider's request in, an APIRequest out) and a Framing (the reply's
chunks out in the provider's frames). The reply, its pacing, resume and faults are StreamLab's
own: stream() runs every framing. What each SDK requires, event by event, is in
../shared/research/anchors-api-formats.md.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from streamlab.conversation import MAX_HISTORY, Conversation, Turn, check_text
from streamlab.errors import InputError
from streamlab.models import MODELS
from streamlab.options import StreamOptions, parse_options
from streamlab.pitfalls import PITFALLS, same

# StreamLab's own framing options: a provider's format fixes its framing, so these cannot apply.
FRAMING = ("frame", "end", "ids", "retry", "newline")


@dataclass(frozen=True)
class APIRequest:
    """A provider's request, read: the conversation, StreamLab's options, and how to answer."""

    conversation: Conversation
    options: StreamOptions
    model: str  # the name the client asked for, echoed back in every frame
    stream: bool
    include_usage: bool = False  # OpenAI's stream_options.include_usage


def model_of(body: Mapping[str, object]) -> str:
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise InputError("model", "model is required: any name works (echo and tutor are StreamLab's own)")
    return model


def stream_of(body: Mapping[str, object]) -> bool:
    stream = body.get("stream", False)
    if not isinstance(stream, bool):
        raise InputError("stream", "stream must be true or false")
    return stream


def text_of(field: str, content: object, part_types: tuple[str, ...]) -> str:
    """A message's content: a string, or a list of text parts ({"type": "text", "text": ...})."""
    if isinstance(content, list):
        parts = [part.get("text") if isinstance(part, dict) and part.get("type") in part_types else None
                 for part in content]
        if not parts or any(not isinstance(part, str) for part in parts):
            raise InputError(field, f"{field} must be a string or a list of {part_types[0]} parts")
        content = "".join(str(part) for part in parts)
    return check_text(field, content, allow_empty=True)


def turns_of(
    messages: object, roles: Mapping[str, str], part_types: tuple[str, ...], field: str = "messages"
) -> list[Turn]:
    """Read a list of {role, content} messages, each role mapped to StreamLab's own."""
    if not isinstance(messages, list) or not messages:
        raise InputError(field, f"{field} must be a non-empty list of {{role, content}}")
    if len(messages) > MAX_HISTORY + 1:
        raise InputError(field, f"{field} has {len(messages)} messages; the limit is {MAX_HISTORY + 1}")
    turns = []
    for index, message in enumerate(messages):
        at = f"{field}[{index}]"
        role = message.get("role") if isinstance(message, dict) else None
        if not isinstance(role, str) or role not in roles:
            raise InputError(f"{at}.role", f"{at}.role must be one of: {', '.join(roles)}")
        turns.append(Turn(roles[role], text_of(f"{at}.content", message.get("content"), part_types)))
    return turns


def check_framing(options: StreamOptions) -> None:
    """Refuse an option that would change StreamLab's own frames: here it would do nothing, silently."""
    defaults = StreamOptions()
    for name in FRAMING:
        if getattr(options, name) != getattr(defaults, name):
            raise InputError(name, f"{name} shapes StreamLab's own frames (/stream, /api/chat, /relay); "
                                   f"a provider's format has its own")
    if PITFALLS[options.pitfall].framing is not same:
        applying = ", ".join(name for name, pitfall in PITFALLS.items() if pitfall.framing is same)
        raise InputError("pitfall", f"pitfall={options.pitfall} changes StreamLab's own frames; in a provider's "
                                    f"format only these apply: {applying}")


def api_request(body: Mapping[str, object], turns: list[Turn], field: str = "messages",
                include_usage: bool = False) -> APIRequest:
    """The request the last user turn makes; StreamLab's options ride as extra body fields."""
    model = model_of(body)
    if turns[-1].role != "user":
        raise InputError(field, "the last message must be the user's: it is what the model answers")
    if not turns[-1].content:
        raise InputError(f"{field}[{len(turns) - 1}].content", "the user's message must not be empty")
    stream = stream_of(body)
    # Any model name works: StreamLab's own answer as themselves, any other is answered by the tutor.
    options = parse_options({**body, "model": model if model in MODELS else "tutor"})
    check_framing(options)
    return APIRequest(Conversation(turns[-1].content, tuple(turns[:-1])), options, model, stream, include_usage)
