"""A classroom server for the API tests: classroom mode on, a demo model, browsers that visit it.

with open_classroom(tmp_path) as classroom:
    alice = classroom.browser()          # opened the page: a workspace cookie of its own
    teacher = classroom.browser(TOKEN)   # opened the teacher's URL: the teacher's cookie
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from fastapi import FastAPI
from starlette.testclient import TestClient

from app.core.models import create_model
from app.main import create_app
from app.settings import Settings
from tests.api.conftest import TEST_HOSTS

TOKEN = "the-teachers-token-for-tests"
MODEL = {"architecture": "elman", "task": "reber", "hidden_size": 4}


def names(rows) -> list[str]:
    """The names of a listing (API rows or store entries)."""
    return [row["name"] if isinstance(row, dict) else row.name for row in rows]


@dataclass
class Classroom:
    app: FastAPI

    def browser(self, token: str | None = None) -> TestClient:
        """A new browser that has opened the page (a student), or the teacher's URL (token)."""
        client = TestClient(self.app, follow_redirects=False)
        response = client.get("/" if token is None else f"/?token={token}")
        assert response.status_code in (200, 303), response.text
        return client


@contextmanager
def open_classroom(tmp_path, **overrides) -> Iterator[Classroom]:
    """A started classroom server on tmp_path whose shared store holds the demo model "demo"."""
    settings = Settings.from_env(
        models_dir=tmp_path / "classroom-models",
        allowed_hosts=TEST_HOSTS,
        classroom="on",
        classroom_token=TOKEN,
        workspace_max_models=3,
        workspace_max_jobs=1,
        **overrides,
    )
    app = create_app(settings)
    with TestClient(app):  # runs the lifespan: the store, the workspaces, the job registry
        create_model(app.state.store, name="demo", architecture="elman", task_id="reber", hidden_size=4)
        yield Classroom(app)
