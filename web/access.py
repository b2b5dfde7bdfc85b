"""Who may stream: the class access token, and the origins whose pages may call StreamLab.

FLASK_ACCESS_TOKEN, when set, keeps every stream, API and relay endpoint for those who have it. It
may come as `Authorization: Bearer TOKEN` (fetch, the OpenAI SDKs), `x-api-key: TOKEN` (the
Anthropic SDK), `?token=TOKEN` (EventSource, which cannot send headers) or the HttpOnly cookie the
page gets from POST /api/token after asking for it once. It is compared in constant time. Without
it: 401, in the shape of the API asked. The pages, the lessons, /healthz and static files stay open.

FLASK_CORS_ORIGINS (a comma list, or *) lets pages on those origins call the same endpoints,
preflight included; any other origin gets no CORS header, so its browser refuses. None by default.
Listed origins may send the cookie too; with * (any page at all) only the token in a header or the URL.
"""

import hmac

from flask import Blueprint, Flask, Response, current_app, request
from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import Unauthorized

from streamlab.errors import InputError
from web.inputs import json_body

bp = Blueprint("access", __name__)

COOKIE = "streamlab_token"
# The endpoints a token guards: every one that streams or answers as an API (blueprint names).
GUARDED = {"streams", "openai", "anthropic", "relay"}
OPEN = {"streams.healthz"}
# What a cross-origin page may send: JSON bodies, the token, resuming, and the SDKs' own headers.
ALLOWED_HEADERS = ("Content-Type, Authorization, Last-Event-ID, x-api-key, anthropic-version, "
                   "X-Stainless-Retry-Count, X-Stainless-Timeout")


def guarded() -> bool:
    return request.blueprint in GUARDED and request.endpoint not in OPEN


def presented() -> str | None:
    """The token the request carries, wherever it carries it."""
    kind, _, value = request.headers.get("Authorization", "").partition(" ")
    if kind.lower() == "bearer" and value:
        return value.strip()
    return request.headers.get("x-api-key") or request.args.get("token") or request.cookies.get(COOKIE)


def matches(given: str | None, token: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), token.encode())


def check_token() -> None:
    """Refuse a guarded request without the class's token (a preflight carries none: it passes)."""
    token = current_app.config["ACCESS_TOKEN"]
    if token is None or request.method == "OPTIONS" or not guarded():
        return
    if not matches(presented(), token):
        raise Unauthorized("this StreamLab needs the class's access token: send it as Authorization: Bearer TOKEN "
                           "(or ?token=TOKEN for EventSource), or enter it on the classroom page",
                           www_authenticate=WWWAuthenticate("Bearer"))


def origin_allowed() -> str | None:
    """What to name in Access-Control-Allow-Origin, if this origin may call StreamLab: the origin
    itself when it is listed, or * when any origin may."""
    origin, allowed = request.headers.get("Origin"), current_app.config["CORS_ORIGINS"]
    if origin is None or not allowed or not (guarded() or request.blueprint == "access"):
        return None
    if "*" in allowed:
        return "*"
    return origin if origin in allowed else None


def preflight() -> Response | None:
    """Answer a CORS preflight (OPTIONS with Access-Control-Request-Method) for an allowed origin."""
    if request.method != "OPTIONS" or "Access-Control-Request-Method" not in request.headers:
        return None
    if origin_allowed() is None:
        return Response(status=204)  # no CORS headers: the browser refuses the request it asked about
    return Response(status=204, headers={"Access-Control-Allow-Methods": "GET, POST, OPTIONS",
                                         "Access-Control-Allow-Headers": ALLOWED_HEADERS,
                                         "Access-Control-Max-Age": "600"})


def add_cors(response: Response) -> Response:
    """Name an allowed origin on every guarded answer, errors included, so its page can read them."""
    origin = origin_allowed()
    if origin is not None:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.vary.add("Origin")
    if origin not in (None, "*"):
        # A listed origin's page may send the token's cookie along (fetch credentials: "include",
        # EventSource withCredentials). Any page at all may not: with *, the token goes in a header
        # or in the URL, so no site can spend a signed-in student's cookie.
        response.headers["Access-Control-Allow-Credentials"] = "true"
    return response


def init_app(app: Flask) -> None:
    """Guard every request (app.py has checked the settings)."""
    app.before_request(preflight)
    app.before_request(check_token)
    app.after_request(add_cors)


@bp.get("/api/token")
def token_status() -> Response:
    """204 when this browser may stream (no token needed, or its cookie holds the token), else 401:
    the page asks once, on load."""
    token = current_app.config["ACCESS_TOKEN"]
    if token is not None and not matches(presented(), token):
        raise Unauthorized("this StreamLab needs the class's access token", www_authenticate=WWWAuthenticate("Bearer"))
    return Response(status=204)


@bp.post("/api/token")
def sign_in() -> Response:
    """{"token": ...}: the page sends what the student typed, and gets it back as an HttpOnly cookie,
    which every later request of this browser carries (EventSource included)."""
    token = current_app.config["ACCESS_TOKEN"]
    given = json_body(request).get("token")
    if token is None:
        return Response(status=204)  # nothing to sign in to
    if not isinstance(given, str) or not matches(given, token):
        raise InputError("token", "that is not this class's access token", 401)
    response = Response(status=204)
    response.set_cookie(COOKIE, token, httponly=True, samesite="Strict", secure=request.is_secure, max_age=12 * 3600)
    return response
