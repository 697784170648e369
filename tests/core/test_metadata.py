"""ModelMetadata: the typed form of a model's JSON, and old files on disk (the shipped demo models)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch
from safetensors import safe_open

from app.core.architectures import expected_shapes
from app.core.models import load_model, tensors_of
from app.core.store import CorruptModel, HistoryPoint, ModelMetadata, ModelStore, Speed, TaskSpec

SHIPPED = Path(__file__).resolve().parents[2] / "models"
SHIPPED_NAMES = sorted(path.stem for path in SHIPPED.glob("*.json"))


def test_the_demo_models_ship():
    assert len(SHIPPED_NAMES) >= 8


@pytest.mark.parametrize("name", SHIPPED_NAMES)
def test_every_shipped_model_parses_and_writes_back_byte_for_byte(name):
    raw = (SHIPPED / f"{name}.json").read_bytes()
    document = json.loads(raw)
    assert document["format_version"] == 1
    metadata = ModelMetadata.from_document(document)
    assert metadata.to_document() == document
    assert list(metadata.to_document()) == list(document)  # the same key order, so
    assert json.dumps(metadata.to_document(), indent=2, ensure_ascii=False).encode() + b"\n" == raw
    assert metadata.extra == {}  # every key is a field now


@pytest.mark.parametrize("name", SHIPPED_NAMES)
def test_every_shipped_model_loads_and_a_save_through_the_store_loses_nothing(tmp_path, name):
    for suffix in (".json", ".safetensors"):
        shutil.copy(SHIPPED / f"{name}{suffix}", tmp_path / f"{name}{suffix}")
    store = ModelStore(tmp_path, expected_shapes=expected_shapes)
    before = json.loads((SHIPPED / f"{name}.json").read_text())
    loaded = load_model(store, name)
    assert loaded.task.id == before["task"]["id"] and loaded.total_steps == before["total_steps"]
    assert loaded.model.config.to_dict() == before["config"]
    store.save(name, loaded.metadata, tensors_of(loaded.model))
    after = json.loads((tmp_path / f"{name}.json").read_text())
    assert after.pop("updated_at") >= before.pop("updated_at")
    # The shipped header lists its __metadata__ in hash-map order, a new save sorts it: same content, new sha.
    after.pop("weights_sha256"), before.pop("weights_sha256")
    assert after == before
    with (
        safe_open(tmp_path / f"{name}.safetensors", "pt") as saved,
        safe_open(SHIPPED / f"{name}.safetensors", "pt") as shipped,
    ):
        assert saved.metadata() == shipped.metadata() and saved.keys() == shipped.keys()
        assert all(torch.equal(saved.get_tensor(key), shipped.get_tensor(key)) for key in saved.keys())


def test_fields_are_typed():
    metadata = ModelStore(SHIPPED).load_metadata("lstm-fluent")
    assert metadata.config.architecture == "lstm"
    assert metadata.task == TaskSpec("fluent", {"distance": 0, "max_distance": 30, "openings": "composed"})
    warmup = {"distance": 0, "max_distance": 0, "openings": "composed"}
    assert metadata.warmup.task_options == warmup and metadata.warmup.steps == 2000
    assert 0.0 <= metadata.saturation <= 1.0
    assert isinstance(metadata.speed, Speed) and isinstance(metadata.history[0], HistoryPoint)
    assert metadata.last_training.status == "done" and metadata.note and metadata.held_out_metric > 0.9
    assert metadata.make_task().id == "fluent"


def document(**changes) -> dict:
    base = {
        "format_version": 1,
        "name": "m",
        "config": {"architecture": "elman", "input_size": 7, "output_size": 7, "hidden_size": 4, "activation": "tanh"},
        "task": {"id": "reber", "options": {}},
        "total_steps": 3,
        "history": [],
        "weights_sha256": "0" * 64,
    }
    return {**base, **changes}


def test_odd_values_read_as_absent_and_unknown_keys_are_kept():
    metadata = ModelMetadata.from_document(
        document(
            history=[{"step": 1, "loss": "low"}, "junk", {"step": True}, {"step": 2, "loss": 0.5, "metric": 1}],
            training_time_s="long",
            last_training=[1],
            seed=None,
            speed={"steps_per_s": 3.0},
            note=7,
            warmup={"steps": 5},
            mine={"kept": True},
        )
    )
    assert metadata.history == [HistoryPoint(1, None, None), HistoryPoint(2, 0.5, 1)]
    assert metadata.training_time_s == 0.0 and metadata.last_training is None and metadata.seed is None
    assert metadata.speed is None and metadata.note is None and metadata.warmup is None
    assert metadata.extra == {"mine": {"kept": True}}
    assert metadata.to_document()["mine"] == {"kept": True}


@pytest.mark.parametrize("task", [None, {"id": "nope", "options": {}}, {"id": "reber", "options": {"max_length": -1}}])
def test_a_task_that_cannot_be_rebuilt_is_a_corrupt_model(task):
    with pytest.raises(CorruptModel, match="m.json"):
        ModelMetadata.from_document(document(task=task)).make_task()
