"""The Elman network and its variant with shortcut connections.

    h_t = act(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)     (the context layer h_{t-1}
    y_t = W_hy h_t + b_y                                    is the copy of h fed back)
    shortcut: y_t = W_hy h_t + W_xy x_t + b_y
"""

from __future__ import annotations

import torch
from torch import nn

from app.core.architectures.base import CellBackward, ForwardRecord, ModelConfig
from app.core.architectures.fused import FusedCellArchitecture, shifted

ACTIVATIONS = {"tanh": torch.tanh, "relu": torch.relu}


class ElmanBackward(CellBackward):
    def __init__(self, w_hh: torch.Tensor, act_grad: torch.Tensor):
        self.width = w_hh.shape[0]  # G = H
        self.w_hh = w_hh  # (H, H)
        self.act_grad = act_grad.unbind(0)  # per step act'(a_t) (H,)

    def step(self, t, dh, dc_carry, out, dc_out=None):
        da = torch.mul(dh, self.act_grad[t], out=out[0])  # dL/da_t
        return da @ self.w_hh, None


class ElmanArchitecture(FusedCellArchitecture):
    id = "elman"
    title = "Elman RNN"
    summary = "The simple recurrent network: the hidden layer is copied to a context layer and fed back with the next input."
    equations = (
        "h_t = act(W_xh x_t + b_ih + W_hh h_{t-1} + b_hh)",
        "y_t = W_hy h_t + b_y",
    )
    activations = ("tanh", "relu")

    def make_core(self, config: ModelConfig) -> nn.Module:
        return nn.RNN(
            config.input_size, config.hidden_size, num_layers=1, nonlinearity=config.activation, batch_first=True
        )

    def step_forward(self, core, x):
        w_ih, w_hh, b_ih, b_hh = self.weights(core)
        act = ACTIVATIONS[core.nonlinearity]
        T, H = x.shape[0], core.hidden_size
        xproj = torch.addmm(b_ih + b_hh, x, w_ih.T)  # (T, H), the input terms of every step at once
        h = x.new_empty(T, H)
        h_t = x.new_zeros(1, H)
        w_hh_t = w_hh.T
        for t in range(T):
            h_t = act(torch.addmm(xproj[t : t + 1], h_t, w_hh_t))  # (1, H)
            h[t] = h_t[0]
        return ForwardRecord(x=x, h=h, h_prev=shifted(h))

    def backward_cell(self, core, record):
        if core.nonlinearity == "tanh":
            act_grad = 1 - record.h.pow(2)
        else:  # relu: 1 where the unit was active
            act_grad = (record.h > 0).to(record.h.dtype)
        return ElmanBackward(core.weight_hh_l0, act_grad)


class ShortcutArchitecture(ElmanArchitecture):
    id = "shortcut"
    title = "RNN with shortcut connections"
    summary = "An Elman network plus a direct input-to-output path that skips the hidden layer."
    equations = (
        "h_t = act(W_xh x_t + b_ih + W_hh h_{t-1} + b_hh)",
        "y_t = W_hy h_t + W_xy x_t + b_y",
    )
    has_shortcut = True
    shared_matrices = {**ElmanArchitecture.shared_matrices, "W_xy": "shortcut.weight"}
