"""StreamLab: a Flask app that plays the LLM and streams its reply as Server-Sent Events.

Run it with `flask run` (one student) or `gunicorn` (a classroom; see gunicorn.conf.py).
"""

import math
import os
from collections.abc import Mapping

from flask import Flask

from streamlab.streams import RealClock
from web import access, anthropic, cli, course, errors, lessons, openai, pages, relay, responses, streams

DEFAULTS: dict[str, object] = {
    "MAX_CONTENT_LENGTH": 1024 * 1024,  # bytes of request body; history can be long
    "MAX_BODY_SECONDS": 10,  # the longest a client may take to send its body; a real one takes ms
    "STREAM_CLOCK": RealClock(),
    "MAX_OPEN_STREAMS": 5000,  # above this a new stream gets 503 + Retry-After; measured in the README
    "MAX_STREAM_SECONDS": 600,  # the longest stream a request may ask for
    "OPEN_STREAMS_FILE": None,  # set by gunicorn.conf.py so all workers share one count
    "OPEN_STREAMS_SLOT": 0,
    "UPSTREAM_URL": None,  # the relay's upstream, an OpenAI-compatible base URL ending in /v1; None: StreamLab itself
    "UPSTREAM_MODEL": None,  # the model to ask for there (needed with UPSTREAM_URL)
    "UPSTREAM_API_KEY": None,  # sent upstream as Authorization: Bearer; it never reaches the browser
    "ACCESS_TOKEN": None,  # when set, streams need it (web/access.py)
    "CORS_ORIGINS": None,  # "*" or a comma list of origins whose pages may call StreamLab
}

# Settings that are text, read as written: from_prefixed_env() would turn a token 1234 into a number.
TEXT = ("UPSTREAM_URL", "UPSTREAM_MODEL", "UPSTREAM_API_KEY", "ACCESS_TOKEN", "CORS_ORIGINS")


# The settings that must be numbers, and the least each may be. from_prefixed_env() reads
# FLASK_MAX_OPEN_STREAMS=3000 as a number but "3,000" as text: refuse to start on that, naming
# the setting, rather than answer every stream with a 500 later.
NUMBERS: dict[str, float] = {
    "MAX_CONTENT_LENGTH": 1, "MAX_BODY_SECONDS": 0.1, "MAX_OPEN_STREAMS": 1, "MAX_STREAM_SECONDS": 1,
    "OPEN_STREAMS_SLOT": 0,
}


class ConfigError(ValueError):
    """A setting StreamLab cannot start with."""


def check_config(config: Mapping[str, object]) -> None:
    """Raise ConfigError naming the first setting that is not a number in its range."""
    for name, least in NUMBERS.items():
        value = config[name]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not least <= value < math.inf:
            raise ConfigError(f"FLASK_{name} must be a number of at least {least:g}, "
                              f"written without separators (got {value!r})")
    url = config["UPSTREAM_URL"]
    if url is not None and (not isinstance(url, str) or not url.startswith(("http://", "https://"))):
        raise ConfigError(f"FLASK_UPSTREAM_URL must be an http:// or https:// base URL, such as "
                          f"https://api.deepseek.com/v1 (got {url!r})")
    if url is not None and not (isinstance(config["UPSTREAM_MODEL"], str) and config["UPSTREAM_MODEL"]):
        raise ConfigError("FLASK_UPSTREAM_MODEL must name the model to ask for at FLASK_UPSTREAM_URL")
    token = config["ACCESS_TOKEN"]
    # It travels in HTTP headers, which carry ASCII: a token in Chinese could not be sent by the SDKs.
    if token is not None and (not isinstance(token, str) or not token.isascii() or not token.isprintable()
                              or not token or " " in token):
        raise ConfigError("FLASK_ACCESS_TOKEN must be one word the class can type: ASCII letters, digits and "
                          "punctuation, no spaces (it travels in HTTP headers, which carry ASCII)")
    origins = config["CORS_ORIGINS"]
    if origins is not None:
        for origin in cors_origins(origins):
            if origin != "*" and (not origin.startswith(("http://", "https://")) or origin.count("/") != 2):
                raise ConfigError(f"FLASK_CORS_ORIGINS must be * or a comma list of origins (a scheme and a host, "
                                  f"such as https://class.example or http://localhost:8000, no path); got {origin!r}")


def cors_origins(value: object) -> set[str]:
    """FLASK_CORS_ORIGINS as a set of origins ("*" alone means any)."""
    return {origin.strip().rstrip("/") for origin in str(value).split(",") if origin.strip()}


def create_app(test_config: Mapping[str, object] | None = None) -> Flask:
    """Build the app: defaults, then FLASK_* environment variables, then the test's config."""
    app = Flask(__name__)
    app.config.from_mapping(DEFAULTS)
    app.config.from_prefixed_env()
    app.config.from_mapping({name: os.environ[f"FLASK_{name}"] for name in TEXT if f"FLASK_{name}" in os.environ})
    if test_config is not None:
        app.config.from_mapping(test_config)
    check_config(app.config)
    if app.config["CORS_ORIGINS"] is not None:
        app.config["CORS_ORIGINS"] = cors_origins(app.config["CORS_ORIGINS"])
    app.json.ensure_ascii = False  # type: ignore[attr-defined]  # JSON answers keep Chinese and emoji as UTF-8
    errors.register(app)
    responses.init_app(app)
    relay.init_app(app)
    access.init_app(app)
    app.register_blueprint(streams.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(lessons.bp)
    app.register_blueprint(openai.bp)
    app.register_blueprint(anthropic.bp)
    app.register_blueprint(relay.bp)
    app.register_blueprint(access.bp)
    cli.register(app)
    course.register(app)
    return app
