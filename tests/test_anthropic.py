"""The official anthropic Python SDK, unchanged, against StreamLab's /v1/messages on a real server
(gunicorn + gevent and flask run): streaming and not, the helpers, usage, and each fault raising."""

import json
import re

import anthropic
import httpx
import pytest
from anthropic.types import MessageParam
from flask.testing import FlaskClient

from streamlab.decoder import Decoder
from tests.cases import TRICKY
from tests.servers import Server, run_async

MESSAGE: list[MessageParam] = [{"role": "user", "content": TRICKY}]


def sdk(server: Server, **options: object) -> anthropic.Anthropic:
    settings: dict[str, object] = {"api_key": "any key works", "max_retries": 0, **options}
    return anthropic.Anthropic(base_url=server.url, **settings)  # type: ignore[arg-type]


def test_the_async_client_streams_and_answers_whole_exactly(server: Server) -> None:
    async def run() -> tuple[str, str]:
        async with anthropic.AsyncAnthropic(base_url=server.url, api_key="any", max_retries=0) as client:
            async with client.messages.stream(model="echo", max_tokens=1024, messages=MESSAGE, extra_body={"delay": 0}) as stream:
                streamed = "".join([text async for text in stream.text_stream])
            whole = await client.messages.create(model="echo", max_tokens=1024, messages=MESSAGE, extra_body={"delay": 0})
            return streamed, whole.content[0].text if whole.content[0].type == "text" else ""
    assert run_async(run()) == (TRICKY, TRICKY)


def test_the_stream_helper_streams_the_text_exactly(server: Server) -> None:
    with sdk(server).messages.stream(model="echo", max_tokens=1024, messages=MESSAGE, extra_body={"delay": 0}) as stream:
        pieces = list(stream.text_stream)
        final = stream.get_final_message()
    assert "".join(pieces) == TRICKY and len(pieces) == len(TRICKY) - 1  # a chunk per character; CRLF is one
    assert final.content[0].type == "text" and final.content[0].text == TRICKY
    assert (final.model, final.role, final.stop_reason) == ("echo", "assistant", "end_turn")
    assert final.usage.output_tokens == len(pieces) and final.usage.input_tokens == len(pieces)


def test_every_frame_has_its_event_line_in_anthropics_order(client: FlaskClient) -> None:
    body = {"model": "echo", "max_tokens": 50, "stream": True, "messages": [{"role": "user", "content": "Hi!"}],
            "delay": 0, "heartbeat": 0.1, "stall": 300}
    answer = client.post("/v1/messages", json=body)
    assert answer.status_code == 200 and answer.mimetype == "text/event-stream"
    wire = answer.get_data()
    events = Decoder().feed(wire)
    assert all(event.event == json.loads(event.data)["type"] for event in events)  # every frame named, as its type
    kinds = [event.event for event in events if event.event != "ping"]
    assert kinds == ["message_start", "content_block_start", *["content_block_delta"] * 3,
                     "content_block_stop", "message_delta", "message_stop"]
    assert "ping" in [event.event for event in events]  # the heartbeat is Anthropic's own ping event
    start = json.loads(events[0].data)["message"]
    assert start["content"] == [] and start["model"] == "echo" and start["usage"]["input_tokens"] == 3
    assert b"[DONE]" not in wire and b"\nid:" not in wire


def test_a_whole_message_with_a_system_prompt_and_any_model(server: Server) -> None:
    message = sdk(server).messages.create(
        model="claude-of-the-future", max_tokens=1024, system="Be brief.", extra_body={"delay": 0},
        messages=[{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"},
                  {"role": "user", "content": [{"type": "text", "text": "How does fetch stream?"}]}])
    assert message.model == "claude-of-the-future" and message.stop_reason == "end_turn"
    assert message.content[0].type == "text" and "fetch" in message.content[0].text  # answered by the tutor


def test_tools_thinking_images_and_a_prefill_are_read_not_refused(server: Server) -> None:
    """An agent's conversation as the SDK sends it: a long system prompt in blocks, an image, a
    thinking block and a tool call, the tool's result beside the user's question, and the start of
    the answer (a prefill). The echo answers the user's last words."""
    system = [{"type": "text", "text": "You are a careful assistant. " * 200}]
    messages = [
        {"role": "user", "content": [{"type": "text", "text": "What is this?"},
                                     {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}}]},
        {"role": "assistant", "content": [{"type": "thinking", "thinking": "Let me look.", "signature": "sig"},
                                          {"type": "tool_use", "id": "toolu_1", "name": "look", "input": {}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "a cat"},
                                     {"type": "text", "text": "In one word?"}]},
        {"role": "assistant", "content": "Sure:"},
    ]
    message = sdk(server).messages.create(model="echo", max_tokens=50, system=system, messages=messages,  # type: ignore[arg-type]
                                          extra_body={"delay": 0})
    assert message.content[0].type == "text" and message.content[0].text == "In one word?"
    assert message.usage.input_tokens > 5000  # the system prompt and the whole conversation were read


@pytest.mark.parametrize("credentials", [{"api_key": "sk-ant-anything"}, {"api_key": None, "auth_token": "a bearer token"}])
def test_an_api_key_or_a_bearer_token_and_no_version_header(server: Server, credentials: dict[str, object]) -> None:
    message = sdk(server, **credentials).messages.create(
        model="echo", max_tokens=10, messages=[{"role": "user", "content": "ok"}], extra_body={"delay": 0})
    assert message.content[0].type == "text" and message.content[0].text == "ok"
    bare = httpx.post(f"{server.url}/v1/messages", json={"model": "echo", "max_tokens": 5, "delay": 0,
                                                         "messages": [{"role": "user", "content": "ok"}]})
    assert bare.status_code == 200 and bare.json()["content"] == [{"type": "text", "text": "ok"}]  # no key, no version


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"messages": [{"role": "system", "content": "Hi"}]}, "messages[0].role", id="system-in-messages"),
        pytest.param({"messages": [{"role": "user", "content": [{"type": "image"}]}]}, "messages[0].content", id="image"),
        pytest.param({"messages": [{"role": "user", "content": "Hi"}], "max_tokens": 0}, "max_tokens", id="max-tokens"),
        pytest.param({"messages": [{"role": "user", "content": "Hi"}], "delay": "fast"}, "delay", id="bad-option"),
    ],
)
def test_bad_input_is_anthropics_400_naming_the_field(server: Server, body: dict[str, object], field: str) -> None:
    answer = httpx.post(f"{server.url}/v1/messages", json={"model": "echo", "max_tokens": 5, **body})
    assert answer.status_code == 400
    error = answer.json()
    assert error["type"] == "error" and error["error"]["type"] == "invalid_request_error"
    assert field in error["error"]["message"]
    with pytest.raises(anthropic.BadRequestError, match="max_tokens"):
        sdk(server).messages.create(model="echo", max_tokens=-1, messages=[{"role": "user", "content": "Hi"}])


def stream_text(client: anthropic.Anthropic, options: dict[str, object], received: list[str]) -> None:
    for event in client.messages.create(model="echo", max_tokens=10, messages=[{"role": "user", "content": "abcdef"}],
                                        stream=True, extra_body={"delay": 0, **options}):
        if event.type == "content_block_delta" and event.delta.type == "text_delta":
            received.append(event.delta.text)


def test_an_error_mid_stream_makes_the_sdk_raise(server: Server) -> None:
    received: list[str] = []
    with pytest.raises(anthropic.APIStatusError, match="simulated error at chunk 3"):
        stream_text(sdk(server), {"error_at": 3}, received)
    assert received == ["a", "b"]


def test_drop_after_cuts_the_connection_so_the_sdk_raises(server: Server) -> None:
    """A clean end would pass as a finished, shorter message; a cut connection cannot. The anthropic
    SDK lets its HTTP client's own error through (a RemoteProtocolError of httpx2)."""
    received: list[str] = []
    with pytest.raises(Exception, match="incomplete chunked read") as raised:
        stream_text(sdk(server), {"drop_after": 2}, received)
    assert type(raised.value).__name__ == "RemoteProtocolError"
    assert received == ["a", "b"]
    assert server.wait_for_open_streams(0) == 0


@pytest.mark.parametrize(("status", "error", "kind"), [(429, anthropic.RateLimitError, "rate_limit_error"),
                                                       (529, anthropic.InternalServerError, "overloaded_error"),
                                                       (401, anthropic.AuthenticationError, "authentication_error")])
def test_fail_refuses_in_anthropics_shape(server: Server, status: int, error: type[Exception], kind: str) -> None:
    with pytest.raises(error) as raised:
        sdk(server).messages.create(model="echo", max_tokens=5, messages=[{"role": "user", "content": "Hi"}],
                                    extra_body={"delay": 0, "fail": status})
    response = raised.value.response  # type: ignore[attr-defined]
    assert response.status_code == status and response.json()["error"]["type"] == kind


def test_the_sdk_retries_a_429_and_succeeds_once_the_fault_is_gone(server: Server) -> None:
    raw = sdk(server, max_retries=2).messages.with_raw_response.create(
        model="echo", max_tokens=5, messages=[{"role": "user", "content": "again"}],
        extra_body={"delay": 0, "fail": 429, "fail_times": 1})
    message = raw.parse()
    assert raw.retries_taken == 1 and message.content[0].type == "text" and message.content[0].text == "again"


def test_the_pitfalls_around_the_frames_apply_to_a_providers_format(client: FlaskClient) -> None:
    """buffered holds every frame back to one write at the end; the bytes are the same."""
    body = {"model": "echo", "max_tokens": 9, "stream": True, "delay": 0, "messages": [{"role": "user", "content": "Hi"}]}
    correct = client.post("/v1/messages", json=body)
    buffered = client.post("/v1/messages", json={**body, "pitfall": "buffered"})
    writes = [bytes(write) for write in buffered.response]  # type: ignore[arg-type]
    assert len(writes) == 2 and writes[0].startswith(b"event: message_start")  # the opening, then all the rest
    strip = re.compile(rb'"msg_[0-9a-f]+"')  # each message has its own id
    assert strip.sub(b"", b"".join(writes)) == strip.sub(b"", correct.get_data())


def test_models_are_listed_for_the_anthropic_sdk_too(server: Server) -> None:
    assert [model.id for model in sdk(server).models.list()] == ["tutor", "echo"]
