"""The official openai Python SDK, unchanged, against StreamLab's /v1 on a real server (gunicorn + gevent
and flask run): streaming, usage, the whole reply, models, and errors the SDK raises."""

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import openai
import pytest

from tests.cases import TRICKY
from tests.servers import Server, run_async


def sdk(server: Server) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{server.url}/v1", api_key="any key works", max_retries=0)


def test_a_streamed_reply_arrives_exactly_with_its_usage(server: Server) -> None:
    stream = sdk(server).chat.completions.create(
        model="echo", messages=[{"role": "user", "content": TRICKY}], stream=True,
        stream_options={"include_usage": True}, extra_body={"delay": 0})
    chunks = list(stream)
    assert "".join(chunk.choices[0].delta.content or "" for chunk in chunks if chunk.choices) == TRICKY  # CRLF too
    assert chunks[0].choices[0].delta.role == "assistant" and all(c.choices[0].delta.role is None for c in chunks[1:-1])
    assert len({chunk.id for chunk in chunks}) == 1 and {chunk.model for chunk in chunks} == {"echo"}
    assert [chunk.choices[0].finish_reason for chunk in chunks[:-1]][-1] == "stop"
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens == len(chunks) - 3  # the role chunk, the finish chunk, the usage chunk


def test_the_async_client_streams_and_answers_whole_exactly(server: Server) -> None:
    async def run() -> tuple[str, str | None]:
        async with openai.AsyncOpenAI(base_url=f"{server.url}/v1", api_key="any", max_retries=0) as client:
            ask = {"model": "echo", "messages": [{"role": "user", "content": TRICKY}], "extra_body": {"delay": 0}}
            stream = await client.chat.completions.create(**ask, stream=True)  # type: ignore[call-overload]
            streamed = "".join([chunk.choices[0].delta.content or "" async for chunk in stream if chunk.choices])
            whole = await client.chat.completions.create(**ask)  # type: ignore[call-overload]
            return streamed, whole.choices[0].message.content
    assert run_async(run()) == (TRICKY, TRICKY)


def test_the_stream_helper_builds_the_final_completion(server: Server) -> None:
    with sdk(server).chat.completions.stream(
        model="echo", messages=[{"role": "user", "content": "你好 🙂"}], extra_body={"delay": 0, "chunk": "word"}
    ) as stream:
        final = stream.get_final_completion()
    assert final.choices[0].message.content == "你好 🙂" and final.choices[0].finish_reason == "stop"


def test_history_and_any_model_name(server: Server) -> None:
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"},
                {"role": "assistant", "content": "Hello!"}, {"role": "user", "content": "How does fetch stream?"}]
    whole = sdk(server).chat.completions.create(model="gpt-4o", messages=messages, extra_body={"delay": 0})  # type: ignore[arg-type]
    assert whole.model == "gpt-4o" and whole.object == "chat.completion"
    assert "fetch" in (whole.choices[0].message.content or "")  # answered by the tutor
    assert whole.usage is not None and whole.usage.prompt_tokens > len("How does fetch stream?")  # the history counted


LONG_SYSTEM = "You are a careful assistant. " * 200  # 5,400 characters: a real app's system prompt


def test_an_agents_conversation_is_read_not_refused(server: Server) -> None:
    """A long system prompt, an image part, an assistant turn that only called a tool (content null),
    and the tool's result, which is what the model reads last: the echo answers it."""
    messages: Any = [  # as a real app builds them: more kinds of message than the SDK's types spell out
        {"role": "system", "content": LONG_SYSTEM},
        {"role": "user", "content": [{"type": "text", "text": "Weather where this is?"},
                                     {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}]},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "weather", "arguments": '{"city": "Paris"}'}}]},
        {"role": "tool", "tool_call_id": "call_1", "content": "Sunny, 21 °C"},
    ]
    stream = sdk(server).chat.completions.create(model="echo", messages=messages, stream=True, extra_body={"delay": 0})
    assert "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices) == "Sunny, 21 °C"
    whole = httpx.post(f"{server.url}/v1/chat/completions",
                       json={"model": "echo", "messages": messages, "stream": None, "delay": 0})  # null: not streamed
    assert whole.json()["choices"][0]["message"]["content"] == "Sunny, 21 °C"
    assert whole.json()["usage"]["prompt_tokens"] > len(LONG_SYSTEM)  # every text was read


def test_responses_read_function_calls_and_images_too(server: Server) -> None:
    items: Any = [
        {"role": "user", "content": [{"type": "input_text", "text": "What is in it?"},
                                     {"type": "input_image", "image_url": "data:image/png;base64,iVBORw0KGgo="}]},
        {"type": "function_call", "call_id": "call_1", "name": "look", "arguments": "{}"},
        {"type": "function_call_output", "call_id": "call_1", "output": "a cat"},
        {"role": "user", "content": "Thanks!"},
    ]
    response = sdk(server).responses.create(model="echo", instructions=LONG_SYSTEM, extra_body={"delay": 0}, input=items)
    assert response.output_text == "Thanks!"


def test_models_are_listed(server: Server) -> None:
    assert {model.id for model in sdk(server).models.list()} == {"tutor", "echo"}


@pytest.mark.parametrize(
    ("body", "param"),
    [
        pytest.param({"model": "echo", "messages": []}, "messages", id="no-messages"),
        pytest.param({"model": "", "messages": [{"role": "user", "content": "Hi"}]}, "model", id="empty-model"),
        pytest.param({"model": "echo", "messages": [{"role": "robot", "content": "Hi"}]}, "messages[0].role", id="bad-role"),
        pytest.param({"model": "echo", "messages": [{"role": "assistant", "content": "Hi"}]}, "messages", id="last-not-user"),
        pytest.param({"model": "echo", "messages": [{"role": "user", "content": "Hi"}], "extra_body": {"delay": -1}}, "delay", id="bad-option"),
        pytest.param({"model": "echo", "messages": [{"role": "user", "content": "Hi"}], "extra_body": {"frame": "json"}},
                     "frame", id="streamlab-framing"),
        pytest.param({"model": "echo", "messages": [{"role": "user", "content": "Hi"}],
                      "extra_body": {"pitfall": "no-blank-line"}}, "pitfall", id="framing-pitfall"),
    ],
)
def test_bad_input_is_openais_400_naming_the_param(server: Server, body: dict[str, object], param: str) -> None:
    with pytest.raises(openai.BadRequestError) as raised:
        sdk(server).chat.completions.create(**body)  # type: ignore[call-overload]
    assert raised.value.status_code == 400
    error = raised.value.body
    assert isinstance(error, dict) and (error["type"], error["param"], error["code"]) == ("invalid_request_error", param, None)
    assert httpx.get(f"{server.url}/healthz").json()["status"] == "ok"  # and the server keeps serving


def test_the_responses_stream_helper_builds_the_final_response(server: Server) -> None:
    with sdk(server).responses.stream(model="echo", input=TRICKY, extra_body={"delay": 0}) as stream:
        events = list(stream)
        final = stream.get_final_response()
    assert final.output_text == TRICKY and final.status == "completed"
    deltas = [event for event in events if event.type == "response.output_text.delta"]
    assert "".join(event.delta for event in deltas) == TRICKY
    item = final.output[0]
    assert item.type == "message" and {event.item_id for event in deltas} == {item.id}
    assert [event.sequence_number for event in events] == list(range(len(events)))
    assert (events[0].type, events[-1].type) == ("response.created", "response.completed")
    assert final.usage is not None and final.usage.output_tokens == len(deltas)


def test_a_whole_response_with_instructions_and_history(server: Server) -> None:
    response = sdk(server).responses.create(
        model="gpt-5", instructions="Be brief.", extra_body={"delay": 0},
        input=[{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"},
               {"role": "user", "content": [{"type": "input_text", "text": "How does fetch stream?"}]}])
    assert response.model == "gpt-5" and response.status == "completed"
    assert "fetch" in response.output_text  # answered by the tutor


@pytest.mark.parametrize(
    ("body", "param"),
    [
        pytest.param({"model": "echo"}, "input", id="no-input"),
        pytest.param({"model": "echo", "input": [{"role": "tool", "content": "x"}]}, "input[0].role", id="bad-role"),
        pytest.param({"model": "echo", "input": "Hi", "previous_response_id": "resp_1"}, "previous_response_id", id="stored"),
        pytest.param({"model": "echo", "input": "Hi", "extra_body": {"chunk": "line"}}, "chunk", id="bad-option"),
    ],
)
def test_bad_input_to_responses_is_openais_400(server: Server, body: dict[str, object], param: str) -> None:
    with pytest.raises(openai.BadRequestError) as raised:
        sdk(server).responses.create(**body)  # type: ignore[call-overload]
    assert isinstance(raised.value.body, dict) and raised.value.body["param"] == param


def chat_text(client: openai.OpenAI, options: dict[str, object]) -> Iterator[str]:
    stream = client.chat.completions.create(
        model="echo", messages=[{"role": "user", "content": "abcdef"}], stream=True, extra_body=options)
    for chunk in stream:
        if chunk.choices:
            yield chunk.choices[0].delta.content or ""


def responses_text(client: openai.OpenAI, options: dict[str, object]) -> Iterator[str]:
    for event in client.responses.create(model="echo", input="abcdef", stream=True, extra_body=options):
        if event.type == "response.output_text.delta":
            yield event.delta


# Each fault on both OpenAI endpoints: the text an SDK call receives.
CALLS: dict[str, Callable[[openai.OpenAI, dict[str, object]], Iterator[str]]] = {
    "chat": chat_text, "responses": responses_text}


@pytest.mark.parametrize("endpoint", CALLS)
def test_an_error_mid_stream_raises_on_both_endpoints(server: Server, endpoint: str) -> None:
    received: list[str] = []
    with pytest.raises(openai.APIError, match="simulated error at chunk 3"):
        received.extend(CALLS[endpoint](sdk(server), {"delay": 0, "error_at": 3}))
    assert "".join(received) == "ab"


@pytest.mark.parametrize("endpoint", CALLS)
def test_drop_after_cuts_the_connection_so_the_sdk_raises(server: Server, endpoint: str) -> None:
    """A clean end without [DONE] would pass as a whole (shorter) reply; a cut connection cannot."""
    received: list[str] = []
    with pytest.raises(openai.APIConnectionError):
        received.extend(CALLS[endpoint](sdk(server), {"delay": 0, "drop_after": 2}))
    assert "".join(received) == "ab"
    assert server.wait_for_open_streams(0) == 0
    assert httpx.get(f"{server.url}/healthz").json()["status"] == "ok"


@pytest.mark.parametrize(("status", "error"), [(429, openai.RateLimitError), (500, openai.InternalServerError),
                                               (503, openai.InternalServerError), (404, openai.NotFoundError)])
def test_fail_refuses_with_that_status_in_openais_shape(server: Server, status: int, error: type[Exception]) -> None:
    with pytest.raises(error) as raised:
        sdk(server).chat.completions.create(model="echo", messages=[{"role": "user", "content": "Hi"}],
                                            extra_body={"delay": 0, "fail": status})
    response = raised.value.response  # type: ignore[attr-defined]
    assert response.status_code == status and response.json()["error"]["param"] == "fail"
    assert response.headers.get("Retry-After") == ("1" if status in (429, 503) else None)


def test_the_sdk_retries_a_429_and_succeeds_once_the_fault_is_gone(server: Server) -> None:
    """fail_times=1: only the first attempt fails; the SDK waits Retry-After (1 s) and asks again."""
    retrying = openai.OpenAI(base_url=f"{server.url}/v1", api_key="k", max_retries=2)
    raw = retrying.chat.completions.with_raw_response.create(
        model="echo", messages=[{"role": "user", "content": "again"}], extra_body={"delay": 0, "fail": 429, "fail_times": 1})
    assert raw.retries_taken == 1 and raw.parse().choices[0].message.content == "again"
    with pytest.raises(openai.RateLimitError):  # a fault that stays: every attempt fails, then the SDK gives up
        openai.OpenAI(base_url=f"{server.url}/v1", api_key="k", max_retries=1).chat.completions.create(
            model="echo", messages=[{"role": "user", "content": "again"}], extra_body={"delay": 0, "fail": 429})
