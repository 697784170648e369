"""What the tasks generate: Reber and embedded Reber strings checked against an independent edge
list (legality, legal-next sets as targets, the messages), and every other task's sequences
against its definition."""

from __future__ import annotations

import random
from collections import Counter

import pytest
import torch

from app.core.tasks import TaskInputError, is_embedded_reber, is_reber, legal_next, make_task
from app.core.tasks.fluent import ANSWER_PREFIX, COUNTRIES, OPENINGS

# The Reber graph written out again from the paper, independent of the module's data.
SPEC_EDGES = {
    (0, "B"): 1,
    (1, "T"): 2, (1, "P"): 3,
    (2, "S"): 2, (2, "X"): 4,
    (3, "T"): 3, (3, "V"): 5,
    (4, "X"): 3, (4, "S"): 6,
    (5, "P"): 4, (5, "V"): 6,
    (6, "E"): "end",
}  # fmt: skip


def spec_walk(string: str) -> list:
    """The states visited by a string under SPEC_EDGES; None where it breaks the grammar."""
    state, states = 0, [0]
    for symbol in string:
        state = SPEC_EDGES.get((state, symbol))
        if state is None:
            return None
        states.append(state)
    return states


def spec_is_reber(string: str) -> bool:
    states = spec_walk(string)
    return states is not None and states[-1] == "end"


# --- the grammars -----------------------------------------------------------


def test_generated_reber_strings_follow_the_graph_and_take_every_edge():
    task = make_task("reber")
    rng = random.Random(0)
    strings = [task.sample(rng).labels for _ in range(500)]
    edges = Counter()
    for symbols in strings:
        string = "".join(symbols)
        assert spec_is_reber(string), string
        assert is_reber(string)
        assert len(string) <= 40
        states = spec_walk(string)
        edges.update(zip(states[:-1], string, strict=True))
    assert set(edges) == set(SPEC_EDGES)  # every way out is used
    # each two-way choice is a fair coin: T vs P out of state 1 is about even
    share_t = edges[(1, "T")] / (edges[(1, "T")] + edges[(1, "P")])
    assert 0.42 < share_t < 0.58


def test_generated_embedded_reber_strings_wrap_a_reber_string_with_a_matching_branch():
    task = make_task("embedded_reber")
    rng = random.Random(1)
    branches = Counter()
    for _ in range(500):
        string = "".join(task.sample(rng).labels)
        assert string[0] == "B" and string[-1] == "E"
        assert string[1] in "TP" and string[-2] == string[1]
        assert spec_is_reber(string[2:-2]), string
        assert is_embedded_reber(string)
        assert len(string) <= 60
        branches[string[1]] += 1
    assert 200 < branches["T"] < 300


@pytest.mark.parametrize(
    "string",
    ["", "B", "BTSSXXTVV", "BTSSXXTVVEE", "BTV", "TSXSE", "BPVVX", "BTXXVPXE", "BTSQE", "btssxxtvve"],
)
def test_illegal_or_unfinished_strings_are_not_reber(string):
    assert not is_reber(string)
    assert not spec_is_reber(string)


@pytest.mark.parametrize("string", ["BTSSXXTVVE", "BPVVE", "BTXSE", "BPTTVPXVPSE", "BTXXTVVE", "BTXXVPSE"])
def test_hand_made_legal_strings_are_reber(string):
    assert spec_is_reber(string)
    assert is_reber(string)


def test_embedded_reber_rejects_a_mismatched_branch():
    assert is_embedded_reber("BTBTSSXXTVVETE")
    assert is_embedded_reber("BPBPVVEPE")
    assert not is_embedded_reber("BTBTSSXXTVVEPE")
    assert not is_embedded_reber("BTSSXXTVVE")
    assert not is_embedded_reber("BTBTSSXXTVVET")


@pytest.mark.parametrize(
    "prefix, expected",
    [
        ("", {"B"}),
        ("B", {"T", "P"}),
        ("BT", {"S", "X"}),
        ("BTSS", {"S", "X"}),
        ("BTX", {"X", "S"}),
        ("BTXX", {"T", "V"}),
        ("BPV", {"P", "V"}),
        ("BPVP", {"X", "S"}),
        ("BTXS", {"E"}),
        ("BTXSE", set()),
    ],
)
def test_legal_next_on_hand_cases(prefix, expected):
    assert legal_next(prefix) == expected


def test_legal_next_of_an_illegal_prefix_raises():
    with pytest.raises(TaskInputError, match="cannot follow 'BT'"):
        legal_next("BTV")


def test_reber_targets_are_the_legal_next_sets():
    task = make_task("reber")
    seq = task.encode("BTSSXXTVVE")
    assert seq.target_labels == ["T|P", "S|X", "S|X", "S|X", "S|X", "T|V", "T|V", "P|V", "E", ""]
    for t in range(len(seq.target_labels)):
        expected = legal_next("BTSSXXTVVE"[: t + 1])
        assert {task.symbols[k] for k in range(7) if seq.target[t, k] == 1} == expected
        assert seq.target[t].sum() == len(expected)
    assert seq.loss_mask.tolist() == [1.0] * 9 + [0.0]
    # a legal prefix is accepted, and its last step still has something to predict
    prefix = task.encode("bt s")
    assert prefix.labels == ["B", "T", "S"]
    assert prefix.loss_mask.tolist() == [1.0, 1.0, 1.0]
    assert prefix.target_labels[-1] == "S|X"


def test_embedded_reber_target_after_the_inner_e_is_the_branch():
    seq = make_task("embedded_reber").encode("BPBTSSXXTVVEPE")
    assert seq.target_labels[:3] == ["T|P", "B", "T|P"]
    assert seq.labels[11] == "E" and seq.target_labels[11] == "P"
    assert seq.target_labels[12:] == ["E", ""]


def test_illegal_reber_input_names_the_symbol_and_what_may_follow():
    task = make_task("reber")
    with pytest.raises(TaskInputError) as error:
        task.encode("BTSV")
    message = str(error.value)
    assert "'V'" in message and "'BTS'" in message and "S or X" in message
    with pytest.raises(TaskInputError, match="starts with B"):
        task.encode("TSXSE")
    with pytest.raises(TaskInputError, match="already a complete string"):
        task.encode("BPVVEV")
    with pytest.raises(TaskInputError, match="may be followed by T"):
        make_task("embedded_reber").encode("BTBTSSXXTVVEPE")


# --- generated sequences follow their definitions ----------------------------


def test_adding_samples_mark_one_value_in_each_half_and_target_their_sum():
    task = make_task("adding", {"length": 40})
    rng = random.Random(6)
    for _ in range(50):
        seq = task.sample(rng)
        steps = len(seq)
        assert 40 <= steps <= 44
        marked = seq.x[:, 1].nonzero().flatten().tolist()
        assert len(marked) == 2 and marked[0] < steps // 2 <= marked[1]
        assert float(seq.target[-1, 0]) == pytest.approx(float(seq.x[marked, 0].sum()))
        assert torch.all((0 <= seq.x[:, 0]) & (seq.x[:, 0] <= 1))


def test_copy_samples_recall_their_content_after_the_lag():
    task = make_task("copy", {"n_symbols": 3, "length": 5, "lag": 7})
    assert task.symbols == ("a", "b", "c", "-") and task.input_symbols == ("a", "b", "c", "-", ":")
    seq = task.sample(random.Random(0))
    assert len(seq) == 5 + 7 + 5
    assert seq.labels[5:12] == ["-"] * 7 and seq.labels[12] == ":" and seq.labels[13:] == ["-"] * 4
    assert seq.target_labels[12:] == seq.labels[:5]
    assert seq.loss_mask.tolist() == [0.0] * 12 + [1.0] * 5


def test_sine_target_is_the_next_input():
    for noise in (0.0, 0.1):
        seq = make_task("sine", {"noise": noise, "length": 30}).sample(random.Random(1))
        assert torch.equal(seq.x[1:, 0], seq.target[:-1, 0])
        assert len(seq) == 30 and seq.loss_mask.sum() == 30
    clean = make_task("sine").sample(random.Random(2))
    assert float(clean.x.abs().max()) <= 1.0


def test_fluent_sentences_pair_the_cue_country_with_its_language_across_the_distance():
    languages = dict(COUNTRIES)
    for distance in (0, 8, 30):
        task = make_task("fluent", {"distance": distance})
        rng = random.Random(distance)
        for _ in range(40):
            words = task.sample(rng).labels
            country = next(w for w in words if w in languages)
            assert words[-1] == languages[country]
            assert words[-4:-1] == ANSWER_PREFIX.split()
            filler = words[opening_length(words) : -4]
            assert distance - distance // 4 <= len(filler) <= distance + distance // 4 + 1


def opening_length(words: list[str]) -> int:
    """The words of the opening the sentence starts with (placeholders match any word; none is
    the start of another, so one matches)."""
    (length,) = [
        len(o.split())
        for o in OPENINGS
        if all(w.startswith("{") or w == words[k] for k, w in enumerate(o.split()) if k < len(words))
    ]
    return length


def test_text_windows_come_from_the_text():
    text = "abcabcabd, the quick brown fox."
    task = make_task("text", {"text": text, "length": 8})
    assert task.symbols == tuple(sorted(set(text)))
    rng = random.Random(0)
    for _ in range(20):
        seq = task.sample(rng)
        window = "".join(task.symbols[int(i)] for i in seq.x.argmax(-1))
        following = "".join(task.symbols[int(i)] for i in seq.target)
        assert len(window) == 8 and window in text and following in text and following[:-1] == window[1:]
    # a text shorter than the window gives windows as long as the text allows
    short = make_task("text", {"text": "abcdefghijabcdefghij", "length": 64})
    assert len(short.sample(random.Random(0))) == 19
