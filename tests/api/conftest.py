"""Fixtures for the HTTP API tests: a server on a temporary model store, and model factories.

    def test_something(client, make_model):
        make_model("m", architecture="lstm")
        assert client.get("/api/models/m").status_code == 200

`client` runs the app's lifespan (store, device, job registry) for real; every
test gets its own empty store under tmp_path. `make_client(**overrides)` gives
a second client whose Settings differ (small limits, say). TestClient sends
`Host: testserver`, which the server answers only when allowed, so test
settings list it in allowed_hosts (TEST_HOSTS); the default stays loopback only.
"""

from __future__ import annotations

from contextlib import ExitStack

import pytest
from fastapi.testclient import TestClient

from app.api.jobs.registry import QueueHold
from app.core.store import ModelStore
from app.main import create_app
from app.settings import Settings

# The Host name TestClient sends; app/api/security.py refuses it unless allowed.
TEST_HOSTS = ("testserver",)


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings.from_env(models_dir=tmp_path / "models", allowed_hosts=TEST_HOSTS)


@pytest.fixture
def client(settings):
    app = create_app(settings)
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def store(client) -> ModelStore:
    """The store the running app uses (for arranging files a client could not create)."""
    return client.app.state.store


@pytest.fixture
def make_client(tmp_path):
    """make_client(**settings_overrides) -> a started TestClient on its own store."""
    with ExitStack() as stack:
        made = 0

        def make(**overrides) -> TestClient:
            nonlocal made
            made += 1
            overrides.setdefault("models_dir", tmp_path / f"models-{made}")
            overrides.setdefault("allowed_hosts", TEST_HOSTS)
            app = create_app(Settings.from_env(**overrides))
            return stack.enter_context(TestClient(app))

        yield make


def create_model(
    client: TestClient, name: str = "m", architecture: str = "elman", task: str = "reber", hidden_size: int = 8, **extra
) -> dict:
    """POST /api/models and return the created model's detail; fails the test on anything but 201."""
    body = {"name": name, "architecture": architecture, "task": task, "hidden_size": hidden_size, **extra}
    response = client.post("/api/models", json=body)
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture
def make_model(client):
    """make_model(name="m", architecture="elman", task="reber", hidden_size=8, **extra) -> detail dict."""

    def make(name: str = "m", architecture: str = "elman", task: str = "reber", hidden_size: int = 8, **extra) -> dict:
        return create_model(client, name, architecture, task, hidden_size, **extra)

    return make


@pytest.fixture
def held_jobs(client) -> QueueHold:
    """The client's jobs stay queued (their runs not started) until the test calls set(), so
    a test can look at a job, or connect to it, before its first step however fast it trains.
    (Runs train in worker processes, where a monkeypatch here would not reach.)"""
    hold = client.app.state.jobs.hold()
    yield hold
    hold.set()
