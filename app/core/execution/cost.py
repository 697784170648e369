"""What a training job will cost, estimated before it starts, and the budget it must fit.

    estimate = estimate_cost(config, task, batch_size, tbptt=None)   # JobCost(memory_mb, step_s, ...)
    check_budget(estimate, Budget(memory_mb=2048, step_s=0.5))       # OverBudget names both

One optimizer step, with one torch thread on the CPU, is modelled per cell family f as

    step_s    = A_f * B*T*P  +  C_f * B*T*H  +  OVERHEAD_S
    memory_mb = BASE_MB  +  M_f * B*T'*H / 2**20  +  16 bytes * P / 2**20

B the batch size, T the longest sequence, T' the steps whose graph is kept (tbptt
or T), H the hidden size, P the cell's parameters (each weight is one
multiply-add per sequence step forward, about two backward). The B*T*H terms
are the elementwise work and the activations kept for backpropagation (M_f bytes
per hidden unit and step); 16 bytes per parameter: weights, gradients and Adam's
two moments.

The coefficients are FITTED (least squares, none negative) to MEASURED below: 16
points measured by `python -m bench.job_cost` on this project's 2-core machine
(AMD EPYC VM, torch 2.13 CPU, one thread per worker, other work running beside it:
the figures lean slow, which errs on the safe side). Checked against the issue's
report of LSTM H=512, length 500, batch 512 (25-34 s and ~9.5 GB a step): the
formula gives the same order (see tests/core/test_execution.py). Time on a GPU is
far lower; the estimate stays the CPU's, so a GPU server's budget is conservative.
A batch that fits the time budget is what makes a cancel land within one batch.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

import numpy as np

from app.core.architectures import ModelConfig, get_architecture
from app.core.tasks import Task

BASE_MB = 16.0  # what a worker's first step allocates whatever the size (measured: 15-17 MB at the smallest)
OVERHEAD_S = 0.002  # Python and the optimizer, per step
LENGTH_SAMPLES = 64  # sequences drawn to learn how long a task's sequences get
LENGTH_MARGIN = 1.1  # drawn lengths understate the longest possible by a little (adding: up to +10%)

# (family, batch, length, hidden, input size, seconds per step, peak memory in MB): bench/job_cost.py
MEASURED = [
    ("elman", 32, 109, 64, 2, 0.0210, 16.9),
    ("elman", 64, 220, 128, 2, 0.1099, 58.2),
    ("elman", 32, 220, 256, 2, 0.1941, 62.1),
    ("elman", 16, 108, 512, 2, 0.1592, 62.8),
    ("lstm", 32, 109, 64, 2, 0.0181, 33.6),
    ("lstm", 64, 220, 128, 2, 0.2118, 143.7),
    ("lstm", 32, 220, 256, 2, 0.2885, 140.4),
    ("lstm", 16, 108, 512, 2, 0.2093, 102.1),
    ("gru", 32, 109, 64, 2, 0.0503, 24.8),
    ("gru", 64, 220, 128, 2, 0.1924, 109.4),
    ("gru", 32, 220, 256, 2, 0.3354, 136.8),
    ("gru", 16, 108, 512, 2, 0.2687, 69.6),
    ("second_order", 32, 109, 64, 2, 0.0200, 13.9),
    ("second_order", 64, 220, 128, 2, 0.1714, 50.1),
    ("second_order", 32, 220, 256, 2, 0.4637, 58.8),
    ("second_order", 16, 108, 512, 2, 0.1515, 42.7),
]


class OverBudget(ValueError):
    """A job whose estimated cost is over the server's budget; the message gives both."""


@dataclass(frozen=True)
class Budget:
    memory_mb: float  # per job
    step_s: float  # seconds per optimizer step: also the longest a cancel may wait


@dataclass(frozen=True)
class JobCost:
    memory_mb: float
    step_s: float
    family: str
    batch_size: int
    length: int
    hidden_size: int

    def describe(self) -> str:
        return (
            f"about {self.memory_mb:,.0f} MB and {self.step_s:.2f} s per step "
            f"({self.family}, batch {self.batch_size}, sequences up to {self.length} steps, "
            f"hidden size {self.hidden_size})"
        )


def cell_parameters(config: ModelConfig) -> int:
    shapes = get_architecture(config.architecture).parameter_shapes(config)
    return sum(math.prod(shape) for shape in shapes.values())


def longest_sequence(task: Task) -> int:
    """The longest sequence a task's batches hold, from a fixed draw, with a margin."""
    rng = random.Random(0)
    drawn = max(len(task.sample(rng)) for _ in range(LENGTH_SAMPLES))
    return math.ceil(drawn * LENGTH_MARGIN)


def estimate_cost(config: ModelConfig, task: Task, batch_size: int, tbptt: int | None = None) -> JobCost:
    length = longest_sequence(task)
    kept = min(length, tbptt) if tbptt else length
    hidden, parameters = config.hidden_size, cell_parameters(config)
    time_coefficients, memory_per_unit = _fitted(config.architecture)
    work = batch_size * length * parameters
    elementwise = batch_size * length * hidden
    step_s = time_coefficients[0] * work + time_coefficients[1] * elementwise + OVERHEAD_S
    memory_mb = BASE_MB + memory_per_unit * batch_size * kept * hidden / 2**20 + 16 * parameters / 2**20
    return JobCost(memory_mb, step_s, config.architecture, batch_size, length, hidden)


def check_budget(cost: JobCost, budget: Budget) -> None:
    over = []
    if cost.memory_mb > budget.memory_mb:
        over.append(f"{budget.memory_mb:,.0f} MB")
    if cost.step_s > budget.step_s:
        over.append(f"{budget.step_s:.2f} s per step")
    if over:
        raise OverBudget(
            f"this job would need {cost.describe()}; this server's budget is {' and '.join(over)} per job. "
            "Use a smaller batch_size, a shorter sequence length or a smaller model (tbptt saves memory)"
        )


_FITS: dict[str, tuple[tuple[float, float], float]] = {}


def _fitted(family: str) -> tuple[tuple[float, float], float]:
    """((A_f, C_f), M_f); a family not measured (shortcut, say) uses the most expensive fit."""
    if not _FITS:
        for name in {row[0] for row in MEASURED}:
            _FITS[name] = _fit([row for row in MEASURED if row[0] == name])
    if family in _FITS:
        return _FITS[family]
    return max(_FITS.values(), key=lambda fit: fit[0][0])


def _fit(rows: list[tuple]) -> tuple[tuple[float, float], float]:
    features, seconds, memory = [], [], []
    for family, batch, length, hidden, inputs, step_s, memory_mb in rows:
        parameters = cell_parameters(ModelConfig(family, inputs, 1, hidden))
        features.append((batch * length * parameters, batch * length * hidden))
        seconds.append(step_s - OVERHEAD_S)
        memory.append(max(0.0, memory_mb - BASE_MB - 16 * parameters / 2**20) * 2**20)
    time_coefficients = _non_negative_least_squares(np.array(features, dtype=float), np.array(seconds))
    units = np.array([row[1] for row in features], dtype=float)
    bytes_per_unit = float(units @ np.array(memory) / (units @ units))
    return (float(time_coefficients[0]), float(time_coefficients[1])), max(bytes_per_unit, 4.0)


def _non_negative_least_squares(features: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Least squares; a coefficient that comes out negative is dropped and the rest refitted."""
    keep = list(range(features.shape[1]))
    while keep:
        solution, *_ = np.linalg.lstsq(features[:, keep], target, rcond=None)
        if (solution >= 0).all():
            result = np.zeros(features.shape[1])
            result[keep] = solution
            return result
        keep.pop(int(np.argmin(solution)))
    return np.zeros(features.shape[1])
