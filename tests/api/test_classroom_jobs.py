"""Training jobs in classroom mode: each workspace's jobs train its own models, in its own
folder; a student sees, cancels and streams only their own; quotas answer 429."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from app.api.auth import WORKSPACE_COOKIE
from tests.api.classroom import MODEL, TOKEN, Classroom, open_classroom
from tests.api.test_jobs import FINAL, wait_until

SHORT = {"steps": 4, "batch_size": 2}
LONG = {"steps": 100_000, "batch_size": 2}


@pytest.fixture
def classroom(tmp_path) -> Classroom:
    with open_classroom(tmp_path) as opened:
        yield opened


def train(client: TestClient, name: str, body: dict) -> dict:
    response = client.post(f"/api/models/{name}/train", json=body)
    assert response.status_code == 202, response.text
    return response.json()


def wait_for_end(client: TestClient, job_id: str) -> dict:
    return wait_until(client, job_id, lambda job: job["status"] in FINAL)


def test_two_students_train_a_model_of_the_same_name_each_in_their_own_workspace(classroom):
    alice, bob, teacher = classroom.browser(), classroom.browser(), classroom.browser(TOKEN)
    for client in (alice, bob):
        assert client.post("/api/models", json={"name": "mine", **MODEL}).status_code == 201
    first = train(alice, "mine", SHORT)
    second = train(bob, "mine", {**SHORT, "steps": 6})  # not busy: alice's "mine" is another model
    assert first["workspace"] is None and second["workspace"] is None  # a student is not told its id
    assert wait_for_end(alice, first["id"])["status"] == "done"
    assert wait_for_end(bob, second["id"])["status"] == "done"
    assert alice.get("/api/models/mine").json()["total_steps"] == 4
    assert bob.get("/api/models/mine").json()["total_steps"] == 6
    # Each run saved in its workspace's folder; the shared store has no "mine".
    assert not classroom.app.state.store.exists("mine")
    workspaces = {alice.cookies.get(WORKSPACE_COOKIE), bob.cookies.get(WORKSPACE_COOKIE)}
    assert {job["workspace"] for job in teacher.get("/api/jobs").json()} == workspaces


def test_a_student_cannot_see_cancel_or_stream_anothers_job(classroom):
    alice, bob, teacher = classroom.browser(), classroom.browser(), classroom.browser(TOKEN)
    alice.post("/api/models", json={"name": "m", **MODEL})
    hold = classroom.app.state.jobs.hold()  # the job stays queued: nothing ends it before the checks
    try:
        job = train(alice, "m", SHORT)
        assert [each["id"] for each in alice.get("/api/jobs").json()] == [job["id"]]
        assert bob.get("/api/jobs").json() == []
        assert bob.get(f"/api/jobs/{job['id']}").status_code == 404
        assert bob.post(f"/api/jobs/{job['id']}/cancel").status_code == 404
        with bob.websocket_connect(f"/api/jobs/{job['id']}/events") as ws, pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_text()
        assert closed.value.code == 4404  # as for a job that does not exist
        assert alice.get(f"/api/jobs/{job['id']}").json()["status"] == "queued"
        # The teacher sees it, with its workspace, and may stop it.
        seen = teacher.get(f"/api/jobs/{job['id']}").json()
        assert seen["workspace"] == alice.cookies.get(WORKSPACE_COOKIE)
        workspace_jobs = teacher.get(f"/api/jobs?workspace={seen['workspace']}").json()
        assert [each["id"] for each in workspace_jobs] == [job["id"]]
        assert teacher.post(f"/api/jobs/{job['id']}/cancel").json()["status"] == "cancelled"
    finally:
        hold.set()
    with alice.websocket_connect(f"/api/jobs/{job['id']}/events") as ws:
        assert ws.receive_json()["type"] == "status"  # the owner still follows it


def test_a_students_jobs_are_capped_with_429_and_the_teacher_is_not(classroom):
    alice, bob, teacher = classroom.browser(), classroom.browser(), classroom.browser(TOKEN)
    for client in (alice, bob, teacher):
        for name in ("a", "b"):
            client.post("/api/models", json={"name": name, **MODEL})
    hold = classroom.app.state.jobs.hold()
    try:
        train(alice, "a", LONG)  # workspace_max_jobs is 1 in these tests
        refused = alice.post("/api/models/b/train", json=SHORT)
        assert refused.status_code == 429
        assert "your workspace already has 1 job(s) queued or running" in refused.json()["detail"]
        train(bob, "a", LONG)  # another workspace's quota is its own
        train(teacher, "a", SHORT)
        train(teacher, "b", SHORT)
        counts = {each["id"]: each["jobs"] for each in teacher.get("/api/workspaces").json()}
        assert counts[alice.cookies.get(WORKSPACE_COOKIE)] == 1 and counts["teacher"] == 2
    finally:
        for job in teacher.get("/api/jobs").json():
            teacher.post(f"/api/jobs/{job['id']}/cancel")
        hold.set()


def test_deleting_a_model_cancels_only_its_own_workspaces_job(classroom):
    alice, bob = classroom.browser(), classroom.browser()
    for client in (alice, bob):
        client.post("/api/models", json={"name": "m", **MODEL})
    hold = classroom.app.state.jobs.hold()
    try:
        alices = train(alice, "m", LONG)
        bobs = train(bob, "m", LONG)
        assert bob.delete("/api/models/m").status_code == 204
        assert bob.get(f"/api/jobs/{bobs['id']}").json()["status"] == "cancelled"
        assert alice.get(f"/api/jobs/{alices['id']}").json()["status"] == "queued"
        alice.post(f"/api/jobs/{alices['id']}/cancel")
    finally:
        hold.set()
