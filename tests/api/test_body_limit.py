"""Request bodies are capped as the bytes arrive, whatever Content-Length says."""

from __future__ import annotations


def test_a_declared_body_over_the_limit_is_413(make_client):
    client = make_client(max_body_bytes=1000)
    response = client.post(
        "/api/models", content=b"{" + b" " * 2000 + b"}", headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert "1000 bytes" in response.json()["detail"]


def test_a_chunked_body_without_content_length_is_counted_and_refused(make_client):
    client = make_client(max_body_bytes=1000)

    def chunks():
        for _ in range(50):
            yield b" " * 100  # 5,000 bytes in all, never declared

    response = client.post(
        "/api/models/x/checkpoint", content=chunks(), headers={"content-type": "application/octet-stream"}
    )
    assert response.status_code == 413
    assert not (client.app.state.settings.models_dir / "x.safetensors").exists()


def test_a_body_under_the_limit_passes(make_client):
    client = make_client(max_body_bytes=10_000)
    response = client.post(
        "/api/models", json={"name": "ok", "architecture": "elman", "task": "reber", "hidden_size": 4}
    )
    assert response.status_code == 201
