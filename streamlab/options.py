"""Stream options: one frozen dataclass, parsed and validated from a query string or JSON body.

The valid values of each mode come from the table that implements it, so the list in a
400 message can never disagree with what the server does.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from streamlab.errors import InputError
from streamlab.frames import END_SIGNALS, FRAMES, IDS, NEWLINES
from streamlab.models import CHUNKERS, MODELS
from streamlab.pitfalls import PITFALLS

SPLIT_VALUES = {"off": False, "on": True}  # the table that implements them is streams.SPLITS

CHOICES: dict[str, Mapping[str, object]] = {
    "model": MODELS, "chunk": CHUNKERS, "frame": FRAMES, "end": END_SIGNALS, "ids": IDS,
    "newline": NEWLINES, "split": SPLIT_VALUES, "pitfall": PITFALLS,
}


@dataclass(frozen=True)
class Number:
    """The range and unit of a numeric option."""

    low: float
    high: float
    unit: str
    whole: bool = True
    kind: str = ""  # what a value is, in an error message, when "a whole number of <unit>" is not it


NUMBERS: dict[str, Number] = {
    "delay": Number(0, 5000, "milliseconds"),
    "retry": Number(0, 600_000, "milliseconds"),
    "heartbeat": Number(0.1, 300, "seconds", whole=False),
    "drop_after": Number(1, 100_000, "chunks"),
    "error_at": Number(1, 100_000, "chunks"),
    "stall": Number(0, 60_000, "milliseconds"),
    "fail": Number(400, 599, "status", kind="an HTTP status"),
    "fail_times": Number(1, 100, "attempts"),
}


@dataclass(frozen=True)
class StreamOptions:
    """Every lesson mode of one stream; defaults are the first value of each table."""

    model: str = "tutor"
    chunk: str = "char"
    delay: int = 100
    frame: str = "plain"
    end: str = "sentinel"
    ids: str = "on"
    retry: int | None = None
    heartbeat: float | None = None
    drop_after: int | None = None
    error_at: int | None = None
    stall: int | None = None
    fail: int | None = None
    fail_times: int | None = None
    newline: str = "lf"
    split: str = "off"
    pitfall: str = "none"


# What each option does, in a phrase: `flask chat --help` and the page show it beside the control.
HELP: dict[str, str] = {
    "model": "which simulated LLM answers",
    "chunk": "what one event carries",
    "delay": "pause before each chunk",
    "frame": "data: TEXT, or data: {\"content\": TEXT}",
    "end": "how the stream says it is finished",
    "ids": "an id: line on every chunk, for resuming",
    "retry": "sent once as retry:, the client's reconnect wait",
    "heartbeat": "a : ping comment whenever the stream is idle this long",
    "drop_after": "fault: end each response after N chunks",
    "error_at": "fault: an error frame in place of chunk N",
    "stall": "fault: one pause before the middle chunk",
    "fail": "fault: refuse the request with this HTTP status (Retry-After: 1 on 429 and 503)",
    "fail_times": "fault: fail only the first N attempts (an SDK counts its retries in X-Stainless-Retry-Count)",
    "newline": "the line endings on the wire (all three are correct SSE)",
    "split": "write each event in two pieces, cut inside a character when there is one",
    "pitfall": "make one classic server mistake on purpose",
}


@dataclass(frozen=True)
class Option:
    """One option as everything that offers it reads it: validation, the page, `flask chat`."""

    name: str
    help: str
    default: object
    values: tuple[str, ...] = ()  # a choice: its valid values, the default first
    number: Number | None = None  # a number: its range and unit


def schema() -> tuple[Option, ...]:
    """Every stream option, in StreamOptions' order, from the tables that implement them."""
    defaults = StreamOptions()
    return tuple(
        Option(field.name, HELP[field.name], getattr(defaults, field.name),
               tuple(CHOICES[field.name]) if field.name in CHOICES else (), NUMBERS.get(field.name))
        for field in fields(StreamOptions)
    )


def shown(value: object) -> str:
    """Quote a rejected value for an error message, cut short if long."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


WHOLE = re.compile(r"[+-]?[0-9]{1,12}")
DECIMAL = re.compile(r"[+-]?[0-9]{1,12}(\.[0-9]{1,6})?")


def parse_number(name: str, value: object) -> int | float:
    """Read one numeric option from JSON (a number) or a query string (digits)."""
    spec = NUMBERS[name]
    kind = spec.kind or (f"a whole number of {spec.unit}" if spec.whole else f"a number of {spec.unit}")
    problem = f"{name} must be {kind} from {spec.low:g} to {spec.high:g}"
    if isinstance(value, str) and (WHOLE if spec.whole else DECIMAL).fullmatch(value):
        number: int | float = int(value) if spec.whole else float(value)
    elif isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, float) and not spec.whole:
        number = value
    else:
        raise InputError(name, f"{problem} (got {shown(value)})")
    if not spec.low <= number <= spec.high:  # also refuses NaN, which JSON parsers let in
        raise InputError(name, f"{problem} (got {shown(value)})")
    return number


def parse_options(values: Mapping[str, object]) -> StreamOptions:
    """Validate the options among values; a missing, null or empty one keeps its default."""
    found: dict[str, Any] = {}  # each value checked against its table or range just above
    for name, table in CHOICES.items():
        value = values.get(name)
        if value is None or value == "":
            continue
        if not isinstance(value, str) or value not in table:
            valid = ", ".join(table)
            raise InputError(name, f"{name} must be one of: {valid} (got {shown(value)})")
        found[name] = value
    for name in NUMBERS:
        value = values.get(name)
        if value is None or value == "":
            continue
        found[name] = parse_number(name, value)
    return StreamOptions(**found)
