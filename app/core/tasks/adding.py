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

The modern form (values in [0, 1], the target their sum; Le, Jaitly & Hinton
2015) differs from the 1997 original (Hochreiter & Schmidhuber, Neural
Computation 9(8), experiment 4; NIPS 9 version, experiment 1): there the
values lie in [-1, 1], the first mark falls among the first ten pairs, and
the target is 0.5 + (X1 + X2) / 4, the sum scaled to [0, 1]; "a sequence was
processed correctly if the absolute error at the sequence end is below 0.04".
The metric here counts a sum within TOLERANCE of the modern target;
solved_1997() applies the 1997 criterion to the same outputs, scaling the
modern sum's range [0, 2] to [0, 1] as the paper scales its own, so within
0.04 there is within 0.08 of the sum.

With `max_length` set, each sequence's length is drawn from
length..max_length, so one model covers a range of lengths.
"""

from __future__ import annotations

import random

import torch

from .base import DEFAULT_ENCODE_LIMIT, Batch, Sequence, Task, TaskInputError, TaskOption, masked_share
from .encoding import format_number, parse_numbers

TOLERANCE = 0.04  # the metric's "close enough", on the modern target (the sum itself)
TOLERANCE_1997 = 0.04  # Hochreiter & Schmidhuber's, on their target scaled to [0, 1]
SUM_RANGE = 2.0  # the modern target's range, [0, 2]: the scale that maps it onto the 1997 one


class AddingTask(Task):
    id = "adding"
    title = "Adding problem"
    description = (
        "Each step shows a number and a marker; two numbers are marked. "
        "At the last step the network must output the sum of the two marked numbers."
    )
    metric_name = "share of sums within 0.04 (modern form)"
    input_kind = "numbers"
    loss_kind = "mse"
    mode = "many_to_one"
    options_spec = (
        TaskOption("length", "int", 30, "Steps per sequence; each is between length and length + 10%.", 5, 500),
        TaskOption(
            "max_length",
            "int",
            0,
            "The longest sequence: each length is drawn evenly from length to max_length (0: length to length + 10%).",
            0,
            500,
        ),
    )

    input_size = 2  # (value, marker)
    output_size = 1

    def _configure(self) -> None:
        length, longest = self.options["length"], self.options["max_length"]
        if longest and longest < length:
            raise TaskInputError(f"max_length ({longest}) must be 0 or at least length ({length})")
        self.longest = longest or length + length // 10
        # allow typed sequences at least as long as the generated ones
        self.max_length = max(DEFAULT_ENCODE_LIMIT, self.longest)

    def sample(self, rng: random.Random) -> Sequence:
        steps = rng.randint(self.options["length"], self.longest)
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
        """Share of sequences whose output at the last step is within 0.04 of the sum (the modern form)."""
        return masked_share(self._error(logits, batch) < TOLERANCE, batch.loss_mask)

    def solved_1997(self, logits: torch.Tensor, batch: Batch) -> float:
        """Share of sequences Hochreiter & Schmidhuber's criterion counts as processed correctly: the
        absolute error below 0.04 with the target scaled to [0, 1] (here the sum over SUM_RANGE)."""
        return masked_share(self._error(logits, batch) / SUM_RANGE < TOLERANCE_1997, batch.loss_mask)

    def mean_squared_error(self, logits: torch.Tensor, batch: Batch) -> float:
        """The modern papers' figure: the mean squared error at the last step (predicting the mean
        sum, 1.0, whatever the input gives 1/6, the variance of a sum of two uniform values)."""
        error = self._error(logits, batch)[batch.loss_mask > 0]
        return float((error**2).mean()) if error.numel() else 0.0

    def _error(self, logits: torch.Tensor, batch: Batch) -> torch.Tensor:
        return (self._check_logits(logits, batch) - batch.target).abs()[..., 0]  # (B, T)
