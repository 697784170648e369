"""The demo models' notes (the page's model list shows the shipped JSON's note) against their recipes and
against the models: each note is the recipe's, and what a note says of its model holds when measured."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest
import torch

from app.core.models import load_model
from app.core.store import ModelStore
from app.core.tasks.base import collate
from app.core.tasks.embedded_reber import is_embedded_reber
from app.demo_models import RECIPES

ROOT = Path(__file__).resolve().parents[2]
NOTES = {recipe.name: recipe.note for recipe in RECIPES}


@pytest.fixture(scope="module")
def load():
    store = ModelStore(ROOT / "models")
    cache: dict = {}
    return lambda name: cache.setdefault(name, load_model(store, name))


@pytest.mark.parametrize("name", NOTES)
def test_the_shipped_note_is_the_recipes(name):
    """One note per model: retraining writes the recipe's note, so a shipped one that differs is stale."""
    assert json.loads((ROOT / "models" / f"{name}.json").read_text())["note"] == NOTES[name]


def closing_right(loaded, strings: list[str]) -> list[bool]:
    """Per string, whether the prediction at the inner E is exactly the second symbol (the task's metric,
    one string at a time)."""
    task = loaded.task
    right = []
    with torch.no_grad():
        for string in strings:
            batch = collate([task.encode(string)])
            logits, _ = loaded.model(batch.x)
            right.append(task.metric(logits, batch) == 1.0)
    return right


def test_the_embedded_reber_lstm_carries_the_branch_on_random_strings_but_not_across_a_long_run(load):
    lstm, elman = load("lstm-embedded-reber"), load("elman-embedded-reber")
    note = NOTES["lstm-embedded-reber"]
    # "carries the second symbol across the inner string of the grammar's random strings"
    rng = random.Random(0)
    sequences = [lstm.task.sample(rng) for _ in range(2000)]
    batch = collate(sequences)
    with torch.no_grad():
        logits, _ = lstm.model(batch.x)
    assert lstm.task.metric(logits, batch) == 1.0
    # "after <the note's string> it predicts P where the second symbol, T, must come again"
    found = re.search(r"after (B[BTPSXVE]+E) it predicts ([TP]) where the second symbol, ([TP]),", note)
    prefix, predicted, second = found.groups()
    string = prefix + second + "E"
    assert is_embedded_reber(string) and len(string) <= lstm.task.options["max_length"] and string[1] == second
    assert max(len(run) for run in re.findall(r"T+|S+", string[2:-2])) >= 20  # "a long run of one symbol"
    sequence = lstm.task.encode(string)
    with torch.no_grad():
        at_inner_end = lstm.model(sequence.x.unsqueeze(0))[0][0, len(string) - 3]
    assert lstm.task.symbols[int(at_inner_end.argmax())] == predicted != second
    assert closing_right(lstm, [string]) == [False]
    # "(elman-embedded-reber gets it right)"
    assert closing_right(elman, [string]) == [True]


def test_the_recall_note_points_to_a_chapter_that_gives_both_experiments_counts():
    """elman-copy's note types no count (a note has no placeholders, and counts go stale when seeds are added):
    it names the chapter, which must exist and read both recall experiments' counts at the model's lags."""
    chapter = re.search(r"the tour's chapter '([^']+)'", NOTES["elman-copy"]).group(1)
    tour = (ROOT / "static" / "js" / "tour.js").read_text()
    start = tour.index(f"title: '{chapter}'")
    text = re.sub(r"'\s*\+\s*'", "", tour[start : tour.index("title:", start + 10)])  # the pieces joined
    for figure in ("vanishing_at_copy_lags", "memory_at_copy_lags"):
        assert f"{{{figure}.first.successes|int}} of {{{figure}.first.runs|int}}" in text
