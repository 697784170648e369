"""Backpropagation through time over a recorded forward pass, by hand.

Two drivers share each family's CellBackward.step:

* `backprop_total` carries one error source, the total loss L = sum_s L_s, from
  the last step to the first and keeps every intermediate: dL/dh_t, dL/dc_t and
  the pre-activation gradients the shared matrices need.

* `backprop_flow` carries T sources at once, one per step's loss L_s, and keeps
  only ||dL_s/dh_t||. Source s starts at step s, so at step t only rows s >= t
  are alive; the live block state[t:] grows upwards as t falls:

        state rows (sources s)        t = T-1   t = T-2  ...   t = 0
        s = 0                           .         .             *
        ...                             .         .             *
        s = T-2                         .         *             *
        s = T-1                         *         *             *

Neither builds an autograd graph. At H = 128 one step is a few microseconds of
arithmetic, so the per-step Python cost decides the speed: every row view is
made up front in one batched call (unbind) and every op writes in place.
"""

from __future__ import annotations

import torch

from app.core.architectures.base import CellBackward


def backprop_total(cell: CellBackward, dh_out: torch.Tensor):
    """dh_out (T, H): dL_t/dh_t through the readout. Returns grad_h (T, H),
    grad_c (T, H) or None, dpre (T, G)."""
    T, H = dh_out.shape
    grad_h = dh_out.clone()  # row t starts as the readout's part; step t+1 adds the recurrent part in place
    grad_c = torch.empty_like(dh_out) if cell.has_cell_state else None
    dpre = dh_out.new_empty(T, cell.width)
    outs = list(zip(*(view.unbind(0) for view in cell.out_views(dpre)), strict=True))  # per step: views of dpre[t]
    grad_h_rows = grad_h.unbind(0)
    grad_c_rows = grad_c.unbind(0) if grad_c is not None else [None] * T
    dc_carry = dh_out.new_zeros(H) if cell.has_cell_state else None
    # step t adds its recurrent part into row t-1; step 0 writes dL/dh_0, which nothing reads
    intos = (dh_out.new_zeros(H), *grad_h_rows[:-1])
    step = cell.step
    for t in range(T - 1, -1, -1):
        dc_carry = step(t, grad_h_rows[t], dc_carry, outs[t], grad_c_rows[t], intos[t])
    return grad_h, grad_c, dpre


def backprop_flow(cell: CellBackward, dh_out: torch.Tensor):
    """grad_flow (T, T): entry [s, t] = ||dL_s/dh_t|| for t <= s, 0 above the diagonal;
    and for a family with a cell state the same table for c_t, ||dL_s/dc_t|| (else None)."""
    T, H = dh_out.shape
    flow = dh_out.new_zeros(T, T)
    flow_c = dh_out.new_zeros(T, T) if cell.has_cell_state else None
    dh_state = dh_out.new_zeros(T, H)  # row s: dL_s/dh_t as t walks back
    dc_state = dh_out.new_zeros(T, H) if cell.has_cell_state else None
    dc_total = dh_out.new_empty(T, H) if cell.has_cell_state else None  # row s: dL_s/dc_t at this t
    dpre = dh_out.new_empty(T, cell.width)
    for t in range(T - 1, -1, -1):
        dh_state[t] = dh_out[t]  # source t enters at its own step
        live = dh_state[t:]  # (T - t, H)
        flow[t:, t] = torch.linalg.vector_norm(live, dim=1)
        dh_prev = torch.zeros_like(live)
        if dc_state is None:
            cell.step(t, live, None, cell.out_views(dpre[t:]), None, dh_prev)
        else:
            dc_state[t:] = cell.step(t, live, dc_state[t:], cell.out_views(dpre[t:]), dc_total[t:], dh_prev)
            flow_c[t:, t] = torch.linalg.vector_norm(dc_total[t:], dim=1)
        dh_state[t:] = dh_prev
    return flow, flow_c
