"""The adding problem (Hochreiter and Schmidhuber 1997, in its common modern form).

Each step carries two numbers: a value drawn uniformly from [0, 1] and a marker.
Exactly two steps are marked, one in each half; at the last step the network
must output the sum of the two marked values:

    step:    0     1     2     3     4     5     6     7
    value: 0.21  0.70  0.13  0.98  0.05  0.50  0.31  0.64
    marker:  0     1     0     0     0     1     0     0
    target:                                              1.20   (0.70 + 0.50)

Only the last step's loss counts (many-to-one), so the error has to travel
back through time to the marked steps: a clean test of long-range memory. A
network that ignores the markers can at best output the mean, 1.0.
"""

from __future__ import annotations

import random

import torch

from .base import DEFAULT_ENCODE_LIMIT, Batch, Sequence, Task, TaskInputError, TaskOption, masked_share
from .encoding import format_number, parse_numbers

TOLERANCE = 0.04  # the metric's "close enough", as in the usual reports of this task


class AddingTask(Task):
    id = "adding"
    title = "Adding problem"
    description = (
        "Each step shows a number and a marker; two numbers are marked. "
        "At the last step the network must output the sum of the two marked numbers."
    )
    metric_name = "share within 0.04"
    input_kind = "numbers"
    loss_kind = "mse"
    mode = "many_to_one"
    options_spec = (
        TaskOption("length", "int", 30, "Steps per sequence; each is between length and length + 10%.", 5, 500),
    )

    input_size = 2  # (value, marker)
    output_size = 1

    def _configure(self) -> None:
        length = self.options["length"]
        # allow typed sequences at least as long as the generated ones
        self.max_length = max(DEFAULT_ENCODE_LIMIT, length + length // 10)

    def sample(self, rng: random.Random) -> Sequence:
        length = self.options["length"]
        steps = rng.randint(length, length + length // 10)
        values = [rng.random() for _ in range(steps)]
        half = steps // 2
        marked = (rng.randrange(half), rng.randrange(half, steps))
        return self._sequence(values, marked)

    def encode(self, text: str) -> Sequence:
        values, marks = parse_numbers(text, self.probe_text(), allow_marks=True)
        self._check_length(len(values))
        for position, value in enumerate(values, start=1):
            if not 0.0 <= value <= 1.0:
                raise TaskInputError(f"the value {value:g} at position {position} is outside [0, 1]")
        marked = tuple(position for position, is_marked in enumerate(marks) if is_marked)
        if len(marked) != 2:
            raise TaskInputError(
                f"mark exactly two numbers with a trailing '*' (e.g. 0.7*), found {len(marked)} marked"
            )
        return self._sequence(values, marked)

    def probe_text(self) -> str:
        return "0.21 0.70* 0.13 0.98 0.05 0.42 0.87 0.33 0.50* 0.31 0.64 0.09"

    def _sequence(self, values: list[float], marked: tuple[int, ...]) -> Sequence:
        steps = len(values)
        x = torch.zeros(steps, 2, dtype=torch.float32)  # (T, 2): value, marker
        x[:, 0] = torch.tensor(values, dtype=torch.float32)
        x[list(marked), 1] = 1.0
        total = sum(values[i] for i in marked)
        target = torch.zeros(steps, 1, dtype=torch.float32)  # (T, 1), only the last step counts
        target[-1, 0] = total
        loss_mask = torch.zeros(steps, dtype=torch.float32)
        loss_mask[-1] = 1.0
        labels = [format_number(v) + ("*" if i in marked else "") for i, v in enumerate(values)]
        target_labels = [""] * (steps - 1) + [format_number(total)]
        return Sequence(x=x, target=target, loss_mask=loss_mask, labels=labels, target_labels=target_labels)

    def metric(self, logits: torch.Tensor, batch: Batch) -> float:
        """Share of sequences whose output at the last step is within 0.04 of the sum."""
        error = (self._check_logits(logits, batch) - batch.target).abs()[..., 0]  # (B, T)
        return masked_share(error < TOLERANCE, batch.loss_mask)
