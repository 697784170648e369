"""RequestGuard (app/api/security.py) and its rules (app/api/origin.py): unknown Hosts get 400,
foreign Origins 403 on state-changing requests and WebSockets, bodies of the wrong type 415.

Each defect of issue 8 section 1 is reproduced as it was found: through TestClient, and
once over a real socket against uvicorn (the WebSocket handshake that used to answer 101).
"""

from __future__ import annotations

import socket

import anyio
import httpx
import pytest
import uvicorn
from starlette.testclient import WebSocketDenialResponse

from app.api.origin import AccessPolicy, listen_address_name, parse_host
from app.api.security import RequestGuard
from app.main import create_app
from app.settings import Settings
from tests.api.live import uvicorn_server

EVIL = "http://evil.example"
OCTET_STREAM = {"content-type": "application/octet-stream"}


def checkpoint_of(client, name: str) -> bytes:
    response = client.get(f"/api/models/{name}/checkpoint")
    assert response.status_code == 200
    return response.content


@pytest.fixture
def two_models(client, make_model) -> bytes:
    """Models 'm' and 'other' (a different seed); returns the checkpoint of 'other'."""
    make_model("m", seed=1)
    make_model("other", seed=2)
    return checkpoint_of(client, "other")


# ----- the reproduced defects --------------------------------------------------------


def test_a_cross_site_checkpoint_replace_is_refused_and_the_weights_stay(client, two_models):
    before = checkpoint_of(client, "m")
    response = client.post(
        "/api/models/m/checkpoint?overwrite=true",
        content=two_models,
        headers={"content-type": "text/plain", "origin": EVIL},
    )
    assert response.status_code == 403
    assert "evil.example" in response.json()["detail"]
    assert checkpoint_of(client, "m") == before


def test_a_checkpoint_sent_as_text_is_refused_with_415_naming_the_type(client, two_models):
    before = checkpoint_of(client, "m")
    response = client.post(
        "/api/models/m/checkpoint?overwrite=true", content=two_models, headers={"content-type": "text/plain"}
    )
    assert response.status_code == 415
    assert "application/octet-stream" in response.json()["detail"] and "text/plain" in response.json()["detail"]
    assert checkpoint_of(client, "m") == before


def test_the_same_replace_from_the_servers_own_page_is_allowed(client, two_models):
    headers = {**OCTET_STREAM, "origin": "http://testserver"}
    response = client.post("/api/models/m/checkpoint?overwrite=true", content=two_models, headers=headers)
    assert response.status_code == 201, response.text
    assert client.get("/api/models/m/weights").json() == client.get("/api/models/other/weights").json()


def test_a_rebinding_websocket_is_refused(client):
    # DNS rebinding: evil.example now resolves to this machine, so Host and Origin agree.
    headers = {"host": "evil.example:8000", "origin": "http://evil.example:8000"}
    with pytest.raises(WebSocketDenialResponse) as refused:
        with client.websocket_connect("/api/jobs/nope/events", headers=headers):
            pass
    assert refused.value.status_code == 400
    assert "evil.example" in refused.value.json()["detail"]


def test_an_unknown_host_gets_400_with_a_message(client):
    response = client.get("/api/health", headers={"host": "evil.example:8000"})
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert "'evil.example:8000'" in detail and "UNROLLED_ALLOWED_HOSTS" in detail


def test_a_foreign_origin_on_a_websocket_is_refused_with_403(client):
    with pytest.raises(WebSocketDenialResponse) as refused:
        with client.websocket_connect("/api/jobs/nope/events", headers={"origin": EVIL}):
            pass
    assert refused.value.status_code == 403


# ----- Origin on state-changing requests -----------------------------------------------


@pytest.mark.parametrize(
    "method, path",
    [
        ("POST", "/api/models"),
        ("DELETE", "/api/models/m"),
        ("POST", "/api/models/m/train"),
        ("POST", "/api/jobs/x/cancel"),
    ],
)
def test_every_state_changing_route_refuses_a_foreign_origin(client, make_model, method, path):
    make_model("m")
    body = {"name": "n", "architecture": "elman", "task": "reber", "hidden_size": 4} if path == "/api/models" else None
    response = client.request(method, path, json=body, headers={"origin": EVIL})
    assert response.status_code == 403
    assert client.get("/api/models/m").status_code == 200
    assert [model["name"] for model in client.get("/api/models").json()] == ["m"]


@pytest.mark.parametrize(
    "origin", ["null", "file://", "http://testserver.evil.example", "ftp://testserver", "http://testserver/x"]
)
def test_odd_origins_are_foreign(client, origin):
    assert client.delete("/api/models/m", headers={"origin": origin}).status_code == 403


def test_without_an_origin_a_client_that_is_not_a_browser_may_write(client, make_model):
    make_model("m")
    assert client.delete("/api/models/m").status_code == 204


def test_reads_are_not_checked_for_origin(client):
    # A foreign page cannot read the answer (no CORS headers); refusing would only break links.
    assert client.get("/api/models", headers={"origin": EVIL}).status_code == 200


def test_an_origin_in_the_settings_may_write(make_client):
    client = make_client(allowed_origins=("https://lecture.example",))
    body = {"name": "n", "architecture": "elman", "task": "reber", "hidden_size": 4}
    assert client.post("/api/models", json=body, headers={"origin": "https://lecture.example"}).status_code == 201
    assert client.post("/api/models", json=body, headers={"origin": "https://lecture.example:444"}).status_code == 403


# ----- body types --------------------------------------------------------------------


def test_a_json_route_needs_application_json(client):
    text = b'{"name": "n", "architecture": "elman", "task": "reber", "hidden_size": 4}'
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"):
        response = client.post("/api/models", content=text, headers={"content-type": content_type})
        assert response.status_code == 415, content_type
        assert "application/json" in response.json()["detail"]
    missing = client.post("/api/models", content=text)
    assert missing.status_code == 415 and "no Content-Type" in missing.json()["detail"]
    assert client.post("/api/models").status_code == 422  # no body at all: the route says what it needs
    charset = client.post("/api/models", content=text, headers={"content-type": "Application/JSON; charset=utf-8"})
    assert charset.status_code == 201, charset.text


def test_routes_without_a_body_need_no_content_type(client, make_model):
    make_model("m")
    assert client.post("/api/jobs/nope/cancel", headers={"content-type": "text/plain"}).status_code == 404
    assert client.delete("/api/models/m", headers={"content-type": "text/plain"}).status_code == 204


def test_the_openapi_document_lists_the_refusals(client):
    paths = client.get("/openapi.json").json()["paths"]
    upload = paths["/api/models/{name}/checkpoint"]
    assert {"400", "403", "415"} <= set(upload["post"]["responses"])
    assert "400" in upload["get"]["responses"] and "403" not in upload["get"]["responses"]
    assert "415" not in paths["/api/jobs/{job_id}/cancel"]["post"]["responses"]


# ----- which hosts -------------------------------------------------------------------


@pytest.mark.parametrize("host", ["localhost", "localhost:8123", "127.0.0.1:9", "[::1]:8000", "LOCALHOST.", "[::1]"])
def test_loopback_names_are_allowed_by_default(make_client, host):
    client = make_client(allowed_hosts=())
    assert client.get("/api/health", headers={"host": host}).status_code == 200


@pytest.mark.parametrize("host", ["testserver", "127.0.0.2", "localhost.evil.example", "a b", "", "[::2]:8000"])
def test_other_names_are_refused_by_default(make_client, host):
    client = make_client(allowed_hosts=())
    assert client.get("/api/health", headers={"host": host}).status_code == 400


def test_the_listening_name_is_allowed_unless_it_is_a_wildcard(make_client):
    named = make_client(allowed_hosts=(), host="lab.example")
    assert named.get("/api/health", headers={"host": "lab.example:8000"}).status_code == 200
    wildcard = make_client(allowed_hosts=(), host="0.0.0.0")
    assert wildcard.get("/api/health", headers={"host": "0.0.0.0:8000"}).status_code == 400


def test_a_configured_host_with_a_port_matches_that_port_only(make_client):
    client = make_client(allowed_hosts=("lab.example:8000",))
    assert client.get("/api/health", headers={"host": "lab.example:8000"}).status_code == 200
    assert client.get("/api/health", headers={"host": "lab.example:9000"}).status_code == 400
    # A page at http://lab.example:8000 is the server's own; one on another port is not.
    assert (
        client.delete(
            "/api/models/x", headers={"host": "lab.example:8000", "origin": "http://lab.example:8000"}
        ).status_code
        == 404
    )
    assert (
        client.delete(
            "/api/models/x", headers={"host": "lab.example:8000", "origin": "http://lab.example:9000"}
        ).status_code
        == 403
    )


def test_a_page_on_loopback_is_the_servers_own_whatever_the_host_header(client):
    # Origin is compared with the allowed origins, not with Host.
    assert client.delete("/api/models/x", headers={"origin": "http://localhost:8000"}).status_code == 404


def test_the_policy_parses_hosts_and_listening_addresses():
    assert parse_host("Example.org:8000") == ("example.org", 8000)
    assert parse_host("[::1]") == ("[::1]", None)
    assert parse_host("evil.example/") is None and parse_host("a:b") is None
    assert [listen_address_name(address) for address in ("0.0.0.0", "::", "::1", "Lab.example")] == [
        None,
        None,
        "[::1]",
        "lab.example",
    ]
    policy = AccessPolicy(["localhost"], ["https://lecture.example:443"])
    assert policy.origin_allowed("https://lecture.example") and not policy.origin_allowed("http://lecture.example")
    assert policy.host_allowed("localhost:1", "http") and not policy.host_allowed(None, "http")


def test_settings_refuse_malformed_hosts_and_origins():
    with pytest.raises(ValueError, match="UNROLLED_ALLOWED_HOSTS must list host names"):
        Settings.from_env(allowed_hosts="http://lab.example")
    with pytest.raises(ValueError, match="UNROLLED_ALLOWED_ORIGINS must list origins"):
        Settings.from_env(allowed_origins="lab.example")


# ----- over a real socket ------------------------------------------------------------


@pytest.fixture
def live_server(tmp_path):
    """The app served by uvicorn on a free loopback port, in a thread of this process."""
    app = create_app(Settings.from_env(models_dir=tmp_path / "models", device="cpu"))
    with uvicorn_server(app) as port:
        yield port


def handshake_status(port: int, host: str, origin: str) -> int:
    """The status line's code of a WebSocket handshake sent with these Host and Origin headers."""
    request = (
        "GET /api/jobs/nope/events HTTP/1.1\r\n"
        f"Host: {host}\r\nOrigin: {origin}\r\n"
        "Upgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(request.encode())
        status_line = connection.recv(4096).split(b"\r\n", 1)[0]
    return int(status_line.split()[1])


def test_over_the_wire_rebinding_and_cross_site_writes_are_refused(live_server):
    port = live_server
    assert handshake_status(port, f"evil.example:{port}", f"http://evil.example:{port}") == 400
    assert handshake_status(port, f"127.0.0.1:{port}", EVIL) == 403
    assert handshake_status(port, f"127.0.0.1:{port}", f"http://127.0.0.1:{port}") == 101
    base = f"http://127.0.0.1:{port}"
    with httpx.Client(base_url=base, timeout=10) as http:
        assert http.get("/api/health", headers={"host": "evil.example"}).status_code == 400
        refused = http.post(
            "/api/models/m/checkpoint?overwrite=true",
            content=b"x",
            headers={"content-type": "text/plain", "origin": EVIL},
        )
        assert refused.status_code == 403 and refused.headers["content-type"] == "application/json"
        assert http.get("/api/health").status_code == 200


def test_a_server_without_the_denial_extension_closes_refused_sockets_with_1008():
    guard = RequestGuard(app=None, policy=AccessPolicy(["testserver"]))
    sent: list[dict] = []

    async def send(message):
        sent.append(message)

    scope = {"type": "websocket", "headers": [(b"host", b"testserver"), (b"origin", EVIL.encode())], "scheme": "ws"}
    anyio.run(guard, scope, None, send)
    assert [(message["type"], message["code"]) for message in sent] == [("websocket.close", 1008)]


# ----- serve ---------------------------------------------------------------------------


def test_serve_tells_the_app_the_host_it_listens_on_and_warns_about_a_wildcard(monkeypatch, caplog):
    from app.__main__ import main

    served: list[dict] = []
    monkeypatch.setattr(uvicorn, "run", lambda target, **options: served.append(options))
    monkeypatch.setenv("UNROLLED_HOST", "127.0.0.1")  # restored after the test; serve changes it
    monkeypatch.setenv("UNROLLED_CLASSROOM_TOKEN", "")  # likewise: serve sets it beyond loopback
    assert main(["serve", "--host", "lab.example", "--port", "8123"]) == 0
    assert served[-1]["host"] == "lab.example"
    assert AccessPolicy.from_settings(Settings.from_env()).host_allowed("lab.example:8123", "http")
    assert "UNROLLED_ALLOWED_HOSTS" not in caplog.text
    assert main(["serve", "--host", "0.0.0.0"]) == 0
    assert "UNROLLED_ALLOWED_HOSTS" in caplog.text


@pytest.mark.parametrize(
    "method, path",
    [("post", "/api/experiments"), ("delete", "/api/experiments/shortcuts"), ("delete", "/api/models/m")],
)
def test_the_newer_write_routes_refuse_a_foreign_origin_too(client, method, path):
    body = {"json": {"recipe": "shortcuts"}} if method == "post" else {}
    response = client.request(method.upper(), path, headers={"origin": EVIL}, **body)
    assert response.status_code == 403
    assert "evil.example" in response.json()["detail"]
