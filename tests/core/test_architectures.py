"""Each family's step path against torch.nn (copied weights, float64) and its own fast path."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from app.core.architectures import ARCHITECTURES, ModelConfig, RecurrentModel, UnknownArchitecture, get_architecture
from tests.core.reference import unroll

I, H, O, T = 5, 6, 4, 9

CASES = [
    ("elman", "tanh"),
    ("elman", "relu"),
    ("shortcut", "tanh"),
    ("lstm", "tanh"),
    ("gru", "tanh"),
    ("second_order", "tanh"),
    ("second_order", "sigmoid"),
]


def make_model(arch: str, activation: str = "tanh", seed: int = 0) -> RecurrentModel:
    torch.manual_seed(seed)
    return RecurrentModel(ModelConfig(arch, I, O, H, activation)).double()


def fresh_torch_module(arch: str, activation: str) -> nn.Module:
    if arch in ("elman", "shortcut"):
        return nn.RNN(I, H, nonlinearity=activation, batch_first=True).double()
    return {"lstm": nn.LSTM, "gru": nn.GRU}[arch](I, H, batch_first=True).double()


@pytest.mark.parametrize("arch,activation", [c for c in CASES if c[0] != "second_order"])
def test_step_path_equals_torch_nn_with_copied_weights(arch, activation):
    model = make_model(arch, activation)
    reference = fresh_torch_module(arch, activation)
    reference.load_state_dict(
        {k.removeprefix("rnn."): v for k, v in model.state_dict().items() if k.startswith("rnn.")}
    )
    x = torch.randn(T, I, dtype=torch.float64)
    with torch.no_grad():
        record = model.architecture.step_forward(model.rnn, x)
        expected, final = reference(x.unsqueeze(0))
    torch.testing.assert_close(record.h, expected[0], rtol=0, atol=1e-10)
    if arch == "lstm":
        torch.testing.assert_close(record.c[-1], final[1][0, 0], rtol=0, atol=1e-10)


@pytest.mark.parametrize("arch,activation", CASES)
def test_step_path_equals_fast_path(arch, activation):
    model = make_model(arch, activation)
    x = torch.randn(3, T, I, dtype=torch.float64)
    with torch.no_grad():
        fast, _ = model.architecture.run_fast(model.rnn, x)
        for b in range(3):
            record = model.architecture.step_forward(model.rnn, x[b])
            torch.testing.assert_close(record.h, fast[b], rtol=0, atol=1e-10)


@pytest.mark.parametrize("arch,activation", CASES)
def test_step_path_equals_the_equations(arch, activation):
    """h, c and every gate against tests/core/reference.py (second_order: an independent einsum)."""
    model = make_model(arch, activation)
    x = torch.randn(T, I, dtype=torch.float64)
    with torch.no_grad():
        record = model.architecture.step_forward(model.rnn, x)
    ref = unroll(model, x)
    torch.testing.assert_close(record.h, torch.stack(ref["h"]).detach(), rtol=0, atol=1e-10)
    if record.c is not None:
        torch.testing.assert_close(record.c, torch.stack(ref["c"]).detach(), rtol=0, atol=1e-10)
    for name in model.architecture.gate_names:
        expected = torch.stack([g[name] for g in ref["gates"]]).detach()
        torch.testing.assert_close(record.gates[name], expected, rtol=0, atol=1e-10)


def test_fast_path_with_carried_state_continues_the_sequence():
    """Truncated BPTT relies on run_fast(x2, state_after_x1) == run_fast(x1 ++ x2)."""
    for arch in ARCHITECTURES:
        model = make_model(arch)
        x = torch.randn(2, T, I, dtype=torch.float64)
        with torch.no_grad():
            whole, _ = model(x)
            first, state = model(x[:, :4])
            second, _ = model(x[:, 4:], state)
        torch.testing.assert_close(torch.cat([first, second], 1), whole, rtol=0, atol=1e-10)


def test_exported_names_follow_torch_nn():
    names = {a: set(a_.parameter_shapes(ModelConfig(a, I, O, H)).keys()) for a, a_ in ARCHITECTURES.items()}
    fused = {
        "rnn.weight_ih_l0",
        "rnn.weight_hh_l0",
        "rnn.bias_ih_l0",
        "rnn.bias_hh_l0",
        "readout.weight",
        "readout.bias",
    }
    assert names["elman"] == names["lstm"] == names["gru"] == fused
    assert names["shortcut"] == fused | {"shortcut.weight"}
    assert names["second_order"] == {"rnn.weight", "rnn.bias", "readout.weight", "readout.bias"}
    shapes = ARCHITECTURES["second_order"].parameter_shapes(ModelConfig("second_order", I, O, H))
    assert shapes["rnn.weight"] == (H, H, I)


@pytest.mark.parametrize(
    "config,message",
    [
        (ModelConfig("lstm", I, O, 0), "hidden_size"),
        (ModelConfig("lstm", I, O, 513), "hidden_size"),
        (ModelConfig("lstm", I, O, H, "relu"), "activation"),
        (ModelConfig("second_order", I, O, H, "relu"), "activation"),
    ],
)
def test_bad_configs_are_refused_with_a_reason(config, message):
    with pytest.raises(ValueError, match=message):
        RecurrentModel(config)


def test_unknown_architecture_lists_the_known_ones():
    with pytest.raises(UnknownArchitecture, match="elman"):
        get_architecture("transformer")
