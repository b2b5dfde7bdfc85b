"""The real APIs' formats: each dialect reads its provider's request and writes its provider's bytes.

A dialect is a parser (the provider's request in, an APIRequest out) and a Framing (the reply's
chunks out in the provider's frames). The reply, its pacing, resume and faults are StreamLab's
own: stream() runs every framing. What each SDK requires, event by event, is in
../shared/research/anchors-api-formats.md.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from streamlab.conversation import Conversation, Turn, check_text
from streamlab.errors import InputError
from streamlab.models import MODELS
from streamlab.options import StreamOptions, parse_options
from streamlab.pitfalls import PITFALLS, same

# StreamLab's own framing options: a provider's format fixes its framing, so these cannot apply.
FRAMING = ("frame", "end", "ids", "retry", "newline")
# An agent's conversation may be long (tool calls and their results): the body's size bounds it.
MAX_MESSAGES = 1000


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
    stream = body.get("stream")
    if stream is None:  # absent or null, as the APIs take it: the whole reply at once
        return False
    if not isinstance(stream, bool):
        raise InputError("stream", "stream must be true or false")
    return stream


def text_of(field: str, content: object, part_types: tuple[str, ...]) -> str:
    """A message's text: its content as a string, or the text parts of a list of parts joined
    ({"type": "text", "text": ...}). Other parts (images, files, tool calls and their results,
    thinking) carry nothing StreamLab reads, and null content (an assistant turn that only called
    tools) is no text: a real app's conversation is read, not refused."""
    if content is None:
        return ""
    if isinstance(content, list):
        if not all(isinstance(part, dict) and isinstance(part.get("type"), str) for part in content):
            raise InputError(field, f"{field} must be a string or a list of parts, each with its type")
        texts = [part.get("text") for part in content if part["type"] in part_types]
        if not all(isinstance(text, str) for text in texts):
            raise InputError(field, f"{field}: a {part_types[0]} part must have its text")
        content = "".join(str(text) for text in texts)
    return check_text(field, content, allow_empty=True, limit=None)


def turns_of(
    messages: object, roles: Mapping[str, str], part_types: tuple[str, ...], field: str = "messages"
) -> list[Turn]:
    """Read a list of {role, content} messages, each role mapped to StreamLab's own."""
    if not isinstance(messages, list) or not messages:
        raise InputError(field, f"{field} must be a non-empty list of {{role, content}}")
    if len(messages) > MAX_MESSAGES:
        raise InputError(field, f"{field} has {len(messages)} messages; the limit is {MAX_MESSAGES}")
    turns = []
    for index, message in enumerate(messages):
        at = f"{field}[{index}]"
        if isinstance(message, dict) and "role" not in message and message.get("type") not in (None, "message"):
            continue  # an item that is not a message (a Responses function call or its output)
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
    """The request the last user turn with text makes (turns after it, such as an assistant's
    prefill, are read as history); StreamLab's options ride as extra body fields."""
    model = model_of(body)
    users = [index for index, turn in enumerate(turns) if turn.role == "user"]
    if not users:
        raise InputError(field, f"{field} has no user message: the model answers the user's last one")
    asked = next((index for index in reversed(users) if turns[index].content), None)
    if asked is None:  # only images, tool results and the like: nothing StreamLab can read
        raise InputError(f"{field}[{users[-1]}].content", "the user's messages have no text to answer")
    prompt = check_text(f"{field}[{asked}].content", turns[asked].content)  # it is streamed back: 4,000 at most
    stream = stream_of(body)
    # Any model name works: StreamLab's own answer as themselves, any other is answered by the tutor.
    options = parse_options({**body, "model": model if model in MODELS else "tutor"})
    check_framing(options)
    history = tuple(turns[:asked] + turns[asked + 1:])
    return APIRequest(Conversation(prompt, history), options, model, stream, include_usage)
