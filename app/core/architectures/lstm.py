"""Long short-term memory (Hochreiter & Schmidhuber 1997), exactly nn.LSTM.

    i, f, g, o = sig(.), sig(.), tanh(.), sig(.)  of  W_ih x_t + b_ih + W_hh h_{t-1} + b_hh
    c_t = f * c_{t-1} + i * g        the cell state: f keeps, i writes
    h_t = o * tanh(c_t)              o decides what the rest of the network sees
Gate blocks are stacked in the chunk order i, f, g, o, as torch does.
"""

from __future__ import annotations

import torch
from torch import nn

from app.core.architectures.base import CellBackward, ForwardRecord, ModelConfig, add_projection, clamped, scale_free
from app.core.architectures.fused import FusedCellArchitecture, shifted
from app.core.architectures.init import GateInit, chrono_draw, set_gate_bias

INPUT_GATE, FORGET_GATE = 0, 1  # blocks in torch's chunk order i, f, g, o


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
        # A clamped value is a constant: its local derivative is 0 (scale_free; a no-op without clamps).
        # A clamped h_t passes nothing to c_t or o_t; a clamped c_t nothing to the gates or c_{t-1}.
        h_to_c = scale_free(o * (1 - tanh_c.pow(2)), record, "h")
        ifg = torch.stack(
            [
                scale_free(g * i * (1 - i), record, "i", "c"),
                scale_free(c_prev * f * (1 - f), record, "f", "c"),
                scale_free(i * (1 - g.pow(2)), record, "g", "c"),
            ],
            dim=1,
        )  # (T, 3, H)
        o_coef = scale_free(tanh_c * o * (1 - o), record, "o", "h")
        f = scale_free(f, record, "c")  # what dL/dc_t carries back to c_{t-1}
        # one tuple per step: a single list index in the loop instead of four
        self.rows = list(zip(h_to_c.unbind(0), ifg.unbind(0), o_coef.unbind(0), f.unbind(0), strict=True))

    def out_views(self, dpre):
        blocks = dpre.unflatten(-1, (4, self.hidden))  # (..., 4, H)
        return dpre, blocks[..., :3, :], blocks[..., 3, :]

    def step(self, t, dh, dc_carry, out, dc_out, dh_prev):
        dpre, ifg_block, o_block = out
        h_to_c, ifg, o_coef, f = self.rows[t]
        dc = torch.addcmul(dc_carry, dh, h_to_c, out=dc_out)  # total dL/dc_t
        torch.mul(dc.unsqueeze(-2), ifg, out=ifg_block)
        torch.mul(dh, o_coef, out=o_block)
        add_projection(dh_prev, dpre, self.w_hh)
        return dc * f


class LstmArchitecture(FusedCellArchitecture):
    id = "lstm"
    title = "LSTM"
    summary = (
        "A cell state c_t runs along the sequence; input, forget and output gates decide what is written, "
        "kept and shown."
    )
    equations = (
        "i, f, g, o = σ, σ, tanh, σ (W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)",
        "c_t = f ⊙ c_{t-1} + i ⊙ g",
        "h_t = o ⊙ tanh(c_t)",
        "y_t = W_hy h_t + b_y",
    )
    gate_names = ("i", "f", "g", "o")
    has_cell_state = True
    init_schemes = ("default", "forget_bias", "chrono")

    def make_core(self, config: ModelConfig) -> nn.Module:
        return nn.LSTM(config.input_size, config.hidden_size, num_layers=1, batch_first=True)

    def apply_init(self, core, init: GateInit) -> None:
        if init.scheme == "forget_bias":
            set_gate_bias(core, FORGET_GATE, init.forget_bias)
        elif init.scheme == "chrono":
            # f starts where it keeps c for a characteristic time between 1 and T_max - 1 steps;
            # b_i = -b_f so that a gate that keeps long also writes little (Tallec & Ollivier 2018).
            forget = chrono_draw(core.hidden_size, init.t_max)
            set_gate_bias(core, FORGET_GATE, forget)
            set_gate_bias(core, INPUT_GATE, -forget)

    def record_steps(self, core, x, h, h_prev):
        w_ih, w_hh, b_ih, b_hh = self.weights(core)
        H = core.hidden_size
        pre = torch.addmm(b_ih + b_hh, x, w_ih.T).addmm_(h_prev, w_hh.T)  # (T, 4H) every step's gates at once
        i, f, o = (torch.sigmoid(block) for block in (pre[:, :H], pre[:, H : 2 * H], pre[:, 3 * H :]))
        g = torch.tanh(pre[:, 2 * H : 3 * H])
        # c_t = f_t * c_{t-1} + i_t * g_t is a scan: one fused multiply-add per step
        c = torch.mul(i, g)  # (T, H), row t becomes c_t in place
        rows, f_rows = c.unbind(0), f.unbind(0)
        for t in range(1, x.shape[0]):
            rows[t].addcmul_(f_rows[t], rows[t - 1])
        return ForwardRecord(x=x, h=h, h_prev=h_prev, c=c, gates={"i": i, "f": f, "g": g, "o": o})

    def clamped_steps(self, core, x, clamps):
        w_ih, w_hh, b_ih, b_hh = self.weights(core)
        H, T = core.hidden_size, x.shape[0]
        xproj = torch.addmm(b_ih + b_hh, x, w_ih.T)  # (T, 4H)
        h, c = x.new_empty(T, H), x.new_empty(T, H)
        gates = {name: x.new_empty(T, H) for name in "ifgo"}
        h_t, c_t = x.new_zeros(H), x.new_zeros(H)
        for t in range(T):
            pre = torch.addmv(xproj[t], w_hh, h_t)
            i, f, o = (torch.sigmoid(pre[k * H : (k + 1) * H]) for k in (0, 1, 3))
            values = {"i": i, "f": f, "g": torch.tanh(pre[2 * H : 3 * H]), "o": o}
            for name, value in values.items():
                gates[name][t] = values[name] = clamped(clamps, name, t, value)
            c_t = clamped(clamps, "c", t, values["f"] * c_t + values["i"] * values["g"])
            h_t = clamped(clamps, "h", t, values["o"] * torch.tanh(c_t))
            c[t], h[t] = c_t, h_t
        masks = {name: clamp.mask for name, clamp in clamps.items()}
        return ForwardRecord(x=x, h=h, h_prev=shifted(h), c=c, gates=gates, clamped=masks)

    def backward_cell(self, core, record):
        return LstmBackward(record, core.weight_hh_l0)
