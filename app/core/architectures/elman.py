"""The Elman network and its variant with shortcut connections.

h_t = act(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)     (the context layer h_{t-1}
y_t = W_hy h_t + b_y                                    is the copy of h fed back)
shortcut: y_t = W_hy h_t + W_xy x_t + b_y
"""

from __future__ import annotations

import torch
from torch import nn

from app.core.architectures.base import CellBackward, ForwardRecord, ModelConfig, add_projection, clamped, scale_free
from app.core.architectures.fused import FusedCellArchitecture, shifted
from app.core.architectures.init import GateInit


class ElmanBackward(CellBackward):
    def __init__(self, w_hh: torch.Tensor, act_grad: torch.Tensor):
        self.width = w_hh.shape[0]  # G = H
        self.w_hh = w_hh  # (H, H)
        self.act_grad = act_grad.unbind(0)  # per step act'(a_t) (H,)

    def step(self, t, dh, dc_carry, out, dc_out, dh_prev):
        da = torch.mul(dh, self.act_grad[t], out=out[0])  # dL/da_t
        add_projection(dh_prev, da, self.w_hh)


class ElmanArchitecture(FusedCellArchitecture):
    id = "elman"
    title = "Elman RNN"
    summary = (
        "The simple recurrent network: the hidden layer is copied to a context layer and fed back with the next input."
    )
    equations = (
        "h_t = act(W_xh x_t + b_ih + W_hh h_{t-1} + b_hh)",
        "y_t = W_hy h_t + b_y",
    )
    activations = ("tanh", "relu")
    init_schemes = ("default", "identity")

    def make_core(self, config: ModelConfig) -> nn.Module:
        return nn.RNN(
            config.input_size, config.hidden_size, num_layers=1, nonlinearity=config.activation, batch_first=True
        )

    def apply_init(self, core, init: GateInit) -> None:
        if init.scheme == "identity":
            # The IRNN (Le, Jaitly & Hinton 2015): with relu and no input, h_t = h_{t-1}
            # exactly, so the state and its gradient neither fade nor grow at the start.
            with torch.no_grad():
                core.weight_hh_l0.copy_(torch.eye(core.hidden_size))
                core.bias_ih_l0.zero_()
                core.bias_hh_l0.zero_()

    def record_steps(self, core, x, h, h_prev):
        return ForwardRecord(x=x, h=h, h_prev=h_prev)  # h_t is all an Elman step has

    def clamped_steps(self, core, x, clamps):
        w_ih, w_hh, b_ih, b_hh = self.weights(core)
        act = torch.tanh if core.nonlinearity == "tanh" else torch.relu
        xproj = torch.addmm(b_ih + b_hh, x, w_ih.T)  # (T, H)
        h = torch.empty_like(xproj)
        h_t = x.new_zeros(core.hidden_size)
        for t in range(x.shape[0]):
            h_t = clamped(clamps, "h", t, act(torch.addmv(xproj[t], w_hh, h_t)))
            h[t] = h_t
        return ForwardRecord(x=x, h=h, h_prev=shifted(h), clamped={k: c.mask for k, c in clamps.items()})

    def backward_cell(self, core, record):
        if core.nonlinearity == "tanh":
            act_grad = 1 - record.h.pow(2)
        else:  # relu: 1 where the unit was active
            act_grad = (record.h > 0).to(record.h.dtype)
        return ElmanBackward(core.weight_hh_l0, scale_free(act_grad, record, "h"))


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
