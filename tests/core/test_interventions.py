"""Interventions: the clamped trace against autograd on a clamped graph built here, independently.

The reference below restates each family's step from its equations with the model's own
parameters, and forces a clamped value with torch.where: autograd then gives exactly the
clamped network's gradients (nothing flows back through the forced entry to what would have
computed it), which the engine's hand-written BPTT must equal.
"""

from __future__ import annotations

import math
import random
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

from app.core.models import load_model
from app.core.store import ModelStore
from app.core.trace import trace
from app.core.trace.interventions import MAX_INTERVENTIONS, Intervention, InterventionError
from tests.core.test_architectures import H, I, O, T, make_model

ROOT = Path(__file__).resolve().parents[2]


def task(loss_kind: str = "cross_entropy"):
    return SimpleNamespace(id="fake", loss_kind=loss_kind, symbols=None)


def sequence(seed: int = 3):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(T, I, generator=g, dtype=torch.float64)
    target = torch.randint(0, O, (T,), generator=g)
    mask = torch.ones(T, dtype=torch.float64)
    mask[2] = 0
    return SimpleNamespace(x=x, target=target, loss_mask=mask, labels=["x"] * T, target_labels=[""] * T)


def forced(value: torch.Tensor, name: str, t: int, interventions) -> torch.Tensor:
    """value (H,) with step t's interventions on `name` applied through torch.where (last wins)."""
    for item in interventions:
        if item.target.removeprefix("gate:") == name and item.step in (None, t):
            mask = torch.zeros(H, dtype=torch.bool)
            mask[item.unit] = True
            value = torch.where(mask, torch.full_like(value, item.value), value)
    return value


def clamped_unroll(model, x, interventions):
    """Autograd over the clamped network; returns h, c (retained grads), logits, params and x leaves."""
    arch = model.config.architecture
    p = {n: t.detach().clone().requires_grad_(True) for n, t in model.state_dict().items()}
    x = x.detach().clone().requires_grad_(True)

    def affine(x_t, h):  # W_ih x_t + b_ih + W_hh h + b_hh of the torch.nn families
        return x_t @ p["rnn.weight_ih_l0"].T + p["rnn.bias_ih_l0"] + h @ p["rnn.weight_hh_l0"].T + p["rnn.bias_hh_l0"]

    h, c = x.new_zeros(H), x.new_zeros(H)
    hs, cs, gates, logits = [], [], [], []
    for t in range(x.shape[0]):
        g = {}
        if arch == "second_order":
            a = torch.einsum("ijk,j,k->i", p["rnn.weight"], h, x[t]) + p["rnn.bias"]
            h = forced(torch.tanh(a), "h", t, interventions)
        elif arch == "elman":
            h = forced(torch.tanh(affine(x[t], h)), "h", t, interventions)
        elif arch == "lstm":
            pi, pf, pg, po = affine(x[t], h).chunk(4)
            g = {"i": torch.sigmoid(pi), "f": torch.sigmoid(pf), "g": torch.tanh(pg), "o": torch.sigmoid(po)}
            g = {k: forced(v, k, t, interventions) for k, v in g.items()}
            c = forced(g["f"] * c + g["i"] * g["g"], "c", t, interventions)
            c.retain_grad()
            h = forced(g["o"] * torch.tanh(c), "h", t, interventions)
        elif arch == "gru":
            xr, xz, xn = (x[t] @ p["rnn.weight_ih_l0"].T + p["rnn.bias_ih_l0"]).chunk(3)
            hr, hz, hn = (h @ p["rnn.weight_hh_l0"].T + p["rnn.bias_hh_l0"]).chunk(3)
            r = forced(torch.sigmoid(xr + hr), "r", t, interventions)
            z = forced(torch.sigmoid(xz + hz), "z", t, interventions)
            n = forced(torch.tanh(xn + r * hn), "n", t, interventions)
            g = {"r": r, "z": z, "n": n}
            h = forced((1 - z) * n + z * h, "h", t, interventions)
        h.retain_grad()
        hs.append(h)
        cs.append(c)
        gates.append(g)
        logits.append(h @ p["readout.weight"].T + p["readout.bias"])
    return {"h": hs, "c": cs, "gates": gates, "logits": torch.stack(logits), "x": x, "params": p}


def losses_of(logits, seq):
    return torch.nn.functional.cross_entropy(logits, seq.target, reduction="none") * seq.loss_mask


CASES = {
    "elman h": ("elman", [Intervention(3, "h", 1, 0.5), Intervention(None, "h", 4, -0.2)]),
    "second_order h": ("second_order", [Intervention(4, "h", 0, 0.9)]),
    "lstm forget shut": ("lstm", [Intervention(4, "gate:f", j, 0.0) for j in range(H)]),
    "lstm c": ("lstm", [Intervention(3, "c", 2, 1.5), Intervention(None, "c", 5, 0.0)]),
    "lstm i g o h": (
        "lstm",
        [
            Intervention(2, "gate:i", 0, 1.0),
            Intervention(5, "gate:g", 1, -1.0),
            Intervention(6, "gate:o", 2, 0.0),
            Intervention(None, "h", 3, 0.25),
        ],
    ),
    "gru r z n h": (
        "gru",
        [
            Intervention(2, "gate:r", 0, 0.0),
            Intervention(None, "gate:z", 1, 1.0),
            Intervention(5, "gate:n", 2, 0.3),
            Intervention(6, "h", 3, -0.5),
        ],
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_clamped_trace_equals_autograd_on_the_clamped_graph(case):
    arch, interventions = CASES[case]
    model = make_model(arch)
    seq = sequence()
    tr = trace(model, task(), seq, grad_flow=True, interventions=interventions)
    ref = clamped_unroll(model, seq.x, interventions)
    losses = losses_of(ref["logits"], seq)
    losses.sum().backward()

    tight = dict(rtol=1e-9, atol=1e-10)
    torch.testing.assert_close(tr.h, torch.stack(ref["h"]).detach(), **tight)
    torch.testing.assert_close(tr.logits, ref["logits"].detach(), **tight)
    torch.testing.assert_close(tr.losses, losses.detach(), **tight)
    for name in tr.gates:
        torch.testing.assert_close(tr.gates[name], torch.stack([g[name] for g in ref["gates"]]).detach(), **tight)
    torch.testing.assert_close(tr.grad_h, torch.stack([h.grad for h in ref["h"]]), **tight)
    if arch == "lstm":
        torch.testing.assert_close(tr.c, torch.stack(ref["c"]).detach(), **tight)
        torch.testing.assert_close(tr.grad_c, torch.stack([c.grad for c in ref["c"]]), **tight)
    torch.testing.assert_close(tr.grad_x, ref["x"].grad, **tight)
    for name, grad in tr.parameter_grads.items():
        torch.testing.assert_close(grad, ref["params"][name].grad, **tight, msg=name)

    # grad_flow: one autograd pass per source step s
    for s in range(T):
        ref = clamped_unroll(model, seq.x, interventions)
        losses_of(ref["logits"], seq)[s].backward()
        for t in range(s + 1):
            grad = ref["h"][t].grad
            expected = 0.0 if grad is None else float(grad.norm())
            assert math.isclose(float(tr.grad_flow[s, t]), expected, rel_tol=1e-8, abs_tol=1e-12), (s, t)


def test_the_clamp_really_cuts_the_gradient():
    """Holding h[1] of an Elman net at every step leaves dL/dW_hh's row 1 zero: nothing reaches
    the weights that would have computed it, while h[1] itself still has a gradient (it is read)."""
    model = make_model("elman")
    tr = trace(model, task(), sequence(), interventions=[Intervention(None, "h", 1, 0.3)])
    assert torch.all(tr.h[:, 1] == 0.3)
    assert float(tr.parameter_grads["rnn.weight_hh_l0"][1].abs().max()) == 0.0
    assert float(tr.parameter_grads["rnn.bias_ih_l0"][1]) == 0.0
    assert float(tr.grad_h[:, 1].abs().max()) > 0


def test_no_interventions_on_the_loop_equals_the_fast_path():
    for arch in ("elman", "lstm", "gru", "second_order"):
        model = make_model(arch)
        seq = sequence()
        fast, loop = trace(model, task(), seq), trace(model, task(), seq, interventions=[])
        torch.testing.assert_close(loop.h, fast.h, rtol=1e-12, atol=1e-12)
        torch.testing.assert_close(loop.grad_h, fast.grad_h, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(
    "arch,item,words",
    [
        ("lstm", Intervention(0, "gate:q", 0, 0.0), "gate:q"),
        ("gru", Intervention(0, "c", 0, 0.0), "'c' does not exist"),
        ("elman", Intervention(0, "gate:f", 0, 0.0), "choose one of h"),
        ("lstm", Intervention(0, "h", H, 0.0), f"unit {H} is out of range"),
        ("lstm", Intervention(0, "h", -1, 0.0), "unit -1"),
        ("lstm", Intervention(T, "h", 0, 0.0), f"step {T} is out of range"),
        ("lstm", Intervention(0, "h", 0, math.nan), "finite"),
    ],
)
def test_bad_interventions_are_refused_with_a_message(arch, item, words):
    with pytest.raises(InterventionError, match=words):
        trace(make_model(arch), task(), sequence(), interventions=[item])


def test_too_many_interventions_are_refused():
    items = [Intervention(0, "h", 0, 0.0)] * (MAX_INTERVENTIONS + 1)
    with pytest.raises(InterventionError, match=f"at most {MAX_INTERVENTIONS}"):
        trace(make_model("elman"), task(), sequence(), interventions=items)


def test_shutting_the_forget_gate_mid_string_breaks_the_long_range_prediction():
    """The classic demonstration on the shipped lstm-embedded-reber: the closing T/P is predicted on
    every string, but with every unit's forget gate shut (f = 0) at the middle step of the inner
    string, the memory of the opening branch is cut and the prediction fails on a large share of
    them (docs/analysis.md, Interventions, has the figure over 300 strings)."""
    loaded = load_model(ModelStore(ROOT / "models"), "lstm-embedded-reber")
    task, hidden = loaded.task, loaded.model.config.hidden_size
    rng = random.Random(0)
    clean = shut = 0
    strings = 40
    for _ in range(strings):
        seq = task.sample(rng)
        at = len(seq) - 3  # the step that reads the inner E and must predict the opening T or P again
        middle = (2 + at) // 2
        legal = seq.target[at] > 0.5
        forget_shut = [Intervention(middle, "gate:f", j, 0.0) for j in range(hidden)]
        for items in ([], forget_shut):
            tr = trace(loaded.model, task, seq, grad_flow=False, interventions=items)
            right = bool(((tr.y[at] > 0.5) == legal).all())
            clean, shut = (clean + right, shut) if not items else (clean, shut + right)
            if items:
                assert torch.all(tr.gates["f"][middle] == 0)
    assert clean / strings >= 0.95
    assert shut / strings <= 0.8
