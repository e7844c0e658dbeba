"""pytest fixtures shared by the tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import FIXTURES


@pytest.fixture
def fixtures() -> Path:
    """The reference files written by TensorFlow, pyarrow and Pillow."""
    if not FIXTURES.exists():
        pytest.skip("the shared fixtures are not beside this checkout")
    return FIXTURES


@pytest.fixture
def python_maps():
    """Runs map functions as Python for one test (they would otherwise be traced when they
    can be, which calls them once with symbolic tensors)."""
    import ferroflow as ff

    before = ff.data.experimental.map_tracing()
    ff.data.experimental.set_map_tracing("python")
    yield
    ff.data.experimental.set_map_tracing(before)


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    """An S3-compatible server (SeaweedFS) on loopback, for the whole run."""
    from object_store_server import S3Server

    running = S3Server(tmp_path_factory.mktemp("seaweedfs"))
    yield running
    running.stop()


@pytest.fixture
def s3(s3_server, monkeypatch):
    """The server, with the environment variables that point clients at it."""
    for key, value in s3_server.environment().items():
        monkeypatch.setenv(key, value)
    return s3_server


@pytest.fixture
def proxy(s3, monkeypatch):
    """Starts a ``FaultyProxy`` in front of the S3 server (``proxy(fail_first, only,
    cut_first)``) and points clients at it; every one started is stopped after the test."""
    from object_store_server import FaultyProxy

    def through(fail_first=0, only=None, cut_first=0):
        made = FaultyProxy(s3.endpoint, fail_first, only, cut_first)
        monkeypatch.setenv("AWS_ENDPOINT_URL", made.endpoint)
        started.append(made)
        return made

    started = []
    yield through
    for made in started:
        made.stop()


@pytest.fixture(scope="session")
def gcs_server(tmp_path_factory):
    """A server of Google Cloud Storage's API (fake-gcs-server) on loopback, for the whole
    run."""
    from object_store_server import GcsServer

    running = GcsServer(tmp_path_factory.mktemp("gcs"))
    yield running
    running.stop()


@pytest.fixture(params=["s3", "gcs"])
def store(request, monkeypatch):
    """Each object-store server in turn, with the environment variables that point clients
    at it."""
    server = request.getfixturevalue(f"{request.param}_server")
    for key, value in server.environment().items():
        monkeypatch.setenv(key, value)
    return server
