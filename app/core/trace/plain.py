"""A Trace as plain JSON-able data: lists, with non-finite numbers as None.

An exploded gradient must still reach the page: NaN and ±inf are not valid
JSON, so they become null and the trace says so in `nonfinite` (the names of
the fields that held any) instead of failing.
"""

from __future__ import annotations

import math

import torch

from app.core.trace.capture import Trace


def _plain(tensor: torch.Tensor | None, nonfinite: list[str], name: str):
    if tensor is None:
        return None
    tensor = tensor.detach().cpu()
    if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
        nonfinite.append(name)
        return _replace_nonfinite(tensor.tolist())
    return tensor.tolist()


def _replace_nonfinite(value):
    if isinstance(value, list):
        return [_replace_nonfinite(v) for v in value]
    return value if math.isfinite(value) else None


def trace_to_plain(trace: Trace) -> dict:
    nonfinite: list[str] = []

    def plain(tensor, name):
        return _plain(tensor, nonfinite, name)

    loss = trace.loss if math.isfinite(trace.loss) else None
    if loss is None:
        nonfinite.append("loss")
    return {
        "architecture": trace.architecture,
        "task": trace.task,
        "steps": trace.steps,
        "labels": trace.labels,
        "target_labels": trace.target_labels,
        "symbols": trace.symbols,
        "x": plain(trace.x, "x"),
        "h": plain(trace.h, "h"),
        "c": plain(trace.c, "c"),
        "gates": {k: plain(v, f"gates.{k}") for k, v in trace.gates.items()},
        "logits": plain(trace.logits, "logits"),
        "y": plain(trace.y, "y"),
        "target": plain(trace.target, "target"),
        "loss_mask": plain(trace.loss_mask, "loss_mask"),
        "loss_kind": trace.loss_kind,
        "losses": plain(trace.losses, "losses"),
        "loss": loss,
        "grad_h": plain(trace.grad_h, "grad_h"),
        "grad_c": plain(trace.grad_c, "grad_c"),
        "grad_x": plain(trace.grad_x, "grad_x"),
        "grad_flow": plain(trace.grad_flow, "grad_flow"),
        "matrix_grad_norms": {k: plain(v, f"matrix_grad_norms.{k}") for k, v in trace.matrix_grad_norms.items()},
        "parameter_grad_norms": {
            k: _finite_or_none(float(v.norm())) for k, v in trace.parameter_grads.items()
        },
        "nonfinite": nonfinite,
    }


def _finite_or_none(value: float):
    return value if math.isfinite(value) else None
