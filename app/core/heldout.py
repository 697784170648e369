"""A trained model measured on sequences it did not train on: its metric and its saturation.

A task with a `split` option trains on split "train" and is measured here on
split "held_out", contents its training never drew (app/core/tasks/copy.py);
any other task is measured on fresh sequences from a seed apart from the
training batches'. Saturation is the share of hidden values h_t,j (every real
step of every held-out sequence, every unit) with |h| above SATURATED: there
tanh' is below 0.02, so a net whose units sit there passes almost no gradient
back in time and cannot learn more. A collapse shows as what it is: a net at
chance with most of its values saturated did not run out of gradient by
distance alone.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import torch

from app.core.models import LoadedModel
from app.core.tasks import Task, collate, make_task

HELD_OUT_SEED = 12345  # apart from any training batch's seed
HELD_OUT_SEQUENCES = 512
SATURATED = 0.99  # |h| above this: tanh' = 1 - h^2 < 0.02


@dataclass(frozen=True)
class HeldOut:
    metric: float  # the task's metric on the held-out sequences
    saturation: float  # share of hidden values with |h| > SATURATED over their real steps
    sequences: int
    split: str  # "held_out" (contents never trained on) or "fresh" (a seed apart from training's)


def held_out_task(task: Task) -> Task:
    """The task drawing only contents its training split never draws; the task itself if it has no split."""
    if task.options.get("split") == "train":
        return make_task(task.id, {**task.options, "split": "held_out"})
    return task


def hidden_saturation(loaded: LoadedModel, sequences) -> float:
    """Share of h_t,j over the sequences' steps (each its own length) and units with |h| > SATURATED."""
    architecture, core = loaded.model.architecture, loaded.model.rnn
    dtype = next(core.parameters()).dtype
    with torch.no_grad():
        h = torch.cat([architecture.step_forward(core, s.x.to(dtype)).h for s in sequences])  # (sum T, H)
    return float((h.abs() > SATURATED).float().mean())


def measure_held_out(loaded: LoadedModel, count: int = HELD_OUT_SEQUENCES, seed: int = HELD_OUT_SEED) -> HeldOut:
    task = held_out_task(loaded.task)
    rng = random.Random(seed)
    sequences = [task.sample(rng) for _ in range(count)]
    batch = collate(sequences)
    param = next(loaded.model.parameters())
    with torch.no_grad():
        logits, _ = loaded.model(batch.x.to(device=param.device, dtype=param.dtype))
    return HeldOut(
        metric=float(task.metric(logits.float().cpu(), batch)),
        saturation=hidden_saturation(loaded, sequences),
        sequences=count,
        split="held_out" if task is not loaded.task else "fresh",
    )
