"""trace() against autograd on an independent unroll, and grad_flow by finite differences."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest
import torch

from app.core.trace import trace, trace_to_plain
from tests.core.reference import cell_step, per_step_losses, unroll
from tests.core.test_architectures import CASES, I, O, T, make_model
from tests.trace_fields import TRACE_FIELDS


def fake_task(loss_kind: str):
    return SimpleNamespace(id="fake", loss_kind=loss_kind, symbols=None)


def fake_sequence(loss_kind: str, seed: int = 1, steps: int = T):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(steps, I, generator=g, dtype=torch.float64)
    if loss_kind == "cross_entropy":
        target = torch.randint(0, O, (steps,), generator=g)
    elif loss_kind == "bce":
        target = torch.randint(0, 2, (steps, O), generator=g).double()
    else:
        target = torch.randn(steps, O, generator=g, dtype=torch.float64)
    mask = torch.ones(steps, dtype=torch.float64)
    mask[[1, 4]] = 0  # some steps carry no loss, as in many Reber and recall tasks
    return SimpleNamespace(
        x=x, target=target, loss_mask=mask, labels=[str(t) for t in range(steps)], target_labels=[""] * steps
    )


@pytest.mark.parametrize("loss_kind", ["cross_entropy", "bce", "mse"])
@pytest.mark.parametrize("arch,activation", CASES)
def test_trace_gradients_equal_autograd(arch, activation, loss_kind):
    model = make_model(arch, activation)
    seq = fake_sequence(loss_kind)
    tr = trace(model, fake_task(loss_kind), seq)

    matrices = list(model.architecture.shared_matrices.values())
    ref = unroll(model, seq.x, per_step_copies=matrices)
    losses = per_step_losses(ref["logits"], seq.target, seq.loss_mask, loss_kind)
    losses.sum().backward()

    tight = dict(rtol=1e-9, atol=1e-10)
    torch.testing.assert_close(tr.losses, losses.detach(), **tight)
    assert math.isclose(tr.loss, float(losses.detach().sum()), rel_tol=1e-10)
    torch.testing.assert_close(tr.logits, ref["logits"].detach(), **tight)
    torch.testing.assert_close(tr.grad_h, torch.stack([h.grad for h in ref["h"]]), **tight)
    if tr.c is not None:
        torch.testing.assert_close(tr.grad_c, torch.stack([c.grad for c in ref["c"]]), **tight)
    else:
        assert tr.grad_c is None
    torch.testing.assert_close(tr.grad_x, ref["x"].grad, **tight)
    for name, tensor in tr.parameter_grads.items():
        per_step = ref["copies"].get(name)
        expected = ref["params"][name].grad
        if per_step is not None:  # the shared matrices were used through per-step copies
            expected = sum(copy.grad for copy in per_step)
        torch.testing.assert_close(tensor, expected, **tight, msg=name)
    for label, name in model.architecture.shared_matrices.items():
        expected = torch.stack([copy.grad.norm() for copy in ref["copies"][name]])
        torch.testing.assert_close(tr.matrix_grad_norms[label], expected, **tight, msg=label)


@pytest.mark.parametrize("arch,activation", CASES)
def test_grad_flow_equals_autograd_per_source(arch, activation):
    model = make_model(arch, activation)
    seq = fake_sequence("cross_entropy")
    tr = trace(model, fake_task("cross_entropy"), seq, grad_flow=True)
    for s in range(T):
        ref = unroll(model, seq.x)
        losses = per_step_losses(ref["logits"], seq.target, seq.loss_mask, "cross_entropy")
        losses[s].backward()
        for t in range(T):
            grad = ref["h"][t].grad
            expected = 0.0 if (grad is None or t > s) else float(grad.norm())
            assert math.isclose(float(tr.grad_flow[s, t]), expected, rel_tol=1e-9, abs_tol=1e-12), (s, t)
            if tr.grad_flow_c is not None:  # LSTM: the same through the cell state
                grad_c = ref["c"][t].grad
                expected_c = 0.0 if (grad_c is None or t > s) else float(grad_c.norm())
                assert math.isclose(float(tr.grad_flow_c[s, t]), expected_c, rel_tol=1e-9, abs_tol=1e-12), (s, t)
    assert (tr.grad_flow_c is not None) == (arch == "lstm")


@pytest.mark.parametrize("arch", ["elman", "lstm", "gru", "second_order"])
def test_grad_flow_by_finite_differences(arch):
    """||dL_s/dh_t|| from central differences: perturb h_t, re-run steps t+1..s."""
    model = make_model(arch)
    seq = fake_sequence("mse", steps=5)
    tr = trace(model, fake_task("mse"), seq, grad_flow=True)
    params = {n: p.detach() for n, p in model.state_dict().items()}
    cfg = model.config

    def loss_s_from(t: int, s: int, h_t: torch.Tensor) -> float:
        h, c = h_t, tr.c[t] if tr.c is not None else None
        for step in range(t + 1, s + 1):
            h, c_new, _ = cell_step(cfg.architecture, cfg.activation, params, seq.x[step], h, c)
            c = c_new if c_new is not None else c
        logits = h @ params["readout.weight"].T + params["readout.bias"]
        return float(per_step_losses(logits.unsqueeze(0), seq.target[s : s + 1], seq.loss_mask[s : s + 1], "mse")[0])

    eps = 1e-6
    for s, t in [(4, 4), (4, 2), (3, 0), (2, 1)]:
        grad = torch.zeros(cfg.hidden_size, dtype=torch.float64)
        for j in range(cfg.hidden_size):
            bump = torch.zeros_like(grad)
            bump[j] = eps
            grad[j] = (loss_s_from(t, s, tr.h[t] + bump) - loss_s_from(t, s, tr.h[t] - bump)) / (2 * eps)
        assert math.isclose(float(tr.grad_flow[s, t]), float(grad.norm()), rel_tol=1e-6, abs_tol=1e-9), (s, t)
    assert float(tr.grad_flow[1, 3]) == 0.0  # no error reaches forward in time


def test_exploded_gradients_become_null_and_are_flagged():
    model = make_model("elman", "relu").float()
    with torch.no_grad():
        model.rnn.weight_hh_l0.fill_(1e6)  # relu with huge recurrent weights: float32 overflows to inf
        model.rnn.bias_hh_l0.fill_(1.0)
    seq = fake_sequence("mse", steps=T)
    plain = trace_to_plain(trace(model, fake_task("mse"), seq))
    assert plain["nonfinite"], "a trace with overflow must say so"
    assert any(v is None for row in plain["h"] for v in row)
    import json

    json.dumps(plain, allow_nan=False)  # valid JSON: no NaN or Infinity literal


def test_plain_trace_has_the_design_fields():
    model = make_model("lstm")
    plain = trace_to_plain(trace(model, fake_task("bce"), fake_sequence("bce")))
    assert TRACE_FIELDS <= set(plain)
    assert set(plain["gates"]) == {"i", "f", "g", "o"}
    assert len(plain["grad_flow"]) == T and len(plain["grad_flow"][0]) == T
    assert plain["nonfinite"] == []
    assert set(plain["matrix_grad_norms"]) == {"W_xh", "W_hh", "W_hy"}
