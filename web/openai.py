"""OpenAI's API, as the official SDKs call it: POST /v1/chat/completions, POST /v1/responses and
GET /v1/models.

Point an SDK's base_url at http://127.0.0.1:5000/v1 with any API key. The reply, its pacing and
the faults come from the streaming core; streamlab/dialects/ says what the bytes look like.
Errors keep OpenAI's shape: {"error": {"message", "type", "param", "code"}}.
"""

import secrets
import time

from flask import Blueprint, Response, jsonify, request

from streamlab.dialects.openai import ChatCompletionFraming, completion, models, parse_chat
from streamlab.dialects.responses import ResponsesFraming, completed, parse_response_request
from streamlab.models import MODELS, reply
from streamlab.streams import resume_point
from web import errors
from web.inputs import json_body
from web.responses import answer_whole, event_stream

bp = Blueprint("openai", __name__, url_prefix="/v1")

ERROR_TYPES = {404: "not_found_error", 429: "rate_limit_exceeded", 503: "service_unavailable"}


def openai_shape(message: str, status: int, param: str | None) -> dict[str, object]:
    kind = ERROR_TYPES.get(status, "server_error" if status >= 500 else "invalid_request_error")
    return {"error": {"message": message, "type": kind, "param": param, "code": None}}


errors.install(bp, openai_shape)


@bp.post("/chat/completions")
def chat_completions() -> Response:
    """Answer a Chat Completions request: chat.completion.chunk frames, or one chat.completion."""
    chat = parse_chat(json_body(request))
    answer = reply(chat.conversation, chat.options.model, chat.options.chunk)
    completion_id, created = f"chatcmpl-{secrets.token_hex(12)}", int(time.time())
    if not chat.stream:
        answer_whole(answer, chat.options)  # waits as long as the stream would, counted as one
        return jsonify(completion(chat, answer, completion_id, created))
    framing = ChatCompletionFraming(completion_id, created, chat.model, chat.include_usage)
    # OpenAI's streams have no ids, and the SDKs never resume; StreamLab's relay does, with Last-Event-ID.
    return event_stream(answer, chat.options, resume_point(request.headers.get("Last-Event-ID"), None), framing)


@bp.post("/responses")
def responses() -> Response:
    """Answer a Responses request: response.* events, or one completed response."""
    asked = parse_response_request(json_body(request))
    answer = reply(asked.conversation, asked.options.model, asked.options.chunk)
    response_id, created = f"resp_{secrets.token_hex(12)}", int(time.time())
    if not asked.stream:
        answer_whole(answer, asked.options)
        return jsonify(completed(asked, answer, response_id, created))
    return event_stream(answer, asked.options, 0, ResponsesFraming(response_id, created, asked.model, answer))


@bp.get("/models")
def list_models() -> Response:
    """The models the SDKs can list; any other name is answered too (by the tutor)."""
    return jsonify(models(list(MODELS), int(time.time())))
