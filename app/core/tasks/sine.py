"""Next-value prediction on sine waves: the simplest regression a recurrent network can do.

Each sequence is one sine wave with a random period (in steps, drawn from an
option-driven range) and a random phase, optionally with Gaussian noise:

    v_t = sin(2 pi t / period + phase) + noise * N(0, 1),   t = 0 .. T
    x_t = v_t,   target_t = v_{t+1}     (every step counts)

From one value alone the next cannot be known (is the wave going up or down?),
so even this task needs the hidden state to carry the recent past.
"""

from __future__ import annotations

import math
import random

import torch

from .base import Batch, Sequence, Task, TaskInputError, TaskOption
from .encoding import format_number, parse_numbers

VALUE_LIMIT = 1000.0  # typed values beyond this are almost surely a typo, and would swamp the net
PROBE_PERIOD = 12  # steps per cycle of the probe wave


class SineTask(Task):
    id = "sine"
    title = "Sine wave, next value"
    description = (
        "The network sees a sine wave one value at a time and predicts the next value. "
        "One value is not enough: it has to remember whether the wave was rising or falling."
    )
    metric_name = "explained variance"
    input_kind = "numbers"
    loss_kind = "mse"
    options_spec = (
        TaskOption("length", "int", 50, "Steps per sequence.", 5, 500),
        TaskOption("min_period", "float", 10.0, "Shortest wave period, in steps.", 3.0, 200.0),
        TaskOption("max_period", "float", 40.0, "Longest wave period, in steps.", 3.0, 200.0),
        TaskOption("noise", "float", 0.0, "Standard deviation of Gaussian noise added to every value.", 0.0, 1.0),
    )

    input_size = 1
    output_size = 1

    def _configure(self) -> None:
        if self.options["min_period"] > self.options["max_period"]:
            raise TaskInputError(
                f"option 'min_period' ({self.options['min_period']:g}) must not exceed "
                f"'max_period' ({self.options['max_period']:g})"
            )

    def sample(self, rng: random.Random) -> Sequence:
        period = rng.uniform(self.options["min_period"], self.options["max_period"])
        phase = rng.uniform(0.0, 2.0 * math.pi)
        noise = self.options["noise"]
        wave = [math.sin(2.0 * math.pi * t / period + phase) for t in range(self.options["length"] + 1)]
        if noise > 0:
            wave = [v + rng.gauss(0.0, noise) for v in wave]
        return self._sequence(wave[:-1], wave[1:])

    def encode(self, text: str) -> Sequence:
        values, _ = parse_numbers(text, self.probe_text())
        if len(values) < 2:
            raise TaskInputError("type at least two numbers: each step's target is the number after it")
        self._check_length(len(values))
        for position, value in enumerate(values, start=1):
            if abs(value) > VALUE_LIMIT:
                raise TaskInputError(
                    f"the value {value:g} at position {position} is outside [-{VALUE_LIMIT:g}, {VALUE_LIMIT:g}]"
                )
        # the last step's next value is unknown: it gets a zero target and no loss
        return self._sequence(values, values[1:] + [0.0], known=len(values) - 1)

    def probe_text(self) -> str:
        return " ".join(format_number(math.sin(2.0 * math.pi * t / PROBE_PERIOD)) for t in range(2 * PROBE_PERIOD + 1))

    def _sequence(self, inputs: list[float], targets: list[float], known: int | None = None) -> Sequence:
        steps = len(inputs)
        known = steps if known is None else known
        mask = [1.0] * known + [0.0] * (steps - known)
        return Sequence(
            x=torch.tensor(inputs, dtype=torch.float32).unsqueeze(-1),  # (T, 1)
            target=torch.tensor(targets, dtype=torch.float32).unsqueeze(-1),  # (T, 1)
            loss_mask=torch.tensor(mask, dtype=torch.float32),
            labels=[format_number(v) for v in inputs],
            target_labels=[format_number(v) if m else "" for v, m in zip(targets, mask, strict=True)],
        )

    def metric(self, logits: torch.Tensor, batch: Batch) -> float:
        """max(0, 1 - MSE / Var(target)) over the counted steps of the whole batch."""
        counted = batch.loss_mask > 0  # (B, T)
        if not counted.any():
            return 0.0
        predicted = self._check_logits(logits, batch)[..., 0][counted].double()
        target = batch.target[..., 0][counted].double()
        mse = float((predicted - target).pow(2).mean())
        variance = float(target.var(unbiased=False))
        if not math.isfinite(mse):
            return 0.0
        if variance == 0.0:
            # a flat target: only an exact prediction explains it
            return 1.0 if mse == 0.0 else 0.0
        return max(0.0, 1.0 - mse / variance)
