"""Jobs beyond the running slots wait in line; jobs over the budget are refused; any admitted
job stops within one batch of a cancel or a shutdown, and saves.

The issue's case: LSTM H=512, length 500, batch 512 took 25-34 s and ~9.5 GB a step,
two ran at once, and a cancel still said running after 5 s. Now such a job is refused
before it starts (422 naming the estimate and the budget), and the largest job the
budget admits is cancelled within the cancel's wait, with its last step saved.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import httpx
import pytest

from app.core.architectures import ModelConfig
from app.core.execution import estimate_cost
from app.core.tasks import make_task
from bench.server import ROOT, free_port
from tests.api.conftest import create_model
from tests.api.test_jobs import LONG, SHORT, stored, train, wait_for_end, wait_for_progress
from tests.api.test_streams import receive


def test_jobs_beyond_the_slots_wait_in_line_with_their_position(make_client):
    client = make_client(max_jobs=1, max_queued_jobs=2)
    for name in ("a", "b", "c", "d"):
        create_model(client, name, hidden_size=4)
    running = train(client, "a", **LONG)
    wait_for_progress(client, running["id"])
    second, third = train(client, "b", **SHORT), train(client, "c", **SHORT)
    assert (second["status"], second["queue_position"]) == ("queued", 1)
    assert (third["status"], third["queue_position"]) == ("queued", 2)
    refused = client.post("/api/models/d/train", json=SHORT)
    assert refused.status_code == 429 and "1 waiting" not in refused.json()["detail"]
    assert "already running and 2 waiting" in refused.json()["detail"]
    with client.websocket_connect(f"/api/jobs/{third['id']}/events") as ws:
        status = receive(ws)
        assert status["job"]["status"] == "queued" and status["job"]["queue_position"] == 2
        # The job ahead leaves the line: a fresh status says where this one stands now.
        cancelled = client.post(f"/api/jobs/{second['id']}/cancel").json()
        moved = receive(ws)
        assert moved["type"] == "status" and moved["job"]["queue_position"] == 1
    assert cancelled["status"] == "cancelled" and cancelled["started_at"] is None
    assert stored(client, "b")["total_steps"] == 0  # never started, nothing trained
    client.post(f"/api/jobs/{running['id']}/cancel")
    done = wait_for_end(client, third["id"])  # the slot freed: the queued job ran
    assert done["status"] == "done" and done["queue_position"] is None and done["step"] == SHORT["steps"]


def test_a_job_over_the_budget_is_refused_naming_the_estimate_and_the_budget(client, make_model):
    make_model("big", architecture="lstm", task="sine", hidden_size=512, task_options={"length": 500})
    response = client.post("/api/models/big/train", json={"steps": 10, "batch_size": 512})
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert "lstm, batch 512, sequences up to 550 steps, hidden size 512" in detail
    assert "MB" in detail and "s per step" in detail and "budget is 2,048 MB and 0.50 s per step" in detail
    assert client.get("/api/jobs").json() == []


def test_a_smaller_budget_refuses_what_the_default_admits(make_client):
    client = make_client(job_memory_mb=20)
    create_model(client, "m", architecture="gru", task="sine", hidden_size=64)
    response = client.post("/api/models/m/train", json={"steps": 5, "batch_size": 256})
    assert response.status_code == 422 and "budget is 20 MB per job" in response.json()["detail"]


def largest_admitted_batch(architecture: str, hidden: int, length: int, budget_s: float) -> int:
    task = make_task("sine", {"length": length})
    config = ModelConfig(architecture, task.input_size, task.output_size, hidden)
    admitted, refused = 1, 513  # the cost grows with the batch: bisect to the last one admitted
    while refused - admitted > 1:
        middle = (admitted + refused) // 2
        if estimate_cost(config, task, middle).step_s <= budget_s:
            admitted = middle
        else:
            refused = middle
    return admitted


@pytest.fixture
def largest(client, make_model) -> dict:
    """An LSTM with the largest batch the default budget admits (sine, length 200, H=256)."""
    make_model("large", architecture="lstm", task="sine", hidden_size=256, task_options={"length": 200})
    batch = largest_admitted_batch("lstm", 256, 200, client.app.state.settings.job_step_s)
    return {"steps": 100_000, "batch_size": batch, "trace_every_s": 3600}


def test_cancel_at_the_largest_admitted_size_ends_the_job_and_saves_its_last_step(client, largest):
    job = train(client, "large", **largest)
    wait_for_progress(client, job["id"])
    cancelled = client.post(f"/api/jobs/{job['id']}/cancel").json()  # waits at most 5 s for the end
    assert cancelled["status"] == "cancelled" and cancelled["reason"] == "cancelled by request"
    saved = stored(client, "large")
    assert saved["total_steps"] == cancelled["step"] > 0 and saved["last_training"]["status"] == "cancelled"


def test_sigterm_to_the_server_stops_its_job_which_saves_and_the_server_exits(tmp_path):
    """A real uvicorn process: SIGTERM runs the lifespan's shutdown, which stops the job's
    worker after its current batch; the worker saves before the server exits."""
    port, models = free_port(), tmp_path / "models"
    env = {**os.environ, "UNROLLED_MODELS_DIR": str(models), "UNROLLED_SEED_DIR": ""}
    command = [sys.executable, "-m", "uvicorn", "app.main:app", "--port", str(port), "--log-level", "warning"]
    server = subprocess.Popen(command, cwd=ROOT, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=url, timeout=60) as http:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if http.get("/api/health").status_code == 200:
                        break
                except httpx.TransportError:
                    assert time.monotonic() < deadline and server.poll() is None, "the server did not start"
                    time.sleep(0.1)
            body = {"name": "m", "architecture": "elman", "task": "reber", "hidden_size": 4}
            assert http.post("/api/models", json=body).status_code == 201
            job = http.post("/api/models/m/train", json=LONG).json()
            while http.get(f"/api/jobs/{job['id']}").json()["step"] == 0:
                assert time.monotonic() < deadline, "the job never made progress"
                time.sleep(0.05)
        server.send_signal(signal.SIGTERM)
        # uvicorn shuts down gracefully, then re-raises the signal it caught: -15 is a clean exit.
        assert server.wait(timeout=30) in (0, -signal.SIGTERM)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    saved = json.loads((models / "m.json").read_text())
    assert saved["total_steps"] > 0 and saved["last_training"]["status"] == "cancelled"
