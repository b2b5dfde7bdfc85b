"""The class access token and CORS (web/access.py): who may stream, and which pages may ask."""

import os
import subprocess
import sys
from collections.abc import Iterator

import httpx
import openai
import pytest
from flask import Flask
from flask.testing import FlaskClient
from playwright.sync_api import Page, expect

from app import ConfigError, create_app
from streamlab.streams import FakeClock
from tests.browser import open_classroom, send, text_of, wait_finished
from tests.servers import ROOT, Server, fetch, start_server

TOKEN = "river-7-lantern"
ECHO = "/stream?prompt=Hi&model=echo&delay=0"


@pytest.fixture
def app() -> Flask:
    return create_app({"TESTING": True, "STREAM_CLOCK": FakeClock(), "ACCESS_TOKEN": TOKEN,
                       "CORS_ORIGINS": "https://class.example, http://localhost:8000/"})


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", ECHO, None),
        ("POST", "/api/chat", {"message": "Hi", "model": "echo", "delay": 0}),
        ("GET", "/relay?prompt=Hi", None),
        ("POST", "/api/relay", {"message": "Hi"}),
        ("POST", "/v1/chat/completions", {"model": "echo", "messages": [{"role": "user", "content": "Hi"}]}),
        ("POST", "/v1/responses", {"model": "echo", "input": "Hi"}),
        ("POST", "/v1/messages", {"model": "echo", "max_tokens": 5, "messages": [{"role": "user", "content": "Hi"}]}),
        ("GET", "/v1/models", None),
    ],
)
def test_every_stream_and_api_endpoint_needs_the_token(client: FlaskClient, method: str, path: str, body: object) -> None:
    wrong_ways: tuple[dict[str, str], ...] = ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"}, {"x-api-key": "wrong"},
                  {"Cookie": "streamlab_token=wrong"})
    for headers in wrong_ways:
        refused = client.open(path, method=method, json=body, headers=headers)
        assert refused.status_code == 401 and refused.headers["WWW-Authenticate"] == "Bearer"
        text = refused.get_data(as_text=True)
        assert "access token" in text and TOKEN not in text
    wrong_url = path + ("&" if "?" in path else "?") + "token=wrong"
    assert client.open(wrong_url, method=method, json=body).status_code == 401
    if path.startswith("/v1/messages"):
        assert refused.json["error"]["type"] == "authentication_error"  # Anthropic's shape
    elif path.startswith("/v1"):
        assert refused.json["error"]["param"] == "token"  # OpenAI's
    else:
        assert refused.json["error"]["field"] == "token"  # StreamLab's


def test_the_token_may_come_in_each_way_a_client_can_send_it(client: FlaskClient) -> None:
    assert client.get(ECHO, headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200  # fetch, OpenAI SDKs
    assert client.get(ECHO + f"&token={TOKEN}").status_code == 200  # EventSource
    body = {"model": "echo", "max_tokens": 5, "messages": [{"role": "user", "content": "Hi"}]}
    assert client.post("/v1/messages", json=body, headers={"x-api-key": TOKEN}).status_code == 200  # Anthropic SDK
    assert client.get("/api/token").status_code == 401  # the page asks once...
    assert client.post("/api/token", json={"token": "guess"}).status_code == 401
    signed_in = client.post("/api/token", json={"token": TOKEN})  # ...and gets a cookie
    assert signed_in.status_code == 204
    cookie = signed_in.headers["Set-Cookie"]
    assert cookie.startswith("streamlab_token=") and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert client.get("/api/token").status_code == 204 and client.get(ECHO).status_code == 200


@pytest.mark.parametrize("path", ["/healthz", "/", "/lessons", "/static/js/main.js", "/lessons/03-sse-wire-format"])
def test_pages_lessons_health_and_static_files_stay_open(client: FlaskClient, path: str) -> None:
    assert client.get(path).status_code == 200


def test_allowed_origins_get_cors_headers_and_others_none(client: FlaskClient) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    for origin in ("https://class.example", "http://localhost:8000"):
        answer = client.get(ECHO, headers={"Origin": origin, **auth})
        assert answer.headers["Access-Control-Allow-Origin"] == origin and "Origin" in answer.headers["Vary"]
        assert answer.headers["Access-Control-Allow-Credentials"] == "true"
        refused = client.get(ECHO, headers={"Origin": origin})  # a 401 too, so the page can read why
        assert refused.status_code == 401 and refused.headers["Access-Control-Allow-Origin"] == origin
    other = client.get(ECHO, headers={"Origin": "https://elsewhere.example", **auth})
    assert "Access-Control-Allow-Origin" not in other.headers
    assert "Access-Control-Allow-Origin" not in client.get("/healthz", headers={"Origin": "https://class.example"}).headers


def test_a_preflight_is_answered_for_allowed_origins_only(client: FlaskClient) -> None:
    ask = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type, authorization"}
    allowed = client.options("/api/chat", headers={"Origin": "https://class.example", **ask})
    assert allowed.status_code == 204 and allowed.headers["Access-Control-Allow-Origin"] == "https://class.example"
    assert "POST" in allowed.headers["Access-Control-Allow-Methods"]
    assert {"content-type", "authorization", "last-event-id"} <= {
        name.strip().lower() for name in allowed.headers["Access-Control-Allow-Headers"].split(",")}
    refused = client.options("/api/chat", headers={"Origin": "https://elsewhere.example", **ask})
    assert refused.status_code == 204 and "Access-Control-Allow-Origin" not in refused.headers


def test_without_settings_nothing_changes() -> None:
    client = create_app({"TESTING": True, "STREAM_CLOCK": FakeClock()}).test_client()
    answer = client.get(ECHO, headers={"Origin": "https://class.example"})
    assert answer.status_code == 200 and "Access-Control-Allow-Origin" not in answer.headers
    assert client.get("/api/token").status_code == 204  # nothing to ask for


def test_any_origin_with_a_star_but_never_with_the_cookie() -> None:
    """With *, any page may call StreamLab, so none may spend a signed-in student's cookie: the
    browser sends credentials only when the answer allows them, which * never does."""
    client = create_app({"TESTING": True, "STREAM_CLOCK": FakeClock(), "CORS_ORIGINS": "*"}).test_client()
    answer = client.get(ECHO, headers={"Origin": "https://any.example"})
    assert answer.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in answer.headers


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({"ACCESS_TOKEN": "  "}, "FLASK_ACCESS_TOKEN"),
        ({"ACCESS_TOKEN": "课堂"}, "FLASK_ACCESS_TOKEN"),  # headers carry ASCII: the SDKs could not send it
        ({"ACCESS_TOKEN": "class 7"}, "FLASK_ACCESS_TOKEN"),
        ({"CORS_ORIGINS": "class.example"}, "FLASK_CORS_ORIGINS"),
        ({"CORS_ORIGINS": "https://class.example/page"}, "FLASK_CORS_ORIGINS"),
    ],
)
def test_settings_that_cannot_work_stop_the_start(settings: dict[str, object], named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        create_app({"TESTING": True, **settings})


def test_a_numeric_token_stays_the_text_the_teacher_typed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLASK_ACCESS_TOKEN", "0042")
    client = create_app({"TESTING": True, "STREAM_CLOCK": FakeClock()}).test_client()
    assert client.get(ECHO, headers={"Authorization": "Bearer 0042"}).status_code == 200


@pytest.fixture(scope="module")
def guarded_server() -> Iterator[Server]:
    with start_server("gunicorn", ["--workers", "1"], settings={"FLASK_ACCESS_TOKEN": TOKEN}) as server:
        yield server


def test_the_official_sdk_with_the_right_key_and_a_wrong_one(guarded_server: Server) -> None:
    def ask(key: str) -> str | None:
        client = openai.OpenAI(base_url=f"{guarded_server.url}/v1", api_key=key, max_retries=0)
        reply = client.chat.completions.create(model="echo", messages=[{"role": "user", "content": "ok"}],
                                               extra_body={"delay": 0})
        return reply.choices[0].message.content

    assert ask(TOKEN) == "ok"
    with pytest.raises(openai.AuthenticationError):
        ask("sk-not-the-token")


def test_the_relay_passes_the_token_to_itself(guarded_server: Server) -> None:
    relayed = fetch("GET", f"{guarded_server.url}/relay?prompt=Hi&model=echo&delay=0&token={TOKEN}")
    assert relayed.status == 200 and [m.data for m in relayed.chunks] == ["H", "i"]
    assert httpx.get(f"{guarded_server.url}/relay?prompt=Hi").status_code == 401


def test_the_page_asks_for_the_token_once_then_every_pane_streams(page: Page, guarded_server: Server) -> None:
    """In Chromium: the page asks, a wrong token is refused, the right one becomes an HttpOnly cookie
    (the page's script cannot read it), and then EventSource and fetch both stream."""
    open_classroom(page, guarded_server, ["transport:get,delay:10", "transport:post,delay:10"], prompt="ok 你好")
    sign_in = page.locator("#sign-in")
    expect(sign_in).to_be_visible()
    sign_in.locator("input[name=token]").fill("guess")
    sign_in.locator("button").click()
    expect(sign_in.locator("[data-role=token-error]")).to_have_text("That is not this class's token: ask your teacher.")
    sign_in.locator("input[name=token]").fill(TOKEN)
    sign_in.locator("button").click()
    expect(sign_in).to_be_hidden()
    assert page.evaluate("document.cookie") == ""  # HttpOnly: no script can take it
    send(page)
    wait_finished(page)
    assert text_of(page, 0) == text_of(page, 1) == "ok 你好"


def test_flask_chat_sends_the_token(guarded_server: Server) -> None:
    command = [sys.executable, "-m", "flask", "chat", "--url", guarded_server.url, "--model", "echo", "--delay", "0", "Hi"]
    refused = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert refused.returncode == 1 and "access token" in refused.stderr and "(field: token)" in refused.stderr
    env = {**os.environ, "STREAMLAB_TOKEN": TOKEN}
    answered = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60, env=env)
    assert (answered.returncode, answered.stdout) == (0, "Hi\n")
