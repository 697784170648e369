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
        self.width = w_hh.shape[0]  # G = 4H, the recurrent pre-activation
        self.hidden = w_hh.shape[1]
        self.w_hh = w_hh  # (4H, H)
        # Coefficients of the linear backward map, as per-step row lists (see bptt.py on why lists):
        # dL/dc_t gains dL/dh_t * o * tanh'(c_t); the i, f, g blocks get dL/dc_t times
        # ifg, the o block dL/dh_t times o_coef; dL/dc_{t-1} gets dL/dc_t * f.
        self.f = f.unbind(0)
        self.h_to_c = (o * (1 - tanh_c.pow(2))).unbind(0)
        self.ifg = torch.stack([g * i * (1 - i), c_prev * f * (1 - f), i * (1 - g.pow(2))], dim=1).unbind(0)  # (3, H) each
        self.o_coef = (tanh_c * o * (1 - o)).unbind(0)

    def out_views(self, dpre):
        blocks = dpre.unflatten(-1, (4, self.hidden))  # (..., 4, H)
        return dpre, blocks[..., :3, :], blocks[..., 3, :]

    def step(self, t, dh, dc_carry, out, dc_out=None):
        dpre, ifg, o_block = out
        dc = torch.addcmul(dc_carry, dh, self.h_to_c[t], out=dc_out)  # total dL/dc_t
        torch.mul(dc.unsqueeze(-2), self.ifg[t], out=ifg)
        torch.mul(dh, self.o_coef[t], out=o_block)
        return dpre @ self.w_hh, dc * self.f[t]


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
        act = x.new_empty(4 * H)
        h = x.new_zeros(T + 1, H)  # row 0 is h_0
        c = x.new_zeros(T + 1, H)
        tanh_c = x.new_empty(H)
        i, f, g, o = act[:H], act[H : 2 * H], act[2 * H : 3 * H], act[3 * H :]
        # At H = 128 a step is a few microseconds of arithmetic, so indexing and
        # allocation would dominate: row views are made up front, ops write in place.
        pre_rows, xproj_rows = pre.split(1), xproj.split(1)  # (1, 4H) each
        h_rows, c_rows = h.split(1), c.unbind(0)
        h_out_rows, g_pre_rows = h.unbind(0), pre[:, 2 * H : 3 * H].unbind(0)
        w_hh_t = w_hh.T
        for t in range(T):
            torch.addmm(xproj_rows[t], h_rows[t], w_hh_t, out=pre_rows[t])
            torch.sigmoid(pre_rows[t][0], out=act)
            torch.tanh(g_pre_rows[t], out=g)
            c_t = torch.mul(f, c_rows[t], out=c_rows[t + 1]).addcmul_(i, g)  # f*c + i*g
            torch.mul(o, torch.tanh(c_t, out=tanh_c), out=h_out_rows[t + 1])
        h, c = h[1:], c[1:]
        gates = {
            "i": torch.sigmoid(pre[:, :H]),
            "f": torch.sigmoid(pre[:, H : 2 * H]),
            "g": torch.tanh(pre[:, 2 * H : 3 * H]),
            "o": torch.sigmoid(pre[:, 3 * H :]),
        }
        return ForwardRecord(x=x, h=h, h_prev=shifted(h), c=c, gates=gates)

    def backward_cell(self, core, record):
        return LstmBackward(record, core.weight_hh_l0)
