"""The prompt and history a client sends, validated before any stream byte is written."""

from collections.abc import Mapping
from dataclasses import dataclass

from streamlab.errors import InputError

MAX_PROMPT = 4000  # characters (code points), for the prompt and for each history message
MAX_HISTORY = 100  # messages
ROLES = ("user", "assistant", "system")


@dataclass(frozen=True)
class Turn:
    """One earlier message of the conversation."""

    role: str
    content: str


@dataclass(frozen=True)
class Conversation:
    """What the client asked: the new prompt and the turns before it."""

    prompt: str
    history: tuple[Turn, ...] = ()


def check_text(field: str, value: object, allow_empty: bool = False, limit: int | None = MAX_PROMPT) -> str:
    """Return value if it is a string the server can stream, else raise InputError. With limit
    None only the body's size bounds it (a real API's system prompt or history may be long)."""
    if not isinstance(value, str):
        raise InputError(field, f"{field} must be a string")
    if not value and not allow_empty:
        raise InputError(field, f"{field} must not be empty")
    if limit is not None and len(value) > limit:
        raise InputError(field, f"{field} is {len(value)} characters; the limit is {limit}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate such as "\ud800" is valid JSON, not UTF-8
        raise InputError(field, f"{field} contains text that is not valid Unicode") from None
    return value


def parse_history(value: object) -> tuple[Turn, ...]:
    """Validate history: a list of {"role": "user"|"assistant"|"system", "content": str}."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise InputError("history", "history must be a list of {role, content} objects")
    if len(value) > MAX_HISTORY:
        raise InputError("history", f"history has {len(value)} messages; the limit is {MAX_HISTORY}")
    turns = []
    for index, item in enumerate(value):
        field = f"history[{index}]"
        if not isinstance(item, dict):
            raise InputError(field, f"{field} must be an object with role and content")
        role = item.get("role")
        if role not in ROLES:
            raise InputError(f"{field}.role", f"{field}.role must be one of: {', '.join(ROLES)}")
        turns.append(Turn(role, check_text(f"{field}.content", item.get("content"), True)))
    return tuple(turns)


def parse_conversation(
    values: Mapping[str, object], prompt_fields: tuple[str, ...], with_history: bool = True
) -> Conversation:
    """Take the prompt from the first of prompt_fields present, and the history if asked."""
    field = next((name for name in prompt_fields if name in values), prompt_fields[0])
    if values.get(field) is None:
        raise InputError(field, f"{field} is required")
    history = parse_history(values.get("history")) if with_history else ()
    return Conversation(check_text(field, values[field]), history)
