"""Health, architectures, tasks and task samples."""

from __future__ import annotations

import pytest

from app.core.architectures import ARCHITECTURES
from app.core.tasks import TASKS, is_reber


def test_health_names_the_device_and_torch(client):
    body = client.get("/api/health").json()
    assert body["status"] == "ok" and body["device"] in ("cpu", "cuda") and body["torch"]


def test_architectures_carry_equations_and_gates(client):
    body = {a["id"]: a for a in client.get("/api/architectures").json()}
    assert set(body) == set(ARCHITECTURES)
    assert body["lstm"]["gate_names"] == ["i", "f", "g", "o"] and body["lstm"]["has_cell_state"]
    assert body["gru"]["gate_names"] == ["r", "z", "n"]
    assert body["shortcut"]["shared_matrices"]["W_xy"] == "shortcut.weight"
    assert all(a["equations"] for a in body.values())


def test_tasks_list_symbols_options_and_modes(client):
    body = {t["id"]: t for t in client.get("/api/tasks").json()}
    assert set(body) == set(TASKS)
    assert body["reber"]["symbols"] == ["B", "T", "P", "S", "X", "V", "E"]
    assert body["adding"]["mode"] == "many_to_one" and body["adding"]["loss_kind"] == "mse"
    assert any(o["name"] == "lag" for o in body["copy"]["options_spec"])


def test_a_sample_is_seeded_and_follows_the_grammar(client):
    first = client.get("/api/tasks/reber/sample?seed=3").json()
    assert first == client.get("/api/tasks/reber/sample?seed=3").json()
    assert is_reber("".join(first["labels"]))
    assert len(first["x"]) == first["steps"] == len(first["loss_mask"])


def test_length_sets_the_tasks_length_option(client):
    body = client.get("/api/tasks/adding/sample?length=12&seed=1").json()
    assert 12 <= body["steps"] <= 13


@pytest.mark.parametrize(
    "url,needle",
    [
        ("/api/tasks/nope/sample", "nope"),
        ("/api/tasks/fluent/sample?length=5", "length"),
        ("/api/tasks/adding/sample?length=2", "length"),
        ("/api/tasks/reber/sample?seed=-1", "seed"),
    ],
)
def test_bad_sample_requests_say_why(client, url, needle):
    response = client.get(url)
    assert response.status_code == 422
    assert needle in response.json()["detail"]


def test_the_openapi_document_describes_every_field_and_error(client):
    doc = client.get("/openapi.json").json()
    for name, schema in doc["components"]["schemas"].items():
        if name in ("HTTPValidationError", "ValidationError"):
            continue  # FastAPI's own; our 422 body is ErrorOut
        for prop, spec in schema.get("properties", {}).items():
            assert spec.get("description"), f"{name}.{prop} has no description"
            assert "examples" in spec or "example" in spec, f"{name}.{prop} has no example"
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            if "{name}" in path or "{job_id}" in path:
                assert "404" in codes, f"{method} {path} does not declare 404"
            if method in ("post", "put") or "{" in path:
                assert "422" in codes, f"{method} {path} does not declare 422"
