"""The fixtures every layer of tests uses, as a pytest plugin: tests/ and the lessons' graders load it.

    pytest_plugins = ["tests.fixtures"]

`client` is the Flask test client on a fake clock (a 100 ms stream runs at full speed); `server`
runs each real-server test under gunicorn + gevent and under `flask run`.
"""

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from streamlab.streams import FakeClock
from tests.servers import Server, start_server


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def app(clock: FakeClock) -> Flask:
    return create_app({"TESTING": True, "STREAM_CLOCK": clock})


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture(scope="session")
def gunicorn_server() -> Iterator[Server]:
    with start_server("gunicorn") as server:
        yield server


@pytest.fixture(scope="session")
def flask_server() -> Iterator[Server]:
    with start_server("flask") as server:
        yield server


@pytest.fixture(params=["gunicorn", "flask"])
def server(request: pytest.FixtureRequest) -> Server:
    """Each real-server test runs under gunicorn + gevent and under `flask run`."""
    server: Server = request.getfixturevalue(f"{request.param}_server")
    return server
