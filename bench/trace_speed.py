"""A full trace against one fused nn.LSTM forward+backward over the same sequence.

Target (issue 2): trace(LSTM, H=128, T=200, grad_flow off) <= 3x the fused pass.
"""

from __future__ import annotations

import random

import torch

from app.core.architectures import ModelConfig, RecurrentModel
from app.core.losses import step_losses
from app.core.tasks import make_task
from app.core.trace import trace
from bench.timing import interleaved


def probe_sequence(task, steps: int):
    """A generated sequence, extended with more strings until it is `steps` long."""
    rng = random.Random(0)
    pieces = []
    while sum(len(p) for p in pieces) < steps:
        pieces.append(task.sample(rng))
    x = torch.cat([p.x for p in pieces])[:steps]
    target = torch.cat([p.target for p in pieces])[:steps]
    mask = torch.cat([p.loss_mask for p in pieces])[:steps]
    labels = sum((p.labels for p in pieces), [])[:steps]
    return type(pieces[0])(x=x, target=target, loss_mask=mask, labels=labels, target_labels=[""] * steps)


def run(arch: str = "lstm", hidden: int = 128, steps: int = 200, rounds: int = 40, device: str = "cpu") -> dict:
    task = make_task("embedded_reber")
    torch.manual_seed(0)
    model = RecurrentModel(ModelConfig(arch, task.input_size, task.output_size, hidden)).to(device)
    seq = probe_sequence(task, steps)
    x, target, mask = seq.x.to(device), seq.target.to(device), seq.loss_mask.to(device)

    def fused():
        model.zero_grad(set_to_none=True)
        logits, _ = model(x.unsqueeze(0))  # (1, T, O)
        step_losses(logits[0], target, mask, task.loss_kind).sum().backward()
        if device == "cuda":
            torch.cuda.synchronize()

    def full_trace():
        trace(model, task, seq, grad_flow=False)
        if device == "cuda":
            torch.cuda.synchronize()

    def with_flow():
        trace(model, task, seq, grad_flow=True)

    times = interleaved({"fused": fused, "trace": full_trace}, rounds)
    flow = interleaved({"flow": with_flow}, max(3, rounds // 8), warmup=1)["flow"]
    return {
        "case": f"{arch} H={hidden} T={steps} on {device}",
        "fused_ms": times["fused"] * 1e3,
        "trace_ms": times["trace"] * 1e3,
        "ratio": times["trace"] / times["fused"],
        "trace_with_grad_flow_ms": flow * 1e3,
    }
