"""StreamLab: a Flask app that plays the LLM and streams its reply as Server-Sent Events.

Run it with `flask run` (one student) or `gunicorn` (a classroom; see gunicorn.conf.py).
"""

from collections.abc import Mapping

from flask import Flask

from streamlab.streams import RealClock
from web import anthropic, cli, course, errors, lessons, openai, pages, relay, responses, streams

DEFAULTS: dict[str, object] = {
    "MAX_CONTENT_LENGTH": 1024 * 1024,  # bytes of request body; history can be long
    "MAX_BODY_SECONDS": 10,  # the longest a client may take to send its body; a real one takes ms
    "STREAM_CLOCK": RealClock(),
    "MAX_OPEN_STREAMS": 3000,  # above this a new stream gets 503 + Retry-After; measured in the README
    "MAX_STREAM_SECONDS": 600,  # the longest stream a request may ask for
    "OPEN_STREAMS_FILE": None,  # set by gunicorn.conf.py so all workers share one count
    "OPEN_STREAMS_SLOT": 0,
    "UPSTREAM_URL": None,  # the relay's upstream, an OpenAI-compatible base URL ending in /v1; None: StreamLab itself
    "UPSTREAM_MODEL": None,  # the model to ask for there (needed with UPSTREAM_URL)
    "UPSTREAM_API_KEY": None,  # sent upstream as Authorization: Bearer; it never reaches the browser
}


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
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= least:
            raise ConfigError(f"FLASK_{name} must be a number of at least {least:g}, "
                              f"written without separators (got {value!r})")
    url = config["UPSTREAM_URL"]
    if url is not None and (not isinstance(url, str) or not url.startswith(("http://", "https://"))):
        raise ConfigError(f"FLASK_UPSTREAM_URL must be an http:// or https:// base URL, such as "
                          f"https://api.deepseek.com/v1 (got {url!r})")
    if url is not None and not (isinstance(config["UPSTREAM_MODEL"], str) and config["UPSTREAM_MODEL"]):
        raise ConfigError("FLASK_UPSTREAM_MODEL must name the model to ask for at FLASK_UPSTREAM_URL")


def create_app(test_config: Mapping[str, object] | None = None) -> Flask:
    """Build the app: defaults, then FLASK_* environment variables, then the test's config."""
    app = Flask(__name__)
    app.config.from_mapping(DEFAULTS)
    app.config.from_prefixed_env()
    if test_config is not None:
        app.config.from_mapping(test_config)
    check_config(app.config)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]  # JSON answers keep Chinese and emoji as UTF-8
    errors.register(app)
    responses.init_app(app)
    relay.init_app(app)
    app.register_blueprint(streams.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(lessons.bp)
    app.register_blueprint(openai.bp)
    app.register_blueprint(anthropic.bp)
    app.register_blueprint(relay.bp)
    cli.register(app)
    course.register(app)
    return app
