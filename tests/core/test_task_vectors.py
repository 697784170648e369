"""Task.sequence_from_vectors and Task.encode_at_most: raw vectors and bounded text as Sequences,
tested on the engine alone (tests/api/test_traces.py checks the same refusals over HTTP)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from app.core.tasks import SequenceTooLong, TaskInputError, make_task


def onehots(indices: list[int], size: int = 7) -> list[list[float]]:
    return np.eye(size)[indices].tolist()


def test_x_without_target_traces_with_nothing_counted():
    reber = make_task("reber")
    sequence = reber.sequence_from_vectors(onehots([0, 1, 3]))
    assert sequence.x.shape == (3, 7) and sequence.x.dtype == torch.float32
    assert sequence.target.shape == (3, 7) and not sequence.target.any()
    assert sequence.loss_mask.tolist() == [0, 0, 0]
    assert sequence.labels == ["t=0", "t=1", "t=2"] and sequence.target_labels == ["", "", ""]
    fluent = make_task("fluent")
    plain = fluent.sequence_from_vectors(onehots([0, 1], fluent.input_size))
    assert plain.target.dtype == torch.int64 and plain.target.shape == (2,)


def test_bce_targets_are_labelled_by_the_symbols_they_set():
    reber = make_task("reber")
    sequence = reber.sequence_from_vectors(onehots([0, 1]), target=[[0, 1, 1, 0, 0, 0, 0]] * 2)
    assert sequence.loss_mask.tolist() == [1, 1] and sequence.target_labels == ["T|P", "T|P"]
    assert sequence.target.dtype == torch.float32 and sequence.target.shape == (2, 7)


def test_class_targets_accept_whole_floats_and_name_the_symbol():
    fluent = make_task("fluent")
    sequence = fluent.sequence_from_vectors(onehots([0, 1], fluent.input_size), target=[1, 2.0])
    assert sequence.target.tolist() == [1, 2]
    assert sequence.target_labels == [fluent.symbols[1], fluent.symbols[2]]


def test_a_many_to_one_task_counts_only_the_last_step_and_takes_bare_numbers():
    adding = make_task("adding")
    sequence = adding.sequence_from_vectors([[0.5, 1], [0.25, 1], [0.0, 0]], target=[0, 0, 0.75])
    assert sequence.loss_mask.tolist() == [0, 0, 1]
    assert sequence.target.shape == (3, 1) and sequence.target[-1].tolist() == [0.75]
    assert sequence.target_labels == ["", "", "0.75"]


@pytest.mark.parametrize(
    ("x", "target", "named"),
    [
        ([[0.0] * 6], None, "x[0] has 6 values"),
        ([[0.0] * 7, [0.0] * 8], None, "x[1]"),
        ([[0.0] * 6 + [1e40]], None, "x[0][6]"),
        ([[0.0] * 6 + [float("nan")]], None, "x[0][6] is nan"),
        ([], None, "x has 0 steps"),
        ([[0.0] * 7], [[1, 0]], "target[0]"),
        ([[0.0] * 7], [[2, 0, 0, 0, 0, 0, 0]], "outside [0, 1]"),
        ([[0.0] * 7], [[0] * 7, [0] * 7], "target has 2 entries"),
        ([[0.0] * 7], [[10**400] + [0] * 6], "too large"),
        ([[0.0] * 7], [["a"] + [0] * 6], "target[0] must be a list of 7 numbers"),
    ],
)
def test_unusable_vectors_name_the_entry(x, target, named):
    with pytest.raises(TaskInputError) as refused:
        make_task("reber").sequence_from_vectors(x, target)
    assert named in str(refused.value)


@pytest.mark.parametrize("second", ["size", -1, 1.5, "a", True])
def test_bad_class_indices_are_refused(second):
    fluent = make_task("fluent")
    target = [0, fluent.output_size if second == "size" else second]
    with pytest.raises(TaskInputError, match=r"target\[1\]"):
        fluent.sequence_from_vectors(onehots([0, 1], fluent.input_size), target)


def test_a_huge_value_is_shown_cut_short():
    with pytest.raises(TaskInputError) as refused:
        make_task("reber").sequence_from_vectors([[0.0] * 7], [[0] * 6 + ["x" * 500]])
    assert len(str(refused.value)) < 120


def test_lengths_beyond_the_callers_limit_are_sequence_too_long():
    reber = make_task("reber")
    with pytest.raises(SequenceTooLong, match="x has 4 steps; give between 1 and 3"):
        reber.sequence_from_vectors(onehots([0, 1, 3, 2]), max_steps=3)
    with pytest.raises(SequenceTooLong, match="the probe is 10 steps long; at most 5 can be traced"):
        reber.encode_at_most("BTSSXXTVVE", 5, "the probe")
    assert len(reber.encode_at_most("BTXSE", 5)) == 5
    with pytest.raises(TaskInputError, match="'Q'"):  # the task's own refusals come through unchanged
        reber.encode_at_most("BTQ", 5)
