"""Tests of app.core.store against damaged files on disk and hostile uploads: refused, never unpickled,
nothing large allocated before the header is checked."""

from __future__ import annotations

import io
import pickle
import struct

import pytest
import safetensors.torch
import torch

from app.core.store import CorruptModel, InvalidModel, LimitExceeded, ModelStore, StoreLimits
from tests.core.store_helpers import (
    HIDDEN,
    INPUT,
    OUTPUT,
    elman_shapes,
    make_metadata,
    make_tensors,
    raw_safetensors,
    refuse_decoding,
    write_model_files,
)


@pytest.fixture
def store(tmp_path):
    return ModelStore(tmp_path, expected_shapes=elman_shapes)


@pytest.fixture
def no_deserialise(monkeypatch):
    """Fail the test if any tensor data is ever decoded."""
    refuse_decoding(monkeypatch)


# ----- corrupt files on disk -------------------------------------------------


def test_broken_models_list_as_errors_and_do_not_load(store, tmp_path):
    store.create("good", make_metadata(), make_tensors())
    store.create("truncated", make_metadata(), make_tensors())
    weights = tmp_path / "truncated.safetensors"
    weights.write_bytes(weights.read_bytes()[:-10])
    store.create("garbage", make_metadata(), make_tensors())
    (tmp_path / "garbage.json").write_bytes(b"{not json \xff")
    store.create("orphan", make_metadata(), make_tensors())
    (tmp_path / "orphan.json").unlink()
    (tmp_path / ".good.safetensors.1234.tmp").write_bytes(b"stray")
    (tmp_path / "README.txt").write_text("not a model")

    entries = {entry.name: entry for entry in store.list()}
    assert sorted(entries) == ["garbage", "good", "orphan", "truncated"]
    assert entries["good"].error is None and entries["good"].metadata.config.architecture == "elman"
    assert "garbage.json" in entries["garbage"].error and entries["garbage"].metadata is None
    assert "orphan.json" in entries["orphan"].error
    for name in ("truncated", "garbage", "orphan"):
        with pytest.raises(CorruptModel):
            store.load(name)
    with pytest.raises(CorruptModel, match="truncated"):
        store.load("truncated")
    store.delete("garbage")  # a broken model can still be removed
    assert not store.exists("garbage")


def test_json_without_weights_is_an_error_entry(store, tmp_path):
    store.create("m", make_metadata(), make_tensors())
    (tmp_path / "m.safetensors").unlink()
    [entry] = store.list()
    assert "weights file is missing" in entry.error
    with pytest.raises(CorruptModel, match="missing"):
        store.load("m")


def test_flipped_data_byte_fails_the_sha_check(store, tmp_path):
    store.create("m", make_metadata(), make_tensors())
    weights = tmp_path / "m.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0x40  # tensor data only: the header stays valid
    weights.write_bytes(bytes(data))
    with pytest.raises(CorruptModel, match="sha256"):
        store.load("m")


def test_expected_shapes_mismatch_on_disk_is_refused(tmp_path, no_deserialise):
    tensors = make_tensors()
    tensors["rnn.weight_hh_l0"] = torch.zeros(HIDDEN, HIDDEN + 1)
    ModelStore(tmp_path).create("m", make_metadata(), tensors)  # a store that does not check
    with pytest.raises(CorruptModel, match="rnn.weight_hh_l0"):
        ModelStore(tmp_path, expected_shapes=elman_shapes).load("m")


def test_huge_shape_in_a_stored_header_is_refused_before_allocation(tmp_path, no_deserialise):
    header = {"readout.weight": {"dtype": "F32", "shape": [10**12, 10**12], "data_offsets": [0, 16]}}
    write_model_files(tmp_path, "m", raw_safetensors(header, b"\0" * 16))
    with pytest.raises(LimitExceeded):
        ModelStore(tmp_path).load("m")


def test_pickle_renamed_to_safetensors_is_refused(tmp_path, no_deserialise):
    buffer = io.BytesIO()
    torch.save(make_tensors(), buffer)
    write_model_files(tmp_path, "zip", buffer.getvalue())
    write_model_files(tmp_path, "raw", pickle.dumps(Explosive()))
    store = ModelStore(tmp_path)
    for name in ("zip", "raw"):
        with pytest.raises(CorruptModel, match="not a safetensors file"):
            store.load(name)
    assert not EXPLODED


# ----- hostile uploads -------------------------------------------------------

EXPLODED = []


def explode():
    EXPLODED.append(True)


class Explosive:
    """Unpickling this would run explode(): proof of whether anything unpickles."""

    def __reduce__(self):
        return (explode, ())


def f32(shape, begin=0):
    count = 1
    for size in shape:
        count *= size
    return {"dtype": "F32", "shape": list(shape), "data_offsets": [begin, begin + 4 * count]}


HOSTILE = {
    "pickle": (pickle.dumps(Explosive()), CorruptModel),
    "empty": (b"", CorruptModel),
    "short": (b"\x01\x00", CorruptModel),
    "huge header length": (struct.pack("<Q", 2**62) + b"{}", CorruptModel),
    "length past end": (raw_safetensors({}, length=10_000), CorruptModel),
    "header not json": (struct.pack("<Q", 4) + b"\xff\xfe{[", CorruptModel),
    "header a list": (raw_safetensors([]), CorruptModel),  # type: ignore[arg-type]
    "deep nesting": (struct.pack("<Q", 200_000) + b"[" * 100_000 + b"]" * 100_000, CorruptModel),
    "int64": (
        raw_safetensors({"readout.bias": {"dtype": "I64", "shape": [4], "data_offsets": [0, 32]}}, b"\0" * 32),
        CorruptModel,
    ),
    "unhashable dtype": (
        raw_safetensors({"readout.bias": {"dtype": ["F32"], "shape": [4], "data_offsets": [0, 16]}}, b"\0" * 16),
        CorruptModel,
    ),
    "huge shape": (raw_safetensors({"readout.bias": f32([2**40])}, b"\0" * 16), LimitExceeded),
    "many dims": (raw_safetensors({"readout.bias": f32([4096, 4096, 4096])}, b"\0" * 16), LimitExceeded),
    "negative dim": (raw_safetensors({"readout.bias": f32([-4])}, b""), CorruptModel),
    "offsets past data": (raw_safetensors({"readout.bias": f32([4])}, b"\0" * 8), CorruptModel),
    "overlap": (raw_safetensors({"readout.bias": f32([4]), "rnn.bias_ih_l0": f32([4])}, b"\0" * 32), CorruptModel),
    "path-like tensor name": (raw_safetensors({"../etc": f32([4])}, b"\0" * 16), CorruptModel),
    "metadata not strings": (raw_safetensors({"__metadata__": {"config": {"a": 1}}}), CorruptModel),
}


@pytest.mark.parametrize("label", sorted(HOSTILE))
def test_hostile_uploads_are_refused(store, tmp_path, no_deserialise, label):
    data, error = HOSTILE[label]
    with pytest.raises(error):
        store.import_checkpoint("upload", data, make_metadata())
    assert not EXPLODED
    assert list(tmp_path.iterdir()) == []


def test_upload_with_unexpected_names_or_shapes_is_refused(store, tmp_path, no_deserialise):
    wrong_shape = make_tensors()
    wrong_shape["readout.weight"] = torch.zeros(OUTPUT + 1, HIDDEN)
    extra = {**make_tensors(), "shortcut.weight": torch.zeros(OUTPUT, INPUT)}
    missing = make_tensors()
    del missing["readout.bias"]
    for tensors in (wrong_shape, extra, missing):
        with pytest.raises(CorruptModel, match="do not match"):
            store.import_checkpoint("upload", safetensors.torch.save(tensors), make_metadata())
    assert list(tmp_path.iterdir()) == []


def test_upload_without_any_config_is_refused(store):
    with pytest.raises(InvalidModel, match="config"):
        store.import_checkpoint("upload", safetensors.torch.save(make_tensors()), None)


def test_upload_of_too_many_bytes_is_refused(tmp_path):
    store = ModelStore(tmp_path, StoreLimits(max_file_bytes=100))
    with pytest.raises(LimitExceeded):
        store.import_checkpoint("upload", safetensors.torch.save(make_tensors()), make_metadata())


def test_upload_of_foreign_float64_checkpoint_with_metadata(store):
    doubles = make_tensors(dtype=torch.float64)
    store.import_checkpoint("upload", safetensors.torch.save(doubles), make_metadata())
    loaded = store.load("upload")
    assert loaded.tensors["readout.bias"].dtype == torch.float32
    assert torch.equal(loaded.tensors["readout.bias"], doubles["readout.bias"].float())
