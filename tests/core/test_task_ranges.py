"""The options that let a demo model's claims be checked: the copy task's held-out split and lag
range, the fluent task's distance range, the adding task's length range and its 1997 criterion,
and the held-out measurement (metric and saturation) of app/core/heldout.py."""

from __future__ import annotations

import itertools
import random

import pytest
import torch

from app.core.heldout import held_out_task, hidden_saturation, measure_held_out
from app.core.models import build_model
from app.core.tasks import TaskInputError, collate, make_task
from app.core.tasks.copy import HELD_OUT_EVERY, is_held_out
from app.core.tasks.fluent import OPENINGS

SPLIT = {"n_symbols": 8, "length": 4, "lag": 5}


def contents(task, count: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    return ["".join(task.sample(rng).labels[: task.options["length"]]) for _ in range(count)]


# ----- copy: the held-out split -------------------------------------------------------------


def test_the_hash_split_is_fixed_and_holds_out_about_one_in_eight():
    every = ["".join(c) for c in itertools.product("abcdefgh", repeat=4)]
    held = [c for c in every if is_held_out(c)]
    assert 0.8 / HELD_OUT_EVERY < len(held) / len(every) < 1.2 / HELD_OUT_EVERY
    assert [is_held_out(c) for c in every[:50]] == [is_held_out(c) for c in every[:50]]  # no process salt
    assert is_held_out("daeb")  # sha256("daeb") begins with a byte divisible by 8: pinned, so it never drifts


def test_training_never_draws_a_held_out_content_and_evaluation_draws_only_those():
    train = make_task("copy", {**SPLIT, "split": "train"})
    held = make_task("copy", {**SPLIT, "split": "held_out"})
    drawn_in_training = set(contents(train, 3000))
    drawn_held_out = set(contents(held, 300, seed=1))
    assert not any(is_held_out(c) for c in drawn_in_training)
    assert all(is_held_out(c) for c in drawn_held_out)
    assert not drawn_in_training & drawn_held_out
    assert len(drawn_held_out) > 100  # many different held-out contents, not a handful


def test_split_all_draws_both_halves_and_keeps_the_old_sequences():
    task = make_task("copy", SPLIT)
    assert task.options["split"] == "all" and task.options["max_lag"] == 0
    drawn = contents(task, 400)
    assert any(is_held_out(c) for c in drawn) and not all(is_held_out(c) for c in drawn)
    # no extra draws without a split or a lag range: the same rng gives the same first symbols as before
    rng = random.Random(5)
    expected = [rng.choice("abcdefgh") for _ in range(4)]
    assert contents(task, 1, seed=5)[0] == "".join(expected)


def test_a_split_of_a_small_space_is_refused():
    with pytest.raises(TaskInputError, match="at least 64 different contents"):
        make_task("copy", {"n_symbols": 4, "length": 2, "split": "train"})
    with pytest.raises(TaskInputError, match="split must be one of"):
        make_task("copy", {**SPLIT, "split": "test"})


def test_held_out_task_swaps_the_training_split_only():
    train = make_task("copy", {**SPLIT, "split": "train"})
    assert held_out_task(train).options["split"] == "held_out"
    plain = make_task("copy", SPLIT)
    assert held_out_task(plain) is plain


# ----- ranges -------------------------------------------------------------------------------


def test_copy_lags_vary_over_the_range_and_typed_input_uses_lag():
    task = make_task("copy", {**SPLIT, "lag": 10, "max_lag": 20})
    rng = random.Random(0)
    lags = {len(task.sample(rng)) - 2 * 4 for _ in range(300)}
    assert lags == set(range(10, 21))
    assert len(task.encode("abcd")) == 2 * 4 + 10
    with pytest.raises(TaskInputError, match="max_lag"):
        make_task("copy", {"lag": 30, "max_lag": 20})


def filler_length(sequence) -> int:
    words = sequence.labels
    opening = next(len(o.split()) for o in OPENINGS if o.split()[-1] == "." and _opens(words, o))
    return len(words) - opening - 4  # "i speak fluent <language>"


def _opens(words: list[str], opening: str) -> bool:
    return all(w.startswith("{") or w == words[k] for k, w in enumerate(opening.split()))


def test_fluent_distances_vary_over_the_range():
    task = make_task("fluent", {"distance": 0, "max_distance": 30})
    rng = random.Random(0)
    lengths = [filler_length(task.sample(rng)) for _ in range(400)]
    assert min(lengths) == 0 and max(lengths) >= 30
    assert len(set(lengths)) > 25
    assert make_task("fluent", {"distance": 0}).options["max_distance"] == 0
    with pytest.raises(TaskInputError, match="max_distance"):
        make_task("fluent", {"distance": 10, "max_distance": 5})


def test_adding_lengths_vary_over_the_range():
    task = make_task("adding", {"length": 10, "max_length": 60})
    rng = random.Random(0)
    lengths = {len(task.sample(rng)) for _ in range(500)}
    assert min(lengths) == 10 and max(lengths) == 60
    assert {len(make_task("adding", {"length": 40}).sample(rng)) for _ in range(50)} <= set(range(40, 45))
    with pytest.raises(TaskInputError, match="max_length"):
        make_task("adding", {"length": 50, "max_length": 20})


def test_the_1997_criterion_scales_the_sum_to_the_unit_interval():
    task = make_task("adding", {"length": 10})
    batch = collate([task.sample(random.Random(k)) for k in range(4)])
    offsets = torch.tensor([0.03, 0.05, 0.079, 0.09])  # errors on the sum itself
    logits = batch.target.clone()
    last = batch.lengths - 1
    logits[torch.arange(4), last, 0] += offsets
    assert task.metric(logits, batch) == 0.25  # within 0.04 of the sum: the first only
    assert task.solved_1997(logits, batch) == 0.75  # within 0.04 of the sum / 2: all but the last
    assert task.mean_squared_error(logits, batch) == pytest.approx(float((offsets**2).mean()))


# ----- the held-out measurement ---------------------------------------------------------------


def test_saturation_counts_hidden_values_beyond_the_threshold():
    loaded = build_model("m", "elman", "copy", 8, task_options={**SPLIT, "split": "train"})
    sequences = [loaded.task.sample(random.Random(k)) for k in range(3)]
    with torch.no_grad():
        for p in loaded.model.rnn.parameters():
            p.zero_()
    assert hidden_saturation(loaded, sequences) == 0.0  # h = tanh(0) = 0 everywhere
    with torch.no_grad():
        loaded.model.rnn.bias_ih_l0.fill_(10.0)
    assert hidden_saturation(loaded, sequences) == 1.0  # tanh(10) > 0.99 at every step and unit
    measured = measure_held_out(loaded, count=16)
    assert measured.split == "held_out" and measured.saturation == 1.0 and 0.0 <= measured.metric <= 1.0


def test_no_fluent_opening_is_the_start_of_another():
    """A sentence's opening is then found by matching (the filler's length depends on it)."""
    for a, b in itertools.permutations(OPENINGS, 2):
        assert not b.startswith(a), (a, b)
    assert all(o.endswith(" .") and "{country}" in o for o in OPENINGS)
