"""Long short-term memory (Hochreiter & Schmidhuber 1997), exactly nn.LSTM.

    i, f, g, o = sig(.), sig(.), tanh(.), sig(.)  of  W_ih x_t + b_ih + W_hh h_{t-1} + b_hh
    c_t = f * c_{t-1} + i * g        the cell state: f keeps, i writes
    h_t = o * tanh(c_t)              o decides what the rest of the network sees
Gate blocks are stacked in the chunk order i, f, g, o, as torch does.
"""

from __future__ import annotations

import torch
from torch import nn

from app.core.architectures.base import CellBackward, ForwardRecord, ModelConfig
from app.core.architectures.fused import FusedCellArchitecture, shifted


class LstmBackward(CellBackward):
    has_cell_state = True

    def __init__(self, record: ForwardRecord, w_hh: torch.Tensor):
        i, f, g, o = (record.gates[k] for k in "ifgo")  # each (T, H)
        c_prev = shifted(record.c)
        tanh_c = torch.tanh(record.c)
        self.w_hh = w_hh  # (4H, H)
        self.f = f
        self.h_to_c = o * (1 - tanh_c.pow(2))  # dc_t/dh_t-path: dL/dc_t += dL/dh_t * o * tanh'(c_t)
        # dL/dpre for the i, f, g blocks is dL/dc_t times these; for o it is dL/dh_t times o_coef
        self.ifg_coef = torch.stack([g * i * (1 - i), c_prev * f * (1 - f), i * (1 - g.pow(2))], dim=1)  # (T, 3, H)
        self.o_coef = tanh_c * o * (1 - o)  # (T, H)

    def step(self, t, dh, dc_carry):
        S, H = dh.shape
        dc = torch.addcmul(dc_carry, dh, self.h_to_c[t])  # (S, H) total dL/dc_t
        dpre = dh.new_empty(S, 4 * H)
        torch.mul(dc.unsqueeze(1), self.ifg_coef[t], out=dpre[:, : 3 * H].view(S, 3, H))
        torch.mul(dh, self.o_coef[t], out=dpre[:, 3 * H :])
        return dpre @ self.w_hh, dc * self.f[t], dc, dpre


class LstmArchitecture(FusedCellArchitecture):
    id = "lstm"
    title = "LSTM"
    summary = "A cell state c_t runs along the sequence; input, forget and output gates decide what is written, kept and shown."
    equations = (
        "i, f, g, o = σ, σ, tanh, σ (W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)",
        "c_t = f ⊙ c_{t-1} + i ⊙ g",
        "h_t = o ⊙ tanh(c_t)",
        "y_t = W_hy h_t + b_y",
    )
    gate_names = ("i", "f", "g", "o")
    has_cell_state = True

    def make_core(self, config: ModelConfig) -> nn.Module:
        return nn.LSTM(config.input_size, config.hidden_size, num_layers=1, batch_first=True)

    def step_forward(self, core, x):
        w_ih, w_hh, b_ih, b_hh = self.weights(core)
        T, H = x.shape[0], core.hidden_size
        xproj = torch.addmm(b_ih + b_hh, x, w_ih.T)  # (T, 4H)
        pre = x.new_empty(T, 4 * H)
        h = x.new_empty(T, H)
        c = x.new_empty(T, H)
        h_t, c_t = x.new_zeros(1, H), x.new_zeros(1, H)
        w_hh_t = w_hh.T
        for t in range(T):
            torch.addmm(xproj[t : t + 1], h_t, w_hh_t, out=pre[t : t + 1])
            act = torch.sigmoid(pre[t])  # (4H,) the g block is replaced just below
            g = torch.tanh(pre[t, 2 * H : 3 * H])
            c_t = torch.addcmul(act[H : 2 * H] * c_t, act[:H], g)  # f*c + i*g
            h_t = act[3 * H :] * torch.tanh(c_t)
            c[t], h[t] = c_t, h_t
        gates = {
            "i": torch.sigmoid(pre[:, :H]),
            "f": torch.sigmoid(pre[:, H : 2 * H]),
            "g": torch.tanh(pre[:, 2 * H : 3 * H]),
            "o": torch.sigmoid(pre[:, 3 * H :]),
        }
        return ForwardRecord(x=x, h=h, h_prev=shifted(h), c=c, gates=gates)

    def backward_cell(self, core, record):
        return LstmBackward(record, core.weight_hh_l0)
