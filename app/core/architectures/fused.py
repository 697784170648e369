"""Shared code of the families that torch.nn implements (elman, shortcut, lstm, gru).

Their parameters are exactly nn.RNN / nn.LSTM / nn.GRU's one-layer tensors, so a
model's "rnn." weights load into the fused module unchanged and the checks
against torch.nn are plain copies.
"""

from __future__ import annotations

from abc import abstractmethod

import torch
from torch import nn

from app.core.architectures.base import Architecture, Clamp, ForwardRecord


def shifted(h: torch.Tensor) -> torch.Tensor:
    """h_0..h_{T-1} from h_1..h_T, with h_0 = 0."""
    return torch.cat([h.new_zeros(1, h.shape[1]), h[:-1]])  # (T, H)


class FusedCellArchitecture(Architecture):
    """A family with a fused torch.nn module: W_ih, W_hh, b_ih, b_hh per gate block."""

    def run_fast(self, core: nn.Module, x: torch.Tensor, state=None):
        h_all, final = core(x, state)  # batch_first: (B, T, H)
        return h_all, final

    def step_forward(self, core: nn.Module, x: torch.Tensor, clamps: dict[str, Clamp] | None = None) -> ForwardRecord:
        """Every step's intermediates, exactly. h_t comes from the fused kernel
        itself, so a trace shows bit for bit the states training computes;
        each step's gates (and cell state) are then recovered from h_{t-1} in
        batched ops, as the family's equations define them. The tests hold the
        result to an independent restatement of those equations. With clamps
        the fused kernel cannot be used (it cannot be told to force a value
        mid-step), so the family's own loop runs instead."""
        if clamps is not None:
            return self.clamped_steps(core, x, clamps)
        h, _ = core(x.unsqueeze(0))  # (1, T, H)
        h = h[0]
        return self.record_steps(core, x, h, shifted(h))

    @abstractmethod
    def record_steps(self, core: nn.Module, x: torch.Tensor, h: torch.Tensor, h_prev: torch.Tensor) -> ForwardRecord:
        """The family's per-step intermediates given every h_t and h_{t-1}."""

    @abstractmethod
    def clamped_steps(self, core: nn.Module, x: torch.Tensor, clamps: dict[str, Clamp]) -> ForwardRecord:
        """The forward pass one step at a time, each clamp forced where the step computes it."""

    def weights(self, core: nn.Module):
        return core.weight_ih_l0, core.weight_hh_l0, core.bias_ih_l0, core.bias_hh_l0

    def input_preactivation_grad(self, record: ForwardRecord, grad_h, dpre_hh) -> torch.Tensor:
        """dL/d(W_ih x_t + b_ih) (T, G). Equal to the recurrent one unless the
        family gates its recurrent term separately (GRU)."""
        return dpre_hh

    def input_side(self, core, record, grad_h, grad_c, dpre_hh):
        w_ih, w_hh, _, _ = self.weights(core)
        dpre_ih = self.input_preactivation_grad(record, grad_h, dpre_hh)  # (T, G)
        grad_x = dpre_ih @ w_ih  # (T, I)
        grads = {
            "rnn.weight_ih_l0": dpre_ih.T @ record.x,  # (G, I)
            "rnn.weight_hh_l0": dpre_hh.T @ record.h_prev,  # (G, H)
            "rnn.bias_ih_l0": dpre_ih.sum(0),
            "rnn.bias_hh_l0": dpre_hh.sum(0),
        }
        # The step-t term of dL/dW is an outer product a_t b_t^T, whose Frobenius
        # norm is ||a_t|| ||b_t||: no (T, G, I) tensor is ever built.
        contributions = {
            "rnn.weight_ih_l0": dpre_ih.norm(dim=1) * record.x.norm(dim=1),
            "rnn.weight_hh_l0": dpre_hh.norm(dim=1) * record.h_prev.norm(dim=1),
        }
        return grad_x, grads, contributions
