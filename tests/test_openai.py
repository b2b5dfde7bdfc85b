"""The official openai Python SDK, unchanged, against StreamLab's /v1 on a real server (gunicorn + gevent
and flask run): streaming, usage, the whole reply, models, and errors the SDK raises."""

import httpx
import openai
import pytest

from tests.cases import TRICKY
from tests.servers import Server


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
    ],
)
def test_bad_input_is_openais_400_naming_the_param(server: Server, body: dict[str, object], param: str) -> None:
    with pytest.raises(openai.BadRequestError) as raised:
        sdk(server).chat.completions.create(**body)  # type: ignore[call-overload]
    assert raised.value.status_code == 400
    error = raised.value.body
    assert isinstance(error, dict) and (error["type"], error["param"], error["code"]) == ("invalid_request_error", param, None)
    assert httpx.get(f"{server.url}/healthz").json()["status"] == "ok"  # and the server keeps serving


def test_an_error_mid_stream_makes_the_sdk_raise(server: Server) -> None:
    stream = sdk(server).chat.completions.create(
        model="echo", messages=[{"role": "user", "content": "abcdef"}], stream=True, extra_body={"delay": 0, "error_at": 3})
    received = []
    with pytest.raises(openai.APIError, match="simulated error at chunk 3"):
        for chunk in stream:
            received.append(chunk.choices[0].delta.content if chunk.choices else None)
    assert received == ["", "a", "b"]
