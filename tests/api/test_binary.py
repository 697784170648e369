"""Binary traces (msgpack, float32 arrays with shapes) over HTTP and in the event stream,
the per-address cap on streams, and trace bodies refused or parsed off the event loop."""

from __future__ import annotations

import asyncio
import json

import msgpack
import numpy as np
import pytest
import torch
from starlette.websockets import WebSocketDisconnect

from app.api.jobs.events import trace_event
from app.api.responses import to_msgpack_bytes, wants_msgpack
from app.api.routers.traces import trace_body_limit
from app.api.schemas.traces import TraceIn
from app.core.models import build_model
from app.core.tasks import make_task
from app.core.trace import trace, trace_document
from tests.api.test_stalled import BIG_TRACE, FakeJob, serve_fake_job

MSGPACK = {"Accept": "application/msgpack"}


def as_array(packed: dict) -> np.ndarray:
    assert set(packed) == {"dtype", "shape", "data"}
    return np.frombuffer(packed["data"], dtype=packed["dtype"]).reshape(packed["shape"])


def test_a_msgpack_trace_holds_the_json_traces_values_as_float32(client, make_model):
    make_model("m", architecture="lstm", task="reber", hidden_size=6)
    body = {"input": "BTSSXXTVVE"}
    as_json = client.post("/api/models/m/trace", json=body)
    as_binary = client.post("/api/models/m/trace", json=body, headers=MSGPACK)
    assert as_json.headers["content-type"] == "application/json"
    assert as_binary.status_code == 200 and as_binary.headers["content-type"] == "application/msgpack"
    plain, packed = as_json.json(), msgpack.unpackb(as_binary.content)
    assert set(packed) == set(plain)
    for field in ("x", "h", "c", "logits", "y", "target", "loss_mask", "losses", "grad_h", "grad_c", "grad_flow"):
        values = as_array(packed[field])
        assert values.dtype in (np.float32, np.int32), field  # int32: class indices
        assert np.array_equal(values, np.array(plain[field], dtype=values.dtype)), field
    for gate, values in packed["gates"].items():
        assert np.array_equal(as_array(values), np.array(plain["gates"][gate], dtype=np.float32))
    for field in ("model", "input", "labels", "symbols", "loss_kind", "loss", "nonfinite", "parameter_grad_norms"):
        assert packed[field] == plain[field], field
    assert len(as_binary.content) < len(as_json.content)


@pytest.mark.parametrize(
    "accept, binary",
    [
        (None, False),
        ("*/*", False),
        ("application/json", False),
        ("application/msgpack", True),
        ("application/x-msgpack", True),
        ("application/msgpack, */*;q=0.8", True),
        ("application/json, application/msgpack", False),  # a tie: JSON, the default
        ("application/json;q=0.5, application/msgpack", True),
        ("application/msgpack;q=0", False),
        ("application/msgpack;q=bad", False),
    ],
)
def test_the_accept_header_chooses_and_json_stays_the_default(accept, binary):
    assert wants_msgpack(accept) is binary


def test_non_finite_values_stay_what_they_are_and_are_listed():
    loaded = build_model("m", "elman", "reber", 3)
    with torch.no_grad():
        loaded.model.rnn.weight_ih_l0.fill_(float("inf"))
    document = trace_document(trace(loaded.model, loaded.task, make_task("reber").encode("BTXSE")))
    assert "h" in document["nonfinite"]
    packed = msgpack.unpackb(to_msgpack_bytes(document))
    assert packed["nonfinite"] == document["nonfinite"]
    h = as_array(packed["h"])
    assert not np.isfinite(h).all()
    assert h.tobytes() == document["h"].astype("<f4").tobytes()  # NaN and infinities, bit for bit


def test_the_openapi_document_keeps_the_trace_body_and_both_encodings(client):
    operation = client.get("/openapi.json").json()["paths"]["/api/models/{name}/trace"]["post"]
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    assert set(body["properties"]) == set(TraceIn.model_fields)
    assert set(operation["responses"]["200"]["content"]) == {"application/json", "application/msgpack"}
    # Accept and Accept-Encoding are headers, not parameters; ?encoding and ?shuffle are
    assert [p["name"] for p in operation.get("parameters", [])] == ["name", "encoding", "shuffle"]


def test_a_trace_body_larger_than_the_model_can_need_is_refused_unparsed(client, make_model, monkeypatch):
    make_model("m", architecture="elman", task="reber", hidden_size=4)
    parsed = []
    monkeypatch.setattr(TraceIn, "model_validate_json", classmethod(lambda cls, raw: parsed.append(raw)))
    row = "[" + ",".join(["0.123456789"] * 7) + "]"
    huge = ('{"x": [' + ",".join([row] * 92_000) + "]}").encode()  # 7.5 MiB, under the 8 MiB of any body
    response = client.post("/api/models/m/trace", content=huge, headers={"Content-Type": "application/json"})
    assert response.status_code == 413, response.text
    limit = trace_body_limit(7, 7, 500)
    assert f"at most {limit}" in response.json()["detail"] and "500 steps of 7 inputs" in response.json()["detail"]
    assert parsed == []


def test_the_largest_body_a_trace_can_need_is_accepted(client, make_model):
    make_model("m", architecture="elman", task="reber", hidden_size=4)
    rows = [[1.2345678901234567e-300] * 7] * 500
    pretty = json.dumps({"x": rows, "target": [[0.0] * 6 + [1.0]] * 500}, indent=8).encode()
    response = client.post("/api/models/m/trace", content=pretty, headers={"Content-Type": "application/json"})
    assert response.status_code == 200, response.text


def test_a_trace_body_is_parsed_outside_the_event_loop(client, make_model, monkeypatch):
    make_model("m", architecture="elman", task="reber", hidden_size=4)
    parse = TraceIn.model_validate_json
    loops = []

    def spy(cls, raw):
        try:
            loops.append(asyncio.get_running_loop())
        except RuntimeError:  # no event loop runs in this thread
            loops.append(None)
        return parse(raw)

    monkeypatch.setattr(TraceIn, "model_validate_json", classmethod(spy))
    assert client.post("/api/models/m/trace", json={"input": "BTXSE"}).status_code == 200
    assert loops == [None]


# ----- the event stream -------------------------------------------------------------------


def test_the_stream_sends_trace_events_as_binary_frames_when_asked(client, monkeypatch):
    frames = trace_event(3, {"h": np.array([[0.5, np.nan]], dtype=np.float32), "nonfinite": ["h"]})
    job = FakeJob(opening=['{"type": "status"}', frames])
    serve_fake_job(client.app, monkeypatch, job)
    with client.websocket_connect(f"/api/jobs/{job.id}/events?encoding=msgpack") as ws:
        assert json.loads(ws.receive_text())["type"] == "status"  # every other event stays JSON text
        event = msgpack.unpackb(ws.receive_bytes())
        assert (event["type"], event["step"]) == ("trace", 3)
        assert as_array(event["trace"]["h"]).tobytes() == np.array([[0.5, np.nan]], dtype="<f4").tobytes()
        job.offer("final", '{"type": "done"}')
        assert json.loads(ws.receive_text())["type"] == "done"
    with client.websocket_connect(f"/api/jobs/{job.id}/events") as ws:  # JSON is the default
        ws.receive_text()
        assert json.loads(ws.receive_text())["trace"]["h"] == [[0.5, None]]


def test_an_unknown_stream_encoding_is_closed_with_a_reason(client, monkeypatch):
    job = FakeJob()
    serve_fake_job(client.app, monkeypatch, job)
    with client.websocket_connect(f"/api/jobs/{job.id}/events?encoding=xml") as ws:
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_text()
    assert closed.value.code == 1008 and "json or msgpack" in closed.value.reason


def test_streams_per_client_address_are_capped_with_a_clear_refusal(make_client, monkeypatch):
    client = make_client(max_streams_per_client=2)
    job = FakeJob()
    serve_fake_job(client.app, monkeypatch, job)
    url = f"/api/jobs/{job.id}/events"
    with client.websocket_connect(url) as first, client.websocket_connect(url) as second:
        first.receive_text(), second.receive_text()
        with client.websocket_connect(url) as third:
            with pytest.raises(WebSocketDisconnect) as refused:
                third.receive_text()
        assert refused.value.code == 1013 and "at most 2" in refused.value.reason
        assert job.watched() == 2
    with client.websocket_connect(url) as again:  # closing one gives its place back
        assert json.loads(again.receive_text())["type"] == "status"
        job.offer("trace", BIG_TRACE)
        assert again.receive_text() == BIG_TRACE.text


def test_the_page_can_load_the_msgpack_decoder(client):
    from app.api.routers.pages import MSGPACK_SCRIPT, VENDOR_DIR

    if (VENDOR_DIR / MSGPACK_SCRIPT).is_file():
        response = client.get(f"/vendor/{MSGPACK_SCRIPT}")
        assert response.status_code == 200 and "javascript" in response.headers["content-type"]
    assert client.get("/vendor/@msgpack/msgpack/package.json").status_code == 404


def test_a_streams_opening_is_built_off_the_event_loop(client, monkeypatch):
    """Job.subscribe encodes the opening status with the whole history: never on the loop."""
    job = FakeJob()
    loops = []
    subscribe = job.subscribe

    def spy(notify):
        try:
            loops.append(asyncio.get_running_loop())
        except RuntimeError:  # no event loop runs in this thread
            loops.append(None)
        return subscribe(notify)

    job.subscribe = spy
    serve_fake_job(client.app, monkeypatch, job)
    with client.websocket_connect(f"/api/jobs/{job.id}/events") as ws:
        assert json.loads(ws.receive_text())["type"] == "status"
    assert loops == [None]


def test_json_body_parses_off_the_loop_and_bounds_the_size():
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from app.api.json_body import json_body, json_body_openapi

    app = FastAPI()

    @app.post("/small", openapi_extra=json_body_openapi(TraceIn))
    def small(body: TraceIn = json_body(TraceIn, max_bytes=100, why="a test bound")) -> dict:  # noqa: B008
        return {"input": body.input}

    with TestClient(app) as client:
        assert client.post("/small", json={"input": "BT"}).json() == {"input": "BT"}
        refused = client.post("/small", json={"input": "B" * 200})
        assert refused.status_code == 413 and "at most 100 (a test bound)" in refused.json()["detail"]
        invalid = client.post("/small", json={"input": 5})
        assert invalid.status_code == 422 and invalid.json()["detail"][0]["loc"] == ["body", "input"]
        schema = client.get("/openapi.json").json()["paths"]["/small"]["post"]["requestBody"]
        assert "input" in schema["content"]["application/json"]["schema"]["properties"]
