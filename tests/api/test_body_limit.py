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


def test_a_chunked_json_body_over_the_limit_is_413_not_400(make_client):
    # FastAPI reads JSON bodies itself; an error while reading used to become its 400.
    client = make_client(max_body_bytes=1000)

    def chunks():
        yield b'{"name": "big", "architecture": "elman", "task": "reber", "hidden_size": 4, "pad": "'
        for _ in range(50):
            yield b" " * 100
        yield b'"}'

    response = client.post("/api/models", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.json() == {"detail": "the request body is larger than the limit of 1000 bytes"}
    assert client.get("/api/models").json() == []


def test_a_chunked_body_over_the_limit_is_413_on_every_json_route(make_client):
    client = make_client(max_body_bytes=1000)
    model = {"name": "m", "architecture": "elman", "task": "reber", "hidden_size": 4}
    assert client.post("/api/models", json=model).status_code == 201  # so no route can answer 404 first

    def chunks():
        for _ in range(50):
            yield b" " * 100

    for path in ("/api/models/m/trace", "/api/models/m/train"):
        response = client.post(path, content=chunks(), headers={"content-type": "application/json"})
        assert response.status_code == 413, (path, response.text)


def test_create_and_train_bodies_are_bounded_before_they_are_parsed(client, make_model):
    # A few fields each: a megabyte of JSON is refused unparsed, so it cannot hold the event loop.
    make_model("m")
    padding = " " * (2 * 2**20)
    for path, body in (
        ("/api/models", '{"name": "big", "architecture": "elman", "task": "reber", "hidden_size": 4}'),
        ("/api/models/m/train", '{"steps": 2}'),
    ):
        response = client.post(path, content=body[:-1] + padding + "}", headers={"content-type": "application/json"})
        assert response.status_code == 413, (path, response.text)
        assert "a few fields" in response.json()["detail"]
    assert client.get("/api/models/big").status_code == 404
