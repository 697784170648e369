"""POST /api/models/{name}/generate: samples with their distributions, acceptance, bounds."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from app.core.tasks.reber import is_reber

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def shipped_folder(tmp_path_factory):
    """Copies of the shipped elman-reber and lstm-fluent, made once for the module."""
    folder = tmp_path_factory.mktemp("shipped")
    for name in ("elman-reber", "lstm-fluent"):
        for suffix in (".json", ".safetensors"):
            shutil.copy(ROOT / "models" / f"{name}{suffix}", folder / f"{name}{suffix}")
    return folder


@pytest.fixture
def shipped(make_client, shipped_folder):
    """A client whose store holds the copies (nothing here writes to it)."""
    return make_client(models_dir=shipped_folder)


def post(client, name, **body):
    return client.post(f"/api/models/{name}/generate", json=body)


def test_reber_samples_with_distributions_and_acceptance(shipped):
    response = post(shipped, "elman-reber", steps=60, seed=4, samples=40)
    assert response.status_code == 200, response.text
    document = response.json()
    assert document["model"] == "elman-reber" and document["vocabulary"] == list("BTPSXVE")
    assert document["completions"] is None  # no prefix
    for sample in document["samples"]:
        assert sample["symbols"][0] == "B" and sample["given"] == 1
        assert "".join(sample["symbols"]) == sample["text"]
        assert [step["symbol"] for step in sample["steps"]] == sample["symbols"][1:]
        assert all(abs(sum(step["p"]) - 1) < 1e-5 and len(step["p"]) == 7 for step in sample["steps"])
        assert sample["accepted"] == is_reber(sample["text"])
    accepted = sum(s["accepted"] for s in document["samples"])
    assert document["acceptance"] == {"accepted": accepted, "total": 40, "rate": accepted / 40}
    assert post(shipped, "elman-reber", steps=60, seed=4, samples=40).json() == document


def test_fluent_completions_after_the_prefix(shipped):
    prefix = "i grew up in japan before i moved to boston . the food is good . i speak fluent"
    document = post(shipped, "lstm-fluent", prefix=prefix, steps=3, samples=3).json()
    assert document["acceptance"] is None
    words = [c["symbol"] for c in document["completions"]]
    assert len(words) == 10
    probabilities = [c["p"] for c in document["completions"]]
    assert probabilities == sorted(probabilities, reverse=True)
    for sample in document["samples"]:
        assert sample["text"].startswith(prefix) and len(sample["steps"]) == 1 and sample["accepted"] is None


@pytest.mark.parametrize(
    "body,words",
    [
        ({"steps": 0}, "steps"),
        ({"steps": 501}, "steps"),
        ({"temperature": 0}, "temperature"),
        ({"temperature": 10.5}, "temperature"),
        ({"samples": 1001}, "samples"),
        ({"seed": -1}, "seed"),
        ({"prefix": "BQ"}, "unknown symbol 'Q'"),
        ({"prefix": "BTT"}, "cannot follow"),
        ({"steps": "5"}, "steps"),
        ({"color": 1}, "color"),
    ],
)
def test_bad_requests_get_a_422_with_a_message(shipped, body, words):
    response = post(shipped, "elman-reber", **body)
    assert response.status_code == 422
    assert words in response.json()["detail"]


def test_unknown_models_and_tasks_that_cannot_write(client, make_model):
    assert post(client, "nobody").status_code == 404
    make_model("adder", architecture="gru", task="adding", hidden_size=4)
    response = post(client, "adder")
    assert response.status_code == 422 and "cannot write" in response.json()["detail"]


def test_a_foreign_origin_is_refused(shipped):
    response = shipped.post("/api/models/elman-reber/generate", json={}, headers={"Origin": "https://evil.example"})
    assert response.status_code == 403
