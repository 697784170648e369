"""A Trace as plain data: the document the API sends and `trace --json` prints.

`trace_document` keeps the arrays as float32 numpy arrays (a fast JSON writer
such as orjson serialises those directly); `trace_to_plain` turns them into
nested lists for the standard json module. Either way NaN and ±inf, which JSON
cannot carry, become null, and `nonfinite` names the fields that held any, so
an exploded gradient still reaches the page instead of failing the request.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from app.core.trace.capture import Trace


def trace_document(trace: Trace) -> dict:
    """The Trace document with numpy arrays (time first) and the nonfinite flags."""
    nonfinite: list[str] = []

    def array(tensor: torch.Tensor | None, name: str):
        if tensor is None:
            return None
        tensor = tensor.detach()
        if tensor.is_floating_point():
            tensor = tensor.float()
            if not bool(torch.isfinite(tensor).all()):
                nonfinite.append(name)
        return tensor.cpu().numpy()

    loss = trace.loss if math.isfinite(trace.loss) else None
    document = {
        "architecture": trace.architecture,
        "task": trace.task,
        "steps": trace.steps,
        "labels": trace.labels,
        "target_labels": trace.target_labels,
        "symbols": trace.symbols,
        "x": array(trace.x, "x"),
        "h": array(trace.h, "h"),
        "c": array(trace.c, "c"),
        "gates": {k: array(v, f"gates.{k}") for k, v in trace.gates.items()},
        "logits": array(trace.logits, "logits"),
        "readout_terms": {k: array(v, f"readout_terms.{k}") for k, v in trace.readout_terms.items()},
        "y": array(trace.y, "y"),
        "target": array(trace.target, "target"),
        "loss_mask": array(trace.loss_mask, "loss_mask"),
        "loss_kind": trace.loss_kind,
        "losses": array(trace.losses, "losses"),
        "loss": loss,
        "grad_h": array(trace.grad_h, "grad_h"),
        "grad_c": array(trace.grad_c, "grad_c"),
        "grad_x": array(trace.grad_x, "grad_x"),
        "grad_flow": array(trace.grad_flow, "grad_flow"),
        "grad_flow_c": array(trace.grad_flow_c, "grad_flow_c"),
        "matrix_grad_norms": {k: array(v, f"matrix_grad_norms.{k}") for k, v in trace.matrix_grad_norms.items()},
        "parameter_grad_norms": {k: _finite_or_none(float(v.norm())) for k, v in trace.parameter_grads.items()},
    }
    if loss is None:
        nonfinite.append("loss")
    document["nonfinite"] = nonfinite
    return document


def trace_to_plain(trace: Trace) -> dict:
    """The same document with nested lists, NaN/inf as None: json.dumps(allow_nan=False) safe."""
    return _to_lists(trace_document(trace))


def _to_lists(value):
    if isinstance(value, np.ndarray):
        if value.dtype.kind == "f" and not np.isfinite(value).all():
            return _replace_nonfinite(value.tolist())
        return value.tolist()
    if isinstance(value, dict):
        return {k: _to_lists(v) for k, v in value.items()}
    return value


def _replace_nonfinite(value):
    if isinstance(value, list):
        return [_replace_nonfinite(v) for v in value]
    return value if math.isfinite(value) else None


def _finite_or_none(value: float):
    return value if math.isfinite(value) else None
