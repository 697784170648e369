"""A Sequence from raw vectors: the x (and optional targets) a client types instead of text.

    x:       T rows of input_size finite numbers        -> Sequence.x (T, I), labels "t=0" .. "t=T-1"
    target:  none                                       -> zeros, loss_mask 0: the forward pass is still traced
             a class index per step    (cross_entropy)  -> (T,) int64
             a 0/1 vector of O values  (bce)            -> (T, O) float32, labelled by the symbols set
             O numbers, or one bare number when O = 1 (mse)
A many-to-one task scores only the last step, as its own sequences do. Every
refusal is a TaskInputError whose message names the offending entry (x[3][1],
target[2]), because the person typing the numbers has to find it.
Task.sequence_from_vectors is the entry point; this module holds its logic.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import torch

from .base import Sequence, SequenceTooLong, TaskInputError

if TYPE_CHECKING:
    from .base import Task

# Beyond this a value is a typo or an attack, not an input: float32 overflows at
# ~3e38, and anything this large saturates every cell anyway.
MAX_ABS_VALUE = 1e6


def vectors_to_sequence(task: Task, x: list[list[float]], target: list | None, max_steps: int) -> Sequence:
    """The Sequence of raw inputs x (T rows) with optional targets, checked against the task's sizes."""
    steps = len(x)
    if steps > max_steps:
        raise SequenceTooLong(f"x has {steps} steps; give between 1 and {max_steps}")
    if steps < 1:
        raise TaskInputError(f"x has {steps} steps; give between 1 and {max_steps}")
    for t, row in enumerate(x):
        if len(row) != task.input_size:
            raise TaskInputError(f"x[{t}] has {len(row)} values; this model reads {task.input_size} per step")
    values = _finite_array(x, "x")  # (T, I)
    mask = torch.zeros(steps, dtype=torch.float32)  # (T,)
    if target is None:
        # Nothing to compare with: every L_t is 0, but the forward values are still traced.
        if task.loss_kind == "cross_entropy":
            target_tensor = torch.zeros(steps, dtype=torch.int64)  # (T,)
        else:
            target_tensor = torch.zeros(steps, task.output_size, dtype=torch.float32)  # (T, O)
        target_labels = [""] * steps
    else:
        if len(target) != steps:
            raise TaskInputError(f"target has {len(target)} entries; x has {steps} steps")
        counted = range(steps - 1, steps) if task.mode == "many_to_one" else range(steps)
        mask[list(counted)] = 1.0
        target_tensor, labels = _parse_target(task, target)
        target_labels = [label if t in counted else "" for t, label in enumerate(labels)]
    return Sequence(
        x=torch.from_numpy(values.astype(np.float32)),
        target=target_tensor,
        loss_mask=mask,
        labels=[f"t={t}" for t in range(steps)],
        target_labels=target_labels,
    )


def _parse_target(task: Task, target: list) -> tuple[torch.Tensor, list[str]]:
    """(target tensor, readable labels) in the shape the task's loss kind needs."""
    if task.loss_kind == "cross_entropy":
        return _class_targets(task, target)
    output_size = task.output_size
    rows = []
    for t, item in enumerate(target):
        if task.loss_kind == "mse" and output_size == 1 and _is_number(item):
            item = [item]  # a bare value for a one-output regression
        if not isinstance(item, list) or len(item) != output_size or not all(_is_number(v) for v in item):
            raise TaskInputError(f"target[{t}] must be a list of {output_size} numbers, got {_show(item)}")
        rows.append(item)
    values = _finite_array(rows, "target")  # (T, O)
    if task.loss_kind == "bce":
        outside = (values < 0) | (values > 1)
        if outside.any():
            t = int(np.argwhere(outside)[0][0])
            raise TaskInputError(f"target[{t}] has values outside [0, 1]; bce targets are 0/1 vectors")
        symbols = task.symbols
        names = symbols if symbols and len(symbols) == output_size else [str(k) for k in range(output_size)]
        labels = ["|".join(names[k] for k in np.flatnonzero(row >= 0.5)) for row in values]
    else:
        labels = [", ".join(f"{v:.3g}" for v in row) for row in values]
    return torch.from_numpy(values.astype(np.float32)), labels


def _class_targets(task: Task, target: list) -> tuple[torch.Tensor, list[str]]:
    output_size, symbols = task.output_size, task.symbols
    indices = []
    for t, item in enumerate(target):
        if isinstance(item, float) and math.isfinite(item) and item.is_integer():
            item = int(item)  # JSON clients may write 3.0 for 3
        if type(item) is not int or not 0 <= item < output_size:
            raise TaskInputError(f"target[{t}] is {_show(item)}; give a class index between 0 and {output_size - 1}")
        indices.append(item)
    labels = [symbols[k] if symbols and k < len(symbols) else str(k) for k in indices]
    return torch.tensor(indices, dtype=torch.int64), labels


def _finite_array(rows: list, field: str) -> np.ndarray:
    """rows as float64, refusing NaN, infinities and values beyond ±MAX_ABS_VALUE by position."""
    try:
        values = np.asarray(rows, dtype=np.float64)
    except OverflowError:  # a JSON integer beyond any float
        raise TaskInputError(f"{field} holds a number too large to be a float") from None
    bad = ~np.isfinite(values) | (np.abs(values) > MAX_ABS_VALUE)
    if bad.any():
        first = tuple(np.argwhere(bad)[0])
        where = "".join(f"[{int(i)}]" for i in first)
        raise TaskInputError(
            f"{field}{where} is {_show(values[first])}; every value must be a finite number within ±{MAX_ABS_VALUE:g}"
        )
    return values


def _is_number(value: object) -> bool:
    return type(value) in (int, float)


def _show(value: object) -> str:
    """A client's value in a message, cut short so a huge one cannot bloat the answer."""
    text = repr(value.item() if isinstance(value, np.generic) else value)
    return text if len(text) <= 40 else text[:37] + "..."
