"""Tests of app.core.tasks on every task: shapes, seeding, padding, metrics on hand-made logits,
the registry. Elsewhere: what sample() generates (test_task_generation.py), typed input
(test_task_input.py), raw vectors (test_task_vectors.py)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
import torch

from app.core.tasks import TASKS, Batch, Sequence, Task, TaskInputError, collate, list_tasks, make_task

TASK_IDS = ["reber", "embedded_reber", "adding", "copy", "sine", "fluent", "text"]


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
        for label, counted in zip(seq.target_labels, seq.loss_mask.tolist(), strict=True):
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
