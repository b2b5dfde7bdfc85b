"""Fixtures: an app on a fake clock for the test client, and real servers on free ports."""

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from tests.servers import Server, start_server


class FakeClock:
    """A clock that moves only when slept on, so a 100 ms stream runs at full speed."""

    def __init__(self, oversleep: float = 0.0) -> None:
        self.time = 0.0
        self.oversleep = oversleep  # seconds added to every sleep, like a busy machine

    def now(self) -> float:
        return self.time

    def sleep(self, seconds: float) -> None:
        self.time += seconds + self.oversleep


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
    return request.getfixturevalue(f"{request.param}_server")
