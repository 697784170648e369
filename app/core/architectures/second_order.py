"""Second-order (multiplicative) recurrent network (Giles et al. 1992).

    h_t^i = act( sum_jk W_ijk h_{t-1}^j x_t^k + b_i )      W of shape (H, H, I)

Each input symbol k selects its own recurrent matrix W[:, :, k]: the input
multiplies the state instead of being added to it, which is what lets such a
net act out the transitions of a finite-state machine.

No fused module exists, so the fast path and the step path are the same
arithmetic; the fast path contracts W with the outer product h ⊗ x:

    h (B, H) ⊗ x (B, I) -> (B, H*I) @ W.view(H, H*I)^T -> (B, H)
"""

from __future__ import annotations

import math

import torch
from torch import nn

from app.core.architectures.base import (
    Architecture,
    CellBackward,
    Clamp,
    ForwardRecord,
    ModelConfig,
    add_projection,
    clamped,
    scale_free,
)
from app.core.architectures.fused import shifted

ACTIVATIONS = {"tanh": torch.tanh, "sigmoid": torch.sigmoid}


class SecondOrderCore(nn.Module):
    """The recurrent core; its tensors export as rnn.weight (H, H, I) and rnn.bias (H)."""

    def __init__(self, input_size: int, hidden_size: int, activation: str):
        super().__init__()
        self.input_size, self.hidden_size, self.activation = input_size, hidden_size, activation
        self.weight = nn.Parameter(torch.empty(hidden_size, hidden_size, input_size))
        self.bias = nn.Parameter(torch.empty(hidden_size))
        bound = 1 / math.sqrt(hidden_size)  # as nn.RNN: each one-hot symbol selects an H-wide fan-in
        nn.init.uniform_(self.weight, -bound, bound)
        nn.init.uniform_(self.bias, -bound, bound)

    def forward(self, x: torch.Tensor, state: torch.Tensor | None = None):
        B, T, I = x.shape
        H = self.hidden_size
        act = ACTIVATIONS[self.activation]
        w_flat_t = self.weight.reshape(H, H * I).T  # (H*I, H)
        h = x.new_zeros(B, H) if state is None else state
        outputs = []
        for t in range(T):
            hx = (h.unsqueeze(2) * x[:, t].unsqueeze(1)).reshape(B, H * I)  # (B, H*I)
            h = act(torch.addmm(self.bias, hx, w_flat_t))  # (B, H)
            outputs.append(h)
        return torch.stack(outputs, dim=1), h  # (B, T, H)


class SecondOrderBackward(CellBackward):
    def __init__(self, weight: torch.Tensor, x: torch.Tensor, act_grad: torch.Tensor):
        H, _, I = weight.shape
        self.width = H
        self.w_by_input = weight.reshape(H * H, I)  # column k is the matrix symbol k selects
        self.x = x.unbind(0)  # per step (I,)
        self.act_grad = act_grad.unbind(0)  # per step act'(a_t) (H,)
        self.H = H

    def step(self, t, dh, dc_carry, out, dc_out, dh_prev):
        da = torch.mul(dh, self.act_grad[t], out=out[0])  # dL/da_t
        m_t = (self.w_by_input @ self.x[t]).view(self.H, self.H)  # (H, H) the matrix x_t selects
        add_projection(dh_prev, da, m_t)


class SecondOrderArchitecture(Architecture):
    id = "second_order"
    title = "Second-order RNN"
    summary = (
        "The input multiplies the state: each symbol picks its own recurrent matrix, "
        "like the transitions of a finite-state machine."
    )
    equations = (
        "h_t^i = act(Σ_jk W_ijk h_{t-1}^j x_t^k + b_i)",
        "y_t = W_hy h_t + b_y",
    )
    activations = ("tanh", "sigmoid")
    shared_matrices = {"W": "rnn.weight", "W_hy": "readout.weight"}

    def make_core(self, config: ModelConfig) -> nn.Module:
        return SecondOrderCore(config.input_size, config.hidden_size, config.activation)

    def run_fast(self, core, x, state=None):
        return core(x, state)

    def step_forward(self, core, x, clamps: dict[str, Clamp] | None = None):
        H, I = core.hidden_size, core.input_size
        act = ACTIVATIONS[core.activation]
        w_flat = core.weight.reshape(H, H * I)
        h = x.new_empty(T := x.shape[0], H)
        h_t = x.new_zeros(H)
        for t in range(T):
            h_t = act(torch.addmv(core.bias, w_flat, torch.outer(h_t, x[t]).reshape(H * I)))
            if clamps:
                h_t = clamped(clamps, "h", t, h_t)
            h[t] = h_t
        return ForwardRecord(x=x, h=h, h_prev=shifted(h), clamped={k: c.mask for k, c in (clamps or {}).items()})

    def backward_cell(self, core, record):
        if core.activation == "tanh":
            act_grad = 1 - record.h.pow(2)
        else:
            act_grad = record.h * (1 - record.h)
        return SecondOrderBackward(core.weight, record.x, scale_free(act_grad, record, "h"))

    def input_side(self, core, record, grad_h, grad_c, dpre_hh):
        da = dpre_hh  # (T, H) dL/da_t
        H, I = core.hidden_size, core.input_size
        T = da.shape[0]
        through_w = (da @ core.weight.reshape(H, H * I)).view(T, H, I)  # sum_i da_i W_ijk
        grad_x = (through_w * record.h_prev.unsqueeze(2)).sum(1)  # (T, I)
        hx = (record.h_prev.unsqueeze(2) * record.x.unsqueeze(1)).reshape(T, H * I)  # (T, H*I)
        grads = {"rnn.weight": (da.T @ hx).view(H, H, I), "rnn.bias": da.sum(0)}
        # the step-t term da ⊗ h_{t-1} ⊗ x_t has norm ||da|| ||h_{t-1}|| ||x_t||
        contributions = {"rnn.weight": da.norm(dim=1) * record.h_prev.norm(dim=1) * record.x.norm(dim=1)}
        return grad_x, grads, contributions
