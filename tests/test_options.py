"""Option and conversation validation: every bad value is refused with its field named."""

from dataclasses import fields

import pytest

from streamlab.conversation import parse_conversation
from streamlab.errors import InputError
from streamlab.options import CHOICES, NUMBERS, StreamOptions, parse_options, schema


def test_defaults_are_the_first_value_of_each_table() -> None:
    defaults = StreamOptions()
    for name, table in CHOICES.items():
        assert getattr(defaults, name) == next(iter(table))
    assert defaults.delay == 100


def test_every_option_has_a_field() -> None:
    assert {f.name for f in fields(StreamOptions)} == {*CHOICES, *NUMBERS}


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        pytest.param({}, StreamOptions(), id="defaults"),
        pytest.param({"frame": "json", "end": "event", "ids": "off"}, StreamOptions(frame="json", end="event", ids="off"), id="choices"),
        pytest.param({"delay": "0", "retry": 5000, "drop_after": "3"}, StreamOptions(delay=0, retry=5000, drop_after=3), id="numbers-from-query-or-json"),
        pytest.param({"heartbeat": "0.5"}, StreamOptions(heartbeat=0.5), id="heartbeat-decimal"),
        pytest.param({"delay": "", "model": None}, StreamOptions(), id="blank-means-default"),
    ],
)
def test_parse_options(values: dict[str, object], expected: StreamOptions) -> None:
    assert parse_options(values) == expected


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        pytest.param({"model": "gpt"}, "model", "model must be one of: tutor, echo (got 'gpt')", id="unknown-model"),
        pytest.param({"chunk": "line"}, "chunk", "one of: char, word, sentence", id="unknown-chunk"),
        pytest.param({"frame": "xml"}, "frame", "one of: plain, json", id="unknown-frame"),
        pytest.param({"end": "stop"}, "end", "one of: sentinel, event, close", id="unknown-end"),
        pytest.param({"ids": True}, "ids", "one of: on, off (got True)", id="ids-not-a-string"),
        pytest.param({"delay": "fast"}, "delay", "delay must be a whole number of milliseconds from 0 to 5000", id="delay-not-a-number"),
        pytest.param({"delay": "5001"}, "delay", "from 0 to 5000 (got '5001')", id="delay-too-big"),
        pytest.param({"delay": -1}, "delay", "from 0 to 5000", id="delay-negative"),
        pytest.param({"delay": 1.5}, "delay", "whole number", id="delay-fraction"),
        pytest.param({"delay": True}, "delay", "whole number", id="delay-bool"),
        pytest.param({"delay": "1" * 40}, "delay", "whole number", id="delay-huge"),
        pytest.param({"heartbeat": "0"}, "heartbeat", "from 0.1 to 300", id="heartbeat-zero"),
        pytest.param({"heartbeat": float("nan")}, "heartbeat", "from 0.1 to 300", id="heartbeat-nan"),
        pytest.param({"drop_after": "0"}, "drop_after", "from 1 to 100000", id="drop-after-zero"),
        pytest.param({"error_at": "x"}, "error_at", "chunks", id="error-at-not-a-number"),
        pytest.param({"stall": "60001"}, "stall", "milliseconds", id="stall-too-long"),
        pytest.param({"retry": [1]}, "retry", "milliseconds", id="retry-a-list"),
    ],
)
def test_bad_option_names_its_field(values: dict[str, object], field: str, message: str) -> None:
    with pytest.raises(InputError) as raised:
        parse_options(values)
    assert raised.value.field == field
    assert message in raised.value.message
    assert raised.value.status == 400


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        pytest.param({}, "message", "message is required", id="missing"),
        pytest.param({"message": ""}, "message", "must not be empty", id="empty"),
        pytest.param({"message": "x" * 4001}, "message", "4001 characters; the limit is 4000", id="too-long"),
        pytest.param({"message": 42}, "message", "must be a string", id="not-a-string"),
        pytest.param({"message": "\ud800"}, "message", "not valid Unicode", id="lone-surrogate"),
        pytest.param({"prompt": ""}, "prompt", "must not be empty", id="alias-named-as-sent"),
        pytest.param({"message": "hi", "history": "no"}, "history", "must be a list", id="history-not-a-list"),
        pytest.param({"message": "hi", "history": [1]}, "history[0]", "must be an object", id="history-item"),
        pytest.param({"message": "hi", "history": [{"role": "bot", "content": "x"}]}, "history[0].role", "user, assistant, system", id="history-role"),
        pytest.param({"message": "hi", "history": [{"role": "user"}]}, "history[0].content", "must be a string", id="history-content"),
        pytest.param({"message": "hi", "history": [{"role": "user", "content": "x"}] * 101}, "history", "limit is 100", id="history-too-long"),
    ],
)
def test_bad_conversation_names_its_field(values: dict[str, object], field: str, message: str) -> None:
    with pytest.raises(InputError) as raised:
        parse_conversation(values, ("message", "prompt"))
    assert raised.value.field == field
    assert message in raised.value.message


def test_exactly_4000_characters_is_allowed() -> None:
    assert len(parse_conversation({"message": "你" * 4000}, ("message",)).prompt) == 4000


def test_the_schema_describes_every_option_from_the_tables_that_implement_it() -> None:
    options = {option.name: option for option in schema()}
    assert list(options) == [field.name for field in fields(StreamOptions)]
    for name, table in CHOICES.items():
        assert (options[name].values, options[name].number) == (tuple(table), None)
    for name, number in NUMBERS.items():
        assert (options[name].values, options[name].number) == ((), number)
    assert all(option.help and option.default == getattr(StreamOptions(), option.name) for option in schema())
