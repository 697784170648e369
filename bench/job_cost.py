"""Measure what one training step costs (seconds, peak memory) per family and size.

    python -m bench.job_cost            # prints one JSON line per point, then the fitted coefficients

The figures feed app/core/execution/cost.py, which estimates a job's cost before it
starts. Each point runs in a fresh process (spawn) with one torch thread, as a
worker does, so its peak resident memory is its own: memory = peak RSS during the
steps minus RSS before the first step (the model and the batch already built;
the optimizer's state, two copies of the weights, is counted in).
Time: the median of STEPS timed steps after one warm-up step.
"""

from __future__ import annotations

import json
import multiprocessing
import random
import resource
import statistics
import sys
import time

import torch

STEPS = 3
# (family, batch, length, hidden): small enough to run on 2 cores in about a minute,
# spread so that both the B*T*H and the B*T*H^2 terms are seen.
POINTS = [
    (family, batch, length, hidden)
    for family in ("elman", "lstm", "gru", "second_order")
    for batch, length, hidden in ((32, 100, 64), (64, 200, 128), (32, 200, 256), (16, 100, 512))
]


def _rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() / 2**20


def measure(point: tuple[str, int, int, int]) -> dict:
    torch.set_num_threads(1)
    from app.core.models import build_model
    from app.core.train import TrainConfig, Trainer

    family, batch_size, length, hidden = point
    loaded = build_model("cost", family, "adding", hidden, task_options={"length": length})
    task = loaded.task
    batch = task.batch(batch_size, random.Random(0))
    config = TrainConfig(steps=1, batch_size=batch_size, learning_rate=1e-3, report_every=1)
    trainer = Trainer(loaded.model, task, config, batches=iter(lambda: batch, None))
    before = _rss_mb()  # the model and the batch built; the step's activations not yet
    trainer._train_step(batch)  # warm-up, counted in the peak: the first step allocates the most
    times = []
    for _ in range(STEPS):
        start = time.perf_counter()
        trainer._train_step(batch)
        times.append(time.perf_counter() - start)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux
    return {
        "family": family,
        "batch": batch_size,
        "length": int(batch.x.shape[1]),
        "hidden": hidden,
        "input": task.input_size,
        "seconds": statistics.median(times),
        "memory_mb": max(0.0, peak - before),
    }


def main() -> None:
    context = multiprocessing.get_context("spawn")
    rows = []
    with context.Pool(1, maxtasksperchild=1) as pool:
        for row in pool.imap(measure, POINTS):
            rows.append(row)
            print(json.dumps(row), flush=True)
    json.dump(rows, sys.stderr)


if __name__ == "__main__":
    main()
