"""Anthropic's API, as the official SDKs call it: POST /v1/messages.

Point an SDK's base_url at http://127.0.0.1:5000 (the SDK adds /v1) with any API key: it may come
as x-api-key or Authorization: Bearer, and any anthropic-version (or none) is accepted. Errors
keep Anthropic's shape: {"type": "error", "error": {"type", "message"}}.
"""

import secrets

from flask import Blueprint, Response, jsonify, request

from streamlab.dialects.anthropic import MessagesFraming, parse_messages, whole_message
from streamlab.models import reply
from web import errors
from web.inputs import json_body
from web.responses import answer_whole, event_stream

bp = Blueprint("anthropic", __name__, url_prefix="/v1")

ERROR_TYPES = {401: "authentication_error", 403: "permission_error", 404: "not_found_error",
               413: "request_too_large", 429: "rate_limit_error", 500: "api_error", 529: "overloaded_error"}


def anthropic_shape(message: str, status: int, field: str | None) -> dict[str, object]:
    kind = ERROR_TYPES.get(status, "api_error" if status >= 500 else "invalid_request_error")
    named = message if field is None or field in message else f"{field}: {message}"  # as Anthropic names it
    return {"type": "error", "error": {"type": kind, "message": named}}


errors.install(bp, anthropic_shape)


@bp.post("/messages")
def messages() -> Response:
    """Answer a Messages request: Anthropic's named events, or one message."""
    asked = parse_messages(json_body(request))
    answer = reply(asked.conversation, asked.options.model, asked.options.chunk)
    message_id = f"msg_{secrets.token_hex(12)}"
    if not asked.stream:
        answer_whole(answer, asked.options)
        return jsonify(whole_message(asked, answer, message_id))
    return event_stream(answer, asked.options, 0, MessagesFraming(message_id, asked.model, answer.usage))
