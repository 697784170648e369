"""The live event stream WS /api/jobs/{id}/events: what a client sees, late or slow.

TestClient runs the socket in-process: the server's sends never block there, so
a client that stops reading is simulated the way the server sees one, as a
Subscription whose messages are never taken.
"""

from __future__ import annotations

import itertools
import json
import time

import anyio
import pytest
from starlette.testclient import WebSocketDenialResponse
from starlette.websockets import WebSocketDisconnect

from app.api.jobs.events import TraceFrames
from tests.api.conftest import create_model
from tests.api.test_jobs import LONG, train, wait_for_end, wait_for_progress
from tests.trace_fields import TRACE_FIELDS

FINAL = ("done", "cancelled", "failed")
PROGRESS_FIELDS = {"type", "step", "steps", "loss", "metric", "grad_norm", "steps_per_s", "elapsed_s", "eta_s"}


def receive(ws, timeout: float = 30.0) -> dict:
    """The next message as JSON; a server that goes quiet fails the test instead of hanging it.
    (WebSocketTestSession.receive has no timeout; its in-memory channel is read here directly.)"""

    async def next_message():
        with anyio.fail_after(timeout):
            return await ws._send_rx.receive()

    message = ws.portal.call(next_message)
    ws._raise_on_close(message)
    return json.loads(message["text"])


def read_to_end(ws) -> list[dict]:
    """Messages up to and including the final event, then check the server closes normally."""
    messages = []
    while not messages or messages[-1]["type"] not in FINAL:
        messages.append(receive(ws))
    with pytest.raises(WebSocketDisconnect) as closed:
        receive(ws)
    assert closed.value.code == 1000
    return messages


def of_type(messages: list[dict], kind: str) -> list[dict]:
    return [m for m in messages if m["type"] == kind]


@pytest.fixture
def model(make_model) -> str:
    make_model("m", architecture="elman", task="reber", hidden_size=4)
    return "m"


def test_a_client_sees_status_progress_traces_and_the_end(client, model, held_jobs):
    job = train(client, steps=12, batch_size=2, trace_every_s=0.1)
    with client.websocket_connect(f"/api/jobs/{job['id']}/events") as ws:
        status = receive(ws)
        assert status["type"] == "status" and status["job"]["id"] == job["id"]
        assert status["job"]["status"] == "queued" and status["history"] == []
        held_jobs.set()
        messages = read_to_end(ws)
    progress = of_type(messages, "progress")
    assert len(progress) >= 3
    assert all(set(p) == PROGRESS_FIELDS for p in progress)
    assert [p["step"] for p in progress] == sorted({p["step"] for p in progress})
    assert progress[-1]["step"] == progress[-1]["steps"] == 12 and progress[-1]["eta_s"] == 0
    traces = of_type(messages, "trace")
    assert traces and traces[-1]["step"] == 12
    trace = traces[-1]["trace"]
    assert TRACE_FIELDS <= set(trace) and trace["architecture"] == "elman" and trace["task"] == "reber"
    assert len(trace["h"]) == trace["steps"] and len(trace["h"][0]) == 4
    final = messages[-1]
    assert final["type"] == "done" and final["reason"] == "" and final["job"]["status"] == "done"
    assert final["job"]["step"] == 12


def test_a_probe_given_with_the_job_is_the_sequence_traced(client, model):
    job = train(client, steps=3, batch_size=2, probe="BTXSE")
    with client.websocket_connect(f"/api/jobs/{job['id']}/events") as ws:
        traces = of_type(read_to_end(ws), "trace")
    assert traces[-1]["trace"]["steps"] == 5 and "".join(traces[-1]["trace"]["labels"]) == "BTXSE"


def test_a_late_joiner_gets_the_whole_history_then_the_end(client, model, held_jobs):
    job = train(client, steps=12, batch_size=2)
    with client.websocket_connect(f"/api/jobs/{job['id']}/events") as live:
        receive(live)
        held_jobs.set()
        seen_live = [m["step"] for m in read_to_end(live) if m["type"] == "progress"]
    with client.websocket_connect(f"/api/jobs/{job['id']}/events") as late:
        status = receive(late)
        rest = read_to_end(late)
    history = [point["step"] for point in status["history"]]
    assert len(seen_live) >= 3 and set(seen_live) <= set(history) and history[-1] == 12
    assert set(status["history"][-1]) >= {"step", "loss", "metric", "grad_norm", "steps_per_s"}
    assert [m["type"] for m in rest] == ["trace", "done"]
    assert rest[0]["step"] == 12


def test_a_client_joining_midway_continues_where_the_history_ends(client, model):
    job = train(client, **LONG)
    seen = wait_for_progress(client, job["id"])
    with client.websocket_connect(f"/api/jobs/{job['id']}/events") as ws:
        status = receive(ws)
        assert status["job"]["status"] == "running" and status["history"]
        last_known = status["history"][-1]["step"]
        assert last_known >= seen["step"]
        following = receive(ws)
        while following["type"] != "progress":
            following = receive(ws)
        assert following["step"] > last_known
        client.post(f"/api/jobs/{job['id']}/cancel")
        assert read_to_end(ws)[-1]["type"] == "cancelled"


def test_a_cancel_over_rest_ends_the_stream_with_cancelled(client, model):
    job = train(client, **LONG)
    with client.websocket_connect(f"/api/jobs/{job['id']}/events") as ws:
        receive(ws)
        while receive(ws)["type"] != "progress":
            pass
        client.post(f"/api/jobs/{job['id']}/cancel")
        final = read_to_end(ws)[-1]
    assert final["type"] == "cancelled" and final["reason"] == "cancelled by request"
    assert final["job"]["status"] == "cancelled"


def test_a_client_may_cancel_over_the_stream_and_other_messages_are_ignored(client, model):
    job = train(client, **LONG)
    with client.websocket_connect(f"/api/jobs/{job['id']}/events") as ws:
        receive(ws)
        ws.send_text("not json")
        ws.send_json({"type": "pause"})
        ws.send_bytes(b"\x00\x01")
        while receive(ws)["type"] != "progress":  # still streaming after the noise
            pass
        ws.send_json({"type": "cancel"})
        final = read_to_end(ws)[-1]
    assert final["type"] == "cancelled" and "client" in final["reason"]


def test_a_client_that_leaves_does_not_disturb_the_job_and_is_forgotten(client, model, held_jobs):
    job = train(client, steps=15, batch_size=2)
    registered = client.app.state.jobs.get(job["id"])
    with client.websocket_connect(f"/api/jobs/{job['id']}/events") as ws:
        receive(ws)
        assert registered.subscriber_count() == 1
        held_jobs.set()
    deadline = time.monotonic() + 5
    while registered.subscriber_count() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert registered.subscriber_count() == 0
    assert wait_for_end(client, job["id"])["status"] == "done"


def test_a_stalled_client_neither_piles_up_nor_slows_training_or_other_clients(client, make_model):
    make_model("alone", hidden_size=4)
    make_model("crowded", hidden_size=4)
    # Both jobs run at the same time, so whatever else the machine is doing slows both alike.
    alone, crowded = train(client, "alone", **LONG), train(client, "crowded", **LONG)
    running = client.app.state.jobs.get(crowded["id"])
    wake_ups = []
    # Fifty clients that never read, as the server sees them: messages offered, never taken.
    stalled = [running.subscribe(lambda: wake_ups.append(1))[0] for _ in range(50)]
    wait_for_progress(client, alone["id"])
    window = 2.0
    with client.websocket_connect(f"/api/jobs/{crowded['id']}/events") as reader:
        receive(reader)
        while receive(reader)["type"] != "progress":
            pass
        before = {job["id"]: job["step"] for job in client.get("/api/jobs").json()}
        started, received, most_pending = time.monotonic(), [], 0
        while time.monotonic() - started < window:
            message = receive(reader)
            if message["type"] == "progress":
                received.append(message["step"])
            most_pending = max(most_pending, *(s.pending() for s in stalled))
        after = {job["id"]: job["step"] for job in client.get("/api/jobs").json()}
        client.post(f"/api/jobs/{crowded['id']}/cancel")
        assert read_to_end(reader)[-1]["type"] == "cancelled"
    client.post(f"/api/jobs/{alone['id']}/cancel")

    reported = [p["step"] for p in running.history() if received[0] <= p["step"] <= received[-1]]
    assert len(reported) > 2  # the stalled clients were offered more than they keep
    assert most_pending <= 2  # the latest progress event and the latest trace
    frames, final = stalled[0].take()
    held = [frame.text if isinstance(frame, TraceFrames) else frame for frame in frames]  # a trace: JSON and msgpack
    assert final and json.loads(held[-1])["type"] == "cancelled"  # the final event is never dropped
    kept = [json.loads(text)["step"] for text in held if json.loads(text)["type"] == "progress"]
    assert kept == [running.history()[-1]["step"]]  # the newest one
    assert len(wake_ups) == 50  # one wake-up each: the event loop is never flooded
    # The reader keeps up, so it gets (nearly) every report, about ten a second.
    assert len(received) >= max(5, 0.8 * len(reported))
    progress = {job_id: after[job_id] - before[job_id] for job_id in (alone["id"], crowded["id"])}
    assert progress[crowded["id"]] > 0.5 * progress[alone["id"]], progress


def test_a_foreign_origin_is_refused_before_the_socket_opens(client, model):
    job = train(client, steps=2, batch_size=2)
    with pytest.raises(WebSocketDenialResponse) as refused:  # the handshake answered 403 (app/api/security.py)
        with client.websocket_connect(f"/api/jobs/{job['id']}/events", headers={"origin": "https://evil.example"}):
            pass
    assert refused.value.status_code == 403
    with client.websocket_connect(f"/api/jobs/{job['id']}/events", headers={"origin": "http://testserver"}) as ws:
        assert receive(ws)["type"] == "status"


def test_an_origin_listed_in_the_settings_is_allowed(make_client):
    client = make_client(allowed_origins=("https://lecture.example",))
    with client.websocket_connect("/api/jobs/nope/events", headers={"origin": "https://lecture.example"}) as ws:
        with pytest.raises(WebSocketDisconnect) as closed:
            receive(ws)
    assert closed.value.code == 4404  # past the origin check: refused only for the unknown job


def test_an_unknown_job_is_closed_with_4404_and_a_reason(client):
    with client.websocket_connect("/api/jobs/nope/events") as ws:
        with pytest.raises(WebSocketDisconnect) as closed:
            receive(ws)
    assert closed.value.code == 4404 and "nope" in closed.value.reason


def test_an_oversized_message_closes_the_socket_with_1009(make_client):
    client = make_client(max_ws_message_bytes=1024)
    create_model(client, "m", hidden_size=4)
    job = train(client, "m", **LONG)
    with client.websocket_connect(f"/api/jobs/{job['id']}/events") as ws:
        receive(ws)
        ws.send_text("x" * 2000)
        with pytest.raises(WebSocketDisconnect) as closed:
            while True:
                receive(ws)
    assert closed.value.code == 1009
    # The job is not the client: still active (its worker may not have started yet).
    assert client.get(f"/api/jobs/{job['id']}").json()["status"] in ("queued", "running")
    client.post(f"/api/jobs/{job['id']}/cancel")


def test_progress_arrives_about_ten_times_a_second_and_traces_every_interval(client, model):
    """The contract: progress at least 10 times a second while training, a probe
    trace at least once a second. Judged on the server's own clock (elapsed_s),
    by the median gap, so one slow moment of a busy machine does not decide it."""
    job = train(client, **LONG, trace_every_s=0.5)
    with client.websocket_connect(f"/api/jobs/{job['id']}/events") as ws:
        messages, deadline = [], time.monotonic() + 30
        while len(of_type(messages, "progress")) < 25 and time.monotonic() < deadline:
            messages.append(receive(ws))
        client.post(f"/api/jobs/{job['id']}/cancel")
        messages += read_to_end(ws)
    progress = of_type(messages, "progress")[:25]
    gaps = sorted(b["elapsed_s"] - a["elapsed_s"] for a, b in itertools.pairwise(progress))
    assert gaps[len(gaps) // 2] <= 0.15, gaps
    seconds = progress[-1]["elapsed_s"] - progress[0]["elapsed_s"]
    assert len(of_type(messages, "trace")) >= int(seconds)  # at least one a second
