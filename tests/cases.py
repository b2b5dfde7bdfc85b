"""Cases shared by several layers of tests (and by the lessons' graders): one table, many checks."""

import pytest

# Text that trips every naive step: CJK, emoji with a modifier, CRLF, a blank line, leading
# spaces, sentence ends in two scripts.
TRICKY = "Hi 你好，世界 🙂👍🏽\r\nline 2\n\n  end. Next? 好。"


def normalise(text: str) -> str:
    """What a client makes of a plain frame's text: CR and CRLF both become LF."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


JSON = {"Content-Type": "application/json"}

BAD_REQUESTS = [
    pytest.param("GET", "/stream", {}, None, 400, "prompt", id="get-missing-prompt"),
    pytest.param("GET", "/stream?prompt=", {}, None, 400, "prompt", id="get-empty-prompt"),
    pytest.param("GET", "/stream?prompt=" + "a" * 4001, {}, None, 400, "prompt", id="get-long-prompt"),
    pytest.param("GET", "/stream?prompt=%FF", {}, None, 400, "prompt", id="get-invalid-utf8"),
    pytest.param("GET", "/stream?prompt=%ED%A0%80", {}, None, 400, "prompt", id="get-encoded-surrogate"),
    pytest.param("GET", "/stream?prompt=hi&%FF=1", {}, None, 400, "query", id="get-invalid-utf8-name"),
    pytest.param("GET", "/stream?prompt=hi&frame=xml", {}, None, 400, "frame", id="get-unknown-frame"),
    pytest.param("GET", "/stream?prompt=hi&delay=-5", {}, None, 400, "delay", id="get-negative-delay"),
    pytest.param("GET", "/stream?prompt=hi&heartbeat=abc", {}, None, 400, "heartbeat", id="get-bad-heartbeat"),
    pytest.param("GET", "/stream?prompt=hi&pitfall=no-blank-lines", {}, None, 400, "pitfall", id="get-unknown-pitfall"),
    pytest.param("GET", "/stream?prompt=hi&split=yes", {}, None, 400, "split", id="get-unknown-split"),
    pytest.param("GET", "/stream?prompt=hi&newline=CRLF", {}, None, 400, "newline", id="get-unknown-newline"),
    pytest.param("GET", "/stream?prompt=hi&fail=200", {}, None, 400, "fail", id="get-fail-not-an-error"),
    pytest.param("GET", "/stream?prompt=hi&fail=429&fail_times=0", {}, None, 400, "fail_times", id="get-fail-times-zero"),
    pytest.param("POST", "/api/chat", {"Content-Type": "text/plain"}, b'{"message": "hi"}', 415, "Content-Type", id="wrong-content-type"),
    pytest.param("POST", "/api/chat", {}, b'{"message": "hi"}', 415, "Content-Type", id="no-content-type"),
    pytest.param("POST", "/api/chat", JSON, b"", 400, "body", id="empty-body"),
    pytest.param("POST", "/api/chat", JSON, b'{"message": "hi"', 400, "body", id="malformed-json"),
    pytest.param("POST", "/api/chat", JSON, b'{"message": "\xff"}', 400, "body", id="invalid-utf8-body"),
    pytest.param("POST", "/api/chat", JSON, b"[" * 100_000, 400, "body", id="deeply-nested"),
    pytest.param("POST", "/api/chat", JSON, b'["hi"]', 400, "body", id="not-an-object"),
    pytest.param("POST", "/api/chat", JSON, b'{"message": ["hi"]}', 400, "message", id="message-not-a-string"),
    pytest.param("POST", "/api/chat", JSON, b'{"message": "\\ud800"}', 400, "message", id="lone-surrogate"),
    pytest.param("POST", "/api/chat", JSON, b'{"message": "hi", "history": {}}', 400, "history", id="history-not-a-list"),
    pytest.param("POST", "/api/chat", JSON, b'{"message": "hi", "history": [{"role": "x", "content": ""}]}', 400, "history[0].role", id="history-bad-role"),
    pytest.param("POST", "/api/chat", JSON, b'{"message": "hi", "stream": "no"}', 400, "stream", id="stream-not-a-bool"),
    pytest.param("POST", "/api/chat", JSON, b'{"message": "hi", "delay": 1e400}', 400, "delay", id="delay-infinite"),
    pytest.param("POST", "/api/chat", JSON, b'{"message": "hi", "pitfall": true}', 400, "pitfall", id="pitfall-not-a-string"),
    pytest.param("POST", "/api/chat", JSON, b'{"message": "hi", "delay": ' + b"9" * 5000 + b"}", 400, "body", id="number-too-long-to-parse"),
    pytest.param("POST", "/api/chat", JSON, b'{"message": "' + b"a" * 2_000_000 + b'"}', 413, "body", id="body-too-large"),
    pytest.param("POST", "/stream", {}, None, 405, None, id="post-to-get-endpoint"),
    pytest.param("GET", "/api/chat", {}, None, 405, None, id="get-to-post-endpoint"),
    pytest.param("GET", "/nope", {}, None, 404, None, id="not-found"),
]
