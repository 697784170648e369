"""Tests of app.core.store: round trips, atomicity, races, names, limits and the caller's mistakes.
Damaged files on disk and hostile uploads are in test_store_files.py."""

from __future__ import annotations

import os
import threading

import pytest
import safetensors.torch
import torch

from app.core.architectures import ModelConfig
from app.core.store import (
    CorruptModel,
    HistoryPoint,
    InvalidModel,
    InvalidName,
    LimitExceeded,
    ModelExists,
    ModelNotFound,
    ModelStore,
    StoreLimits,
    TaskSpec,
    thin_history,
)
from tests.core.store_helpers import (
    HIDDEN,
    INPUT,
    elman_shapes,
    make_metadata,
    make_tensors,
    temp_files,
)


@pytest.fixture
def store(tmp_path):
    return ModelStore(tmp_path, expected_shapes=elman_shapes)


# ----- round trips -----------------------------------------------------------


def test_round_trip_keeps_tensors_and_metadata(store):
    tensors = make_tensors()
    store.create("reber-elman", make_metadata(notes={"by": "test"}), tensors)
    loaded = store.load("reber-elman")
    assert loaded.name == "reber-elman"
    assert loaded.tensors.keys() == tensors.keys()
    for name, tensor in tensors.items():
        assert loaded.tensors[name].dtype == torch.float32
        assert torch.equal(loaded.tensors[name], tensor)
    stored = loaded.metadata
    assert stored == store.load_metadata("reber-elman")
    assert stored.config == ModelConfig(**make_metadata()["config"])
    assert stored.task == TaskSpec("reber", {"max_length": 20})
    assert stored.history == [HistoryPoint(10, 1.5, 0.25)] and stored.total_steps == 10
    assert stored.extra == {"notes": {"by": "test"}}  # a key the store does not know is kept
    assert stored.format_version == 1 and stored.name == "reber-elman"
    assert stored.parameter_count == sum(t.numel() for t in tensors.values())
    assert stored.created_at.endswith("Z") and stored.updated_at.endswith("Z")


def test_checkpoint_is_self_describing_and_reimports(store):
    store.create("source", make_metadata(), make_tensors())
    with safetensors.safe_open(store.weights_path("source"), "pt") as handle:
        header = handle.metadata()
    assert header["format"] == "unrolled" and header["format_version"] == "1"
    assert header["architecture"] == "elman"
    store.import_checkpoint("copy", store.weights_path("source").read_bytes(), None)
    copy = store.load("copy")
    assert copy.metadata.config == ModelConfig(**make_metadata()["config"])
    assert torch.equal(copy.tensors["readout.weight"], make_tensors()["readout.weight"])


def test_float64_is_stored_as_float32(store):
    store.create("double", make_metadata(), make_tensors(dtype=torch.float64))
    assert all(t.dtype == torch.float32 for t in store.load("double").tensors.values())


def test_save_overwrites_and_keeps_created_at(store):
    store.create("m", make_metadata(), make_tensors(0))
    created = store.load_metadata("m").created_at
    store.save("m", make_metadata(total_steps=99), make_tensors(1))
    loaded = store.load("m")
    assert torch.equal(loaded.tensors["rnn.weight_hh_l0"], make_tensors(1)["rnn.weight_hh_l0"])
    assert loaded.metadata.total_steps == 99 and loaded.metadata.created_at == created


def test_save_of_a_deleted_model_does_not_resurrect_it(store):
    store.create("m", make_metadata(), make_tensors())
    store.delete("m")
    with pytest.raises(ModelNotFound):
        store.save("m", make_metadata(), make_tensors())
    assert not store.exists("m") and store.list() == []


def test_update_metadata_merges_and_keeps_weights(store):
    store.create("m", make_metadata(), make_tensors())
    store.update_metadata("m", {"description": "hi", "history": [{"step": 1, "loss": float("nan")}]})
    loaded = store.load("m")  # sha still matches: the weights were not touched
    assert loaded.metadata.extra["description"] == "hi"
    assert loaded.metadata.history == [HistoryPoint(1, None, None)]  # NaN is not JSON
    assert loaded.metadata.task == TaskSpec("reber", {"max_length": 20})
    with pytest.raises(InvalidModel):
        store.update_metadata("m", {"config": {**make_metadata()["config"], "hidden_size": 6}})


def test_delete_and_not_found(store):
    store.create("m", make_metadata(), make_tensors())
    store.delete("m")
    assert not store.exists("m")
    for call in (store.load, store.load_metadata, store.delete, store.weights_path):
        with pytest.raises(ModelNotFound):
            call("m")


# ----- create races and atomic writes ----------------------------------------


def test_create_twice_is_refused(store):
    store.create("m", make_metadata(), make_tensors(0))
    with pytest.raises(ModelExists):
        store.create("m", make_metadata(), make_tensors(1))
    assert torch.equal(store.load("m").tensors["readout.bias"], make_tensors(0)["readout.bias"])


def test_concurrent_creates_of_one_name_have_one_winner(tmp_path):
    # One store per thread: no shared in-process lock, so the file-level claim decides.
    threads_count = 8
    barrier = threading.Barrier(threads_count)
    outcomes = []

    def create(seed):
        store = ModelStore(tmp_path, expected_shapes=elman_shapes)
        barrier.wait()
        try:
            store.create("race", make_metadata(), make_tensors(seed))
            outcomes.append(("won", seed))
        except ModelExists:
            outcomes.append(("lost", seed))

    threads = [threading.Thread(target=create, args=(seed,)) for seed in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [seed for outcome, seed in outcomes if outcome == "won"]
    assert len(winners) == 1 and len(outcomes) == threads_count
    loaded = ModelStore(tmp_path).load("race")  # the files are the winner's, consistent
    assert torch.equal(loaded.tensors["readout.weight"], make_tensors(winners[0])["readout.weight"])
    assert temp_files(tmp_path) == []


def test_failed_serialisation_leaves_old_model(store, tmp_path, monkeypatch):
    store.create("m", make_metadata(), make_tensors(0))

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(safetensors.torch, "save", broken)
    with pytest.raises(RuntimeError):
        store.save("m", make_metadata(total_steps=5), make_tensors(1))
    monkeypatch.undo()
    loaded = store.load("m")
    assert torch.equal(loaded.tensors["readout.weight"], make_tensors(0)["readout.weight"])
    assert loaded.metadata.total_steps == 10
    assert temp_files(tmp_path) == []


def test_failed_rename_of_the_json_restores_the_old_weights(store, tmp_path, monkeypatch):
    store.create("m", make_metadata(), make_tensors(0))
    real_replace = os.replace

    def replace(src, dst):
        if str(dst).endswith(".json"):  # after the weights were already renamed
            raise OSError("rename failed")
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(OSError):
        store.save("m", make_metadata(total_steps=5), make_tensors(1))
    monkeypatch.undo()
    loaded = store.load("m")  # sha check passes: both old files are back
    assert torch.equal(loaded.tensors["readout.weight"], make_tensors(0)["readout.weight"])
    assert loaded.metadata.total_steps == 10
    assert temp_files(tmp_path) == []


def test_new_weights_under_old_json_are_reported_not_loaded(store, tmp_path):
    # What a crash between the two renames leaves behind.
    store.create("a", make_metadata(), make_tensors(0))
    store.create("b", make_metadata(), make_tensors(1))
    (tmp_path / "a.safetensors").write_bytes((tmp_path / "b.safetensors").read_bytes())
    with pytest.raises(CorruptModel, match="sha256"):
        store.load("a")


# ----- names and limits ------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "../x",
        "%2e%2e",
        "..",
        "A",
        "",
        "a" * 65,
        "a/b",
        "-a",
        "_a",
        "a\n",
        "a b",
        "a.json",
        "\\x",
        None,
        7,
    ],
)
def test_bad_names_are_refused(store, tmp_path, name):
    with pytest.raises(InvalidName, match="lower-case"):
        store.create(name, make_metadata(), make_tensors())
    for call in (store.exists, store.load, store.delete, store.weights_path):
        with pytest.raises(InvalidName):
            call(name)
    assert list(tmp_path.iterdir()) == []


def test_good_names_are_accepted(store):
    for name in ("a", "0", "a" * 64, "reber_lstm-2"):
        store.create(name, make_metadata(), make_tensors())
    assert [entry.name for entry in store.list()] == sorted(["a", "0", "a" * 64, "reber_lstm-2"])


def test_max_models_is_enforced(tmp_path):
    store = ModelStore(tmp_path, StoreLimits(max_models=2))
    store.create("a", make_metadata(), make_tensors())
    store.create("b", make_metadata(), make_tensors())
    with pytest.raises(LimitExceeded):
        store.create("c", make_metadata(), make_tensors())
    with pytest.raises(LimitExceeded):
        store.import_checkpoint("c", store.weights_path("a").read_bytes(), None)
    store.delete("a")
    store.create("c", make_metadata(), make_tensors())


def test_config_beyond_limits_is_refused(store):
    metadata = make_metadata()
    metadata["config"]["hidden_size"] = 10**9
    with pytest.raises(LimitExceeded):
        store.create("big", metadata, make_tensors())


def test_history_is_thinned_keeping_first_and_latest(tmp_path):
    store = ModelStore(tmp_path, StoreLimits(max_history=100))
    history = [{"step": step, "loss": 1.0 / (step + 1)} for step in range(5001)]
    store.create("m", make_metadata(history=history, total_steps=5000), make_tensors())
    kept = store.load_metadata("m").history
    assert len(kept) == 100
    assert kept[0].step == 0 and kept[-1].step == 5000
    steps = [point.step for point in kept]
    assert steps == sorted(set(steps))
    gaps = {b - a for a, b in zip(steps, steps[1:], strict=False)}
    assert max(gaps) - min(gaps) <= 1  # evenly spread


@pytest.mark.parametrize("count,limit", [(0, 5), (3, 5), (5, 5), (6, 5), (7, 2), (1000, 999), (10, 1)])
def test_thin_history_bounds(count, limit):
    points = list(range(count))
    kept = thin_history(points, limit)
    assert len(kept) == min(count, limit)
    assert kept == sorted(set(kept))
    if count:
        assert kept[-1] == count - 1


# ----- the caller's mistakes -------------------------------------------------


def test_expected_shapes_mismatch_on_create_is_refused(store, tmp_path):
    tensors = make_tensors()
    tensors["rnn.weight_ih_l0"] = torch.zeros(HIDDEN, INPUT + 1)
    with pytest.raises(InvalidModel, match="rnn.weight_ih_l0"):
        store.create("m", make_metadata(), tensors)
    metadata = make_metadata()
    metadata["config"]["architecture"] = "unknown"
    with pytest.raises(InvalidModel, match="config not understood"):
        store.create("m", metadata, make_tensors())
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "metadata,tensors",
    [
        ({}, None),
        ({"config": "elman"}, None),
        (make_metadata(extra=object()), None),
        (make_metadata(), {"readout.bias": torch.zeros(4, dtype=torch.int64)}),
        (make_metadata(), {}),
        (make_metadata(), {"readout.bias": [0.0]}),
    ],
)
def test_unstorable_input_is_refused(tmp_path, metadata, tensors):
    store = ModelStore(tmp_path)
    with pytest.raises(InvalidModel):
        store.create("m", metadata, make_tensors() if tensors is None else tensors)
    assert list(tmp_path.iterdir()) == []


def test_store_imports_no_web_framework():
    import subprocess
    import sys

    code = (
        "import sys, app.core.store; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('fastapi', 'pydantic', 'starlette')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))),
    )
    assert result.stdout.strip() == "[]"


def test_filesystems_without_hard_links_still_work(store, monkeypatch):
    def no_links(src, dst, **kwargs):
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    store.create("m", make_metadata(), make_tensors(0))
    with pytest.raises(ModelExists):
        store.create("m", make_metadata(), make_tensors(1))
    store.save("m", make_metadata(), make_tensors(2))
    assert torch.equal(store.load("m").tensors["readout.bias"], make_tensors(2)["readout.bias"])
    assert temp_files(store.root) == []


def test_the_same_tensors_always_give_the_same_file(store):
    """safetensors orders its header by hash; the store sorts it, so weights_sha256 depends on content only."""
    store.create("a", make_metadata(), make_tensors(0))
    store.create("b", make_metadata(), make_tensors(0))
    first = store.weights_path("a").read_bytes()
    store.save("a", make_metadata(), make_tensors(0))
    assert store.weights_path("a").read_bytes() == first
    assert store.load_metadata("a").weights_sha256 != store.load_metadata("b").weights_sha256  # the name is in it
