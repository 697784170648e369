"""POST /api/models with `init`: the scheme reaches the weights, shows in the detail and the
listing, and every bad combination is a 422 that says what is wrong."""

from __future__ import annotations

import pytest
import torch

from tests.api.conftest import create_model

DEFAULT = {"scheme": "default", "forget_bias": None, "t_max": None}


def bias_sum(client, name: str) -> torch.Tensor:
    tensors = client.get(f"/api/models/{name}/weights").json()["tensors"]
    return torch.tensor(tensors["rnn.bias_ih_l0"]["data"]) + torch.tensor(tensors["rnn.bias_hh_l0"]["data"])


def test_chrono_lstm_is_created_shown_and_listed(client):
    detail = create_model(
        client, "long", architecture="lstm", task="copy", hidden_size=8, init={"scheme": "chrono", "t_max": 80}
    )
    assert detail["init"] == {"scheme": "chrono", "forget_bias": None, "t_max": 80}
    assert client.get("/api/models/long").json()["init"] == detail["init"]
    bias = bias_sum(client, "long")
    forget, input_ = bias[8:16], bias[0:8]
    assert torch.all(forget >= 0) and torch.all(forget <= torch.log(torch.tensor(79.0)) + 1e-6)
    torch.testing.assert_close(input_, -forget)
    create_model(client, "plain", architecture="lstm", task="copy", hidden_size=8)
    rows = {row["name"]: row for row in client.get("/api/models").json()}
    assert rows["long"]["init"] == detail["init"] and rows["plain"]["init"] == DEFAULT


def test_forget_bias_gru_and_identity_elman(client):
    gru = create_model(client, "g", architecture="gru", init={"scheme": "forget_bias", "forget_bias": 3})
    assert gru["init"]["forget_bias"] == 3.0
    assert torch.all(bias_sum(client, "g")[8:16] == 3.0)  # z, the second block of r, z, n
    create_model(client, "i", architecture="elman", activation="relu", init={"scheme": "identity"})
    weights = client.get("/api/models/i/weights").json()["tensors"]
    assert torch.equal(torch.tensor(weights["rnn.weight_hh_l0"]["data"]), torch.eye(8))


def test_architectures_list_the_schemes_each_family_takes(client):
    schemes = {arch["id"]: arch["init_schemes"] for arch in client.get("/api/architectures").json()}
    assert schemes["lstm"] == schemes["gru"] == ["default", "forget_bias", "chrono"]
    assert schemes["elman"] == schemes["shortcut"] == ["default", "identity"]
    assert schemes["second_order"] == ["default"]


@pytest.mark.parametrize(
    "architecture,extra,message",
    [
        ("lstm", {"init": {"scheme": "chrono"}}, "chrono needs T_max"),
        ("lstm", {"init": {"scheme": "forget_bias"}}, "forget_bias needs a value"),
        ("lstm", {"init": {"scheme": "chrono", "t_max": 80, "forget_bias": 1.0}}, "goes with forget_bias only"),
        ("lstm", {"init": {"scheme": "identity"}}, "lstm takes initialisation default or forget_bias or chrono"),
        ("elman", {"init": {"scheme": "identity"}}, "needs activation relu"),
        ("second_order", {"init": {"scheme": "chrono", "t_max": 10}}, "second_order takes initialisation default"),
        ("lstm", {"init": {"scheme": "orthogonal"}}, "scheme"),
        ("lstm", {"init": {"scheme": "chrono", "t_max": "80"}}, "t_max"),
        ("lstm", {"init": {"scheme": "chrono", "t_max": 1}}, "t_max"),
        ("lstm", {"init": {"scheme": "forget_bias", "forget_bias": 1e9}}, "forget_bias"),
        ("lstm", {"init": {"scheme": "chrono", "t_max": 8, "gain": 2}}, "gain"),
        ("lstm", {"init": "chrono:80"}, "init"),
    ],
)
def test_bad_initialisations_are_422_with_a_reason_and_store_nothing(client, architecture, extra, message):
    body = {"name": "bad", "architecture": architecture, "task": "copy", "hidden_size": 4, **extra}
    response = client.post("/api/models", json=body)
    assert response.status_code == 422, response.text
    assert message in response.json()["detail"]
    assert client.get("/api/models/bad").status_code == 404


def test_a_checkpoint_carries_its_init_and_a_bad_one_is_refused(client):
    create_model(client, "a", architecture="lstm", task="copy", hidden_size=4, init={"scheme": "chrono", "t_max": 20})
    data = client.get("/api/models/a/checkpoint").content
    octet = {"Content-Type": "application/octet-stream"}
    imported = client.post("/api/models/b/checkpoint", content=data, headers=octet)
    assert imported.status_code == 201, imported.text
    assert imported.json()["init"] == {"scheme": "chrono", "forget_bias": None, "t_max": 20}
    # the same file with its header's init made unreadable: refused, nothing stored
    bad = data.replace(b'"scheme\\": \\"chrono\\"', b'"scheme\\": \\"chrone\\"')
    assert bad != data and len(bad) == len(data)
    refused = client.post("/api/models/c/checkpoint", content=bad, headers=octet)
    assert refused.status_code == 422 and "__metadata__.init" in refused.json()["detail"]
    assert client.get("/api/models/c").status_code == 404
