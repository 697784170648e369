"""/api/experiments: recipes, an experiment as a job (202, events, cancel), its results and CSV,
bad input refused with nothing written, the shared line, classroom isolation.

Every experiment here is a tiny override of short-term-memory: the shortcut net at lag 5, two
seeds, a few steps (each run about a second on one core).
"""

from __future__ import annotations

import csv
import io
import socket

import pytest
from fastapi.testclient import TestClient

from app.core.experiments import ExperimentFolder, ExperimentRunner, LocalPool
from app.core.experiments.recipe import Overrides
from app.core.experiments.recipes import get_recipe
from app.core.experiments.run import comparable
from app.main import create_app
from app.settings import Settings
from tests.api.classroom import TOKEN, open_classroom
from tests.api.conftest import TEST_HOSTS
from tests.api.test_events import AnyEvent
from tests.api.test_jobs import FINAL, wait_for_end, wait_until

RECIPE = "short-term-memory"
TINY = {"architectures": ["shortcut"], "lags": [5], "seeds": 2, "steps": 20}
MODEL = "x-short-term-memory-shortcut-lag5-length1-n_symbols8-h32"  # the grid point's representative model


def start(client, overrides=None, expect: int = 202, **body) -> dict:
    response = client.post("/api/experiments", json={"recipe": RECIPE, "overrides": overrides or TINY, **body})
    assert response.status_code == expect, response.text
    return response.json()


def experiments_folder(client):
    return client.app.state.settings.models_dir / "experiments"


def test_the_listing_has_every_recipe_with_its_claim_and_grid(client):
    listing = client.get("/api/experiments").json()
    recipes = {recipe["name"]: recipe for recipe in listing["recipes"]}
    assert {"short-term-memory", "vanishing-gradient", "cost", "shortcuts", "fluent-distance"} <= set(recipes)
    memory = recipes[RECIPE]
    assert memory["claim"] and memory["grid"]["runs"] == len(memory["grid"]["variants"]) * 6 * 3
    assert memory["training"]["steps"] == 2000 and memory["criterion"]["threshold"] == 0.95
    assert listing["stored"] == [] and listing["experiment_workers"] == 1 and listing["ray"] is False


def test_an_experiment_runs_as_a_job_whose_events_count_runs_and_carry_partial_aggregates(client):
    job = start(client)
    assert job["kind"] == "experiment" and job["model"] == RECIPE and job["steps"] == 2
    assert job["experiment"] == {
        "name": RECIPE, "runs_done": 0, "runs": 2, "resumed": 0, "executor": "local", "workers": 1
    }  # fmt: skip
    events = []
    with client.websocket_connect(f"/api/jobs/{job['id']}/events") as stream:
        while not events or events[-1]["type"] not in FINAL:
            events.append(stream.receive_json())
    assert events[0]["type"] == "status" and events[-1]["type"] == "done"
    for event in events:  # each one its schema's (the runs event's too)
        assert type(AnyEvent.validate_python(event)).__name__.lower().startswith(event["type"])
    runs = [event for event in events if event["type"] == "runs"]
    assert [event["runs_done"] for event in runs][-1] == 2 and all(event["runs"] == 2 for event in runs)
    last = runs[-1]["summaries"]
    assert len(last) == 1 and last[0]["runs"] == 2 and "gradient_init" not in last[0]  # curves: GET only
    assert events[-1]["job"]["experiment"]["runs_done"] == 2
    ended = client.get(f"/api/jobs/{job['id']}").json()
    assert (ended["status"], ended["step"], ended["steps"]) == ("done", 2, 2)

    detail = client.get(f"/api/experiments/{RECIPE}").json()
    assert detail["status"] == "done" and [run["seed"] for run in detail["runs"]] == [0, 1]
    summary = detail["summaries"][0]
    assert summary["runs"] == 2 and len(summary["gradient_init"]["median"]) == 7  # T - t = 0..6: symbol, lag 5, recall
    assert detail["experiment"]["configuration"]["training"]["steps"] == 20
    assert client.get(f"/api/models/{MODEL}").status_code == 200  # the representative model opens
    stored = client.get("/api/experiments").json()["stored"]
    assert [(row["name"], row["status"], row["runs_done"], row["runs"]) for row in stored] == [(RECIPE, "done", 2, 2)]


def test_runs_csv_has_a_row_per_run_with_the_task_options_as_columns(client):
    wait_for_end(client, start(client)["id"])
    response = client.get(f"/api/experiments/{RECIPE}/runs.csv")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert f'filename="{RECIPE}-runs.csv"' in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [(row["variant"], row["lag"], row["seed"], row["steps_done"]) for row in rows] == [
        ("shortcut", "5", "0", "20"),
        ("shortcut", "5", "1", "20"),
    ]
    assert float(rows[0]["decay_init"]) > 0 and rows[0]["model"] == MODEL and rows[1]["model"] == ""


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"recipe": "no-such-recipe"}, 422, "unknown experiment 'no-such-recipe'"),
        ({"recipe": RECIPE, "overrides": {"seeds": 0}}, 422, "at least 1"),
        ({"recipe": RECIPE, "overrides": {"seeds": []}}, 422, "at least one seed"),
        ({"recipe": RECIPE, "overrides": {"seeds": [1, 1]}}, 422, "repeat"),
        ({"recipe": RECIPE, "overrides": {"seeds": 200}}, 422, "the grid has 10800 runs; at most 5000"),
        ({"recipe": RECIPE, "overrides": {"lags": [500]}}, 422, "'lag' must be between 0 and 200"),
        ({"recipe": RECIPE, "overrides": {"architectures": ["rnn9"]}}, 422, "no architecture 'rnn9'"),
        ({"recipe": RECIPE, "overrides": {"steps": 10**9}}, 422, "steps must be at most"),
        ({"recipe": RECIPE, "overrides": {"hidden_sizes": [100_000]}}, 422, "hidden size"),
        ({"recipe": RECIPE, "overrides": {"seeds": "3"}}, 422, "seeds"),
        ({"recipe": RECIPE, "lr": 1}, 422, "lr"),
        ({"recipe": RECIPE, "overrides": TINY, "executor": "ray"}, 422, "UNROLLED_RAY_ADDRESS"),
    ],
)
def test_bad_requests_are_refused_and_nothing_is_written(client, body, status, words):
    response = client.post("/api/experiments", json=body)
    assert response.status_code == status, response.text
    assert words in response.json()["detail"]
    assert not experiments_folder(client).exists()
    assert client.get("/api/models").json() == [] and client.get("/api/jobs").json() == []


def test_an_unreachable_ray_cluster_is_a_422_and_nothing_is_written(make_client):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = make_client(ray_address=f"127.0.0.1:{port}")
    response = client.post("/api/experiments", json={"recipe": RECIPE, "overrides": TINY, "executor": "ray"})
    assert response.status_code == 422 and "Ray" in response.json()["detail"]
    assert not experiments_folder(client).exists()


def test_stored_results_of_other_settings_are_a_409_unless_restart(client):
    wait_for_end(client, start(client)["id"])
    refused = client.post("/api/experiments", json={"recipe": RECIPE, "overrides": {**TINY, "steps": 30}})
    assert refused.status_code == 409 and "steps 20 stored, 30 asked" in refused.json()["detail"]
    assert client.get(f"/api/experiments/{RECIPE}").json()["experiment"]["configuration"]["training"]["steps"] == 20
    again = start(client, {**TINY, "steps": 30}, restart=True)
    assert wait_for_end(client, again["id"])["status"] == "done"
    assert client.get(f"/api/experiments/{RECIPE}").json()["runs"][0]["steps_done"] == 30


def test_a_grown_grid_resumes_the_stored_runs(client):
    wait_for_end(client, start(client)["id"])
    job = wait_for_end(client, start(client, {**TINY, "seeds": 3})["id"])
    assert job["experiment"]["resumed"] == 2 and job["experiment"]["runs_done"] == 3


def test_an_experiment_waits_in_the_training_line_and_a_second_of_the_same_name_is_busy(client, held_jobs):
    client.post("/api/models", json={"name": "m", "architecture": "elman", "task": "reber", "hidden_size": 4})
    first = start(client)
    training = client.post("/api/models/m/train", json={"steps": 4, "batch_size": 2}).json()
    assert (first["status"], first["queue_position"]) == ("queued", 1)
    assert client.get(f"/api/jobs/{training['id']}").json()["queue_position"] == 2
    busy = client.post("/api/experiments", json={"recipe": RECIPE, "overrides": TINY})
    assert busy.status_code == 409 and first["id"] in busy.json()["detail"]
    cancelled = client.post(f"/api/jobs/{first['id']}/cancel").json()
    assert cancelled["status"] == "cancelled" and not experiments_folder(client).exists()


def test_cancel_stops_a_running_experiment_and_keeps_its_finished_runs(client):
    job = start(client, {**TINY, "seeds": 6, "steps": 200})
    wait_until(client, job["id"], lambda seen: seen["step"] >= 1 or seen["status"] in FINAL)
    client.post(f"/api/jobs/{job['id']}/cancel")
    ended = wait_for_end(client, job["id"])
    assert ended["status"] == "cancelled" and 1 <= ended["step"] < 6
    stored = client.get("/api/experiments").json()["stored"][0]
    assert stored["status"] == "cancelled" and stored["runs_done"] == ended["step"]


def test_delete_removes_the_results_and_keeps_the_models(client):
    wait_for_end(client, start(client)["id"])
    deleted = client.delete(f"/api/experiments/{RECIPE}").json()
    assert deleted == {"name": RECIPE, "runs_deleted": 2, "models_kept": [MODEL]}
    assert client.get(f"/api/experiments/{RECIPE}").status_code == 404
    assert client.get("/api/experiments").json()["stored"] == []
    assert client.get(f"/api/models/{MODEL}").status_code == 200
    assert client.delete(f"/api/experiments/{RECIPE}").status_code == 404
    assert client.get("/api/experiments/..%2Fmodels").status_code in (404, 422)


def test_classroom_experiments_live_in_the_workspace_and_the_shared_results_are_read_only(tmp_path):
    with open_classroom(tmp_path) as classroom:
        shared = classroom.app.state.store
        only_lstm = Overrides(seeds=(0,), task_options={"lag": (5,)}, steps=10, architectures=("lstm",))
        recipe = get_recipe(RECIPE).with_overrides(only_lstm)
        with LocalPool(1) as pool:  # the class's shipped results, in the shared store
            ExperimentRunner(recipe, shared, pool).run()
        alice, bob, teacher = classroom.browser(), classroom.browser(), classroom.browser(TOKEN)
        [seen] = bob.get("/api/experiments").json()["stored"]
        assert seen["read_only"] is True and bob.delete(f"/api/experiments/{RECIPE}").status_code == 403

        job = start(alice)  # her own run of the same recipe: in her workspace, hiding the shared one for her
        assert job["workspace"] is None
        assert bob.get(f"/api/jobs/{job['id']}").status_code == 404
        small = {"architectures": ["elman"], "hidden_sizes": [16], "seeds": 1}
        quota = alice.post("/api/experiments", json={"recipe": "cost", "overrides": small})
        assert quota.status_code == 429  # workspace_max_jobs=1 in this classroom
        assert wait_for_end(alice, job["id"])["status"] == "done"
        mine = alice.get(f"/api/experiments/{RECIPE}").json()
        assert mine["read_only"] is False and [run["point"]["architecture"] for run in mine["runs"]] == ["shortcut"] * 2
        assert bob.get(f"/api/experiments/{RECIPE}").json()["read_only"] is True  # still the shared one
        assert alice.get(f"/api/models/{MODEL}").status_code == 200
        assert bob.get(f"/api/models/{MODEL}").status_code == 404
        assert teacher.get("/api/experiments").json()["stored"][0]["read_only"] is True  # the teacher's own: none
        room = alice.post("/api/experiments", json={"recipe": RECIPE, "overrides": {**TINY, "lags": [6, 7, 8]}})
        assert room.status_code == 409 and "room" in room.json()["detail"]  # 3 models per workspace here


def test_executor_ray_on_a_local_ray_instance_gives_the_local_pools_records(make_client):
    pytest.importorskip("ray", reason="the ray extra is not installed (make setup installs it)")
    client = make_client(ray_address="local")
    listing = client.get("/api/experiments").json()
    assert listing["ray"] is True
    on_ray = wait_for_end(client, start(client, executor="ray")["id"], timeout=180)
    assert on_ray["status"] == "done" and on_ray["experiment"]["executor"] == "ray", on_ray["reason"]
    ray_runs = client.get(f"/api/experiments/{RECIPE}").json()
    assert ray_runs["experiment"]["machine"]["executor"] == "ray"
    local = wait_for_end(client, start(client, restart=True)["id"])
    assert local["status"] == "done"
    local_runs = client.get(f"/api/experiments/{RECIPE}").json()["runs"]
    assert [comparable(run) for run in ray_runs["runs"]] == [comparable(run) for run in local_runs]


def test_a_server_shutdown_stops_a_running_experiment_and_marks_it_cancelled(tmp_path):
    settings = Settings.from_env(models_dir=tmp_path / "models", allowed_hosts=TEST_HOSTS)
    app = create_app(settings)
    with TestClient(app) as client:
        job = start(client, {**TINY, "seeds": 6, "steps": 400})
        wait_until(client, job["id"], lambda seen: seen["status"] == "running")
    ended = app.state.jobs.get(job["id"])  # the lifespan's end has stopped it (a run's set-up may finish first)
    assert ended.wait(30)
    assert (ended.status, ended.reason) == ("cancelled", "the server shut down")
    assert ExperimentFolder(settings.models_dir, RECIPE).document()["status"] == "cancelled"
