"""Tests of POST /api/models/{name}/trace and of the model cache behind it."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from app.api.model_cache import ModelCache
from app.core.models import load_model, save_model, tensors_of
from app.core.trace import trace, trace_to_plain
from tests.api.conftest import create_model
from tests.trace_fields import API_TRACE_FIELDS

FLUENT_SENTENCE = "france is where i grew up , but i now live in boston . i speak fluent french"

GATES = {"lstm": ["i", "f", "g", "o"], "gru": ["r", "z", "n"], "elman": [], "shortcut": [], "second_order": []}


def refuse_nan(constant: str):
    raise AssertionError(f"the response holds the non-JSON literal {constant}")


def post_trace(client, name: str, **body) -> dict:
    response = client.post(f"/api/models/{name}/trace", json=body)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    return json.loads(response.text, parse_constant=refuse_nan)


def check_shapes(document: dict, steps: int, hidden: int, inputs: int, outputs: int) -> None:
    assert set(document) == API_TRACE_FIELDS
    assert document["steps"] == steps
    assert len(document["labels"]) == len(document["target_labels"]) == steps
    for field, width in [
        ("x", inputs),
        ("h", hidden),
        ("logits", outputs),
        ("y", outputs),
        ("grad_h", hidden),
        ("grad_x", inputs),
    ]:
        assert np.asarray(document[field]).shape == (steps, width), field
    for field in ("loss_mask", "losses"):
        assert len(document[field]) == steps, field
    assert len(document["target"]) == steps
    for gate in document["gates"].values():
        assert np.asarray(gate).shape == (steps, hidden)
    for norms in document["matrix_grad_norms"].values():
        assert len(norms) == steps
    if document["grad_flow"] is not None:
        assert np.asarray(document["grad_flow"]).shape == (steps, steps)
    assert math.isclose(document["loss"], sum(document["losses"]), rel_tol=1e-5, abs_tol=1e-6)


@pytest.mark.parametrize("architecture", sorted(GATES))
def test_reber_trace_has_every_field_with_t_rows(client, architecture):
    create_model(client, "m", architecture=architecture, task="reber", hidden_size=6)
    document = post_trace(client, "m", input="BTSSXXTVVE")
    check_shapes(document, steps=10, hidden=6, inputs=7, outputs=7)
    assert document["model"] == "m" and document["input"] == "BTSSXXTVVE" and document["total_steps"] == 0
    assert document["architecture"] == architecture and document["task"] == "reber"
    assert document["labels"] == list("BTSSXXTVVE") and document["target_labels"][0] == "T|P"
    assert list(document["gates"]) == GATES[architecture]
    assert (document["c"] is None) == (architecture != "lstm")
    assert (document["grad_c"] is None) == (architecture != "lstm")
    assert document["loss_kind"] == "bce" and document["nonfinite"] == []
    grad_flow = np.asarray(document["grad_flow"])
    assert np.all(np.triu(grad_flow, k=1) == 0)  # dL_s/dh_t is zero for t > s


def test_adding_trace_scores_only_the_last_step(client, make_model):
    make_model("add", architecture="lstm", task="adding", hidden_size=5)
    document = post_trace(client, "add", input="0.1 0.5* 0.2 0.9*")
    check_shapes(document, steps=4, hidden=5, inputs=2, outputs=1)
    assert document["loss_mask"] == [0, 0, 0, 1]
    assert document["labels"] == ["0.10", "0.50*", "0.20", "0.90*"]
    assert document["target"][-1] == pytest.approx([1.4])
    assert document["losses"][:3] == [0, 0, 0] and document["loss"] == pytest.approx(document["losses"][3])


def test_fluent_trace_of_a_sentence(client, make_model):
    make_model("lang", architecture="gru", task="fluent", hidden_size=8)
    document = post_trace(client, "lang", input=FLUENT_SENTENCE)
    words = FLUENT_SENTENCE.split()
    vocabulary = client.get("/api/models/lang").json()["task"]["symbols"]
    check_shapes(document, steps=len(words), hidden=8, inputs=len(vocabulary), outputs=len(vocabulary))
    assert document["labels"] == words and document["loss_kind"] == "cross_entropy"
    assert document["target"] == [vocabulary.index(word) for word in words[1:]] + [vocabulary.index("french")]
    assert document["loss_mask"][-1] == 0


def test_raw_x_without_target_traces_forward_values_with_zero_loss(client, make_model):
    make_model("m", architecture="lstm")
    x = torch.randn(6, 7, generator=torch.Generator().manual_seed(0)).tolist()
    document = post_trace(client, "m", x=x)
    check_shapes(document, steps=6, hidden=8, inputs=7, outputs=7)
    assert document["labels"] == [f"t={t}" for t in range(6)] and document["input"] is None
    assert document["losses"] == [0] * 6 and document["loss_mask"] == [0] * 6 and document["loss"] == 0
    assert np.allclose(document["x"], x, atol=1e-6)
    assert np.any(np.asarray(document["h"]) != 0)


def test_raw_x_with_targets_of_each_loss_kind(client, make_model):
    make_model("r", task="reber")
    make_model("f", task="fluent")
    make_model("a", task="adding")
    onehot = np.eye(7)[[0, 1, 3]].tolist()
    bce = post_trace(client, "r", x=onehot, target=[[0, 1, 1, 0, 0, 0, 0]] * 3)
    assert bce["loss_mask"] == [1, 1, 1] and bce["loss"] > 0 and bce["target_labels"] == ["T|P"] * 3
    vocabulary = client.get("/api/models/f").json()["task"]["input_size"]
    ce = post_trace(client, "f", x=np.eye(vocabulary)[[0, 1]].tolist(), target=[1, 2])
    assert ce["target"] == [1, 2] and ce["loss"] > 0
    mse = post_trace(client, "a", x=[[0.5, 1], [0.25, 1], [0.0, 0]], y=[0, 0, 0.75])  # `y` is an alias
    assert mse["loss_mask"] == [0, 0, 1] and mse["target"][-1] == [0.75]


def test_the_same_input_gives_an_identical_trace(client, make_model):
    make_model("m", architecture="lstm")
    first = client.post("/api/models/m/trace", json={"input": "BTSSXXTVVE"})
    second = client.post("/api/models/m/trace", json={"input": "BTSSXXTVVE"})
    assert first.content == second.content


@pytest.mark.parametrize("architecture", ["lstm", "second_order"])
def test_http_trace_equals_the_in_process_trace(client, store, architecture):
    create_model(client, "m", architecture=architecture, task="reber", hidden_size=7, seed=5)
    served = post_trace(client, "m", input="BPVVE")
    loaded = load_model(store, "m")
    expected = trace_to_plain(trace(loaded.model, loaded.task, loaded.task.encode("BPVVE")))
    for field, value in expected.items():
        if isinstance(value, (list, dict)) and field not in ("labels", "target_labels", "symbols", "nonfinite"):
            got, want = json.dumps(served[field]), json.dumps(value)
            assert np.allclose(_numbers(served[field]), _numbers(value), atol=1e-6, rtol=0), (
                field,
                got[:80],
                want[:80],
            )
        else:
            assert served[field] == pytest.approx(value, abs=1e-6), field


def _numbers(value) -> np.ndarray:
    if isinstance(value, dict):
        return np.concatenate([_numbers(value[key]).ravel() for key in sorted(value)] or [np.zeros(0)])
    return np.asarray(value, dtype=np.float64)


def test_a_bad_symbol_is_422_naming_it_and_its_position(client, make_model):
    make_model("m")
    response = client.post("/api/models/m/trace", json={"input": "BTSQXE"})
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert "'Q'" in detail and "position 4" in detail


def test_a_copy_content_of_another_length_than_trained_is_422_naming_the_length(client, make_model):
    make_model("recall", task="copy", task_options={"n_symbols": 8, "length": 4, "lag": 5})
    response = client.post("/api/models/recall/trace", json={"input": "abcde"})
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert "exactly 4 symbols" in detail and "you typed 5" in detail
    assert client.post("/api/models/recall/trace", json={"input": "abcd"}).status_code == 200


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"x": [[0.0] * 6]}, "x[0]"),
        ({"x": [[0.0] * 7, [0.0] * 8]}, "x[1]"),
        ({"x": [[0.0] * 6 + [1e40]]}, "x[0][6]"),
        ({"x": [[0.0] * 7 for _ in range(501)]}, "501"),
        ({"x": []}, "x has 0 steps"),
        ({"x": [[]]}, "x[0]"),
        ({"x": "BTS"}, "x"),
        ({"x": [[0.0] * 7], "target": [[1, 0]]}, "target[0]"),
        ({"x": [[0.0] * 7], "target": [[2, 0, 0, 0, 0, 0, 0]]}, "[0, 1]"),
        ({"x": [[0.0] * 7], "target": [[0] * 7, [0] * 7]}, "target has 2"),
        ({"x": [[0.0] * 7], "target": [[10**400] + [0] * 6]}, "too large"),
        ({"input": "BTSSXXTVVE", "x": [[0.0] * 7]}, "not both"),
        ({"input": "BT", "target": [1, 2]}, "target"),
        ({}, "give input"),
        ({"input": ""}, "empty"),
        ({"input": "   "}, "empty"),
        ({"input": 5}, "input"),
        ({"input": "BT", "grad_flow": "maybe"}, "grad_flow"),
        ({"input": "BT", "extra": 1}, "extra"),
    ],
)
def test_unusable_trace_requests_are_422(client, make_model, body, named):
    make_model("m")
    response = client.post("/api/models/m/trace", json=body)
    assert response.status_code == 422, response.text
    assert named in response.json()["detail"]


@pytest.mark.parametrize("literal", [b"NaN", b"Infinity", b"-Infinity", b"1e400"])
def test_non_finite_x_is_422(client, make_model, literal):
    make_model("m")
    body = b'{"x": [[' + literal + b", 0, 0, 0, 0, 0, 0]]}"
    response = client.post("/api/models/m/trace", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 422 and "x[0][0]" in response.json()["detail"]


@pytest.mark.parametrize("content", [b"", b"not json", b"[1, 2]", b'{"input": "BT"', b'{"input": "B\\ud800"}'])
def test_malformed_trace_body_is_422(client, make_model, content):
    make_model("m")
    response = client.post("/api/models/m/trace", content=content, headers={"content-type": "application/json"})
    assert response.status_code == 422 and isinstance(response.json()["detail"], str)


def test_class_index_targets_are_checked(client, make_model):
    make_model("f", task="fluent")
    size = client.get("/api/models/f").json()["task"]["input_size"]
    x = np.eye(size)[[0, 1]].tolist()
    for target in ([0, size], [0, -1], [0, 1.5], [0, "a"], [0, True]):
        response = client.post("/api/models/f/trace", json={"x": x, "target": target})
        assert response.status_code == 422 and "target[1]" in response.json()["detail"], target


def test_input_longer_than_the_trace_limit_is_422(make_client):
    small = make_client(max_trace_steps=5)
    create_model(small, "m")
    response = small.post("/api/models/m/trace", json={"input": "BTSSXXTVVE"})
    assert response.status_code == 422 and "at most 5" in response.json()["detail"]
    assert small.post("/api/models/m/trace", json={"input": "BTXSE"}).status_code == 200


def test_unknown_model_is_404_and_bad_name_422(client):
    assert client.post("/api/models/nobody/trace", json={"input": "BT"}).status_code == 404
    assert client.post("/api/models/No%20Body/trace", json={"input": "BT"}).status_code == 422


def test_grad_flow_can_be_switched_off(client, make_model):
    make_model("m")
    assert post_trace(client, "m", input="BTXSE", grad_flow=False)["grad_flow"] is None
    assert np.asarray(post_trace(client, "m", input="BTXSE", grad_flow=True)["grad_flow"]).shape == (5, 5)


def test_exploding_weights_give_200_with_nulls_and_nonfinite_flags(client, make_model, store):
    make_model("boom", architecture="elman", activation="relu", hidden_size=8)
    loaded = load_model(store, "boom")
    tensors = tensors_of(loaded.model)
    tensors["rnn.weight_hh_l0"] = torch.full_like(tensors["rnn.weight_hh_l0"], 1e30)
    tensors["rnn.bias_ih_l0"] = torch.ones_like(tensors["rnn.bias_ih_l0"])
    store.save("boom", loaded.metadata, tensors)
    response = client.post("/api/models/boom/trace", json={"input": "BTSSXXTVVE"})
    assert response.status_code == 200
    assert b"NaN" not in response.content and b"Infinity" not in response.content
    document = json.loads(response.text, parse_constant=refuse_nan)
    assert "h" in document["nonfinite"] and "loss" in document["nonfinite"]
    assert document["loss"] is None and None in document["h"][-1]
    # the weights endpoint carries the huge values as numbers
    weights = client.get("/api/models/boom/weights").json()["tensors"]
    assert weights["rnn.weight_hh_l0"]["data"][0][0] == pytest.approx(1e30, rel=1e-6)


def test_a_save_invalidates_the_cached_model(client, make_model, store):
    make_model("m", architecture="gru")
    before = post_trace(client, "m", input="BTSSXXTVVE")
    loaded = load_model(store, "m")
    with torch.no_grad():
        loaded.model.readout.bias.add_(1.0)
    loaded.metadata.total_steps = 42
    save_model(store, loaded)
    after = post_trace(client, "m", input="BTSSXXTVVE")
    assert after["total_steps"] == 42
    assert after["h"] == before["h"] and after["logits"] != before["logits"]


def test_model_cache_is_an_lru_keyed_by_weights_digest(client, make_model, store):
    for name in ("a", "b", "c"):
        make_model(name)
    cache = ModelCache(capacity=2)
    first = cache.get(store, "a")
    assert cache.get(store, "a").model is first.model  # a hit shares the module
    cache.get(store, "b")
    cache.get(store, "c")  # evicts "a", the least recently used
    assert len(cache) == 2
    assert cache.get(store, "a").model is not first.model
    store.delete("a")
    make_model("a", seed=9)  # same name, new weights: the digest differs
    assert not torch.equal(cache.get(store, "a").model.readout.weight, first.model.readout.weight)


def test_model_cache_keeps_same_named_models_of_two_folders_apart(tmp_path):
    """Two classroom workspaces may each hold "mine": each keeps its own entry, none reloads the other's."""
    from app.core.architectures import expected_shapes
    from app.core.models import create_model as create_stored
    from app.core.store import ModelStore

    stores = [ModelStore(tmp_path / folder, expected_shapes=expected_shapes) for folder in ("one", "two")]
    for seed, folder_store in enumerate(stores):
        create_stored(folder_store, name="mine", architecture="elman", task_id="reber", hidden_size=4, seed=seed)
    cache = ModelCache(capacity=4)
    first, second = (cache.get(folder_store, "mine") for folder_store in stores)
    assert len(cache) == 2 and not torch.equal(first.model.readout.weight, second.model.readout.weight)
    assert cache.get(stores[0], "mine").model is first.model and cache.get(stores[1], "mine").model is second.model
    cache.invalidate("mine")
    assert len(cache) == 0


def test_openapi_documents_every_error_status(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert set(paths["/api/models/{name}"]["get"]["responses"]) >= {"200", "404", "422"}
    assert set(paths["/api/models"]["post"]["responses"]) >= {"201", "409", "413", "422"}
    assert set(paths["/api/models/{name}/checkpoint"]["post"]["responses"]) >= {"201", "409", "413", "422"}
    trace = paths["/api/models/{name}/trace"]["post"]["responses"]
    assert set(trace) >= {"200", "404", "413", "422"}
    assert "TraceOut" in json.dumps(trace["200"])
