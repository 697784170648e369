"""A model's detail carries its held-out metric and saturation (app/core/heldout.py), null until measured."""

from __future__ import annotations

from app.core.heldout import measure_held_out
from app.core.models import load_model


def test_the_detail_states_held_out_metric_and_saturation(client, make_model, store):
    make_model(
        "recall",
        architecture="elman",
        task="copy",
        hidden_size=8,
        task_options={"n_symbols": 8, "length": 4, "split": "train"},
    )
    fresh = client.get("/api/models/recall").json()
    assert fresh["held_out_metric"] is None and fresh["saturation"] is None
    measured = measure_held_out(load_model(store, "recall"), count=8)
    assert measured.split == "held_out"
    store.update_metadata("recall", {"held_out_metric": measured.metric, "saturation": measured.saturation})
    detail = client.get("/api/models/recall").json()
    assert detail["held_out_metric"] == measured.metric and detail["saturation"] == measured.saturation
    assert 0.0 <= detail["saturation"] <= 1.0
