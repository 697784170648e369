"""Independent re-statements of each family's equations, for the tests.

Written straight from the mathematics in docs/design.md with plain autograd ops, sharing
no code with app.core.architectures, so a mistake in either shows as a mismatch.
Each step may use its own copy of a shared matrix (`per_step_copies`), which
lets autograd report every step's contribution to that matrix's gradient.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def cell_step(arch_id: str, activation: str, p: dict, x_t, h, c):
    """One step from the equations. p maps tensor names to this step's tensors."""
    if arch_id in ("elman", "shortcut"):
        act = torch.tanh if activation == "tanh" else torch.relu
        a = x_t @ p["rnn.weight_ih_l0"].T + p["rnn.bias_ih_l0"] + h @ p["rnn.weight_hh_l0"].T + p["rnn.bias_hh_l0"]
        return act(a), None, {}
    if arch_id == "lstm":
        pre = x_t @ p["rnn.weight_ih_l0"].T + p["rnn.bias_ih_l0"] + h @ p["rnn.weight_hh_l0"].T + p["rnn.bias_hh_l0"]
        i, f, g, o = pre.chunk(4, dim=-1)
        i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
        c = f * c + i * g
        return o * torch.tanh(c), c, {"i": i, "f": f, "g": g, "o": o}
    if arch_id == "gru":
        xi = x_t @ p["rnn.weight_ih_l0"].T + p["rnn.bias_ih_l0"]
        hh = h @ p["rnn.weight_hh_l0"].T + p["rnn.bias_hh_l0"]
        xr, xz, xn = xi.chunk(3, dim=-1)
        hr, hz, hn = hh.chunk(3, dim=-1)
        r, z = torch.sigmoid(xr + hr), torch.sigmoid(xz + hz)
        n = torch.tanh(xn + r * hn)
        return (1 - z) * n + z * h, None, {"r": r, "z": z, "n": n}
    if arch_id == "second_order":
        act = torch.tanh if activation == "tanh" else torch.sigmoid
        a = torch.einsum("ijk,j,k->i", p["rnn.weight"], h, x_t) + p["rnn.bias"]
        return act(a), None, {}
    raise AssertionError(arch_id)


def unroll(model, x, per_step_copies=()):
    """Autograd unroll of one sequence x (T, I) from h_0 = c_0 = 0.

    Returns dict with h (list of (H,) tensors with retain_grad), c, gates,
    logits (T, O), x leaf, and the per-step parameter copies.
    """
    cfg = model.config
    params = {n: t.detach().clone().requires_grad_(True) for n, t in model.state_dict().items()}
    x = x.detach().clone().requires_grad_(True)
    copies = {n: [params[n].detach().clone().requires_grad_(True) for _ in range(x.shape[0])] for n in per_step_copies}
    h = x.new_zeros(cfg.hidden_size)
    c = x.new_zeros(cfg.hidden_size)
    hs, cs, gates, logits = [], [], [], []
    for t in range(x.shape[0]):
        p = {n: copies[n][t] if n in copies else v for n, v in params.items()}
        h, c_new, g = cell_step(cfg.architecture, cfg.activation, p, x[t], h, c)
        c = c_new if c_new is not None else c
        h.retain_grad()
        if c_new is not None:
            c.retain_grad()
        hs.append(h)
        cs.append(c)
        gates.append(g)
        y = h @ p["readout.weight"].T + p["readout.bias"]
        if "shortcut.weight" in p:
            y = y + x[t] @ p["shortcut.weight"].T
        logits.append(y)
    return {"h": hs, "c": cs, "gates": gates, "logits": torch.stack(logits), "x": x, "params": params, "copies": copies}


def per_step_losses(logits, target, mask, loss_kind):
    if loss_kind == "cross_entropy":
        losses = F.cross_entropy(logits, target, reduction="none")
    elif loss_kind == "bce":
        losses = F.binary_cross_entropy_with_logits(logits, target, reduction="none").sum(-1)
    else:
        losses = (logits - target).pow(2).mean(-1)
    return losses * mask
