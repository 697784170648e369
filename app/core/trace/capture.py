"""trace(): the exact forward pass and BPTT of one sequence, every intermediate kept.

The forward pass runs the family's step path; the loss gradient at the readout
comes from autograd on the (T, O) logits alone (cheap and by definition right);
everything behind the readout is the hand-written BPTT of bptt.py, held to
autograd by tests/core/test_trace.py.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from app.core.architectures import RecurrentModel
from app.core.losses import output_activation, step_losses
from app.core.trace.bptt import backprop_flow, backprop_total
from app.core.trace.interventions import clamps_for

# grad_flow costs T backward passes batched into one; above this length it is
# skipped (the (T, T) matrix would also be too large to draw usefully).
GRAD_FLOW_MAX_STEPS = 400


@dataclass
class Trace:
    """Arrays are time-first tensors; T steps, H hidden, I input, O output."""

    architecture: str
    task: str
    labels: list[str]  # (T) readable input of each step
    target_labels: list[str]  # (T) readable target ("" where masked)
    symbols: list[str] | None  # output symbols in order, for symbolic tasks
    x: torch.Tensor  # (T, I)
    h: torch.Tensor  # (T, H)
    c: torch.Tensor | None  # (T, H), LSTM only
    gates: dict[str, torch.Tensor]  # name -> (T, H)
    logits: torch.Tensor  # (T, O)
    readout_terms: dict[str, torch.Tensor]  # each term of the logits -> (T, O); they sum to logits
    y: torch.Tensor  # (T, O) after the output nonlinearity
    target: torch.Tensor  # (T,) class indices or (T, O)
    loss_mask: torch.Tensor  # (T,)
    loss_kind: str
    losses: torch.Tensor  # (T,) L_t
    loss: float  # L = sum_t L_t
    grad_h: torch.Tensor  # (T, H) dL/dh_t, total derivative through all later steps
    grad_c: torch.Tensor | None  # (T, H) dL/dc_t, LSTM only
    grad_x: torch.Tensor  # (T, I) dL/dx_t
    grad_flow: torch.Tensor | None  # (T, T) [s, t] = ||dL_s/dh_t||, None when skipped
    grad_flow_c: torch.Tensor | None  # (T, T) [s, t] = ||dL_s/dc_t|| (LSTM), None otherwise or when skipped
    matrix_grad_norms: dict[str, torch.Tensor]  # shared matrix label -> (T,) ||step t's term of dL/dW||
    parameter_grads: dict[str, torch.Tensor]  # tensor name -> dL/dW, the sum over steps

    @property
    def steps(self) -> int:
        return self.x.shape[0]


def trace(model: RecurrentModel, task, sequence=None, grad_flow: bool | None = None, interventions=None) -> Trace:
    """Trace `sequence` (a tasks.Sequence; default the task's probe) through `model`.

    grad_flow None means: compute it when T <= GRAD_FLOW_MAX_STEPS. interventions None: the
    network as it is, on the family's fastest exact path; a list of Intervention (even empty):
    the network with those values clamped, stepped one step at a time (interventions.py), so a
    clean run traced with [] takes the same arithmetic as the clamped one it is compared with.
    """
    sequence = task.probe() if sequence is None else sequence
    arch = model.architecture
    param = next(model.parameters())
    x = sequence.x.to(device=param.device, dtype=param.dtype)  # (T, I)
    T = x.shape[0]
    if grad_flow is None:
        grad_flow = T <= GRAD_FLOW_MAX_STEPS
    target = sequence.target.to(param.device)
    if target.is_floating_point():
        target = target.to(param.dtype)
    loss_mask = sequence.loss_mask.to(device=param.device, dtype=param.dtype)

    with torch.no_grad():
        clamps = None
        if interventions is not None:
            clamps = clamps_for(interventions, arch, T, model.config.hidden_size, x)
        record = arch.step_forward(model.rnn, x, clamps)
        w_hy = model.readout.weight  # (O, H)
        # the readout term by term, so the page can show what each path adds to y_t (the shortcut's W_xy x_t
        # beside W_hy h_t); summed in this order they are the logits the losses are computed from
        terms = {"W_hy h_t": record.h @ w_hy.T}
        if model.shortcut is not None:
            terms["W_xy x_t"] = x @ model.shortcut.weight.T
        terms["b_y"] = model.readout.bias.repeat(T, 1)
        logits = sum(terms.values())  # (T, O)

    # L_s depends on logits_s alone, so row s of this gradient is dL_s/dlogits_s
    with torch.enable_grad():
        leaf = logits.detach().requires_grad_(True)
        losses = step_losses(leaf, target, loss_mask, task.loss_kind)  # (T,)
        losses.sum().backward()
    dlogits = leaf.grad  # (T, O)
    losses = losses.detach()

    with torch.no_grad():
        dh_out = dlogits @ w_hy  # (T, H) dL_t/dh_t through the readout
        cell = arch.backward_cell(model.rnn, record)
        grad_h, grad_c, dpre = backprop_total(cell, dh_out)
        grad_x, grads, norms = arch.input_side(model.rnn, record, grad_h, grad_c, dpre)
        grads["readout.weight"] = dlogits.T @ record.h  # (O, H)
        grads["readout.bias"] = dlogits.sum(0)
        norms["readout.weight"] = dlogits.norm(dim=1) * record.h.norm(dim=1)
        if model.shortcut is not None:
            grad_x = grad_x + dlogits @ model.shortcut.weight
            grads["shortcut.weight"] = dlogits.T @ x
            norms["shortcut.weight"] = dlogits.norm(dim=1) * x.norm(dim=1)
        flow, flow_c = backprop_flow(cell, dh_out) if grad_flow else (None, None)

    return Trace(
        architecture=arch.id,
        task=task.id,
        labels=list(sequence.labels),
        target_labels=list(sequence.target_labels),
        symbols=list(task.symbols) if task.symbols is not None else None,
        x=x,
        h=record.h,
        c=record.c,
        gates=record.gates,
        logits=logits,
        readout_terms=terms,
        y=output_activation(logits, task.loss_kind),
        target=target,
        loss_mask=loss_mask,
        loss_kind=task.loss_kind,
        losses=losses,
        loss=float(losses.sum()),
        grad_h=grad_h,
        grad_c=grad_c,
        grad_x=grad_x,
        grad_flow=flow,
        grad_flow_c=flow_c,
        matrix_grad_norms={label: norms[name] for label, name in arch.shared_matrices.items()},
        parameter_grads=grads,
    )
