"""The cost chapter's timing (app/core/lessons/timing.py): its common step loop computes what the fused
torch.nn modules compute, forward and backward, so timing it times the same network; and a measurement
has every family and way in it. No time is asserted: only that the figures are computed."""

from __future__ import annotations

import pytest
import torch

from app.core.architectures import ModelConfig, RecurrentModel
from app.core.lessons import timing


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


def test_multiply_adds_count_a_shortcut_path_too():
    plain = RecurrentModel(ModelConfig("elman", 7, 7, 16))
    shortcut = RecurrentModel(ModelConfig("shortcut", 7, 7, 16))
    assert timing.multiply_adds(shortcut) - timing.multiply_adds(plain) == 7 * 7  # W_xy x_t
