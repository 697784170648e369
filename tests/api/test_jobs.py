"""Training jobs over REST: POST /api/models/{name}/train, GET /api/jobs[/{id}], POST /api/jobs/{id}/cancel.

Models are tiny (elman, H=4, on reber) and batches small, so a job of a few
steps ends in about a second even on a busy machine; "long" jobs ask for the
server's maximum of steps and are cancelled by the test (or by the client's
shutdown at teardown).
"""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings
from tests.api.conftest import TEST_HOSTS, create_model

FINAL = ("done", "cancelled", "failed")
SHORT = {"steps": 4, "batch_size": 2}
LONG = {"steps": 100_000, "batch_size": 2}


def train(client: TestClient, name: str = "m", **body) -> dict:
    response = client.post(f"/api/models/{name}/train", json=body or SHORT)
    assert response.status_code == 202, response.text
    return response.json()


def wait_until(client: TestClient, job_id: str, done, timeout: float = 60.0) -> dict:
    """Poll the job until done(job) is true; fails the test after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        job = client.get(f"/api/jobs/{job_id}").json()
        if done(job):
            return job
        assert time.monotonic() < deadline, f"job never reached the state; last seen {job}"
        time.sleep(0.05)


def wait_for_end(client: TestClient, job_id: str, timeout: float = 60.0) -> dict:
    return wait_until(client, job_id, lambda job: job["status"] in FINAL, timeout)


def wait_for_progress(client: TestClient, job_id: str) -> dict:
    return wait_until(client, job_id, lambda job: job["status"] == "running" and job["step"] > job["first_step"])


def stored(client: TestClient, name: str = "m") -> dict:
    return client.app.state.store.load_metadata(name).to_document()


@pytest.fixture
def model(make_model) -> str:
    make_model("m", architecture="elman", task="reber", hidden_size=4)
    return "m"


def test_train_answers_202_with_the_job(client, model, held_jobs):
    job = train(client, steps=3, batch_size=2, learning_rate=0.05, optimizer="sgd")
    assert job["model"] == "m" and job["status"] == "queued"
    assert (job["step"], job["steps"], job["first_step"]) == (0, 3, 0)
    assert job["created_at"].endswith("Z") and job["finished_at"] is None and job["reason"] == ""
    assert job["config"] == {
        "steps": 3,
        "batch_size": 2,
        "learning_rate": 0.05,
        "optimizer": "sgd",
        "clip_norm": 1.0,
        "tbptt": None,
        "seed": 0,
        "trace_every_s": 0.5,
        "probe": None,
    }
    assert job["id"] and job["started_at"] is None
    assert job["loss"] is job["metric"] is job["grad_norm"] is job["steps_per_s"] is None
    held_jobs.set()
    assert wait_for_end(client, job["id"])["status"] == "done"


def test_a_job_runs_to_done_saves_the_model_and_a_second_run_continues_its_steps(client, model):
    first = wait_for_end(client, train(client, steps=4, batch_size=2)["id"])
    assert first["status"] == "done" and first["step"] == 4 and first["reason"] == ""
    assert first["loss"] is not None and first["steps_per_s"] > 0 and first["finished_at"]
    after_first = stored(client)
    assert after_first["total_steps"] == 4
    assert after_first["history"] and after_first["history"][-1]["step"] == 4
    assert after_first["last_training"]["status"] == "done"

    second = train(client, steps=3, batch_size=2, optimizer="rmsprop")
    assert second["first_step"] == 4 and second["steps"] == 7
    second = wait_for_end(client, second["id"])
    assert second["status"] == "done" and second["step"] == 7
    after_second = stored(client)
    assert after_second["total_steps"] == 7
    assert len(after_second["history"]) > len(after_first["history"])
    assert after_second["history"][-1]["step"] == 7
    assert after_second["weights_sha256"] != after_first["weights_sha256"]


def test_a_second_job_on_the_same_model_is_409(client, model):
    running = train(client, **LONG)
    response = client.post("/api/models/m/train", json=SHORT)
    assert response.status_code == 409
    assert response.json()["detail"].startswith(f"model 'm' is already training in job {running['id']}")
    client.post(f"/api/jobs/{running['id']}/cancel")


def test_jobs_beyond_the_slots_and_the_queue_are_refused_with_429(make_client):
    client = make_client(max_jobs=1, max_queued_jobs=0)
    create_model(client, "a", hidden_size=4)
    create_model(client, "b", hidden_size=4)
    running = train(client, "a", **LONG)
    refused = client.post("/api/models/b/train", json=SHORT)
    assert refused.status_code == 429
    assert "already running" in refused.json()["detail"]
    assert client.post(f"/api/jobs/{running['id']}/cancel").json()["status"] == "cancelled"
    wait_for_end(client, train(client, "b")["id"])  # room again


def test_cancel_stops_within_a_short_time_and_keeps_what_was_learned(client, model):
    job = train(client, **LONG)
    wait_for_progress(client, job["id"])
    started = time.monotonic()
    response = client.post(f"/api/jobs/{job['id']}/cancel")
    took = time.monotonic() - started
    assert response.status_code == 200
    cancelled = response.json()
    assert cancelled["status"] == "cancelled" and cancelled["reason"] == "cancelled by request"
    assert took < 5.0
    assert 0 < cancelled["step"] < LONG["steps"]
    saved = stored(client)
    assert saved["total_steps"] == cancelled["step"]
    assert saved["last_training"]["status"] == "cancelled"


def test_cancelling_a_finished_job_returns_it_unchanged(client, model):
    done = wait_for_end(client, train(client)["id"])
    response = client.post(f"/api/jobs/{done['id']}/cancel")
    assert response.status_code == 200 and response.json() == done


RAW_BAD_BODIES = {
    "learning rate overflows to infinity": '{"steps": 5, "learning_rate": 1e999}',
    "not JSON": "{steps: 5",
    "empty body": "",
    "a list": "[5]",
    "null": "null",
}
BAD_BODIES = {
    "no steps": {},
    "zero steps": {"steps": 0},
    "more steps than the server allows": {"steps": 100_001},
    "steps as a string": {"steps": "ten"},
    "steps as a number string": {"steps": "10"},
    "fractional steps": {"steps": 10.5},
    "steps as a boolean": {"steps": True},
    "negative learning rate": {"steps": 5, "learning_rate": -1},
    "zero learning rate": {"steps": 5, "learning_rate": 0},
    "huge learning rate": {"steps": 5, "learning_rate": 1e300},
    "learning rate as a list": {"steps": 5, "learning_rate": [0.1]},
    "unknown optimizer": {"steps": 5, "optimizer": "lbfgs"},
    "batch size zero": {"steps": 5, "batch_size": 0},
    "batch size beyond the limit": {"steps": 5, "batch_size": 513},
    "negative clip norm": {"steps": 5, "clip_norm": -1},
    "zero tbptt": {"steps": 5, "tbptt": 0},
    "negative seed": {"steps": 5, "seed": -1},
    "traces too often": {"steps": 5, "trace_every_s": 0},
    "a misspelt key": {"steps": 5, "lr": 0.1},
    "a probe with a symbol reber lacks": {"steps": 5, "probe": "BTQSE"},
    "a probe that is not a string": {"steps": 5, "probe": 7},
}


@pytest.mark.parametrize("content", RAW_BAD_BODIES.values(), ids=RAW_BAD_BODIES.keys())
def test_malformed_bodies_are_422(client, model, content):
    response = client.post("/api/models/m/train", content=content, headers={"content-type": "application/json"})
    assert response.status_code == 422, response.text
    assert isinstance(response.json()["detail"], str)


@pytest.mark.parametrize("body", BAD_BODIES.values(), ids=BAD_BODIES.keys())
def test_bad_values_are_422_and_start_nothing(client, model, body):
    response = client.post("/api/models/m/train", json=body)
    assert response.status_code == 422, response.text
    assert isinstance(response.json()["detail"], str) and response.json()["detail"]
    assert client.get("/api/jobs").json() == []


def test_a_bad_probe_is_named(client, model):
    response = client.post("/api/models/m/train", json={"steps": 5, "probe": "BTQSE"})
    assert "'Q'" in response.json()["detail"]


def test_a_probe_longer_than_the_trace_limit_is_422(make_client):
    small = make_client(max_trace_steps=5)
    create_model(small, "m", hidden_size=4)
    response = small.post("/api/models/m/train", json={"steps": 5, "probe": "BTSSXXTVVE"})
    assert response.status_code == 422
    assert response.json()["detail"] == "the probe is 10 steps long; at most 5 can be traced"
    assert small.get("/api/jobs").json() == []


def test_a_probe_is_traced_instead_of_the_tasks(client, model):
    job = wait_for_end(client, train(client, steps=2, batch_size=2, probe="BTXSE")["id"])
    assert job["status"] == "done" and job["config"]["probe"] == "BTXSE"


def test_a_diverging_run_fails_and_the_stored_model_keeps_its_last_good_weights(client, make_model):
    make_model("wild", task="sine", hidden_size=4)
    before = stored(client, "wild")
    body = {"steps": 200, "batch_size": 4, "learning_rate": 100, "optimizer": "sgd", "clip_norm": None}
    job = wait_for_end(client, train(client, "wild", **body)["id"])
    assert job["status"] == "failed" and "non-finite" in job["reason"] and "last saved" in job["reason"]
    after = stored(client, "wild")
    assert after["weights_sha256"] == before["weights_sha256"] and after["total_steps"] == 0


def test_training_an_unknown_model_is_404(client):
    response = client.post("/api/models/nobody/train", json=SHORT)
    assert response.status_code == 404
    assert "nobody" in response.json()["detail"]


def test_a_model_deleted_while_training_ends_its_job_and_stays_deleted(client, model):
    job = train(client, **LONG)
    wait_for_progress(client, job["id"])
    assert client.delete("/api/models/m").status_code == 204
    ended = wait_for_end(client, job["id"], timeout=10)
    assert ended["status"] in ("cancelled", "failed") and ended["reason"] == "the model was deleted"
    time.sleep(0.3)  # a late save would show up now
    assert client.get("/api/models/m").status_code == 404
    assert not client.app.state.store.exists("m")


def test_a_model_deleted_behind_the_servers_back_ends_its_job(client, model):
    job = train(client, **LONG)
    wait_for_progress(client, job["id"])
    client.app.state.store.delete("m")  # as the CLI or another process would
    ended = wait_for_end(client, job["id"], timeout=15)
    assert ended["status"] in ("cancelled", "failed") and ended["reason"] == "the model was deleted"
    assert not client.app.state.store.exists("m")


def test_jobs_are_listed_newest_first_and_read_by_id(client, make_model):
    make_model("a", hidden_size=4)
    make_model("b", hidden_size=4)
    first = wait_for_end(client, train(client, "a")["id"])
    second = train(client, "b")
    listed = client.get("/api/jobs").json()
    assert [job["id"] for job in listed] == [second["id"], first["id"]]
    assert client.get(f"/api/jobs/{first['id']}").json() == first
    wait_for_end(client, second["id"])


@pytest.mark.parametrize("path", ["/api/jobs/nope", "/api/jobs/nope/cancel"])
def test_unknown_jobs_are_404(client, path):
    response = client.post(path) if path.endswith("cancel") else client.get(path)
    assert response.status_code == 404
    assert "nope" in response.json()["detail"]


def test_shutdown_stops_running_jobs_saves_them_and_returns_promptly(tmp_path):
    app = create_app(Settings.from_env(models_dir=tmp_path / "models", allowed_hosts=TEST_HOSTS))
    with TestClient(app) as client:
        create_model(client, "m", hidden_size=4)
        job = train(client, **LONG)
        wait_for_progress(client, job["id"])
        registry = client.app.state.jobs
        started = time.monotonic()
    assert time.monotonic() - started < 10
    ended = registry.get(job["id"]).snapshot()
    assert ended["status"] == "cancelled" and ended["reason"] == "the server shut down"
    assert app.state.store.load_metadata("m").total_steps == ended["step"] > 0
