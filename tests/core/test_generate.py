"""Sampling from the shipped models: seeded, each step's distribution equal to the trace of the
written string, stopping at the task's end, and acceptance as the Reber graph itself judges it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from app.__main__ import main
from app.core.analysis.generate import MAX_SAMPLES, MAX_STEPS, GenerationError, generate
from app.core.device import configure_threads
from app.core.models import load_model
from app.core.store import ModelStore
from app.core.tasks import TaskInputError
from app.core.trace import trace

ROOT = Path(__file__).resolve().parents[2]
# The Reber graph written out again, independently of app.core.tasks.reber: state -> {symbol: next}
GRAPH = {0: {"B": 1}, 1: {"T": 2, "P": 3}, 2: {"S": 2, "X": 4}, 3: {"T": 3, "V": 5}, 4: {"X": 3, "S": 6}}
GRAPH |= {5: {"P": 4, "V": 6}, 6: {"E": "end"}}


def walks_the_graph(string: str) -> bool:
    state = 0
    for symbol in string:
        if state == "end" or symbol not in GRAPH[state]:
            return False
        state = GRAPH[state][symbol]
    return state == "end"


@pytest.fixture(scope="module")
def models():
    configure_threads(1)
    store = ModelStore(ROOT / "models")
    names = ("elman-reber", "lstm-embedded-reber", "lstm-fluent", "gru-adding")
    return {name: load_model(store, name) for name in names}


def as_plain(generation):
    return [(s.text, s.p.tolist()) for s in generation.samples]


def test_the_same_seed_gives_the_same_samples_and_another_seed_others(models):
    first = generate(models["elman-reber"], "", steps=60, seed=7, samples=20)
    again = generate(models["elman-reber"], "", steps=60, seed=7, samples=20)
    other = generate(models["elman-reber"], "", steps=60, seed=8, samples=20)
    assert as_plain(first) == as_plain(again)
    assert [s.text for s in first.samples] != [s.text for s in other.samples]


def test_reber_samples_start_with_b_end_at_e_and_are_judged_by_the_graph(models):
    generation = generate(models["elman-reber"], "", steps=60, seed=0, samples=200)
    for sample in generation.samples:
        assert sample.symbols[0] == "B" and sample.given == 1
        assert sample.accepted == walks_the_graph(sample.text)
        assert sample.symbols.count("E") <= 1
        assert sample.text.endswith("E") or len(sample.generated) == 60
    assert generation.accepted == sum(walks_the_graph(s.text) for s in generation.samples)
    assert generation.acceptance_rate > 0.9  # the shipped net has learned the grammar (docs/analysis.md)


def test_each_step_is_the_traced_distribution_of_the_written_string(models):
    """bce: the sigmoid outputs of the trace at that step, normalised, then raised to 1/temperature."""
    loaded = models["elman-reber"]
    temperature = 0.5
    sample = generate(loaded, "BT", steps=40, temperature=temperature, seed=3).samples[0]
    read = [loaded.task.input_symbols.index(s) for s in sample.symbols[:-1]]  # the last one is never read
    x = torch.nn.functional.one_hot(torch.tensor(read), loaded.task.input_size).tolist()
    tr = trace(loaded.model, loaded.task, loaded.task.sequence_from_vectors(x))  # legal or not
    for n in range(len(sample.generated)):
        sig = tr.y[sample.given - 1 + n].double()
        expected = sig ** (1 / temperature) / (sig ** (1 / temperature)).sum()
        torch.testing.assert_close(sample.p[n].double(), expected, rtol=1e-5, atol=1e-6)
        assert sample.p[n][loaded.task.symbols.index(sample.generated[n])] > 0


def test_fluent_stops_after_the_answer_and_lists_the_completions(models):
    loaded = models["lstm-fluent"]
    prefix = loaded.task.probe_text().rsplit(" ", 1)[0]  # '... i speak fluent'
    generation = generate(loaded, prefix, steps=5, seed=0, samples=30)
    tr = trace(loaded.model, loaded.task, loaded.task.encode(prefix + " french"))
    softmax = torch.softmax(tr.logits[-2].double(), dim=-1)  # the output at 'fluent'
    word, p = generation.completions[0]
    assert word == loaded.task.symbols[int(softmax.argmax())]
    assert abs(p - float(softmax.max())) < 1e-5
    assert sum(p for _, p in generation.completions) <= 1 + 1e-9
    for sample in generation.samples:
        assert len(sample.generated) == 1 and sample.accepted is None
        torch.testing.assert_close(sample.p[0].double(), softmax, rtol=1e-5, atol=1e-6)
    assert generation.accepted is None


def test_embedded_reber_runs_to_the_second_e(models):
    generation = generate(models["lstm-embedded-reber"], "BP", steps=80, seed=1, samples=20)
    for sample in generation.samples:
        if sample.text.endswith("E") and len(sample.generated) < 80:
            assert sample.symbols.count("E") == 2
    assert generation.accepted >= 15


def test_a_complete_prefix_writes_nothing(models):
    sample = generate(models["elman-reber"], "BTSSXXTVVE", steps=5).samples[0]
    assert sample.generated == [] and sample.accepted is True and sample.p.shape == (0, 7)


@pytest.mark.parametrize(
    "kwargs,words",
    [
        ({"steps": 0}, "steps must be between 1"),
        ({"steps": MAX_STEPS + 1}, "steps must be between 1"),
        ({"temperature": 0.0}, "temperature must be above 0"),
        ({"temperature": 10.5}, "at most 10"),
        ({"temperature": float("nan")}, "temperature"),
        ({"samples": MAX_SAMPLES + 1}, "samples must be between"),
        ({"seed": -1}, "seed"),
    ],
)
def test_bad_requests_are_refused_with_a_message(models, kwargs, words):
    with pytest.raises(GenerationError, match=words):
        generate(models["elman-reber"], "", **kwargs)


def test_a_task_that_cannot_write_and_a_bad_prefix_are_refused(models):
    with pytest.raises(GenerationError, match="cannot write"):
        generate(models["gru-adding"], "")
    with pytest.raises(TaskInputError, match="cannot follow"):
        generate(models["elman-reber"], "BTT")
    with pytest.raises(GenerationError, match="probabilities"):
        generate(models["lstm-fluent"], "i", steps=500, samples=100)


@pytest.fixture
def shipped_dir(monkeypatch):
    monkeypatch.setenv("UNROLLED_MODELS_DIR", str(ROOT / "models"))  # read only: generate writes nothing
    monkeypatch.setenv("UNROLLED_DEVICE", "cpu")


def test_the_command_line_prints_samples_with_probabilities_and_the_rate(shipped_dir, capsys):
    assert main(["generate", "elman-reber", "--samples", "4", "--seed", "2"]) == 0
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if line.strip()[:1].isdigit()]
    assert len(rows) == 4 and all(row.split()[2] == "B" for row in rows)
    assert "accepted by the grammar:" in out and "of 4" in out
    assert main(["generate", "elman-reber", "--samples", "4", "--seed", "2", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    accepted = document["acceptance"]["accepted"]
    assert f"{accepted} of 4" in out
    texts = [sample["text"] for sample in document["samples"]]
    loaded = load_model(ModelStore(ROOT / "models"), "elman-reber")
    assert texts == [s.text for s in generate(loaded, "", steps=40, seed=2, samples=4).samples]


def test_the_command_line_refuses_bad_requests_in_one_line(shipped_dir, capsys):
    assert main(["generate", "gru-adding"]) == 2
    assert capsys.readouterr().err.startswith("error: a model of the task 'adding' cannot write")
    assert main(["generate", "elman-reber", "--temperature", "0"]) == 2
    assert "temperature" in capsys.readouterr().err
