"""The shipped experiment results (models/experiments/<name>/ and their representative x-* models):
whole and consistent in the repository, passed over by the store's listing and repair, seeded into
an empty store with the demo models, and kept by .dockerignore so the image ships them."""

from __future__ import annotations

import shutil

import pytest

from app.core.architectures import expected_shapes
from app.core.experiments import storage
from app.core.store import ModelStore, StoreLimits
from app.core.store import seed as store_seed
from app.core.store.repair import repair_folder
from app.core.store.seed import seed_models
from app.settings import PROJECT_ROOT
from tests.core.test_seed import dockerignore_keeps

SHIPPED = PROJECT_ROOT / "models"
SHIPPED_EXPERIMENTS = storage.stored_experiments(SHIPPED)


def shipped_files(name: str) -> list[str]:
    """Every file of a shipped experiment and of its representative models, relative to the project."""
    folder = storage.ExperimentFolder(SHIPPED, name)
    files = [path for path in folder.root.rglob("*") if path.is_file()]
    models = [SHIPPED / f"{model}{suffix}" for model in folder.model_names() for suffix in (".json", ".safetensors")]
    return sorted(str(path.relative_to(PROJECT_ROOT)) for path in files + models)


def test_the_seed_uses_the_experiments_layout():
    assert (store_seed.EXPERIMENTS_FOLDER, store_seed.EXPERIMENT_FILE, store_seed.RUNS_FOLDER) == (
        storage.FOLDER,
        storage.EXPERIMENT_FILE,
        storage.RUNS_FOLDER,
    )


def test_vanishing_gradient_ships_finished_with_a_model_per_grid_point():
    assert "vanishing-gradient" in SHIPPED_EXPERIMENTS
    for name in SHIPPED_EXPERIMENTS:
        folder = storage.ExperimentFolder(SHIPPED, name)
        document = folder.document()
        assert document["status"] == "done" and document["machine"] and document["wall_time_s"] > 0
        assert len(folder.records()) == document["recipe"]["grid"]["runs"]
        points = {record["point"]["key"] for record in folder.records().values()}
        assert len(folder.model_names()) == len(points)


def test_the_listing_and_repair_pass_over_the_experiments_and_list_their_models_whole(tmp_path):
    store_dir = tmp_path / "models"
    shutil.copytree(SHIPPED, store_dir)
    before = {path: path.read_bytes() for path in store_dir.rglob("*") if path.is_file()}
    assert not repair_folder(store_dir, StoreLimits()).changed
    listing = {entry.name: entry.error for entry in ModelStore(store_dir, expected_shapes=expected_shapes).list()}
    for name in SHIPPED_EXPERIMENTS:
        for model in storage.ExperimentFolder(store_dir, name).model_names():
            assert listing[model] is None, model
    assert "experiments" not in listing
    assert {path: path.read_bytes() for path in store_dir.rglob("*") if path.is_file()} == before


def test_an_empty_store_is_seeded_with_the_experiments_and_their_models(tmp_path):
    store_dir = tmp_path / "volume" / "models"
    seeded = seed_models(store_dir, SHIPPED)
    for name in SHIPPED_EXPERIMENTS:
        source = storage.ExperimentFolder(SHIPPED, name)
        target = storage.ExperimentFolder(store_dir, name)
        assert target.document() == source.document() and target.records() == source.records()
        assert set(target.model_names()) <= set(seeded)
    assert storage.representative_models(store_dir) == storage.representative_models(SHIPPED)
    assert not [path for path in (store_dir / "experiments").iterdir() if path.name.startswith(".")]


def test_an_experiment_the_store_has_is_not_seeded_over(tmp_path):
    seed_dir = tmp_path / "seed"
    shutil.copytree(SHIPPED, seed_dir)
    store_dir = tmp_path / "models"
    own = storage.ExperimentFolder(store_dir, "vanishing-gradient")
    own.write_document({"name": "vanishing-gradient", "status": "mine"})
    store_seed._seed_experiments(store_dir, seed_dir)
    assert own.document() == {"name": "vanishing-gradient", "status": "mine"} and own.records() == {}


@pytest.mark.parametrize("name", SHIPPED_EXPERIMENTS)
def test_the_image_ships_each_experiment_and_its_models(name):
    files = shipped_files(name)
    assert any(path.endswith(".safetensors") for path in files)
    for path in files:
        assert dockerignore_keeps(path), f"{path} left out of the image"
    assert not dockerignore_keeps(f"models/experiments/{name}/runs/.a.json.0123456789ab.tmp")
    assert not dockerignore_keeps("models/experiments/mine/experiment.json")
