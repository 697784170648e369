"""The one training flow (app/core/runs.py): creating, the seed rule, the save rules, stop and deletion."""

from __future__ import annotations

import pickle
import shutil

import pytest
import torch

from app.core import runs
from app.core.architectures import expected_shapes
from app.core.runs import (
    IncompleteModelSpec,
    ModelSpec,
    RunDescription,
    RunRefused,
    RunRequest,
    run_training,
)
from app.core.store import ModelStore, Warmup
from app.core.tasks import TaskInputError
from app.core.train import StopFlag

SPEC = ModelSpec("elman", "reber", 4)


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny models; and bit-for-bit comparisons want one summation order
    yield
    torch.set_num_threads(before)


@pytest.fixture
def store(tmp_path) -> ModelStore:
    return ModelStore(tmp_path / "models", expected_shapes=expected_shapes)


def train(store, steps=12, name="m", spec=SPEC, **options):
    hooks = {key: options.pop(key) for key in ("on_start", "on_progress", "on_trace", "stop") if key in options}
    return run_training(
        store, RunDescription(name, RunRequest(steps=steps, batch_size=4, **options), spec), "cpu", **hooks
    )


def sha(store, name="m") -> str:
    return store.load_metadata(name).weights_sha256


def test_a_new_model_is_stored_trained_and_saved(store):
    started = []
    outcome = train(store, on_start=started.append)
    assert started[0].created and started[0].first_step == 0 and started[0].metric_name
    assert (outcome.status, outcome.saved, outcome.steps_done, outcome.total_steps) == ("done", True, 12, 12)
    metadata = store.load_metadata("m")
    assert metadata.total_steps == 12 and metadata.history[-1].step == 12
    assert metadata.last_training.status == "done" and metadata.training_time_s > 0


def test_the_seed_rule_offsets_the_request_seed_by_the_steps_taken(store, tmp_path):
    train(store, steps=10, seed=3)
    assert store.load_metadata("m").last_training.config["seed"] == 3
    twin = ModelStore(tmp_path / "twin", expected_shapes=expected_shapes)
    for suffix in (".json", ".safetensors"):
        shutil.copy(store.root / f"m{suffix}", twin.root / f"m{suffix}")
    outcomes = [train(where, steps=5, spec=None, seed=3) for where in (store, twin)]
    assert store.load_metadata("m").last_training.config["seed"] == 3 + 10  # fresh batches, not a replay
    assert outcomes[0].total_steps == 15 and sha(store) == sha(twin)  # same model + same request = same run
    assert store.load_metadata("m").history == twin.load_metadata("m").history


def test_a_stopped_run_is_saved_with_every_step_it_took(store):
    train(store, steps=4)
    stop = StopFlag()
    outcome = train(store, steps=10_000, spec=None, stop=stop, on_progress=lambda progress: stop.stop())
    assert outcome.status == "cancelled" and outcome.saved and 0 < outcome.steps_done < 10_000
    metadata = store.load_metadata("m")
    assert metadata.total_steps == outcome.total_steps == 4 + outcome.steps_done
    assert metadata.last_training.status == "cancelled" and metadata.history[-1].step == metadata.total_steps


def test_a_run_stopped_before_its_first_step_changes_nothing(store):
    train(store, steps=4)
    before = sha(store)
    stop = StopFlag()
    outcome = train(store, spec=None, stop=stop, on_start=lambda start: stop.stop())
    assert (outcome.status, outcome.steps_done, outcome.saved) == ("cancelled", 0, False)
    assert sha(store) == before


def test_a_diverged_run_is_not_saved(store):
    spec = ModelSpec("elman", "sine", 8, activation="relu")
    train(store, steps=3, spec=spec)
    before = store.load_metadata("m")
    outcome = train(store, steps=30, spec=None, learning_rate=1e30, clip_norm=None, optimizer="sgd")
    assert outcome.status == "failed" and not outcome.saved
    assert "non-finite" in outcome.reason and runs.KEPT_LAST_SAVE in outcome.reason
    assert store.load_metadata("m") == before


def test_an_exception_while_training_fails_the_run_without_saving(store):
    train(store, steps=4)
    before = store.load_metadata("m")

    def explode(progress):
        raise RuntimeError("out of memory")

    outcome = train(store, spec=None, on_progress=explode)
    assert outcome.status == "failed" and "out of memory" in outcome.reason and not outcome.saved
    assert store.load_metadata("m") == before


def test_a_model_deleted_during_the_run_is_never_resurrected(store, monkeypatch):
    monkeypatch.setattr(runs, "EXISTS_CHECK_S", 0.0)
    train(store, steps=4)

    def delete_once(progress):
        if store.exists("m"):
            store.delete("m")

    outcome = train(store, steps=10_000, spec=None, on_progress=delete_once)
    assert outcome.deleted and outcome.status == "cancelled" and outcome.reason == runs.MODEL_DELETED
    assert not outcome.saved and outcome.steps_done < 10_000 and not store.exists("m")


def test_a_long_run_is_saved_now_and_then(store, monkeypatch):
    monkeypatch.setattr(runs, "SAVE_EVERY_S", 0.0)
    seen = []
    train(store, steps=400, on_progress=lambda progress: seen.append(store.load_metadata("m")))
    midway = [metadata for metadata in seen if metadata.last_training and metadata.last_training.status == "running"]
    assert midway and 0 < midway[-1].total_steps < 400
    assert midway[-1].history[-1].step <= midway[-1].total_steps


def test_continuing_checks_the_spec_and_creating_needs_one(store):
    train(store, steps=2)
    before = sha(store)
    for spec in (
        ModelSpec("gru"),
        ModelSpec(hidden_size=5),
        ModelSpec(task="adding"),
        ModelSpec(task_options={"max_length": 20}),
    ):
        with pytest.raises(RunRefused, match="'m'"):
            train(store, spec=spec)
    assert sha(store) == before
    train(store, spec=ModelSpec("elman", "reber", 4, seed=9))  # the seed only initialises a new model
    with pytest.raises(IncompleteModelSpec) as refused:
        train(store, name="new", spec=ModelSpec(task="reber"))
    assert refused.value.missing == ["architecture", "hidden_size"] and not store.exists("new")
    with pytest.raises(RunRefused, match="nope"):
        train(store, name="new", spec=ModelSpec("nope", "reber", 4))


def test_a_run_refused_for_its_probe_or_warm_up_leaves_no_model_behind(store):
    with pytest.raises(TaskInputError, match="'Q'"):
        train(store, name="new", probe="BTQ")
    description = RunDescription("new", RunRequest(steps=2), SPEC, warmup_options={"max_length": 0})
    with pytest.raises(ValueError):
        run_training(store, description, "cpu")
    assert not store.exists("new")


@pytest.mark.parametrize(
    "bad",
    [{"steps": 0}, {"learning_rate": -1.0}, {"optimizer": "lbfgs"}, {"report_every_s": 0.0}, {"trace_every_s": -1.0}],
)
def test_a_bad_request_cannot_be_made(bad):
    with pytest.raises(ValueError, match=next(iter(bad))):
        RunRequest(**{"steps": 5, **bad})


def test_a_warm_up_trains_on_the_easier_task_and_is_recorded(store):
    spec = ModelSpec("elman", "fluent", 4, task_options={"distance": 4})
    description = RunDescription("f", RunRequest(steps=6, batch_size=2), spec, warmup_options={"distance": 0})
    run_training(store, description, "cpu")
    metadata = store.load_metadata("f")
    fixed = {"max_distance": 0, "openings": "listed"}  # the defaults: a single distance, the listed openings
    assert metadata.warmup == Warmup({"distance": 0, **fixed}, 6) and metadata.task.options == {"distance": 4, **fixed}
    run_training(store, RunDescription("f", RunRequest(steps=3, batch_size=2)), "cpu")
    assert store.load_metadata("f").warmup.steps == 6 and store.load_metadata("f").total_steps == 9
    copy = RunDescription("c", RunRequest(steps=2), ModelSpec("elman", "copy", 4), warmup_options={"n_symbols": 3})
    with pytest.raises(RunRefused, match="vocabulary"):
        run_training(store, copy, "cpu")


def test_a_run_description_is_plain_picklable_data():
    description = RunDescription("m", RunRequest(steps=5, probe="BTXSE"), SPEC, warmup_options={"max_length": 10})
    assert pickle.loads(pickle.dumps(description)) == description


def test_a_refusal_pickles_with_its_fields():
    refused = pickle.loads(pickle.dumps(IncompleteModelSpec("m", ["task"])))
    assert refused.missing == ["task"] and "'m'" in str(refused)


# ----- the three callers ----------------------------------------------------------


def test_the_cli_the_api_and_the_demo_script_store_the_same_model(tmp_path, monkeypatch, capsys):
    """Same request, same seed: the same weights (sha256) and history, whoever asks."""
    from fastapi.testclient import TestClient

    from app.__main__ import main
    from app.demo_models import Recipe, train_recipe
    from app.main import create_app
    from app.settings import Settings

    folders = {caller: tmp_path / caller for caller in ("cli", "api", "demo")}
    monkeypatch.setenv("UNROLLED_MODELS_DIR", str(folders["cli"]))
    monkeypatch.setenv("UNROLLED_DEVICE", "cpu")
    create = ["--architecture", "elman", "--task", "reber", "--hidden-size", "6"]
    assert main(["train", "--name", "m", *create, "--steps", "30", "--seed", "0"]) == 0, capsys.readouterr().err

    # allowed_hosts: TestClient's Host header, which the server answers only when listed.
    api_settings = Settings.from_env(models_dir=folders["api"], device="cpu", allowed_hosts=("testserver",))
    with TestClient(create_app(api_settings)) as client:
        model = {"name": "m", "architecture": "elman", "task": "reber", "hidden_size": 6, "seed": 0}
        assert client.post("/api/models", json=model).status_code == 201

        def api_train(steps: int) -> None:
            job = client.post("/api/models/m/train", json={"steps": steps, "seed": 0}).json()
            while job["status"] in ("queued", "running"):
                job = client.get(f"/api/jobs/{job['id']}").json()
            assert job["status"] == "done", job

        api_train(30)
        demo = ModelStore(folders["demo"], expected_shapes=expected_shapes)
        train_recipe(demo, Recipe("m", "elman", "reber", 6, 30, seed=0))
        stores = {caller: ModelStore(folder, expected_shapes=expected_shapes) for caller, folder in folders.items()}
        first = {caller: store.load_metadata("m") for caller, store in stores.items()}
        assert len({metadata.weights_sha256 for metadata in first.values()}) == 1
        assert first["cli"].history == first["api"].history == first["demo"].history
        assert [point.step for point in first["cli"].history][-1] == 30

        # Continued from the command line and from the API: the seed rule is the same too.
        assert main(["train", "--name", "m", "--steps", "20"]) == 0
        api_train(20)
    later = {caller: stores[caller].load_metadata("m") for caller in ("cli", "api")}
    assert later["cli"].weights_sha256 == later["api"].weights_sha256 != first["cli"].weights_sha256
    assert later["cli"].history == later["api"].history and later["cli"].total_steps == 50
