"""POST /api/models/{name}/trace with interventions: the clamped trace, the clean run and the difference."""

from __future__ import annotations

import json

import msgpack
import pytest
import torch

from app.core.models import load_model
from app.core.trace import trace
from app.core.trace.interventions import MAX_INTERVENTIONS, Intervention
from tests.trace_fields import API_TRACE_FIELDS

TEXT = "BTBTSSXXTVVETE"


def post(client, name, **body):
    return client.post(f"/api/models/{name}/trace", json={"input": TEXT, **body})


@pytest.fixture
def lstm(make_model):
    make_model("m", architecture="lstm", task="embedded_reber", hidden_size=8)
    return "m"


def test_a_clamped_trace_carries_the_clean_run_and_the_difference(client, store, lstm):
    shut = [{"step": 6, "target": "gate:f", "unit": j, "value": 0} for j in range(8)]
    hold = {"step": None, "target": "h", "unit": 2, "value": 0.5}
    response = post(client, lstm, interventions=[*shut, hold])
    assert response.status_code == 200, response.text
    document = json.loads(response.text)
    assert set(document) == API_TRACE_FIELDS | {"interventions", "clean", "difference"}
    assert document["interventions"][-1] == {"step": None, "target": "h", "unit": 2, "value": 0.5}
    assert all(row[2] == 0.5 for row in document["h"])
    assert document["gates"]["f"][6] == [0.0] * 8

    loaded = load_model(store, lstm)
    sequence = loaded.task.encode(TEXT)
    clean = trace(loaded.model, loaded.task, sequence)
    items = [Intervention(**item) for item in [*shut, hold]]
    clamped = trace(loaded.model, loaded.task, sequence, interventions=items)
    close = dict(rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(torch.tensor(document["grad_h"]), clamped.grad_h, **close)
    torch.testing.assert_close(torch.tensor(document["clean"]["outputs"]), clean.y, **close)
    torch.testing.assert_close(torch.tensor(document["clean"]["losses"]), clean.losses, **close)
    torch.testing.assert_close(torch.tensor(document["difference"]["outputs"]), clamped.y - clean.y, **close)
    torch.testing.assert_close(torch.tensor(document["difference"]["losses"]), clamped.losses - clean.losses, **close)
    # with the forget gate alone shut at step 6, the difference is exactly zero before it (both runs
    # take the same step-by-step arithmetic) and not after
    only_f = json.loads(post(client, lstm, interventions=shut).text)
    assert all(value == 0.0 for row in only_f["difference"]["outputs"][:6] for value in row)
    assert any(value != 0.0 for row in only_f["difference"]["outputs"][6:] for value in row)


def test_without_interventions_the_trace_is_as_before(client, lstm):
    document = json.loads(post(client, lstm).text)
    assert set(document) == API_TRACE_FIELDS


def test_interventions_in_msgpack(client, lstm):
    body = {"input": TEXT, "interventions": [{"step": 1, "target": "c", "unit": 0, "value": 1.0}]}
    response = client.post(f"/api/models/{lstm}/trace?encoding=msgpack", json=body)
    assert response.status_code == 200
    document = msgpack.unpackb(response.content)
    assert document["interventions"][0]["target"] == "c"
    assert document["difference"]["outputs"]["shape"] == [len(TEXT), 7]


@pytest.mark.parametrize(
    "item,words",
    [
        ({"step": 0, "target": "gate:q", "unit": 0, "value": 0}, "gate:q"),
        ({"step": 0, "target": "gate:f", "unit": 8, "value": 0}, "unit 8 is out of range"),
        ({"step": len(TEXT), "target": "h", "unit": 0, "value": 0}, f"step {len(TEXT)} is out of range"),
        ({"step": 0, "target": "h", "unit": 0, "value": 1e9}, "value"),
        ({"step": 0, "target": "h", "unit": -1, "value": 0}, "unit"),
        ({"step": 0, "target": "h", "unit": 0, "value": "1"}, "value"),
        ({"step": 0, "target": "h", "unit": 0, "value": 0, "extra": 1}, "extra"),
        ({"target": "h", "unit": 0, "value": 0}, "step"),
    ],
)
def test_bad_interventions_get_a_422_with_a_message(client, lstm, item, words):
    response = post(client, lstm, interventions=[item])
    assert response.status_code == 422
    assert words in response.json()["detail"]


def test_c_on_a_family_without_a_cell_and_too_many_interventions(client, make_model, lstm):
    make_model("g", architecture="gru", task="embedded_reber", hidden_size=4)
    response = post(client, "g", interventions=[{"step": 0, "target": "c", "unit": 0, "value": 0}])
    assert response.status_code == 422 and "'c' does not exist in a GRU" in response.json()["detail"]
    many = [{"step": 0, "target": "h", "unit": 0, "value": 0}] * (MAX_INTERVENTIONS + 1)
    response = post(client, lstm, interventions=many)
    assert response.status_code == 422 and "interventions" in response.json()["detail"]
