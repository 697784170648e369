"""Tests of app.core.tasks: grammars against an independent edge list, shapes, seeding,
padding, metrics on hand-made logits, encoding of typed input and its errors, the registry."""

from __future__ import annotations

import json
import random
from collections import Counter
from pathlib import Path

import pytest
import torch

from app.core.tasks import (
    TASKS,
    Batch,
    Sequence,
    Task,
    TaskInputError,
    collate,
    is_embedded_reber,
    is_reber,
    legal_next,
    list_tasks,
    make_task,
)
from app.core.tasks.fluent import ANSWER_PREFIX, COUNTRIES

TASK_IDS = ["reber", "embedded_reber", "adding", "copy", "sine", "fluent", "text"]

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
        edges.update(zip(states[:-1], string))
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
    for t, label in enumerate(seq.target_labels):
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


# --- every task: shapes, seeding, padding -------------------------------------


def perfect_logits(task: Task, batch: Batch) -> torch.Tensor:
    """Outputs that get every counted step exactly right."""
    if task.loss_kind == "bce":
        return torch.where(batch.target > 0.5, 5.0, -5.0)
    if task.loss_kind == "cross_entropy":
        return torch.nn.functional.one_hot(batch.target, task.output_size).float() * 10.0
    return batch.target.clone()


@pytest.mark.parametrize("task_id", TASK_IDS)
def test_sample_shapes_and_types_fit_the_task(task_id):
    task = make_task(task_id)
    assert task.loss_kind in {"cross_entropy", "bce", "mse"}
    assert task.mode in {"many_to_many", "many_to_one"}
    rng = random.Random(3)
    for _ in range(20):
        seq = task.sample(rng)
        steps = len(seq)
        assert steps >= 1
        assert seq.x.shape == (steps, task.input_size) and seq.x.dtype == torch.float32
        assert seq.loss_mask.shape == (steps,) and seq.loss_mask.dtype == torch.float32
        assert set(seq.loss_mask.tolist()) <= {0.0, 1.0} and seq.loss_mask.sum() >= 1
        if task.loss_kind == "cross_entropy":
            assert seq.target.shape == (steps,) and seq.target.dtype == torch.int64
            assert 0 <= int(seq.target.min()) and int(seq.target.max()) < task.output_size
        else:
            assert seq.target.shape == (steps, task.output_size) and seq.target.dtype == torch.float32
        if task.loss_kind == "bce":
            assert set(seq.target.unique().tolist()) <= {0.0, 1.0}
        if task.symbols is not None:
            assert task.output_size == len(task.symbols)
            assert torch.all(seq.x.sum(-1) == 1)  # one-hot inputs
        assert len(seq.labels) == steps and len(seq.target_labels) == steps
        for label, counted in zip(seq.target_labels, seq.loss_mask.tolist()):
            assert (label != "") == (counted == 1.0)


@pytest.mark.parametrize("task_id", TASK_IDS)
def test_same_seed_gives_identical_batches_without_touching_global_randomness(task_id):
    task = make_task(task_id)
    random.seed(123)
    python_state, torch_state = random.getstate(), torch.get_rng_state()
    first, second = task.batch(8, random.Random(7)), task.batch(8, random.Random(7))
    other = task.batch(8, random.Random(8))
    assert random.getstate() == python_state and torch.equal(torch.get_rng_state(), torch_state)
    for name in ("x", "target", "loss_mask", "lengths"):
        assert torch.equal(getattr(first, name), getattr(second, name))
    assert first.x.shape != other.x.shape or not torch.equal(first.x, other.x)


@pytest.mark.parametrize("task_id", TASK_IDS)
def test_batch_padding_has_mask_zero_and_many_to_one_counts_only_the_last_step(task_id):
    task = make_task(task_id)
    batch = task.batch(16, random.Random(11))
    assert batch.x.shape[:2] == batch.loss_mask.shape == (16, int(batch.lengths.max()))
    for row, length in enumerate(batch.lengths.tolist()):
        assert torch.all(batch.loss_mask[row, length:] == 0)
        assert torch.all(batch.x[row, length:] == 0)
        if task.mode == "many_to_one":
            assert batch.loss_mask[row].nonzero().flatten().tolist() == [length - 1]


def test_collate_pads_sequences_of_different_lengths_at_the_end():
    task = make_task("reber")
    short, long = task.encode("BPVVE"), task.encode("BTSSXXTVVE")
    batch = collate([short, long])
    assert batch.lengths.tolist() == [5, 10]
    assert torch.equal(batch.x[0, :5], short.x) and torch.equal(batch.x[1], long.x)
    assert batch.loss_mask[0].tolist() == [1.0] * 4 + [0.0] * 6
    assert torch.all(batch.target[0, 5:] == 0)
    with pytest.raises(ValueError):
        collate([])


@pytest.mark.parametrize("task_id", TASK_IDS)
def test_probe_is_fixed_and_encodes_its_own_text(task_id):
    task = make_task(task_id)
    first, second = task.probe(), make_task(task_id).probe()
    assert torch.equal(first.x, second.x) and first.labels == second.labels
    again = task.encode(task.probe_text())
    assert torch.equal(first.x, again.x) and torch.equal(first.target, again.target)
    assert first.loss_mask.sum() >= 1


# --- metrics on hand-made logits ----------------------------------------------


@pytest.mark.parametrize("task_id", TASK_IDS)
def test_perfect_outputs_score_one(task_id):
    task = make_task(task_id)
    batch = task.batch(8, random.Random(5))
    assert task.metric(perfect_logits(task, batch), batch) == 1.0
    probe = collate([task.probe()])
    assert task.metric(perfect_logits(task, probe), probe) == 1.0


def test_reber_metric_counts_steps_whose_set_is_exactly_right():
    task = make_task("reber")
    batch = collate([task.encode("BTSSXXTVVE"), task.encode("BPVVE")])  # 9 + 4 counted steps
    logits = perfect_logits(task, batch)
    logits[0, 1, task.symbols.index("S")] = -5.0  # {X} instead of {S, X}: a subset is wrong
    logits[1, 0, task.symbols.index("E")] = 5.0  # {T, P, E}: a superset is wrong
    logits[1, 4, :] = 5.0  # the uncounted last step does not matter
    logits[0, 2, task.symbols.index("E")] = -0.1  # just below 0: not predicted, still right
    logits[0, 3, task.symbols.index("S")] = 0.1  # just above 0: predicted, still right
    assert task.metric(logits, batch) == pytest.approx(11 / 13)


def test_embedded_reber_metric_looks_only_at_the_step_after_the_inner_e():
    task = make_task("embedded_reber")
    strings = ["BTBTSSXXTVVETE", "BPBPVVEPE", "BTBPTVVETE", "BPBTXSEPE"]
    batch = collate([task.encode(s) for s in strings])
    logits = perfect_logits(task, batch)
    logits[:, 0, :] = 5.0  # wrong everywhere else on the first step: ignored
    p, t = task.symbols.index("P"), task.symbols.index("T")
    logits[1, 6, p], logits[1, 6, t] = -5.0, 5.0  # sequence 2 says T where P belongs
    assert task.metric(logits, batch) == pytest.approx(3 / 4)
    logits[3, 6, t] = 5.0  # {T, P} is not a choice: also wrong
    assert task.metric(logits, batch) == pytest.approx(2 / 4)


def test_adding_metric_is_the_share_within_tolerance_at_the_last_step():
    task = make_task("adding", {"length": 10})
    batch = task.batch(4, random.Random(2))
    logits = perfect_logits(task, batch)
    logits[:, 0, 0] = 9.0  # early steps do not count
    for row, length in enumerate(batch.lengths.tolist()):
        logits[row, length - 1, 0] += 0.03 if row < 2 else -0.05
    assert task.metric(logits, batch) == pytest.approx(0.5)


def test_copy_metric_counts_recall_steps_only():
    task = make_task("copy", {"length": 4, "lag": 3})
    batch = collate([task.encode("abcd"), task.encode("dcba")])  # 8 recall steps
    logits = perfect_logits(task, batch)
    logits[:, :7, :] = 0.0  # reading steps are not scored
    logits[0, 7 + 2] = torch.nn.functional.one_hot(torch.tensor(3), 5).float() * 10.0  # 'd' for 'c'
    assert task.metric(logits, batch) == pytest.approx(7 / 8)


def test_sine_metric_is_explained_variance():
    task = make_task("sine")
    batch = task.batch(4, random.Random(9))
    counted = batch.loss_mask > 0
    target = batch.target[..., 0]
    mean = target[counted].mean()
    assert task.metric(torch.full_like(batch.target, float(mean)), batch) == pytest.approx(0.0, abs=1e-6)
    # predictions halfway to the mean leave a quarter of the variance unexplained
    halfway = ((target + mean) / 2).unsqueeze(-1)
    assert task.metric(halfway, batch) == pytest.approx(0.75, abs=1e-5)
    assert task.metric(-batch.target, batch) == 0.0  # worse than the mean is clipped to 0


def test_fluent_metric_looks_only_at_the_language_word():
    task = make_task("fluent", {"distance": 4})
    batch = task.batch(4, random.Random(4))
    logits = perfect_logits(task, batch)
    logits[:, :3, :] = 0.0  # the opening words are not scored
    fluent = task.symbols.index("fluent")
    step = int((batch.x[0, :, fluent] > 0).nonzero()[0])
    wrong = (int(batch.target[0, step]) + 1) % task.output_size
    logits[0, step] = torch.nn.functional.one_hot(torch.tensor(wrong), task.output_size).float() * 10.0
    assert task.metric(logits, batch) == pytest.approx(3 / 4)


def test_text_metric_is_next_character_accuracy():
    task = make_task("text")
    batch = collate([task.encode("the state"), task.encode("a net")])  # 8 + 4 counted steps
    logits = perfect_logits(task, batch)
    logits[0, 0] = logits[0, 0].roll(1)
    logits[1, 2] = logits[1, 2].roll(1)
    logits[1, 4] = 0.0  # the last step has no target
    assert task.metric(logits, batch) == pytest.approx(10 / 12)


def test_metric_rejects_logits_that_do_not_fit_the_batch():
    task = make_task("reber")
    batch = collate([task.encode("BPVVE")])
    with pytest.raises(ValueError, match="do not fit"):
        task.metric(torch.zeros(1, 5, 3), batch)


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
            filler = words[words.index(".") + 1 : -4]
            assert distance - distance // 4 <= len(filler) <= distance + distance // 4 + 1


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


# --- encoding a person's input ----------------------------------------------


def test_encode_round_trips():
    adding = make_task("adding").encode("0.2 0.7* 0.1, 0.5*,0.9")
    assert adding.labels == ["0.20", "0.70*", "0.10", "0.50*", "0.90"]
    assert adding.x[:, 1].tolist() == [0, 1, 0, 1, 0]
    assert float(adding.target[-1, 0]) == pytest.approx(1.2) and adding.target_labels[-1] == "1.20"
    assert adding.loss_mask.tolist() == [0, 0, 0, 0, 1]

    copy = make_task("copy").encode("a B c")
    assert copy.labels == list("abc") + ["-"] * 10 + [":", "-", "-"]
    assert copy.target_labels[-3:] == ["a", "b", "c"]

    sine = make_task("sine").encode("0 0.5 0.87 1")
    assert sine.target[:3, 0].tolist() == pytest.approx([0.5, 0.87, 1.0])
    assert sine.loss_mask.tolist() == [1, 1, 1, 0] and sine.target_labels[-1] == ""

    fluent = make_task("fluent")
    words = fluent.encode("France is where I grew up, but I now live in Boston. I speak fluent French")
    assert words.labels[5:8] == ["up", ",", "but"] and words.labels[12:14] == ["boston", "."]
    step = words.labels.index("fluent")
    assert words.target_labels[step] == "french" and words.loss_mask[-1] == 0

    text = make_task("text").encode("the net")
    assert text.labels == ["t", "h", "e", "␣", "n", "e", "t"]
    assert text.target_labels == ["h", "e", "␣", "n", "e", "t", ""]


BAD_INPUTS = [
    ("reber", {}, "", "empty"),
    ("reber", {}, "   ", "empty"),
    ("reber", {}, "BTSQ", "unknown symbol 'Q' at position 4"),
    ("reber", {}, "B" + "T" + "S" * 600 + "XSE", "at most 500"),
    ("embedded_reber", {}, "BTB7", "unknown symbol '7' at position 4"),
    ("adding", {}, "0.2 0.7 0.1", "exactly two"),
    ("adding", {}, "0.2* 0.7* 0.1*", "found 3"),
    ("adding", {}, "0.2 nan* 0.5*", "not a finite number"),
    ("adding", {}, "0.2 inf 0.5* 0.1*", "not a finite number"),
    ("adding", {}, "0.2 1.5* 0.5*", "outside [0, 1]"),
    ("adding", {}, "0.2 abc 0.5* 0.1*", "'abc' at position 2 is not a number"),
    ("adding", {}, " ".join(["0.1"] * 600) + " 0.2* 0.3*", "at most 500"),
    ("copy", {}, "abz", "unknown symbol 'z' at position 3"),
    ("copy", {"n_symbols": 4}, "abe", "unknown symbol 'e'"),
    ("copy", {}, "a--b", "added for you"),
    ("copy", {"lag": 200}, "abcd" * 80, "at most 500"),
    ("sine", {}, "1", "at least two"),
    ("sine", {}, "1 2 NaN", "not a finite number"),
    ("sine", {}, "1 5000", "outside"),
    ("fluent", {}, "i speak fluent klingon", "unknown word 'klingon' at word 4"),
    ("fluent", {}, "i speek fluent", "speak"),
    ("text", {}, "the Zebra", "unknown character 'Z' at position 5"),
    ("text", {}, "the " * 200, "at most 500"),
]


@pytest.mark.parametrize("task_id, options, text, expected", BAD_INPUTS)
def test_bad_input_raises_a_message_naming_the_problem(task_id, options, text, expected):
    with pytest.raises(TaskInputError) as error:
        make_task(task_id, options).encode(text)
    assert expected in str(error.value)


BAD_OPTIONS = [
    ("reber", {"max_length": 5}, "between 10 and 200"),
    ("reber", {"max_length": "40"}, "whole number"),
    ("reber", {"max_length": 40.5}, "whole number"),
    ("reber", {"max_length": True}, "whole number"),
    ("reber", {"colour": 1}, "unknown option 'colour'"),
    ("adding", {"length": 1000}, "between 5 and 500"),
    ("copy", {"n_symbols": 9}, "between 2 and 8"),
    ("sine", {"noise": float("nan")}, "finite"),
    ("sine", {"noise": "a lot"}, "must be a number"),
    ("sine", {"min_period": 50.0, "max_period": 20.0}, "must not exceed"),
    ("fluent", {"distance": -1}, "between 0 and 60"),
    ("text", {"text": "a" * 30}, "2 different characters"),
    ("text", {"text": "too short"}, "at least 20"),
    ("text", {"text": "ab" * 50_001}, "at most 100000"),
    ("text", {"text": 5}, "must be text"),
]


@pytest.mark.parametrize("task_id, options, expected", BAD_OPTIONS)
def test_bad_options_raise_a_message_naming_the_option(task_id, options, expected):
    with pytest.raises(TaskInputError) as error:
        make_task(task_id, options)
    assert expected in str(error.value)


def test_whole_float_options_are_accepted_as_ints():
    task = make_task("reber", {"max_length": 30.0})
    assert task.options["max_length"] == 30 and isinstance(task.options["max_length"], int)


# --- registry and description --------------------------------------------------


def test_registry_lists_every_task_by_id():
    assert list(TASKS) == TASK_IDS
    assert [cls.id for cls in list_tasks()] == TASK_IDS
    assert all(issubclass(cls, Task) for cls in list_tasks())
    assert isinstance(make_task("copy", None), TASKS["copy"])
    with pytest.raises(TaskInputError) as error:
        make_task("nope")
    assert "unknown task 'nope'" in str(error.value) and "reber" in str(error.value)
    with pytest.raises(TaskInputError, match="mapping"):
        make_task("reber", ["max_length"])


@pytest.mark.parametrize("task_id", TASK_IDS)
def test_describe_is_plain_json_data(task_id):
    task = make_task(task_id)
    description = task.describe()
    assert json.loads(json.dumps(description)) == description
    for key in ("id", "title", "description", "symbols", "input_size", "output_size", "loss_kind", "mode",
                "metric_name", "input_kind", "max_length", "options", "options_spec"):  # fmt: skip
        assert key in description
    assert description["id"] == task_id
    assert description["input_kind"] in {"symbols", "words", "numbers"}
    assert set(description["options"]) == {spec["name"] for spec in description["options_spec"]}
    for spec in description["options_spec"]:
        assert spec["kind"] in {"int", "float", "str"} and spec["description"]
        make_task(task_id, {spec["name"]: spec["default"]})  # every default is a valid value
    if task.symbols is None:
        assert description["symbols"] is None and task.input_kind == "numbers"
    else:
        assert description["symbols"] == list(task.symbols)


def test_the_task_package_imports_no_web_framework():
    package = Path(__file__).resolve().parents[2] / "app" / "core" / "tasks"
    for source in package.glob("*.py"):
        text = source.read_text()
        for web in ("fastapi", "pydantic", "starlette"):
            assert f"import {web}" not in text and f"from {web}" not in text, source.name
        assert "print(" not in text, source.name


def test_sequence_and_batch_are_the_documented_dataclasses():
    seq = make_task("reber").encode("BPVVE")
    assert isinstance(seq, Sequence)
    assert isinstance(collate([seq]), Batch)
