"""Cost of each cell family: parameters and training steps/s on the same batches.

docs/design.md, subject item 6: "plain RNNs are lighter and train faster than LSTM/GRU —
measured". Every family trains on the same pre-generated embedded-Reber
batches, in turn, round after round; figures are relative to Elman.
"""

from __future__ import annotations

import random

import torch

from app.core.architectures import ARCHITECTURES, ModelConfig, RecurrentModel
from app.core.tasks import make_task
from app.core.train import TrainConfig, Trainer
from bench.timing import interleaved


def run(hidden: int = 128, steps: int = 20, batch_size: int = 32, rounds: int = 5, device: str = "cpu") -> dict:
    task = make_task("embedded_reber")
    rng = random.Random(0)
    batches = [task.batch(batch_size, rng) for _ in range(steps)]
    models = {}
    for arch in ARCHITECTURES:
        torch.manual_seed(0)
        models[arch] = RecurrentModel(ModelConfig(arch, task.input_size, task.output_size, hidden)).to(device)

    def trainer(arch):
        config = TrainConfig(steps=steps, batch_size=batch_size, learning_rate=1e-3, report_every=steps)
        return lambda: Trainer(models[arch], task, config, batches=iter(batches)).run()

    times = interleaved({arch: trainer(arch) for arch in models}, rounds, warmup=1)
    elman = times["elman"]
    return {
        "case": f"H={hidden}, batch {batch_size}, embedded Reber, on {device}",
        **{
            arch: {
                "parameters": models[arch].parameter_count(),
                "steps_per_s": round(steps / seconds, 1),
                "time_vs_elman": round(seconds / elman, 2),
            }
            for arch, seconds in times.items()
        },
    }
