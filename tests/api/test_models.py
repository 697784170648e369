"""Tests of /api/models: create, list, detail, delete, weights, checkpoint download and import."""

from __future__ import annotations

import hashlib
import io
import json
import os
import pickle
import struct
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import safetensors.torch
import torch

from app.core.architectures import ARCHITECTURES, expected_shapes
from tests.api.conftest import create_model

BAD_NAMES = ["../x", "%2e%2e", "..", "A", "a" * 65, "", "-a", ".hidden", "a/b", "a b", "a\n", "ça", "m.json"]


def files_under(root) -> list[str]:
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())


def weights_json(client, name: str) -> dict[str, torch.Tensor]:
    response = client.get(f"/api/models/{name}/weights")
    assert response.status_code == 200, response.text
    return {
        key: torch.tensor(value["data"]).reshape(value["shape"]) for key, value in response.json()["tensors"].items()
    }


def raw_safetensors(header: dict, data: bytes = b"") -> bytes:
    encoded = json.dumps(header).encode()
    return struct.pack("<Q", len(encoded)) + encoded + data


# ----- create, list, detail, delete -------------------------------------------------


def test_create_list_detail_delete(client, settings):
    detail = create_model(client, "reber-lstm", architecture="lstm", task="reber", hidden_size=8, seed=3)
    assert detail["name"] == "reber-lstm"
    assert detail["config"] == {
        "architecture": "lstm",
        "input_size": 7,
        "output_size": 7,
        "hidden_size": 8,
        "activation": "tanh",
    }
    task = detail["task"]
    assert task["id"] == "reber" and task["symbols"] == ["B", "T", "P", "S", "X", "V", "E"]
    assert task["loss_kind"] == "bce" and task["mode"] == "many_to_many" and task["probe_text"] == "BTSSXXTVVE"
    assert task["options"] == {"max_length": 40} and task["metric_name"] and task["input_kind"] == "symbols"
    assert detail["parameter_count"] == 4 * 8 * (7 + 8 + 2) + 7 * 8 + 7
    assert detail["seed"] == 3 and detail["total_steps"] == 0 and detail["history"] == []
    assert detail["training_time_s"] == 0.0 and detail["last_training"] is None
    assert detail["created_at"] and detail["updated_at"]
    options = create_model(client, "f", architecture="gru", task="fluent", task_options={"distance": 3})
    assert options["task"]["options"] == {"distance": 3, "max_distance": 0, "openings": "listed"}
    assert client.delete("/api/models/f").status_code == 204

    assert client.get("/api/models/reber-lstm").json() == detail
    listing = client.get("/api/models").json()
    assert listing == [
        {
            "name": "reber-lstm",
            "architecture": "lstm",
            "task": "reber",
            "hidden_size": 8,
            "parameter_count": detail["parameter_count"],
            "total_steps": 0,
            "updated_at": detail["updated_at"],
            "last_loss": None,
            "last_metric": None,
            "init": {"scheme": "default", "forget_bias": None, "t_max": None},
            "error": None,
            "read_only": False,
            "workspace": None,
            "experiment": None,
        }
    ]

    assert client.delete("/api/models/reber-lstm").status_code == 204
    assert client.get("/api/models/reber-lstm").status_code == 404
    assert client.delete("/api/models/reber-lstm").status_code == 404
    assert client.get("/api/models").json() == []
    assert files_under(settings.models_dir) == []


@pytest.mark.parametrize("architecture", sorted(ARCHITECTURES))
def test_default_activation_is_the_architectures_first(client, architecture):
    detail = create_model(client, "m", architecture=architecture, task="adding", hidden_size=4)
    assert detail["config"]["activation"] == ARCHITECTURES[architecture].activations[0]


def test_taken_name_is_409(client, make_model):
    make_model("m")
    response = client.post("/api/models", json={"name": "m", "architecture": "gru", "task": "adding", "hidden_size": 4})
    assert response.status_code == 409
    assert "already exists" in response.json()["detail"]
    assert client.get("/api/models/m").json()["config"]["architecture"] == "elman"


def test_concurrent_creates_of_one_name_give_exactly_one_201(client):
    body = {"name": "race", "architecture": "elman", "task": "reber", "hidden_size": 8}
    barrier = threading.Barrier(8)

    def create(_) -> int:
        barrier.wait()  # all eight requests in flight together
        return client.post("/api/models", json=body).status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(create, range(8)))
    assert sorted(statuses) == [201] + [409] * 7
    assert [entry["name"] for entry in client.get("/api/models").json()] == ["race"]


@pytest.mark.parametrize("name", BAD_NAMES)
def test_bad_name_on_create_is_422_and_writes_nothing(client, settings, tmp_path, name):
    before = files_under(tmp_path)
    response = client.post(
        "/api/models", json={"name": name, "architecture": "elman", "task": "reber", "hidden_size": 4}
    )
    assert response.status_code == 422
    assert "name" in response.json()["detail"]
    assert files_under(tmp_path) == before


@pytest.mark.parametrize("path", ["%2e%2e", "..%2fx", "%2e%2e%2fx", "A", "A%20b", "a" * 65, "m.json", "%00", "-x"])
def test_bad_name_in_path_is_422_or_404_never_500(client, path):
    for method, suffix in [("GET", ""), ("DELETE", ""), ("GET", "/weights"), ("GET", "/checkpoint")]:
        response = client.request(method, f"/api/models/{path}{suffix}")
        assert response.status_code in (404, 422), (method, path, suffix, response.text)
        assert "detail" in response.json()
    response = client.post(f"/api/models/{path}/trace", json={"input": "BT"})
    assert response.status_code in (404, 422)


INVALID_CREATES = [
    ({"architecture": "transformer"}, "transformer"),
    ({"task": "chess"}, "chess"),
    ({"task_options": {"depth": 3}}, "depth"),
    ({"task_options": {"max_length": 10**9}}, "max_length"),
    ({"task_options": {"max_length": "long"}}, "max_length"),
    ({"task_options": [1, 2]}, "task_options"),
    ({"activation": "sigmoid"}, "sigmoid"),
    ({"hidden_size": 0}, "hidden_size"),
    ({"hidden_size": 513}, "hidden_size"),
    ({"hidden_size": "big"}, "hidden_size"),
    ({"seed": -1}, "seed"),
    ({"seed": 2**70}, "seed"),
    ({"colour": "red"}, "colour"),
]


@pytest.mark.parametrize(("change", "named"), INVALID_CREATES)
def test_invalid_create_is_422_naming_the_problem(client, change, named):
    body = {"name": "m", "architecture": "elman", "task": "reber", "hidden_size": 8, **change}
    response = client.post("/api/models", json=body)
    assert response.status_code == 422, response.text
    assert named in response.json()["detail"]
    assert client.get("/api/models").json() == []


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"{",
        b"[]",
        b"null",
        b'{"name": 5}',
        b"\xff\xfe",
        b'{"name": "m", "architecture": "elman", "task": "reber", "hidden_size": 4, "task_options": {"\\ud800": 1}}',
        b'{"name": "m", "architecture": "elman", "task": "text", "hidden_size": 4, '
        b'"task_options": {"text": "\\ud800"}}',
    ],
)
def test_malformed_create_body_is_422(client, content):
    response = client.post("/api/models", content=content, headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert isinstance(response.json()["detail"], str)


def test_server_limits_on_create(make_client):
    small = make_client(max_hidden_size=16, max_models=2)
    body = {"name": "m", "architecture": "elman", "task": "reber", "hidden_size": 17}
    response = small.post("/api/models", json=body)
    assert response.status_code == 422 and "16" in response.json()["detail"]
    create_model(small, "a")
    create_model(small, "b")
    response = small.post("/api/models", json={**body, "hidden_size": 8})
    assert response.status_code == 409 and "full" in response.json()["detail"]  # a full store is 409


def test_delete_cancels_a_training_job_first(client, make_model):
    make_model("m")
    cancelled = []
    client.app.state.jobs.cancel_for_model = lambda name, workspace=None: cancelled.append(name)
    assert client.delete("/api/models/m").status_code == 204
    assert cancelled == ["m"]


# ----- weights and checkpoints ----------------------------------------------------


# The torch.nn module each family's "rnn." tensors must match, for input 7 and hidden 5.
TORCH_CORES = {
    "elman": torch.nn.RNN(7, 5),
    "shortcut": torch.nn.RNN(7, 5),
    "lstm": torch.nn.LSTM(7, 5),
    "gru": torch.nn.GRU(7, 5),
}


@pytest.mark.parametrize("architecture", sorted(ARCHITECTURES))
def test_weights_have_the_torch_nn_names_and_shapes(client, store, architecture):
    detail = create_model(client, "m", architecture=architecture, task="reber", hidden_size=5)
    tensors = weights_json(client, "m")
    assert {name: tuple(tensor.shape) for name, tensor in tensors.items()} == expected_shapes(detail["config"])
    if architecture in TORCH_CORES:
        expected = {f"rnn.{name}": tuple(p.shape) for name, p in TORCH_CORES[architecture].named_parameters()}
        expected.update({"readout.weight": (7, 5), "readout.bias": (7,)})
        expected.update({"shortcut.weight": (7, 7)} if architecture == "shortcut" else {})
        assert {name: tuple(tensor.shape) for name, tensor in tensors.items()} == expected
    stored = store.load("m").tensors
    assert all(torch.equal(tensor, stored[name]) for name, tensor in tensors.items())


def test_checkpoint_download_is_loadable_safetensors_equal_to_the_weights(client, make_model):
    make_model("m", architecture="gru")
    response = client.get("/api/models/m/checkpoint")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/octet-stream"
    assert 'filename="m.safetensors"' in response.headers["content-disposition"]
    loaded = safetensors.torch.load(response.content)
    tensors = weights_json(client, "m")
    assert set(loaded) == set(tensors)
    for name in tensors:
        assert torch.equal(loaded[name], tensors[name]), name


def test_import_round_trip_gives_identical_weights(client, make_model):
    original = make_model("m", architecture="lstm", task="fluent", hidden_size=6, task_options={"distance": 2})
    data = client.get("/api/models/m/checkpoint").content
    response = client.post(
        "/api/models/copy/checkpoint", content=data, headers={"content-type": "application/octet-stream"}
    )
    assert response.status_code == 201, response.text
    copy = response.json()
    assert copy["name"] == "copy" and copy["config"] == original["config"] and copy["task"] == original["task"]
    assert copy["total_steps"] == 0
    copied, source = weights_json(client, "copy"), weights_json(client, "m")
    assert set(copied) == set(source)
    for name in source:
        assert torch.equal(copied[name], source[name]), name
    # the same trace from both
    traced = [
        client.post(f"/api/models/{n}/trace", json={"input": "i speak fluent french"}).json() for n in ("m", "copy")
    ]
    assert traced[0]["h"] == traced[1]["h"]


def test_import_onto_a_taken_name_is_409_unless_overwrite(client, make_model):
    make_model("a", architecture="elman", seed=1)
    make_model("b", architecture="gru", seed=2)
    data = client.get("/api/models/b/checkpoint").content
    headers = {"content-type": "application/octet-stream"}
    assert client.post("/api/models/a/checkpoint", content=data, headers=headers).status_code == 409
    assert client.get("/api/models/a").json()["config"]["architecture"] == "elman"
    response = client.post("/api/models/a/checkpoint?overwrite=true", content=data, headers=headers)
    assert response.status_code == 201, response.text
    assert response.json()["config"]["architecture"] == "gru"
    replaced, source = weights_json(client, "a"), weights_json(client, "b")
    assert all(torch.equal(replaced[name], source[name]) for name in source)


def hostile_uploads(valid: bytes) -> dict[str, bytes]:
    length = struct.unpack("<Q", valid[:8])[0]
    header, data = json.loads(valid[8 : 8 + length]), valid[8 + length :]
    strings = header["__metadata__"]

    def with_header(**changes) -> bytes:
        return raw_safetensors({**header, **changes}, data)

    buffer = io.BytesIO()
    torch.save({"rnn.weight_hh_l0": torch.zeros(2, 2)}, buffer)
    huge = {"dtype": "F32", "shape": [10**6, 10**6], "data_offsets": [0, 4 * 10**12]}
    surrogate_task = json.dumps({"id": "reber", "options": {"\ud800": 1}})  # quoted back by the error message
    return {
        "pickle": pickle.dumps({"weights": [1.0, 2.0]}),
        "torch.save": buffer.getvalue(),
        "garbage": os.urandom(2048),
        "empty": b"",
        "truncated": valid[:-10],
        "header only": valid[: 8 + length],
        "huge shapes": with_header(**{"rnn.weight_hh_l0": huge}),
        "huge header length": struct.pack("<Q", 2**62) + b"{}",
        "header not an object": raw_safetensors([1, 2]),  # type: ignore[arg-type]
        "no task": with_header(__metadata__={k: v for k, v in strings.items() if k != "task"}),
        "task that does not fit": with_header(__metadata__={**strings, "task": json.dumps({"id": "adding"})}),
        "lone surrogate in an option": with_header(__metadata__={**strings, "task": surrogate_task}),
    }


def test_hostile_uploads_are_422_and_store_nothing(client, make_model, settings):
    make_model("m")
    valid = client.get("/api/models/m/checkpoint").content
    before = files_under(settings.models_dir)
    for label, data in hostile_uploads(valid).items():
        response = client.post(
            "/api/models/evil/checkpoint", content=data, headers={"content-type": "application/octet-stream"}
        )
        assert response.status_code == 422, (label, response.text)
        assert response.json()["detail"], label
        assert files_under(settings.models_dir) == before, label
    assert client.get("/api/models/evil").status_code == 404


def test_upload_over_the_body_limit_is_413(make_client):
    small = make_client(max_body_bytes=1000)
    response = small.post(
        "/api/models/big/checkpoint", content=b"\0" * 5000, headers={"content-type": "application/octet-stream"}
    )
    assert response.status_code == 413
    assert small.get("/api/models").json() == []


def test_a_corrupt_model_lists_with_its_error_while_others_list(client, make_model, settings):
    make_model("good")
    make_model("bad")
    make_model("worse")
    (settings.models_dir / "bad.json").write_text("{ not json")
    (settings.models_dir / "worse.safetensors").write_bytes(b"garbage")
    listing = {entry["name"]: entry for entry in client.get("/api/models").json()}
    assert set(listing) == {"good", "bad", "worse"}
    assert listing["good"]["error"] is None and listing["good"]["architecture"] == "elman"
    assert "bad.json" in listing["bad"]["error"] and listing["bad"]["architecture"] is None
    assert client.get("/api/models/bad").status_code == 422
    assert client.post("/api/models/worse/trace", json={"input": "BT"}).status_code == 422
    assert client.get("/api/models/worse/weights").status_code == 422
    # a damaged model can still be removed
    assert client.delete("/api/models/bad").status_code == 204
    assert [entry["name"] for entry in client.get("/api/models").json()] == ["good", "worse"]


def test_odd_but_valid_metadata_never_breaks_the_listing(client, make_model, store):
    make_model("m")
    store.update_metadata(
        "m",
        {
            "history": [{"step": 5, "loss": "low"}, "junk", {"step": 9, "loss": 0.5, "metric": 0.8}],
            "training_time_s": "long",
            "last_training": [1],
            "seed": None,
        },
    )
    [entry] = client.get("/api/models").json()
    assert entry["last_loss"] == 0.5 and entry["last_metric"] == 0.8 and entry["error"] is None
    detail = client.get("/api/models/m").json()
    assert [point["step"] for point in detail["history"]] == [5, 9]
    assert detail["history"][0]["loss"] is None
    assert detail["training_time_s"] == 0.0 and detail["last_training"] is None and detail["seed"] is None


# ----- strict types, finite weights, honest answers under races -----------------------------

CREATE = {"name": "m", "architecture": "elman", "task": "reber", "hidden_size": 4}
NOT_AN_INT = [True, False, "16", "4", 4.0, None]


@pytest.mark.parametrize("field", ["hidden_size", "seed"])
@pytest.mark.parametrize("value", NOT_AN_INT, ids=repr)
def test_a_boolean_or_a_string_for_a_number_is_refused_on_create(client, field, value):
    response = client.post("/api/models", json={**CREATE, field: value})
    assert response.status_code == 422, response.text
    assert field in response.json()["detail"]
    assert client.get("/api/models").json() == []


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/models/m/train", {"steps": True}, "steps"),
        ("/api/models/m/train", {"steps": "10"}, "steps"),
        ("/api/models/m/train", {"steps": 10, "batch_size": "4"}, "batch_size"),
        ("/api/models/m/train", {"steps": 10, "learning_rate": "0.1"}, "learning_rate"),
        ("/api/models/m/train", {"steps": 10, "learning_rate": True}, "learning_rate"),
        ("/api/models/m/train", {"steps": 10, "tbptt": False}, "tbptt"),
        ("/api/models/m/trace", {"input": "BTSSXXTVVE", "grad_flow": "yes"}, "grad_flow"),
        ("/api/models/m/trace", {"input": "BTSSXXTVVE", "grad_flow": 1}, "grad_flow"),
        ("/api/models/m/trace", {"x": [["1", 0, 0, 0, 0, 0, 0]]}, "x"),
        ("/api/models/m/trace", {"x": [[True, 0, 0, 0, 0, 0, 0]]}, "x"),
        ("/api/models/m/trace", {"input": 12}, "input"),
        ("/api/models", {**CREATE, "name": "n", "activation": 1}, "activation"),
        ("/api/models", {**CREATE, "name": "n", "task_options": {"max_length": True}}, "max_length"),
        ("/api/models", {**CREATE, "name": "n", "task_options": {"max_length": "30"}}, "max_length"),
    ],
)
def test_every_request_schema_refuses_booleans_and_numeric_strings(client, make_model, path, body, field):
    make_model("m", hidden_size=4)
    response = client.post(path, json=body)
    assert response.status_code == 422, response.text
    assert field in response.json()["detail"]


def test_strict_floats_still_take_json_integers(client, make_model):
    make_model("m", hidden_size=4)
    response = client.post("/api/models/m/trace", json={"x": [[1, 0, 0, 0, 0, 0, 0]], "grad_flow": True})
    assert response.status_code == 200, response.text
    response = client.post("/api/models/m/train", json={"steps": 1, "learning_rate": 1, "trace_every_s": 1})
    assert response.status_code == 202, response.text


def checkpoint_with(data: bytes, change) -> bytes:
    """The checkpoint `data` with its tensors changed by change(tensors), header metadata kept."""
    length = struct.unpack("<Q", data[:8])[0]
    strings = json.loads(data[8 : 8 + length])["__metadata__"]
    tensors = safetensors.torch.load(data)
    change(tensors)
    return safetensors.torch.save(tensors, metadata=strings)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf")])
def test_an_upload_with_non_finite_weights_is_422_naming_the_tensor(client, make_model, settings, bad):
    make_model("m")
    poisoned = checkpoint_with(
        client.get("/api/models/m/checkpoint").content,
        lambda tensors: tensors["rnn.weight_hh_l0"].view(-1)[3:5].fill_(bad),
    )
    for path in ("/api/models/evil/checkpoint", "/api/models/m/checkpoint?overwrite=true"):
        response = client.post(path, content=poisoned, headers={"content-type": "application/octet-stream"})
        assert response.status_code == 422, response.text
        assert "rnn.weight_hh_l0" in response.json()["detail"] and "2 non-finite" in response.json()["detail"]
    assert client.get("/api/models/evil").status_code == 404
    assert [entry["error"] for entry in client.get("/api/models").json()] == [None]


def test_non_finite_weights_found_on_disk_are_flagged_in_the_listing(client, make_model, settings):
    make_model("m")
    make_model("ok")
    weights_path, metadata_path = settings.models_dir / "m.safetensors", settings.models_dir / "m.json"
    poisoned = checkpoint_with(weights_path.read_bytes(), lambda tensors: tensors["readout.bias"].fill_(float("nan")))
    document = json.loads(metadata_path.read_text())
    document["weights_sha256"] = hashlib.sha256(poisoned).hexdigest()  # written behind the store's back, consistently
    weights_path.write_bytes(poisoned)
    metadata_path.write_text(json.dumps(document))
    listing = {entry["name"]: entry for entry in client.get("/api/models").json()}
    assert "readout.bias" in listing["m"]["error"] and "non-finite" in listing["m"]["error"]
    assert listing["m"]["architecture"] == "elman"  # still described, with its error
    assert listing["ok"]["error"] is None
    response = client.post("/api/models/m/trace", json={"input": "BTSSXXTVVE"})
    assert response.status_code == 422 and "readout.bias" in response.json()["detail"]


def test_a_create_answered_after_a_racing_delete_is_still_201(client, store, monkeypatch):
    # The window: the route stored the model, a delete landed, then the route read it back (404).
    real_create = store.create

    def create_then_deleted(name, *args, **kwargs):
        stored = real_create(name, *args, **kwargs)
        store.delete(name)  # another client's DELETE, right after the write
        return stored

    monkeypatch.setattr(store, "create", create_then_deleted)
    response = client.post("/api/models", json=CREATE)
    assert response.status_code == 201, response.text
    assert response.json()["name"] == "m" and response.json()["config"]["hidden_size"] == 4


def test_an_overwrite_racing_a_create_of_another_process_replaces_it(client, make_model, store, monkeypatch):
    make_model("src", architecture="gru", seed=3)
    make_model("other", architecture="elman", seed=4)
    data = client.get("/api/models/src/checkpoint").content
    other = {suffix: (store.root / f"other{suffix}").read_bytes() for suffix in (".json", ".safetensors")}
    real_exists = store.exists
    raced = []

    def exists_then_created(name):
        answer = real_exists(name)
        if name == "a" and not raced:  # another process creates "a" just after we looked
            raced.append(True)
            for suffix, content in other.items():
                (store.root / f"a{suffix}").write_bytes(content.replace(b'"other"', b'"a"'))
        return answer

    monkeypatch.setattr(store, "exists", exists_then_created)
    response = client.post(
        "/api/models/a/checkpoint?overwrite=true", content=data, headers={"content-type": "application/octet-stream"}
    )
    assert raced and response.status_code == 201, response.text
    assert response.json()["config"]["architecture"] == "gru"
    assert client.get("/api/models/a").json()["config"]["architecture"] == "gru"
