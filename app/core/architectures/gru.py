"""Gated recurrent unit (Cho et al. 2014), exactly nn.GRU.

    r = sig(W_ir x + b_ir + W_hr h + b_hr)            reset: how much of h_{t-1} the candidate sees
    z = sig(W_iz x + b_iz + W_hz h + b_hz)            update: how much of h_{t-1} is kept
    n = tanh(W_in x + b_in + r * (W_hn h + b_hn))     the candidate
    h_t = (1 - z) * n + z * h_{t-1}
Gate blocks are stacked in the chunk order r, z, n, as torch does.
"""

from __future__ import annotations

import torch
from torch import nn

from app.core.architectures.base import CellBackward, ForwardRecord, ModelConfig, add_projection, clamped, scale_free
from app.core.architectures.fused import FusedCellArchitecture, shifted
from app.core.architectures.init import GateInit, chrono_draw, set_gate_bias

UPDATE_GATE = 1  # block z in torch's chunk order r, z, n; z near 1 keeps h_{t-1}


class GruBackward(CellBackward):
    def __init__(self, record: ForwardRecord, hn: torch.Tensor, w_hh: torch.Tensor):
        r, z, n = (record.gates[k] for k in "rzn")  # each (T, H)
        self.width = w_hh.shape[0]  # G = 3H
        self.hidden = w_hh.shape[1]
        self.w_hh = w_hh  # (3H, H)
        # A clamped value is a constant (scale_free: its local derivative is 0; a no-op without clamps):
        # a clamped h_t passes nothing back at all, a clamped n nothing to its pre-activation or r.
        self.z = scale_free(z, record, "h").unbind(0)  # the direct path to h_{t-1}
        to_n = gru_to_n(record)  # dL/d(pre_n) = dL/dh_t * to_n
        # dL/d(recurrent pre-activation) of the r, z, n blocks per unit of dL/dh_t;
        # the n block's recurrent term is gated by r, so it differs from the input side
        self.hh_coef = torch.stack(
            [
                to_n * hn * scale_free(r * (1 - r), record, "r"),
                scale_free((record.h_prev - n) * z * (1 - z), record, "z", "h"),
                to_n * r,
            ],
            dim=1,
        )
        self.hh_rows = self.hh_coef.unbind(0)  # (3, H) each

    def out_views(self, dpre):
        return dpre, dpre.unflatten(-1, (3, self.hidden))

    def step(self, t, dh, dc_carry, out, dc_out, dh_prev):
        dpre, blocks = out
        torch.mul(dh.unsqueeze(-2), self.hh_rows[t], out=blocks)
        add_projection(dh_prev, dpre, self.w_hh).addcmul_(dh, self.z[t])  # + z * dL/dh_t, the direct path


def gru_to_n(record: ForwardRecord) -> torch.Tensor:
    """(T, H) dh_t/d(pre_n), zero where n_t or h_t was clamped."""
    z, n = record.gates["z"], record.gates["n"]
    return scale_free((1 - z) * (1 - n.pow(2)), record, "n", "h")


class GruArchitecture(FusedCellArchitecture):
    id = "gru"
    title = "GRU"
    summary = (
        "A lighter gated cell: the update gate mixes the old state with a candidate, "
        "the reset gate decides what the candidate sees."
    )
    equations = (
        "r, z = σ(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr), σ(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)",
        "n = tanh(W_in x_t + b_in + r ⊙ (W_hn h_{t-1} + b_hn))",
        "h_t = (1 − z) ⊙ n + z ⊙ h_{t-1}",
        "y_t = W_hy h_t + b_y",
    )
    gate_names = ("r", "z", "n")
    init_schemes = ("default", "forget_bias", "chrono")

    def make_core(self, config: ModelConfig) -> nn.Module:
        return nn.GRU(config.input_size, config.hidden_size, num_layers=1, batch_first=True)

    def apply_init(self, core, init: GateInit) -> None:
        # The GRU's forget gate is z (h_t = (1 - z) n + z h_{t-1}): a positive b_z keeps the state.
        # Its input gate is 1 - z, tied to z, so chrono has no separate input bias to set.
        if init.scheme == "forget_bias":
            set_gate_bias(core, UPDATE_GATE, init.forget_bias)
        elif init.scheme == "chrono":
            set_gate_bias(core, UPDATE_GATE, chrono_draw(core.hidden_size, init.t_max))

    def record_steps(self, core, x, h, h_prev):
        w_ih, w_hh, b_ih, b_hh = self.weights(core)
        H = core.hidden_size
        xproj = torch.addmm(b_ih, x, w_ih.T)  # (T, 3H)
        hproj = torch.addmm(b_hh, h_prev, w_hh.T)  # (T, 3H) W_hh h_{t-1} + b_hh
        rz = torch.sigmoid(xproj[:, : 2 * H] + hproj[:, : 2 * H])
        r, z = rz[:, :H], rz[:, H:]
        n = torch.tanh(torch.addcmul(xproj[:, 2 * H :], r, hproj[:, 2 * H :]))
        # W_hn h_{t-1} + b_hn (T, H) is kept for the n block's recurrent gradient
        return ForwardRecord(x=x, h=h, h_prev=h_prev, gates={"r": r, "z": z, "n": n}, cache={"hn": hproj[:, 2 * H :]})

    def clamped_steps(self, core, x, clamps):
        w_ih, w_hh, b_ih, b_hh = self.weights(core)
        H, T = core.hidden_size, x.shape[0]
        xproj = torch.addmm(b_ih, x, w_ih.T)  # (T, 3H)
        h, hn = x.new_empty(T, H), x.new_empty(T, H)
        gates = {name: x.new_empty(T, H) for name in "rzn"}
        h_t = x.new_zeros(H)
        for t in range(T):
            hproj = torch.addmv(b_hh, w_hh, h_t)  # (3H,)
            r = clamped(clamps, "r", t, torch.sigmoid(xproj[t, :H] + hproj[:H]))
            z = clamped(clamps, "z", t, torch.sigmoid(xproj[t, H : 2 * H] + hproj[H : 2 * H]))
            n = clamped(clamps, "n", t, torch.tanh(xproj[t, 2 * H :] + r * hproj[2 * H :]))
            h_t = clamped(clamps, "h", t, (1 - z) * n + z * h_t)
            gates["r"][t], gates["z"][t], gates["n"][t], hn[t], h[t] = r, z, n, hproj[2 * H :], h_t
        masks = {name: clamp.mask for name, clamp in clamps.items()}
        return ForwardRecord(x=x, h=h, h_prev=shifted(h), gates=gates, cache={"hn": hn}, clamped=masks)

    def backward_cell(self, core, record):
        return GruBackward(record, record.cache["hn"], core.weight_hh_l0)

    def input_preactivation_grad(self, record, grad_h, dpre_hh):
        H = grad_h.shape[1]
        dpre_ih = dpre_hh.clone()
        dpre_ih[:, 2 * H :] = grad_h * gru_to_n(record)  # the input term is not gated by r
        return dpre_ih
