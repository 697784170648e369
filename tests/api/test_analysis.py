"""POST /api/models/{name}/analysis/states, /automaton, /units, /units/select (app/api/routers/analysis.py).

One server for the module, on a store holding copies of two shipped demo models (elman-reber,
lstm-embedded-reber) and two untrained ones (a numeric task, a word task). Sequence counts are
small: these tests check shapes, bounds, guards and that the routes agree with each other and
with the trace route, not the figures of docs/analysis.md.
"""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest
import torch
from fastapi.testclient import TestClient

from app.api.analysis_cache import AnalysisCache
from app.core.models import create_model
from app.main import create_app
from app.settings import Settings
from tests.api.classroom import MODEL, open_classroom
from tests.api.conftest import TEST_HOSTS

SHIPPED = Path(__file__).resolve().parents[2] / "models"
DEMOS = ("elman-reber", "lstm-embedded-reber")
STATES = "/api/models/{}/analysis/states"
AUTOMATON = "/api/models/{}/analysis/automaton"
UNITS = "/api/models/{}/analysis/units"
SELECT = "/api/models/{}/analysis/units/select"


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    folder = tmp_path_factory.mktemp("analysis") / "models"
    folder.mkdir()
    for name in DEMOS:
        for suffix in (".json", ".safetensors"):
            shutil.copy(SHIPPED / f"{name}{suffix}", folder / f"{name}{suffix}")
    before = torch.get_num_threads()
    torch.set_num_threads(1)  # small models: a second thread only waits to be scheduled
    app = create_app(Settings.from_env(models_dir=folder, allowed_hosts=TEST_HOSTS, max_trace_steps=40))
    with TestClient(app) as test_client:
        store = app.state.store
        create_model(store, name="numbers", architecture="gru", task_id="adding", hidden_size=4)
        create_model(store, name="words", architecture="elman", task_id="fluent", hidden_size=4)
        yield test_client
    torch.set_num_threads(before)


def post(client, path: str, name: str, **body):
    return client.post(path.format(name), json=body)


def ok(response) -> dict:
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture(scope="module")
def reber_states(client) -> dict:
    return ok(post(client, STATES, "elman-reber", sequences=30, seed=3, text="BTSSXXTVVE"))


# ----- states ---------------------------------------------------------------------------------


def test_states_give_one_point_per_step_of_every_sequence(reber_states):
    body = reber_states
    points = body["points"]
    assert body["model"] == "elman-reber" and body["sequences"] == 30 and len(body["texts"]) == 30
    assert points == sum(len(text) for text in body["texts"])
    for field in ("coords", "symbol", "step", "sequence", "grammar_state"):
        assert len(body[field]) == points, field
    assert all(len(row) == 2 for row in body["coords"])
    # Points run sequence by sequence, step by step, and their symbols spell the texts.
    assert "".join(body["symbol"]) == "".join(body["texts"])
    assert body["step"][: len(body["texts"][0])] == list(range(len(body["texts"][0])))
    ratios = body["explained_variance"]
    assert len(ratios) == 2 and ratios[0] >= ratios[1] > 0 and sum(ratios) <= 1 + 1e-6
    assert set(body["grammar_state"]) <= {"1", "2", "3", "4", "5", "6", "end"}


def test_the_texts_trajectory_is_in_the_clouds_projection(client, reber_states):
    trajectory = reber_states["trajectory"]
    assert trajectory["text"] == "BTSSXXTVVE" and trajectory["symbol"] == list("BTSSXXTVVE")
    assert len(trajectory["coords"]) == 10
    # A sampled text traced as `text` lands exactly on its own points of the cloud.
    first = reber_states["texts"][0]
    again = ok(post(client, STATES, "elman-reber", sequences=30, seed=3, text=first))
    own = torch.tensor(again["trajectory"]["coords"])
    assert torch.allclose(own, torch.tensor(reber_states["coords"][: len(first)]), atol=1e-4)


def test_the_same_body_gives_the_same_states(client, reber_states):
    assert ok(post(client, STATES, "elman-reber", sequences=30, seed=3, text="BTSSXXTVVE")) == reber_states
    other = ok(post(client, STATES, "elman-reber", sequences=30, seed=4))
    assert other["texts"] != reber_states["texts"] and other["trajectory"] is None


def test_lstm_cell_states_in_three_components(client):
    body = ok(post(client, STATES, "lstm-embedded-reber", sequences=5, components=3, state="c"))
    assert body["state"] == "c" and all(len(row) == 3 for row in body["coords"])
    assert "T/3" in body["grammar_state"] or "P/3" in body["grammar_state"]
    refused = post(client, STATES, "elman-reber", sequences=5, state="c")
    assert refused.status_code == 422 and "no state 'c'" in refused.json()["detail"]


# ----- automaton ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def reber_machine(client) -> dict:
    return ok(post(client, AUTOMATON, "elman-reber", sequences=30, seed=3, k=8, held_out=40, text="BTSSXXTVVE"))


def test_the_automaton_document(reber_machine):
    body = reber_machine
    ids = [state["id"] for state in body["states"]]
    assert body["k"] == 8 and ids == list(range(len(ids))) and body["start"] == 0
    assert [trial["k"] for trial in body["k_search"]] == [8]
    assert body["k_search"][0]["states"] == len(ids)
    assert 0 <= body["agreement"] <= 1 and 0 <= body["purity"] <= 1 and 0 <= body["fidelity"] <= 1
    assert body["held_out_steps"] > 0
    for transition in body["transitions"]:
        assert transition["from"] in ids and transition["to"] in ids and transition["count"] >= 1
    assert body["grammar"]["start"] == "0" and "end" in body["grammar"]["states"]
    symbols = set("BTPSXVE")
    assert all(set(state["next"]) <= symbols for state in body["states"])
    assert len(body["text_states"]) == 10 and set(body["text_states"]) <= set(ids)


def test_point_state_aligns_with_the_states_route(reber_machine, reber_states):
    """Each state's grammar_state and purity are the majority of /analysis/states' grammar_state over
    the points point_state puts in it: true only if both list the same points in the same order."""
    point_state = reber_machine["point_state"]
    assert len(point_state) == reber_states["points"]
    members: dict[int, Counter] = {}
    for state, grammar_state in zip(point_state, reber_states["grammar_state"], strict=True):
        members.setdefault(state, Counter())[grammar_state] += 1
    for state in reber_machine["states"]:
        if state["id"] == reber_machine["start"] or state["id"] not in members:
            continue
        name, count = members[state["id"]].most_common(1)[0]
        assert state["size"] == sum(members[state["id"]].values())
        assert state["purity"] == pytest.approx(count / state["size"])
        assert members[state["id"]][state["grammar_state"]] == count


def test_a_k_search_stops_at_the_first_k_that_holds(client):
    body = ok(post(client, AUTOMATON, "elman-reber", sequences=40, held_out=30))
    tried = [trial["k"] for trial in body["k_search"]]
    assert tried == sorted(tried) and tried[0] == 2 and body["k"] in tried
    # a grammar task's machine holds on both: next sets, and accepting just where strings end
    holding = [t for t in body["k_search"] if t["agreement"] >= 0.99 and t["acceptance"] >= 0.99]
    if holding:  # the search stopped at the first k that holds
        assert holding[0]["k"] == tried[-1] == body["k"]


def test_a_task_without_a_grammar_gets_a_machine_without_one(client):
    body = ok(post(client, AUTOMATON, "words", sequences=10, k=3, held_out=5))
    assert body["grammar"] is None and body["agreement"] is None and body["purity"] is None
    assert all(state["grammar_state"] is None for state in body["states"])


def test_a_task_of_numbers_has_no_automaton(client):
    response = post(client, AUTOMATON, "numbers", sequences=5, k=2, held_out=5)
    assert response.status_code == 422 and "numbers" in response.json()["detail"]


# ----- units ----------------------------------------------------------------------------------


def test_a_units_profile(client, reber_states):
    body = ok(post(client, UNITS, "elman-reber", sequences=30, seed=3, unit=2, top=4))
    assert body["unit"] == 2 and body["target"] == "h" and body["model"] == "elman-reber"
    assert sum(row["count"] for row in body["by_symbol"]) == reber_states["points"]
    assert sum(row["count"] for row in body["by_grammar_state"]) == reber_states["points"]
    assert [row["step"] for row in body["by_step"]] == sorted({*reber_states["step"]})
    assert len(body["top_contexts"]) == 4 and len(body["similar"]) == 4
    values = [context["value"] for context in body["top_contexts"]]
    assert values == sorted(values, reverse=True)
    for context in body["top_contexts"]:  # the context is its text up to the step
        text = reber_states["texts"][context["sequence"]]
        assert context["context"] == text[: context["step"] + 1][-12:] or context["context"].startswith("…")
    assert all(row["unit"] != 2 and -1 <= row["correlation"] <= 1 for row in body["similar"])


def test_gate_and_cell_units_of_the_lstm(client):
    gate = ok(post(client, UNITS, "lstm-embedded-reber", sequences=5, target="gate:f", unit=0))
    assert all(0 <= row["mean"] <= 1 for row in gate["by_symbol"])  # a sigmoid gate
    assert ok(post(client, UNITS, "lstm-embedded-reber", sequences=5, target="c", unit=31))["target"] == "c"


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"unit": 16}, "unit 16 is out of range: h has units 0 to 15"),
        ({"unit": -1}, "greater than or equal to 0"),
        ({"unit": 0, "target": "gate:f"}, "no state 'gate:f'"),
        ({"unit": 0, "target": "w"}, "should match pattern"),
        ({"unit": 0, "top": 0}, "top"),
        ({"unit": 0, "top": 101}, "top"),
        ({"unit": "0"}, "valid integer"),
        ({}, "unit: Field required"),
    ],
)
def test_bad_unit_requests_are_422(client, body, words):
    response = post(client, UNITS, "elman-reber", sequences=5, **body)
    assert response.status_code == 422 and words in response.json()["detail"], response.text


def test_selected_units_are_on_in_the_range_and_off_elsewhere_in_the_trace(client):
    text, start, end, threshold = "BTSSXXTVVE", 6, 8, 0.3
    chosen = ok(post(client, SELECT, "elman-reber", text=text, start=start, end=end, threshold=threshold))["units"]
    h = torch.tensor(ok(client.post("/api/models/elman-reber/trace", json={"input": text}))["h"])
    inside = torch.zeros(len(text), dtype=torch.bool)
    inside[start : end + 1] = True
    expected = [j for j in range(h.shape[1]) if h[inside, j].min() > threshold and h[~inside, j].max() < threshold]
    assert sorted(unit["unit"] for unit in chosen) == expected
    for unit in chosen:
        assert unit["inside_min"] == pytest.approx(float(h[inside, unit["unit"]].min()), abs=1e-5)
        assert unit["score"] == pytest.approx(unit["inside_min"] - unit["outside_max"])
    scores = [unit["score"] for unit in chosen]
    assert scores == sorted(scores, reverse=True)


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"start": 3, "end": 10}, "steps 0..9"),
        ({"start": 4, "end": 3}, "start <= end"),
        ({"start": -1, "end": 3}, "greater than or equal to 0"),
        ({"start": 0, "end": 3, "target": "c"}, "no state 'c'"),
        ({"start": 0, "end": 3, "text": "BTQ"}, "'Q'"),
        ({"start": 0, "end": 3, "text": "BT" + "S" * 60}, "40"),  # past max_trace_steps
        ({"start": 0, "end": 3, "threshold": 1e9}, "threshold"),
    ],
)
def test_bad_selections_are_422(client, body, words):
    response = post(client, SELECT, "elman-reber", **{"text": "BTSSXXTVVE", **body})
    assert response.status_code == 422 and words in response.json()["detail"], response.text


# ----- the cache ------------------------------------------------------------------------------


def test_the_cache_computes_once_and_keeps_within_its_budget():
    cache, calls = AnalysisCache(max_bytes=10), []

    def compute(value):
        calls.append(value)
        return value

    assert cache.remember(("a",), lambda: compute("a"), lambda v: 4) == "a"
    assert cache.remember(("a",), lambda: compute("again"), lambda v: 4) == "a" and calls == ["a"]
    cache.remember(("b",), lambda: compute("b"), lambda v: 4)
    cache.remember(("a",), lambda: compute("x"), lambda v: 4)  # a is now the most recent
    cache.remember(("c",), lambda: compute("c"), lambda v: 4)  # 12 bytes: the oldest, b, leaves
    assert len(cache) == 2 and cache.remember(("b",), lambda: compute("b2"), lambda v: 4) == "b2"
    assert cache.remember(("big",), lambda: compute("big"), lambda v: 11) == "big"
    assert cache.remember(("big",), lambda: compute("big2"), lambda v: 11) == "big2"  # never kept


def test_a_replaced_model_is_analysed_afresh(client):
    store = client.app.state.store
    for name, seed in (("fresh", 1), ("other", 2)):
        create_model(store, name=name, architecture="elman", task_id="reber", hidden_size=4, seed=seed)
    before = ok(post(client, STATES, "fresh", sequences=5))
    machine = ok(post(client, AUTOMATON, "fresh", sequences=5, k=2, held_out=5))
    checkpoint = client.get("/api/models/other/checkpoint").content
    headers = {"content-type": "application/octet-stream"}
    assert client.post("/api/models/fresh/checkpoint?overwrite=true", content=checkpoint, headers=headers).is_success
    after = ok(post(client, STATES, "fresh", sequences=5))
    assert after["texts"] == before["texts"] and after["coords"] != before["coords"]
    assert after == ok(post(client, STATES, "other", sequences=5)) | {"model": "fresh"}
    again = ok(post(client, AUTOMATON, "fresh", sequences=5, k=2, held_out=5))
    assert again == ok(post(client, AUTOMATON, "other", sequences=5, k=2, held_out=5)) | {"model": "fresh"}
    assert machine["model"] == "fresh"


def test_another_text_reuses_the_machine(client):
    body = {"sequences": 20, "k": 3, "held_out": 10}
    first = ok(post(client, AUTOMATON, "elman-reber", **body, text="BT"))
    cache = client.app.state.analysis_cache
    entries = len(cache)
    second = ok(post(client, AUTOMATON, "elman-reber", **body, text="BPV"))
    assert len(cache) == entries  # nothing new was computed, only the text's states
    assert first["states"] == second["states"] and first["point_state"] == second["point_state"]
    assert len(first["text_states"]) == 2 and len(second["text_states"]) == 3


# ----- bounds and guards ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body", "words"),
    [
        (STATES, {"sequences": 0}, "sequences"),
        (STATES, {"sequences": 2001}, "sequences"),
        (STATES, {"components": 4}, "components"),
        (STATES, {"seed": -1}, "seed"),
        (STATES, {"sequences": "20"}, "valid integer"),
        (STATES, {"text": ""}, "text"),
        (STATES, {"text": "BXQ"}, "'Q'"),
        (STATES, {"colour": "red"}, "Extra inputs"),
        (AUTOMATON, {"k": 0}, "k"),
        (AUTOMATON, {"k": 10_000}, "k"),
        (AUTOMATON, {"held_out": 0}, "held_out"),
        (AUTOMATON, {"sequences": 2001}, "sequences"),
        (UNITS, {"unit": 0, "sequences": 2001}, "sequences"),
    ],
)
def test_out_of_bounds_bodies_are_422(client, path, body, words):
    response = post(client, path, "elman-reber", **body)
    assert response.status_code == 422 and words in response.json()["detail"], response.text


def test_more_clusters_than_states_is_422(client):
    response = post(client, AUTOMATON, "elman-reber", sequences=1, k=64, held_out=1)
    assert response.status_code == 422 and "k = 64" in response.json()["detail"]


@pytest.mark.parametrize("path", [STATES, AUTOMATON, UNITS, SELECT])
def test_guards_unknown_model_foreign_origin_and_content_type(client, path):
    body = {"unit": 0} if path == UNITS else {"text": "BT", "start": 0, "end": 0} if path == SELECT else {}
    assert client.post(path.format("nobody"), json=body).status_code == 404
    foreign = client.post(path.format("elman-reber"), json=body, headers={"origin": "http://evil.example"})
    assert foreign.status_code == 403
    typed = client.post(path.format("elman-reber"), content=b"{}", headers={"content-type": "text/plain"})
    assert typed.status_code == 415 and "application/json" in typed.json()["detail"]


def test_openapi_documents_the_routes(client):
    paths = client.get("/openapi.json").json()["paths"]
    for path in (STATES, AUTOMATON, UNITS, SELECT):
        operation = paths[path.format("{name}")]["post"]
        assert {"200", "404", "422"} <= set(operation["responses"]) and "requestBody" in operation


def test_classroom_visitors_analyse_what_they_can_trace(tmp_path):
    with open_classroom(tmp_path) as classroom:
        alice, bob = classroom.browser(), classroom.browser()
        assert alice.post("/api/models", json={"name": "mine", **MODEL}).status_code == 201
        for visitor in (alice, bob):  # everyone may read the demos
            assert ok(visitor.post(STATES.format("demo"), json={"sequences": 3}))["points"] > 0
        assert ok(alice.post(UNITS.format("mine"), json={"sequences": 3, "unit": 1}))["unit"] == 1
        # Another's model is not there for bob (404, as for a trace), however he asks.
        for path, body in ((STATES, {}), (AUTOMATON, {"k": 2}), (UNITS, {"unit": 0})):
            assert bob.post(path.format("mine"), json=body).status_code == 404
