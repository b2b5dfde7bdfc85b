"""Routes through the Flask test client: headers, resume, blocking mode, and every 4xx."""

import json

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from streamlab.decoder import decode
from streamlab.streams import FakeClock
from tests.cases import BAD_REQUESTS


def texts(body: bytes) -> list[str]:
    return [message.data for message in decode(body)]


def test_stream_headers(client: FlaskClient) -> None:
    response = client.get("/stream?prompt=Hi")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/event-stream; charset=utf-8"
    assert response.headers["Cache-Control"] == "no-cache"
    assert response.headers["X-Accel-Buffering"] == "no"


def test_get_and_post_stream_the_same_bytes(client: FlaskClient) -> None:
    get = client.get("/stream?prompt=Hi%20%E4%BD%A0%F0%9F%99%82&model=echo&frame=json")
    post = client.post("/api/chat", json={"message": "Hi 你🙂", "model": "echo", "frame": "json"})
    assert get.data == post.data
    assert [json.loads(text).get("content") for text in texts(get.data)[:-1]] == ["H", "i", " ", "你", "🙂"]


def test_post_takes_options_from_the_query_too_and_the_body_wins(client: FlaskClient) -> None:
    response = client.post("/api/chat?model=echo&frame=json&ids=off", json={"prompt": "ab", "frame": "plain"})
    assert response.data == b": ok\n\ndata: a\n\ndata: b\n\ndata: [DONE]\n\n"


@pytest.mark.parametrize(
    ("headers", "query", "expected"),
    [
        pytest.param({"Last-Event-ID": "2"}, "", ["c", "d", "[DONE]"], id="header"),
        pytest.param({}, "&lastEventId=3", ["d", "[DONE]"], id="query"),
        pytest.param({"Last-Event-ID": "1"}, "&lastEventId=3", ["b", "c", "d", "[DONE]"], id="header-wins"),
        pytest.param({"Last-Event-ID": "x"}, "", ["a", "b", "c", "d", "[DONE]"], id="malformed-starts-over"),
    ],
)
def test_resume_get_and_post(client: FlaskClient, headers: dict[str, str], query: str, expected: list[str]) -> None:
    assert texts(client.get(f"/stream?prompt=abcd&model=echo{query}", headers=headers).data) == expected
    post = client.post(f"/api/chat?x=1{query}", json={"message": "abcd", "model": "echo"}, headers=headers)
    assert texts(post.data) == expected


@pytest.mark.parametrize("last_id", ["4", "5", "999"])
def test_resume_at_or_past_the_end_is_204(client: FlaskClient, last_id: str) -> None:
    response = client.get("/stream?prompt=abcd&model=echo", headers={"Last-Event-ID": last_id})
    assert (response.status_code, response.data) == (204, b"")
    post = client.post("/api/chat", json={"message": "abcd", "model": "echo"}, headers={"Last-Event-ID": last_id})
    assert post.status_code == 204


def test_blocking_answer_comes_after_the_whole_stream_time(client: FlaskClient, clock: FakeClock) -> None:
    response = client.post("/api/chat", json={"message": "Hello", "model": "echo", "stream": False})
    assert response.status_code == 200
    assert response.json == {
        "model": "echo", "content": "Hello",
        "usage": {"prompt_chars": 5, "prompt_chunks": 5, "reply_chars": 5, "reply_chunks": 5},
    }
    assert clock.time == pytest.approx(0.5)


def test_history_changes_the_tutor_reply(client: FlaskClient) -> None:
    history = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]
    alone = client.post("/api/chat", json={"message": "What is SSE?", "stream": False}).json
    follow_up = client.post("/api/chat", json={"message": "What is SSE?", "history": history, "stream": False}).json
    assert follow_up["content"] != alone["content"]
    assert follow_up["usage"]["prompt_chars"] == len("What is SSE?hihello")


def test_healthz_counts_open_streams(client: FlaskClient) -> None:
    assert client.get("/healthz").json == {"status": "ok", "open_streams": 0}
    response = client.get("/stream?prompt=abc", buffered=False)
    frames = iter(response.response)
    next(frames)
    assert client.get("/healthz").json["open_streams"] == 1
    response.close()  # what the server does when the client leaves
    assert client.get("/healthz").json["open_streams"] == 0




@pytest.mark.parametrize(("method", "url", "headers", "body", "status", "field"), BAD_REQUESTS)
def test_bad_input_is_a_json_4xx_naming_the_field(
    client: FlaskClient, method: str, url: str, headers: dict[str, str], body: bytes | None, status: int, field: str | None
) -> None:
    response = client.open(url, method=method, headers=headers, data=body)
    assert response.status_code == status
    assert response.headers["Content-Type"] == "application/json"
    error = response.json["error"]
    assert error["field"] == field
    assert error["message"]


FIELDS = ["message", "prompt", "history", "stream", "model", "chunk", "delay", "frame", "end", "ids",
          "retry", "heartbeat", "drop_after", "error_at", "stall"]
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.dictionaries(st.sampled_from(FIELDS), JSON_VALUES), last_id=st.from_regex(r"[ -~]{0,12}", fullmatch=True))
def test_no_json_body_causes_a_5xx(client: FlaskClient, body: dict[str, object], last_id: str) -> None:
    response = client.post("/api/chat", json={"delay": 0, **body}, headers={"Last-Event-ID": last_id})
    assert response.status_code < 500
    if response.status_code >= 400:
        assert response.json["error"]["message"]
    else:
        response.get_data()  # run the whole stream: it must not fail half-way either


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=st.binary(max_size=60))
def test_no_query_string_causes_a_5xx(client: FlaskClient, query: bytes) -> None:
    # WSGI hands the app the raw query bytes as a latin-1 string, whatever they are.
    response = client.get("/stream", environ_overrides={"QUERY_STRING": "prompt=x&delay=0&" + query.decode("latin-1")})
    assert response.status_code < 500
    response.get_data()


@pytest.mark.parametrize(
    ("path", "body"),
    [
        pytest.param("/api/chat", {"message": "你好 🙂", "stream": False}, id="api-chat"),
        pytest.param("/v1/chat/completions", {"messages": [{"role": "user", "content": "你好 🙂"}]}, id="chat-completions"),
        pytest.param("/v1/responses", {"input": "你好 🙂"}, id="responses"),
        pytest.param("/v1/messages", {"max_tokens": 9, "messages": [{"role": "user", "content": "你好 🙂"}]}, id="messages"),
    ],
)
def test_whole_json_answers_keep_chinese_and_emoji_as_utf8(client: FlaskClient, path: str, body: dict[str, object]) -> None:
    answer = client.post(path, json={"model": "echo", **body})
    assert answer.status_code == 200 and "你好 🙂".encode() in answer.data and b"\\u" not in answer.data


API_FIELDS = ["model", "messages", "input", "instructions", "system", "max_tokens", "stream", "stream_options",
              "previous_response_id", "delay", "chunk", "frame", "pitfall", "heartbeat", "error_at", "stall"]
MESSAGES = st.lists(st.fixed_dictionaries({"role": st.sampled_from(["user", "assistant", "system", "robot"]),
                                           "content": JSON_VALUES | st.text(max_size=10)}), max_size=3)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.sampled_from(["/v1/chat/completions", "/v1/responses", "/v1/messages", "/api/relay"]),
       body=st.dictionaries(st.sampled_from(API_FIELDS), JSON_VALUES | MESSAGES))
def test_no_api_body_causes_a_5xx(client: FlaskClient, path: str, body: dict[str, object]) -> None:
    """Whatever the JSON, the real APIs' endpoints answer a 4xx in their shape, or stream to the end.
    (drop_after and fail are left out: a cut connection and a 5xx are what they ask for.)"""
    response = client.post(path, json={"delay": 0, **body})
    if path == "/api/relay" and response.status_code == 502:
        return  # the test client has no socket: the relay finds no server of its own to ask
    assert response.status_code < 500, response.get_data(as_text=True)
    if response.status_code >= 400:
        error = response.json["error"]
        assert error["message"] if path != "/v1/messages" else error["type"]
    else:
        response.get_data()
