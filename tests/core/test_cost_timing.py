"""The cost chapter's timing (app/core/lessons/timing.py): its common step loop computes what the fused
torch.nn modules compute, forward and backward, so timing it times the same network; and a measurement
has every family and way in it; the operations a step dispatches are the ones its code writes. No time is
asserted: only that the figures are computed."""

from __future__ import annotations

import pytest
import torch

from app.core.architectures import ModelConfig, RecurrentModel
from app.core.lessons import operations, timing

# What one step of common_step_loop computes, forward, read off _gates and the loop (views left out):
# the recurrent product, then
#   elman  gi + gh, tanh                                                    2
#   gru    ir + hr, iz + hz, two sigmoids, r * hn, in + r * hn, tanh, 1 - z,
#          (1 - z) * n, z * h, their sum                                    11
#   lstm   gi + gh (all four gates at once), three sigmoids, two tanh,
#          f * c, i * g, their sum, o * tanh(c)                             10
FORWARD = {"elman": 1 + 2, "gru": 1 + 11, "lstm": 1 + 10}


@pytest.mark.parametrize("family", timing.FAMILIES)
def test_common_loop_equals_the_fused_module(family):
    torch.manual_seed(1)
    core = RecurrentModel(ModelConfig(family, 5, 3, 6)).double().rnn
    x = torch.randn(4, 9, 5, dtype=torch.float64)
    fused, _ = core(x)
    common = timing.common_step_loop(family, core, x)
    torch.testing.assert_close(common, fused, rtol=1e-12, atol=1e-12)
    grads = torch.autograd.grad(fused.square().sum(), list(core.parameters()))
    again = torch.autograd.grad(common.square().sum(), list(core.parameters()))
    for a, b in zip(grads, again, strict=True):
        torch.testing.assert_close(b, a, rtol=1e-10, atol=1e-12)


def test_a_measurement_times_every_family_every_way(monkeypatch):
    monkeypatch.setattr(timing, "STEPS_PER_TIMING", 1)
    got = timing.measure(ModelConfig("lstm", 4, 4, 5), rounds=2)
    assert got["rounds"] == 2 and got["hidden"] == 5
    assert set(got["timing"]) == set(timing.WAYS)
    for way in timing.WAYS:
        assert set(got["timing"][way]) == set(timing.FAMILIES)
        assert got["timing"][way]["elman"]["ratio"] == 1.0
        assert all(entry["ms"] > 0 for entry in got["timing"][way].values())
    assert got["families"]["lstm"]["multiply_adds"] == 4 * 5 * (4 + 5) + 5 * 4
    assert got["families"]["elman"]["multiply_adds_ratio"] == 1.0
    assert set(got["common_over_fused"]) == set(timing.FAMILIES)
    for family in timing.FAMILIES:
        assert got["families"][family]["operations"]["forward"] == FORWARD[family]
    assert got["gru_over_lstm"]["time"] > 0
    assert got["gru_over_lstm"]["operations"] == (
        got["families"]["gru"]["operations"]["total"] / got["families"]["lstm"]["operations"]["total"]
    )
    large = got["large"]
    assert large["hidden"] == timing.LARGE_HIDDEN and set(large["ms"]) == set(timing.LARGE_FAMILIES)
    assert all(ms > 0 for ms in large["ms"].values()) and large["gru_over_lstm"]["time"] > 0
    H, I, O = timing.LARGE_HIDDEN, 4, 4
    assert large["gru_over_lstm"]["multiply_adds"] == (3 * H * (I + H) + H * O) / (4 * H * (I + H) + H * O)


def step_operations(family, hidden=6, steps=3):
    torch.manual_seed(0)
    model = RecurrentModel(ModelConfig(family, 5, 3, hidden))
    x, target = torch.rand(2, 8, 5), torch.rand(2, 8, 3)
    return (
        model,
        x,
        target,
        operations.step_operations(lambda n: timing._loss(family, model, "common", x[:, :n], target[:, :n]), steps),
    )


@pytest.mark.parametrize("family", timing.FAMILIES)
def test_a_step_runs_the_operations_its_code_writes(family):
    _, _, _, (forward, backward) = step_operations(family)
    assert forward.total() == FORWARD[family]
    assert forward["aten.addmm"] == 1 and forward["aten.tanh"] == (2 if family == "lstm" else 1)
    # backward: the recurrent product's two gradients (to h and to W_hh) and its bias's; each
    # elementwise operation's own backward; nothing counted twice nor a view
    assert backward["aten.mm"] == 2 and backward["aten.sum"] == 1
    assert backward["aten.tanh_backward"] == forward["aten.tanh"]
    assert backward["aten.sigmoid_backward"] == forward["aten.sigmoid"]
    assert not any(name in backward for name in ("aten.t", "aten.view", "aten.select", "aten.detach"))


def test_the_gru_step_runs_more_operations_than_the_lstm_step():
    """Its reset gate multiplies W_hn h before the sum: three separate sums of input and recurrent
    parts and 1 - z where the LSTM adds all four gates' parts at once."""
    gru, lstm = step_operations("gru")[3], step_operations("lstm")[3]
    assert gru[0]["aten.add"] == 4 and lstm[0]["aten.add"] == 2
    assert gru[0].total() > lstm[0].total()
    assert gru[0].total() + gru[1].total() > lstm[0].total() + lstm[1].total()


@pytest.mark.parametrize("family", timing.FAMILIES)
def test_operations_per_step_do_not_depend_on_size_steps_or_repeats(family):
    model, x, target, counts = step_operations(family)
    assert step_operations(family, hidden=40, steps=5)[3] == counts
    forward, backward = counts[0].total(), counts[1].total()
    again = operations.per_step(lambda n: timing._loss(family, model, "common", x[:, :n], target[:, :n]))
    assert again == {"forward": forward, "backward": backward, "total": forward + backward}


def test_counting_sees_gradients_left_from_before():
    """Why a run must clear its gradients: adding into old ones is work, and it is counted."""
    weight = torch.ones(3, requires_grad=True)
    _, first = operations.count(lambda: (weight * 2).sum())
    _, second = operations.count(lambda: (weight * 2).sum())
    assert second.total() > first.total()


def test_multiply_adds_count_a_shortcut_path_too():
    plain = RecurrentModel(ModelConfig("elman", 7, 7, 16))
    shortcut = RecurrentModel(ModelConfig("shortcut", 7, 7, 16))
    assert timing.multiply_adds(shortcut) - timing.multiply_adds(plain) == 7 * 7  # W_xy x_t
