"""The Trainer against a bare PyTorch loop over the same fused module and batches.

Target (issue 2): the Trainer reaches at least 0.9x the bare loop's steps/s.
Both sides get the same pre-generated batches, so batch generation is not part
of either figure; the Trainer runs as the server uses it (progress 10x a second).
"""

from __future__ import annotations

import random

import torch
import torch.nn.functional as F

from app.core.architectures import ModelConfig, RecurrentModel
from app.core.tasks import make_task
from app.core.train import TrainConfig, Trainer
from bench.timing import interleaved


def run(
    arch: str = "lstm", hidden: int = 64, steps: int = 60, batch_size: int = 32, rounds: int = 7, device: str = "cpu"
) -> dict:
    task = make_task("embedded_reber")
    rng = random.Random(0)
    batches = [task.batch(batch_size, rng) for _ in range(steps)]
    device_batches = [type(b)(b.x.to(device), b.target.to(device), b.loss_mask.to(device), b.lengths) for b in batches]
    torch.manual_seed(0)
    model = RecurrentModel(ModelConfig(arch, task.input_size, task.output_size, hidden)).to(device)
    config = TrainConfig(
        steps=steps, batch_size=batch_size, learning_rate=1e-3, clip_norm=1.0, report_every=10**9, report_every_s=0.1
    )

    def bare():
        optimizer = torch.optim.Adam(model.parameters(), lr=config.learning_rate)
        for batch in device_batches:
            optimizer.zero_grad(set_to_none=True)
            logits, _ = model(batch.x)
            # embedded Reber's objective in plain torch: bce summed over symbols, the mean over counted steps
            bce = F.binary_cross_entropy_with_logits(logits, batch.target, reduction="none").sum(-1)  # (B, T)
            ((bce * batch.loss_mask).sum() / batch.loss_mask.sum()).backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), config.clip_norm)
            optimizer.step()
        float(logits.detach().sum())  # wait for the device, as the Trainer's last report does

    def trainer():
        Trainer(model, task, config, batches=iter(device_batches)).run()

    times = interleaved({"bare": bare, "trainer": trainer}, rounds, warmup=1)
    return {
        "case": f"{arch} H={hidden} batch {batch_size} on {device}",
        "bare_steps_per_s": steps / times["bare"],
        "trainer_steps_per_s": steps / times["trainer"],
        "ratio": times["bare"] / times["trainer"],
    }
