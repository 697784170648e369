"""Classroom mode: who is asking (app/api/auth.py), what each visitor's store holds
(app/api/workspaces.py), and both through the API. Jobs per workspace: test_classroom_jobs.py."""

from __future__ import annotations

import os

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from app.api.auth import (
    LOCAL_VISITOR,
    TEACHER_COOKIE,
    WORKSPACE_COOKIE,
    ClassroomGate,
    Visitor,
    classroom_on,
    new_workspace_id,
    teacher_url,
)
from app.api.workspaces import TEACHER_WORKSPACE, ReadOnlyModel, TooManyWorkspaces, WorkspaceStores
from app.core.architectures import expected_shapes
from app.core.models import create_model
from app.core.store import ModelNotFound, ModelStore, StoreLimits
from app.core.store.seed import seed_models
from tests.api.classroom import MODEL, TOKEN, Classroom, names, open_classroom


@pytest.fixture
def classroom(tmp_path) -> Classroom:
    with open_classroom(tmp_path) as opened:
        yield opened


# ----- when classroom mode is on ------------------------------------------------------


@pytest.mark.parametrize(
    "mode, host, on",
    [
        ("auto", "127.0.0.1", False),
        ("auto", "localhost", False),
        ("auto", "::1", False),
        ("auto", "0.0.0.0", True),
        ("auto", "192.168.1.20", True),
        ("off", "0.0.0.0", False),
        ("on", "127.0.0.1", True),
    ],
)
def test_classroom_mode_is_on_whenever_the_server_listens_beyond_loopback(mode, host, on):
    assert classroom_on(mode, host) is on


def test_the_teachers_url_carries_the_token_on_a_name_students_can_type():
    assert teacher_url("192.168.1.20", 8000, "abc") == "http://192.168.1.20:8000/?token=abc"
    assert teacher_url("0.0.0.0", 8000, "abc", ("lab.example:8000",)) == "http://lab.example:8000/?token=abc"


def test_serve_beyond_loopback_prints_the_teachers_url_and_hands_the_app_the_token(monkeypatch, capsys):
    import uvicorn

    from app.__main__ import main
    from app.settings import Settings

    monkeypatch.setattr(uvicorn, "run", lambda target, **options: None)
    monkeypatch.setenv("UNROLLED_HOST", "127.0.0.1")  # restored after the test; serve changes both
    monkeypatch.setenv("UNROLLED_CLASSROOM_TOKEN", "")
    assert main(["serve", "--host", "0.0.0.0", "--port", "8123"]) == 0
    token = os.environ["UNROLLED_CLASSROOM_TOKEN"]
    assert len(token) >= 32 and f":8123/?token={token}" in capsys.readouterr().out
    assert Settings.from_env().classroom_token == token
    monkeypatch.setenv("UNROLLED_CLASSROOM_TOKEN", "")
    assert main(["serve", "--host", "127.0.0.1"]) == 0
    assert "token" not in capsys.readouterr().out  # a loopback server: no classroom mode


# ----- the gate ------------------------------------------------------------------------


def whoami(request: Request) -> JSONResponse:
    visitor = request.scope["state"].get("visitor")
    return JSONResponse({"visitor": None if visitor is None else [visitor.teacher, visitor.workspace]})


def gated_client(token: str | None) -> TestClient:
    routes = [Route("/", whoami), Route("/api/health", whoami), Route("/api/models", whoami)]
    app = Starlette(routes=routes)
    app.add_middleware(ClassroomGate, token=token)
    return TestClient(app, follow_redirects=False)


def test_off_every_caller_is_the_local_user():
    assert gated_client(None).get("/api/models").json() == {"visitor": [True, None]}
    assert LOCAL_VISITOR.teacher


def test_the_token_becomes_an_httponly_cookie_and_leaves_the_address():
    client = gated_client(TOKEN)
    response = client.get(f"/?model=lstm-copy&token={TOKEN}")
    assert response.status_code == 303 and response.headers["location"] == "/?model=lstm-copy"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{TEACHER_COOKIE}=") and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert client.get("/api/models").json() == {"visitor": [True, None]}


def test_a_wrong_token_gets_403_and_no_cookie():
    response = gated_client(TOKEN).get("/?token=guess")
    assert response.status_code == 403 and "set-cookie" not in response.headers
    assert "not the token" in response.json()["detail"]


def test_a_script_may_send_the_token_as_a_bearer_header():
    client = gated_client(TOKEN)
    assert client.get("/api/models", headers={"authorization": f"Bearer {TOKEN}"}).json()["visitor"] == [True, None]
    assert client.get("/api/models", headers={"authorization": "Bearer nope"}).status_code == 401


def test_a_first_visit_to_the_page_gives_the_browser_its_own_workspace():
    student, other = gated_client(TOKEN), gated_client(TOKEN)
    assert student.get("/api/models").status_code == 401  # not yet: the page first
    cookie = student.get("/").headers["set-cookie"]
    assert cookie.startswith(f"{WORKSPACE_COOKIE}=") and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    mine = student.get("/api/models").json()["visitor"]
    other.get("/")
    theirs = other.get("/api/models").json()["visitor"]
    assert mine[0] is False and theirs[0] is False and mine[1] != theirs[1]
    assert "set-cookie" not in student.get("/").headers  # a known browser keeps its workspace


def test_health_is_open_and_a_forged_workspace_cookie_is_refused():
    client = gated_client(TOKEN)
    assert client.get("/api/health").status_code == 200
    client.cookies.set(WORKSPACE_COOKIE, "../../etc")
    assert client.get("/api/models").status_code == 401


# ----- workspaces ----------------------------------------------------------------------


@pytest.fixture
def stores(tmp_path) -> WorkspaceStores:
    demos = ModelStore(tmp_path / "models", expected_shapes=expected_shapes)
    create_model(demos, name="demo", architecture="elman", task_id="reber", hidden_size=4)
    limits = StoreLimits(max_models=2)
    return WorkspaceStores(demos, tmp_path / "workspaces", limits, max_workspaces=3, expected_shapes=expected_shapes)


def student() -> Visitor:
    return Visitor(teacher=False, workspace=new_workspace_id())


def test_a_student_sees_their_own_models_and_the_demos_only(stores):
    alice, bob = stores.view(student()), stores.view(student())
    create_model(alice, name="mine", architecture="elman", task_id="reber", hidden_size=4)
    assert names(alice.list()) == ["demo", "mine"]
    assert names(bob.list()) == ["demo"]
    with pytest.raises(ModelNotFound):
        bob.load_metadata("mine")
    with pytest.raises(ModelNotFound):
        bob.delete("mine")
    assert alice.exists("mine") and not alice.is_demo("mine") and alice.is_demo("demo")


def test_a_workspace_gets_its_folder_at_its_first_write_only(stores):
    visitor = student()
    view = stores.view(visitor)
    assert names(view.list()) == ["demo"] and stores.ids() == []  # looking costs no folder
    create_model(view, name="mine", architecture="elman", task_id="reber", hidden_size=4)
    assert stores.ids() == [visitor.workspace] and view.place.root == stores.root / visitor.workspace


def test_the_demos_are_read_only_for_everyone(stores):
    for visitor in (student(), Visitor(teacher=True, workspace=None)):
        view = stores.view(visitor)
        assert view.load_metadata("demo").config.hidden_size == 4  # readable
        with pytest.raises(ReadOnlyModel):
            view.delete("demo")
        with pytest.raises(ReadOnlyModel):
            create_model(view, name="demo", architecture="elman", task_id="reber", hidden_size=4)
        with pytest.raises(ReadOnlyModel):
            view.import_checkpoint("demo", b"")
    assert stores.demos.exists("demo")


def test_the_teacher_opens_any_workspace_and_a_student_cannot(stores):
    alice = student()
    create_model(stores.view(alice), name="mine", architecture="elman", task_id="reber", hidden_size=4)
    teacher = Visitor(teacher=True, workspace=None)
    assert alice.workspace in stores.ids()
    assert names(stores.view(teacher, alice.workspace).list()) == ["demo", "mine"]
    stores.view(teacher, alice.workspace).delete("mine")
    assert names(stores.view(alice).list()) == ["demo"]
    assert names(stores.view(student(), alice.workspace).list()) == ["demo"]  # a student's choice is ignored
    with pytest.raises(ModelNotFound):
        stores.view(teacher, "x" * 22)
    assert stores.view(teacher).workspace == TEACHER_WORKSPACE


def test_quotas_on_models_per_workspace_and_on_workspaces(stores):
    alice = stores.view(student())
    for name in ("a", "b"):
        create_model(alice, name=name, architecture="elman", task_id="reber", hidden_size=4)
    with pytest.raises(Exception, match="full"):
        create_model(alice, name="c", architecture="elman", task_id="reber", hidden_size=4)
    for _ in range(2):  # alice's is the first of 3
        create_model(stores.view(student()), name="a", architecture="elman", task_id="reber", hidden_size=4)
    with pytest.raises(TooManyWorkspaces):
        create_model(stores.view(student()), name="a", architecture="elman", task_id="reber", hidden_size=4)


def test_the_shared_store_lists_repairs_and_seeds_as_if_the_workspaces_were_not_inside_it(tmp_path):
    demos = ModelStore(tmp_path / "models", expected_shapes=expected_shapes)
    stores = WorkspaceStores(demos, tmp_path / "models" / "workspaces", StoreLimits(), 5, expected_shapes)
    visitor = student()
    create_model(stores.view(visitor), name="mine", architecture="elman", task_id="reber", hidden_size=4)
    workspace = stores.root / visitor.workspace
    leftover = workspace / ".mine.json.0123abcd.tmp"  # a write of the workspace's own, in progress
    leftover.write_bytes(b"{}")
    assert demos.list() == [] and not demos.repair().changed
    assert leftover.exists() and (workspace / "mine.json").exists()
    seed = tmp_path / "seed"
    create_model(ModelStore(seed), name="demo", architecture="elman", task_id="reber", hidden_size=4)
    assert seed_models(demos.root, seed) == []  # a store with content of its own is never seeded
    assert seed_models(demos.root, seed, ignore=["workspaces"]) == ["demo"]  # the workspaces are not content


# ----- through the API ------------------------------------------------------------------


def test_without_the_page_or_the_token_the_api_answers_401_but_health_is_open(classroom):
    stranger = classroom.browser()
    stranger.cookies.clear()
    response = stranger.get("/api/models")
    assert response.status_code == 401 and "classroom mode" in response.json()["detail"]
    assert stranger.get("/api/health").status_code == 200
    assert stranger.get("/?token=wrong").status_code == 403


def test_a_student_cannot_read_modify_or_delete_anothers_models(classroom):
    alice, bob = classroom.browser(), classroom.browser()
    assert alice.post("/api/models", json={"name": "m", **MODEL}).status_code == 201
    before = alice.get("/api/models/m/checkpoint").content
    assert names(bob.get("/api/models").json()) == ["demo"]
    for refused in (
        bob.get("/api/models/m"),
        bob.get("/api/models/m/weights"),
        bob.get("/api/models/m/checkpoint"),
        bob.post("/api/models/m/trace", json={"input": "BT"}),
        bob.post("/api/models/m/train", json={"steps": 2}),
        bob.delete("/api/models/m"),
    ):
        assert refused.status_code == 404, refused.text  # not 403: another's model is not said to exist
    # Bob's own "m" is his, in his workspace; replacing it leaves alice's untouched.
    assert bob.post("/api/models", json={"name": "m", **MODEL, "seed": 5}).status_code == 201
    headers = {"content-type": "application/octet-stream"}
    assert bob.post("/api/models/m/checkpoint?overwrite=true", content=before, headers=headers).status_code == 201
    assert bob.delete("/api/models/m").status_code == 204
    assert alice.get("/api/models/m/checkpoint").content == before


def test_the_demos_are_read_only_through_the_api_and_marked_so(classroom):
    student, teacher = classroom.browser(), classroom.browser(TOKEN)
    headers = {"content-type": "application/octet-stream"}
    for client in (student, teacher):
        assert client.get("/api/models/demo").json()["read_only"] is True
        assert [row["read_only"] for row in client.get("/api/models").json()] == [True]
        assert client.post("/api/models/demo/trace", json={"input": "BT"}).status_code == 200
        data = client.get("/api/models/demo/checkpoint").content
        for refused in (
            client.delete("/api/models/demo"),
            client.post("/api/models", json={"name": "demo", **MODEL}),
            client.post("/api/models/demo/checkpoint?overwrite=true", content=data, headers=headers),
            client.post("/api/models/demo/train", json={"steps": 2}),
        ):
            assert refused.status_code == 403 and "read-only" in refused.json()["detail"], refused.text
        # The refusal says how to make a copy, and the copy is the visitor's own to train.
        assert client.post("/api/models/my-demo/checkpoint", content=data, headers=headers).status_code == 201
        assert client.get("/api/models/my-demo").json()["read_only"] is False
    assert classroom.app.state.store.exists("demo") and not classroom.app.state.store.exists("my-demo")


def test_the_teacher_sees_and_manages_every_workspace(classroom):
    alice, teacher = classroom.browser(), classroom.browser(TOKEN)
    alice.post("/api/models", json={"name": "m", **MODEL})
    assert alice.get("/api/models/m").json()["workspace"] is None  # a student's page never sees its id
    [workspace] = [each["id"] for each in teacher.get("/api/workspaces").json() if each["id"] != TEACHER_WORKSPACE]
    assert teacher.get("/api/workspaces").json()[-1] == {"id": workspace, "models": 1, "jobs": 0}
    rows = teacher.get(f"/api/models?workspace={workspace}").json()
    assert [(row["name"], row["workspace"]) for row in rows] == [("demo", None), ("m", workspace)]
    assert teacher.delete(f"/api/models/m?workspace={workspace}").status_code == 204
    assert alice.get("/api/models/m").status_code == 404
    assert teacher.get("/api/models?workspace=" + "x" * 22).status_code == 404
    # The teacher's own models live in a workspace of their own, which students do not see.
    assert teacher.post("/api/models", json={"name": "t", **MODEL}).status_code == 201
    assert names(alice.get("/api/models").json()) == ["demo"]
    # A student naming another workspace gets their own, and no overview.
    bob = classroom.browser()
    bob.post("/api/models", json={"name": "b", **MODEL})
    assert names(bob.get(f"/api/models?workspace={workspace}").json()) == ["b", "demo"]
    assert bob.get("/api/workspaces").status_code == 403


def test_the_page_learns_who_it_is_and_its_quotas(classroom, client):
    assert classroom.browser().get("/api/classroom").json() == {
        "on": True,
        "role": "student",
        "workspace_max_models": 3,
        "workspace_max_jobs": 1,
    }
    assert classroom.browser(TOKEN).get("/api/classroom").json()["role"] == "teacher"
    assert client.get("/api/classroom").json()["role"] == "local"  # a loopback server: classroom mode off
    assert client.get("/api/workspaces").status_code == 404


def test_a_workspaces_model_quota_is_its_own(classroom):
    alice, bob = classroom.browser(), classroom.browser()
    for name in ("a", "b", "c"):
        assert alice.post("/api/models", json={"name": name, **MODEL}).status_code == 201
    full = alice.post("/api/models", json={"name": "d", **MODEL})
    assert full.status_code == 409 and "full" in full.json()["detail"]
    assert bob.post("/api/models", json={"name": "d", **MODEL}).status_code == 201


def test_create_app_turns_classroom_mode_on_beyond_loopback_only(tmp_path):
    from app.main import create_app
    from app.settings import Settings

    def token_of(host: str) -> str | None:
        return create_app(Settings.from_env(models_dir=tmp_path, host=host)).state.classroom_token

    assert token_of("0.0.0.0") is not None and token_of("127.0.0.1") is None


def test_a_stream_without_the_page_or_the_token_is_refused(classroom):
    from starlette.testclient import WebSocketDenialResponse

    stranger = TestClient(classroom.app)
    with pytest.raises(WebSocketDenialResponse) as refused:
        with stranger.websocket_connect("/api/jobs/0123456789ab/events"):
            pass
    assert refused.value.status_code == 401
