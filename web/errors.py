"""Every error leaves as JSON, never a traceback, in the shape of the API the client called.

StreamLab's own endpoints answer {"error": {"message": ..., "field": ...}}; the OpenAI and
Anthropic endpoints answer in their provider's shape (a Shape below, installed on their blueprint),
so the official SDKs raise their own exception types with the message and field in them.
"""

import json
from collections.abc import Callable

from flask import Blueprint, Flask, Response
from werkzeug.exceptions import HTTPException, InternalServerError, RequestEntityTooLarge, Unauthorized

from streamlab.errors import InputError, SimulatedFailure

# An API's error body, from the message, the HTTP status, and the field at fault (if any).
Shape = Callable[[str, int, str | None], dict[str, object]]


def streamlab_shape(message: str, status: int, field: str | None) -> dict[str, object]:
    return {"error": {"message": message, "field": field}}


def json_error(shape: Shape, message: str, status: int, field: str | None) -> Response:
    # ensure_ascii=False: a message quoting a Chinese prompt stays readable
    return Response(json.dumps(shape(message, status, field), ensure_ascii=False), status,
                    content_type="application/json")


def install(target: Flask | Blueprint, shape: Shape) -> None:
    """Answer bad input, HTTP errors and the fault `fail` on target (an app or a blueprint) in shape."""

    def input_error(error: InputError) -> Response:
        return json_error(shape, error.message, error.status, error.field)

    def http_error(error: HTTPException) -> Response:
        # Keep Werkzeug's status and the headers that tell the client when, or how, to ask again.
        field = {RequestEntityTooLarge: "body", Unauthorized: "token"}.get(type(error))
        response = json_error(shape, error.description or error.name, error.code or 500, field)
        for name in ("Retry-After", "Allow", "WWW-Authenticate"):
            if name in error.get_response().headers:
                response.headers[name] = error.get_response().headers[name]
        return response

    def failure(error: SimulatedFailure) -> Response:
        response = json_error(shape, error.message, error.status, "fail")
        if error.retry_after is not None:
            response.headers["Retry-After"] = str(error.retry_after)
        return response

    target.register_error_handler(InputError, input_error)
    target.register_error_handler(HTTPException, http_error)
    target.register_error_handler(InternalServerError, http_error)
    target.register_error_handler(SimulatedFailure, failure)


def register(app: Flask) -> None:
    """Install StreamLab's own error shape on app."""
    install(app, streamlab_shape)
