"""GET /api/lessons/figures: the tour's figures measured on the models in the store, cached by
their weights, a model that is not there named instead of failing, an unknown figure a 404."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from app.core.lessons import FIGURES, timing

SHIPPED = Path(__file__).resolve().parents[2] / "models" / "experiments"

ORIGIN = {"Origin": "http://testserver"}


def test_empty_store_names_the_missing_models(client):
    response = client.get("/api/lessons/figures")
    assert response.status_code == 200
    figures = response.json()["figures"]
    assert set(figures) == set(FIGURES)
    for name, figure in figures.items():
        spec = FIGURES[name]
        results = [f"the {spec.experiment} experiment's results"] if spec.experiment else []
        assert figure["value"] is None and figure["missing"] == list(spec.models) + results
        assert figure["experiment"] == spec.experiment
        assert figure["seed"] == 0 and figure["description"]


@pytest.fixture
def one_round(monkeypatch):
    monkeypatch.setattr(timing, "ROUNDS", 1)  # the cost figure times the families: one round is enough here


def test_a_figure_is_measured_on_the_stored_models_and_follows_their_weights(client, make_model, one_round):
    make_model("lstm-embedded-reber", architecture="lstm", task="embedded_reber", hidden_size=8)
    make_model("elman-embedded-reber", architecture="elman", task="embedded_reber", hidden_size=8)
    first = client.get("/api/lessons/figures/cost").json()
    assert first["missing"] == [] and first["models"] == ["lstm-embedded-reber", "elman-embedded-reber"]
    assert first["value"]["lstm"]["core_weights"] == 4 * 8 * (7 + 8)
    assert first["value"]["elman"]["core_weights"] == 8 * (7 + 8) and first["value"]["core_ratio"] == 4.0
    # a new model under the same name (new weights, a new digest): the figure is measured again
    assert client.delete("/api/models/elman-embedded-reber", headers=ORIGIN).status_code == 204
    make_model("elman-embedded-reber", architecture="elman", task="embedded_reber", hidden_size=16)
    again = client.get("/api/lessons/figures/cost").json()
    assert again["value"]["elman"]["core_weights"] == 16 * (7 + 16)
    assert again["value"]["core_ratio"] == 480 / 368


def test_a_sampled_figure_is_a_distribution_and_the_same_on_every_call(client, make_model):
    make_model("lstm-embedded-reber", architecture="lstm", task="embedded_reber", hidden_size=4)
    first = client.get("/api/lessons/figures/forget_gates").json()
    share = first["value"]["steady_unit_share"]
    assert (
        set(share) == {"median", "q1", "q3", "min", "max", "n"}
        and share["n"] == first["sequences"] == FIGURES["forget_gates"].sequences
    )
    assert share["min"] <= share["q1"] <= share["median"] <= share["q3"] <= share["max"]
    assert client.get("/api/lessons/figures/forget_gates").json() == first


def test_the_cost_figure_times_every_family_two_ways_as_ratios(client, make_model, one_round):
    make_model("lstm-embedded-reber", architecture="lstm", task="embedded_reber", hidden_size=8)
    make_model("elman-embedded-reber", architecture="elman", task="embedded_reber", hidden_size=8)
    value = client.get("/api/lessons/figures/cost").json()["value"]
    assert value["families"]["gru"]["multiply_adds"] == 3 * 8 * (7 + 8) + 8 * 7
    assert set(value["timing"]) == {"fused", "fused_onednn_off", "common"} and value["rounds"] == 1
    assert all(value["timing"][way]["elman"]["ratio"] == 1.0 for way in value["timing"])


def test_an_experiment_figure_reads_the_stored_results_and_follows_them(client, settings):
    target = Path(settings.models_dir) / "experiments" / "shortcuts"
    shutil.copytree(SHIPPED / "shortcuts", target)
    figure = client.get("/api/lessons/figures/shortcuts").json()
    assert figure["missing"] == [] and figure["experiment"] == "shortcuts" and figure["models"] == []
    runs = sorted((target / "runs").glob("*.json"))
    assert figure["value"]["runs"] == len(runs)
    # a run fewer (another set of results): the figure is computed again from what is stored
    runs[0].unlink()
    assert client.get("/api/lessons/figures/shortcuts").json()["value"]["runs"] == len(runs) - 1


def test_unknown_figure_is_404_naming_the_figures(client):
    response = client.get("/api/lessons/figures/hundred_times")
    assert response.status_code == 404
    assert "no figure 'hundred_times'" in response.json()["detail"] and "cost" in response.json()["detail"]


def test_the_routes_are_in_the_openapi_document(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert (
        "get" in paths["/api/lessons/figures"] and "404" in paths["/api/lessons/figures/{figure}"]["get"]["responses"]
    )
