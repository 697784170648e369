"""Seeding an empty model store with the shipped demo models (app/core/store/seed.py),
at the server's start (app/main.py), and the .dockerignore that decides what the image ships."""

from __future__ import annotations

import fnmatch
import shutil

import pytest
from fastapi.testclient import TestClient

from app.core.architectures import expected_shapes
from app.core.store import ModelStore, atomic
from app.core.store.seed import seed_at_start, seed_models
from app.demo_models import RECIPES
from app.main import create_app
from app.settings import PROJECT_ROOT, Settings

SHIPPED = PROJECT_ROOT / "models"
DEMOS = ("elman-reber", "second-order-reber")  # two small shipped models


@pytest.fixture
def seed_dir(tmp_path):
    folder = tmp_path / "seed"
    folder.mkdir()
    for name in DEMOS:
        for suffix in (".json", ".safetensors"):
            shutil.copyfile(SHIPPED / f"{name}{suffix}", folder / f"{name}{suffix}")
    return folder


def files(folder) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def test_a_missing_store_is_created_and_seeded_with_every_demo_whole(tmp_path, seed_dir):
    store_dir = tmp_path / "volume" / "models"
    assert seed_models(store_dir, seed_dir) == sorted(DEMOS)
    assert files(store_dir) == files(seed_dir)  # byte for byte, and no temp file left
    listing = ModelStore(store_dir, expected_shapes=expected_shapes).list()
    assert [(entry.name, entry.error) for entry in listing] == [(name, None) for name in sorted(DEMOS)]


def test_an_empty_folder_is_seeded_hidden_files_and_lost_found_do_not_count(tmp_path, seed_dir):
    store_dir = tmp_path / "models"
    (store_dir / "lost+found").mkdir(parents=True)
    (store_dir / ".gitkeep").touch()
    (store_dir / ".elman-reber.json.0123456789ab.tmp").write_bytes(b"half a file from a killed seeding")
    assert seed_models(store_dir, seed_dir) == sorted(DEMOS)
    for name in DEMOS:
        assert (store_dir / f"{name}.json").read_bytes() == (seed_dir / f"{name}.json").read_bytes()


@pytest.mark.parametrize("own_file", ["mine.json", "mine.safetensors", "notes.txt"])
def test_a_store_holding_anything_of_its_own_is_never_touched(tmp_path, seed_dir, own_file):
    store_dir = tmp_path / "models"
    store_dir.mkdir()
    (store_dir / own_file).write_bytes(b"the user's")
    assert seed_models(store_dir, seed_dir) == []
    assert files(store_dir) == {own_file: b"the user's"}


def test_a_file_that_appears_meanwhile_is_never_overwritten(tmp_path, seed_dir, monkeypatch):
    """Another process writes second-order-reber.json after the emptiness check: it is kept,
    that model is not seeded (and none of its files left behind), the other one is."""
    store_dir = tmp_path / "models"
    real_write_temp = atomic.write_temp

    def write_temp_while_someone_else_writes(target, data):
        temp = real_write_temp(target, data)
        if target.name == "second-order-reber.json":
            target.write_bytes(b"someone else's")
        return temp

    monkeypatch.setattr(atomic, "write_temp", write_temp_while_someone_else_writes)
    assert seed_models(store_dir, seed_dir) == ["elman-reber"]
    assert (store_dir / "second-order-reber.json").read_bytes() == b"someone else's"
    assert sorted(files(store_dir)) == ["elman-reber.json", "elman-reber.safetensors", "second-order-reber.json"]


def test_a_failure_while_copying_publishes_nothing_and_leaves_no_temp_file(tmp_path, seed_dir, monkeypatch):
    store_dir = tmp_path / "models"
    real_write_temp, calls = atomic.write_temp, []

    def write_temp_failing_on_the_third(target, data):
        calls.append(target)
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        return real_write_temp(target, data)

    monkeypatch.setattr(atomic, "write_temp", write_temp_failing_on_the_third)
    with pytest.raises(OSError):
        seed_models(store_dir, seed_dir)
    assert files(store_dir) == {}


def test_at_start_a_folder_that_cannot_be_written_is_logged_not_raised(tmp_path, seed_dir, monkeypatch, caplog):
    def refuse(target, data):
        raise PermissionError(13, "Permission denied", str(target))

    monkeypatch.setattr(atomic, "write_temp", refuse)
    store_dir = tmp_path / "models"
    assert seed_at_start(store_dir, seed_dir) == []
    assert f"could not copy the demo models from {seed_dir} into {store_dir}: Permission denied" in caplog.text


def test_only_complete_pairs_with_legal_names_are_copied(tmp_path, seed_dir):
    (seed_dir / "orphan.safetensors").write_bytes(b"weights without metadata")
    (seed_dir / "Bad Name.safetensors").write_bytes(b"x")
    (seed_dir / "Bad Name.json").write_bytes(b"{}")
    (seed_dir / "README.txt").write_text("not a model")
    store_dir = tmp_path / "models"
    assert seed_models(store_dir, seed_dir) == sorted(DEMOS)
    assert sorted(files(store_dir)) == sorted(
        f"{name}{suffix}" for name in DEMOS for suffix in (".json", ".safetensors")
    )


def test_nothing_to_do_without_a_seed_folder_or_when_the_store_is_the_seed_folder(tmp_path, seed_dir):
    assert seed_models(tmp_path / "a", None) == []
    assert seed_models(tmp_path / "b", tmp_path / "no-such-folder") == []
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()
    before = files(seed_dir)
    assert seed_models(seed_dir, seed_dir) == []
    assert files(seed_dir) == before


def test_the_seed_folder_defaults_to_the_projects_models(monkeypatch):
    monkeypatch.delenv("UNROLLED_SEED_DIR")
    assert Settings.from_env().seed_dir == SHIPPED


def test_the_server_seeds_an_empty_store_when_it_starts(tmp_path, seed_dir):
    settings = Settings.from_env(models_dir=tmp_path / "volume", seed_dir=seed_dir, allowed_hosts=("testserver",))
    with TestClient(create_app(settings)) as client:
        names = [model["name"] for model in client.get("/api/models").json()]
    assert names == sorted(DEMOS)


# ----- what the container image ships (Dockerfile: COPY models ./demo-models) ----------


def dockerignore_keeps(path: str) -> bool:
    """Whether the build context keeps `path`: the last matching .dockerignore rule wins."""
    kept = True
    for line in (PROJECT_ROOT / ".dockerignore").read_text().splitlines():
        rule = line.strip()
        if not rule or rule.startswith("#"):
            continue
        negated = rule.startswith("!")
        pattern = rule.removeprefix("!").removeprefix("/")
        candidates = {pattern, pattern.removeprefix("**/")}
        if any(fnmatch.fnmatchcase(path, candidate) for candidate in candidates) or any(
            fnmatch.fnmatchcase(path, f"{candidate.rstrip('/')}/*") for candidate in candidates
        ):
            kept = negated
    return kept


def test_the_image_gets_the_demo_models_and_nothing_else_from_models():
    for recipe in RECIPES:
        for suffix in (".json", ".safetensors"):
            assert dockerignore_keeps(f"models/{recipe.name}{suffix}"), f"{recipe.name}{suffix} left out of the image"
    for own in ("models/my-own.json", "models/my-own.safetensors", "models/.gitkeep"):
        assert not dockerignore_keeps(own), f"{own} would go into the image"
    for temp in ("models/.elman-reber.json.0123456789ab.tmp", "models/elman-reber.json.tmp", "app/x.tmp", "x.tmp"):
        assert not dockerignore_keeps(temp), f"{temp} would go into the image"
    for needed in ("app/main.py", "static/js/main.js", "constraints.txt", "pyproject.toml"):
        assert dockerignore_keeps(needed), f"{needed} left out of the image"
