"""OpenAI's API, as the official SDKs call it: POST /v1/chat/completions and GET /v1/models.

Point an SDK's base_url at http://127.0.0.1:5000/v1 with any API key. The reply, its pacing and
the faults come from the streaming core; streamlab/dialects/openai.py says what the bytes look like.
Errors keep OpenAI's shape: {"error": {"message", "type", "param", "code"}}.
"""

import json
import secrets
import time

from flask import Blueprint, Response, request
from werkzeug.exceptions import HTTPException

from streamlab.dialects.openai import ChatCompletionFraming, completion, models, parse_chat
from streamlab.errors import InputError
from streamlab.models import MODELS, reply
from web.inputs import json_body
from web.responses import answer_whole, event_stream

bp = Blueprint("openai", __name__, url_prefix="/v1")

ERROR_TYPES = {400: "invalid_request_error", 404: "not_found_error", 405: "invalid_request_error",
               408: "invalid_request_error", 413: "invalid_request_error", 414: "invalid_request_error",
               415: "invalid_request_error", 503: "service_unavailable"}


def openai_error(message: str, status: int, param: str | None) -> Response:
    kind = ERROR_TYPES.get(status, "server_error" if status >= 500 else "invalid_request_error")
    body = {"error": {"message": message, "type": kind, "param": param, "code": None}}
    return Response(json.dumps(body, ensure_ascii=False), status, content_type="application/json")


@bp.errorhandler(InputError)
def input_error(error: InputError) -> Response:
    return openai_error(error.message, error.status, error.field)


@bp.errorhandler(HTTPException)
def http_error(error: HTTPException) -> Response:
    response = openai_error(error.description or error.name, error.code or 500, None)
    for name in ("Retry-After", "Allow"):  # keep what tells the client when, or how, to ask again
        if name in error.get_response().headers:
            response.headers[name] = error.get_response().headers[name]
    return response


@bp.post("/chat/completions")
def chat_completions() -> Response:
    """Answer a Chat Completions request: chat.completion.chunk frames, or one chat.completion."""
    chat = parse_chat(json_body(request))
    answer = reply(chat.conversation, chat.options.model, chat.options.chunk)
    completion_id, created = f"chatcmpl-{secrets.token_hex(12)}", int(time.time())
    if not chat.stream:
        answer_whole(answer, chat.options)  # waits as long as the stream would, counted as one
        whole = completion(chat, answer, completion_id, created)
        return Response(json.dumps(whole, ensure_ascii=False), content_type="application/json")
    framing = ChatCompletionFraming(completion_id, created, chat.model, chat.include_usage)
    return event_stream(answer, chat.options, 0, framing)  # OpenAI's streams have no ids to resume from


@bp.get("/models")
def list_models() -> dict[str, object]:
    """The models both SDKs can list; any other name is answered too (by the tutor)."""
    return models(list(MODELS), int(time.time()))
