"""Every error leaves as JSON: {"error": {"message": ..., "field": ...}}, never a traceback."""

import json

from flask import Flask
from werkzeug.exceptions import HTTPException, InternalServerError, RequestEntityTooLarge
from werkzeug.wrappers import Response

from streamlab.errors import InputError


def error_body(message: str, field: str | None) -> str:
    """Serialise the error shape every endpoint uses."""
    return json.dumps({"error": {"message": message, "field": field}})


def input_error(error: InputError) -> tuple[str, int, dict[str, str]]:
    """Answer bad input with its status and the field it came in."""
    return error_body(error.message, error.field), error.status, {"Content-Type": "application/json"}


def http_error(error: HTTPException) -> Response:
    """Keep Werkzeug's status and headers (such as Allow on a 405), with a JSON body."""
    response = error.get_response()
    field = "body" if isinstance(error, RequestEntityTooLarge) else None
    response.set_data(error_body(error.description or error.name, field))
    response.content_type = "application/json"
    return response


def register(app: Flask) -> None:
    """Install the JSON error handlers on app."""
    app.register_error_handler(InputError, input_error)
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(InternalServerError, http_error)
