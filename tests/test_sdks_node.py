"""The official JavaScript SDKs (npm `openai` 7 and 6, `@anthropic-ai/sdk`), unchanged, against a real
server (gunicorn + gevent and flask run): streaming helpers, whole replies, and each fault.

tests/sdk/run.mjs makes every call once per server and prints what each got; the tests below read it.
scripts/test installs the SDKs (`npm ci --prefix tests/sdk`).
"""

import json
import os
import subprocess

import pytest

from tests.cases import TRICKY
from tests.servers import ROOT, Server

SDK_DIR = ROOT / "tests" / "sdk"
OPENAI = ["openai", "openai6"]
results: dict[str, dict[str, dict[str, object]]] = {}  # per server: what each call got


@pytest.fixture
def got(server: Server) -> dict[str, dict[str, object]]:
    if server.name not in results:
        assert (SDK_DIR / "node_modules").is_dir(), "the npm SDKs are missing: run `npm ci --prefix tests/sdk`"
        run = subprocess.run(["node", str(SDK_DIR / "run.mjs"), server.url], capture_output=True, text=True,
                             timeout=120, env={**os.environ, "TRICKY": TRICKY})
        assert run.returncode == 0, run.stderr
        results[server.name] = json.loads(run.stdout)
    return results[server.name]


@pytest.mark.parametrize("sdk", OPENAI)
def test_openai_streams_exactly_with_its_usage(got: dict[str, dict[str, object]], sdk: str) -> None:
    chat, responses = got[f"{sdk}:chat-stream"], got[f"{sdk}:responses-stream"]
    assert chat["text"] == TRICKY and chat["final"] == {
        "content": TRICKY, "finish": "stop",
        "usage": {"prompt_tokens": len(TRICKY) - 1, "completion_tokens": len(TRICKY) - 1, "total_tokens": 2 * len(TRICKY) - 2}}
    assert responses["text"] == TRICKY
    final = responses["final"]
    assert isinstance(final, dict) and (final["content"], final["status"]) == (TRICKY, "completed")


@pytest.mark.parametrize("sdk", OPENAI)
def test_openai_whole_replies(got: dict[str, dict[str, object]], sdk: str) -> None:
    chat = got[f"{sdk}:chat-whole"]["final"]
    assert isinstance(chat, dict) and chat["model"] == "gpt-any" and "Server-Sent Events" in str(chat["content"])
    assert got[f"{sdk}:responses-whole"]["final"] == {"content": TRICKY, "status": "completed"}


def test_anthropic_streams_exactly_and_answers_whole(got: dict[str, dict[str, object]]) -> None:
    stream = got["anthropic:messages-stream"]
    assert stream["text"] == TRICKY and stream["final"] == {
        "content": TRICKY, "stop": "end_turn", "usage": {"input_tokens": len(TRICKY) - 1, "output_tokens": len(TRICKY) - 1}}
    whole = got["anthropic:messages-whole"]["final"]
    assert isinstance(whole, dict) and whole["model"] == "claude-any" and "Server-Sent Events" in str(whole["content"])


FAULTS = [
    # (call, text received first, error class, HTTP status, message contains)
    *[(f"{sdk}:{api}-error_at", "ab", "APIError", None, "simulated error at chunk 3")
      for sdk in OPENAI for api in ("chat", "responses")],
    *[(f"{sdk}:chat-fail", "", "RateLimitError", 429, "fail=429") for sdk in OPENAI],
    ("anthropic:messages-error_at", "ab", "APIError", None, "simulated error at chunk 3"),
    ("anthropic:messages-fail", "", "RateLimitError", 429, "rate_limit_error"),
]


def check_raised(outcome: dict[str, object], text: str, error: str, status: int | None, message: str) -> None:
    assert outcome["text"] == text and "final" not in outcome
    raised = outcome["error"]
    assert isinstance(raised, dict) and (raised["name"], raised["status"]) == (error, status)
    assert message in str(raised["message"])


@pytest.mark.parametrize(("call", "text", "error", "status", "message"), FAULTS, ids=[fault[0] for fault in FAULTS])
def test_each_fault_raises_the_sdks_own_error(
    got: dict[str, dict[str, object]], call: str, text: str, error: str, status: int | None, message: str
) -> None:
    check_raised(got[call], text, error, status, message)


@pytest.mark.parametrize("sdk", OPENAI)
def test_drop_after_is_a_broken_connection_not_a_whole_reply(
    server: Server, got: dict[str, dict[str, object]], sdk: str
) -> None:
    """Under gunicorn the body ends without its last chunk, and Node's fetch says "terminated".

    `flask run` always sends Connection: close, and Node's fetch then takes the end of the
    connection as the end of the body, incomplete chunks or not: the helpers see a stream that
    stopped early. The Chat helper still raises (no finish_reason); the Responses helper returns
    the response as it stood, status "in_progress", never "completed". (Python's SDKs raise
    under both servers: tests/test_openai.py, tests/test_anthropic.py.)
    """
    chat, responses = got[f"{sdk}:chat-drop_after"], got[f"{sdk}:responses-drop_after"]
    if server.name == "gunicorn":
        check_raised(chat, "ab", "OpenAIError", None, "terminated")
        check_raised(responses, "ab", "OpenAIError", None, "terminated")
    else:
        check_raised(chat, "ab", "OpenAIError", None, "missing finish_reason for choice 0")
        final = responses["final"]
        assert responses["text"] == "ab" and isinstance(final, dict) and final["status"] == "in_progress"


@pytest.mark.parametrize("sdk", OPENAI)
def test_a_for_await_loop_over_create_streams_exactly_and_a_cut_is_only_seen_under_gunicorn(
    server: Server, got: dict[str, dict[str, object]], sdk: str
) -> None:
    """The quickstart's loop over create({stream: true}). After a cut it raises under gunicorn (fetch's
    own TypeError, which the SDK passes on unwrapped); under flask run (see above) the loop just ends
    with half the reply, and only the missing finish_reason tells: the README says so."""
    assert got[f"{sdk}:chat-create-stream"] == {"text": TRICKY, "final": "ended"}
    cut = got[f"{sdk}:chat-create-drop_after"]
    if server.name == "gunicorn":
        check_raised(cut, "ab", "TypeError", None, "terminated")
    else:
        assert cut == {"text": "ab", "final": "ended"}


def test_drop_after_makes_the_anthropic_helper_raise(server: Server, got: dict[str, dict[str, object]]) -> None:
    """The same cut (see above): "terminated" under gunicorn, a stream that ended too soon under flask run."""
    message = "terminated" if server.name == "gunicorn" else "stream ended without producing a Message"
    check_raised(got["anthropic:messages-drop_after"], "ab", "AnthropicError", None, message)


@pytest.mark.parametrize("call", ["openai:chat-retry", "openai6:chat-retry", "anthropic:messages-retry"])
def test_a_429_is_retried_and_succeeds_once_the_fault_is_gone(got: dict[str, dict[str, object]], call: str) -> None:
    """fail_times=1 fails only the first attempt, so only a retry can succeed."""
    assert got[call]["text"] == "abcdef" and "error" not in got[call]
