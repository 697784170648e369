"""Tests of Task.encode: a person's typed input (symbols, words, numbers) as a Sequence, and the
messages naming what is wrong with bad input or options."""

from __future__ import annotations

import pytest

from app.core.tasks import TaskInputError, make_task

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
    ("copy", {"length": 4}, "abcda", "type exactly 4 symbols to remember, such as cacb"),
    ("copy", {"length": 4}, "ab", "recalls 4, and you typed 2"),
    ("copy", {"length": 1}, "ab", "type exactly 1 symbol to remember, such as c:"),
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
