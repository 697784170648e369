"""Backpropagation through time over a recorded forward pass, by hand.

Two drivers share each family's CellBackward.step:

* `backprop_total` carries one error source, the total loss L = sum_s L_s, from
  the last step to the first and keeps every intermediate: dL/dh_t, dL/dc_t and
  the pre-activation gradients the shared matrices need.

* `backprop_flow` carries T sources at once, one per step's loss L_s, and keeps
  only ||dL_s/dh_t||. Source s starts at step s, so at step t only rows s >= t
  are alive; the live block state[t:] shrinks to the bottom as t falls:

        state rows (sources s)        t = T-1   t = T-2  ...   t = 0
        s = 0                           .         .             *
        ...                             .         .             *
        s = T-2                         .         *             *
        s = T-1                         *         *             *

Neither builds an autograd graph: each step is a few small dense ops, which is
what keeps a full trace within a small factor of one fused forward+backward.
"""

from __future__ import annotations

import torch

from app.core.architectures.base import CellBackward


def backprop_total(cell: CellBackward, dh_out: torch.Tensor):
    """dh_out (T, H): dL_t/dh_t through the readout. Returns grad_h (T, H),
    grad_c (T, H) or None, dpre (T, G)."""
    T, H = dh_out.shape
    grad_h = torch.empty_like(dh_out)
    grad_c = torch.empty_like(dh_out) if cell.has_cell_state else None
    dpres = []
    dh_next = dh_out.new_zeros(1, H)
    dc_carry = dh_out.new_zeros(1, H) if cell.has_cell_state else None
    for t in range(T - 1, -1, -1):
        dh = dh_out[t : t + 1] + dh_next  # (1, H) total dL/dh_t
        grad_h[t] = dh[0]
        dh_next, dc_carry, dc, dpre = cell.step(t, dh, dc_carry)
        if grad_c is not None:
            grad_c[t] = dc[0]
        dpres.append(dpre)
    dpres.reverse()
    return grad_h, grad_c, torch.cat(dpres)  # dpre (T, G)


def backprop_flow(cell: CellBackward, dh_out: torch.Tensor) -> torch.Tensor:
    """grad_flow (T, T): entry [s, t] = ||dL_s/dh_t|| for t <= s, 0 above the diagonal."""
    T, H = dh_out.shape
    flow = dh_out.new_zeros(T, T)
    dh_state = dh_out.new_zeros(T, H)  # row s: dL_s/dh_{t} as t walks back
    dc_state = dh_out.new_zeros(T, H) if cell.has_cell_state else None
    for t in range(T - 1, -1, -1):
        dh_state[t] = dh_out[t]  # source t enters at its own step
        live = dh_state[t:]  # (T - t, H)
        flow[t:, t] = torch.linalg.vector_norm(live, dim=1)
        dh_prev, dc_prev, _, _ = cell.step(t, live, None if dc_state is None else dc_state[t:])
        dh_state[t:] = dh_prev
        if dc_state is not None:
            dc_state[t:] = dc_prev
    return flow
