"""The trace's readout_terms: y_t's pre-activation split into W_hy h_t, W_xy x_t (shortcut only) and b_y.

Each term is checked against the model's own weights applied by hand, and the
terms against the logits the losses were computed from.
"""

from __future__ import annotations

import pytest
import torch

from app.core.trace import trace, trace_to_plain
from tests.core.test_architectures import CASES, make_model
from tests.core.test_trace import fake_sequence, fake_task


@pytest.mark.parametrize("arch,activation", CASES)
def test_readout_terms_are_each_path_and_sum_to_the_logits(arch, activation):
    model = make_model(arch, activation)
    sequence = fake_sequence("bce")
    tr = trace(model, fake_task("bce"), sequence)
    expected = {"W_hy h_t", "b_y"} | ({"W_xy x_t"} if arch == "shortcut" else set())
    assert set(tr.readout_terms) == expected
    tight = dict(rtol=1e-9, atol=1e-10)
    torch.testing.assert_close(tr.readout_terms["W_hy h_t"], tr.h @ model.readout.weight.T, **tight)
    torch.testing.assert_close(tr.readout_terms["b_y"], model.readout.bias.expand_as(tr.logits), **tight)
    if arch == "shortcut":
        torch.testing.assert_close(tr.readout_terms["W_xy x_t"], sequence.x @ model.shortcut.weight.T, **tight)
        assert float(tr.readout_terms["W_xy x_t"].abs().max()) > 0  # a real contribution, not zeros
    torch.testing.assert_close(sum(tr.readout_terms.values()), tr.logits, **tight)
    with torch.no_grad():
        logits, _ = model(sequence.x.unsqueeze(0))
    torch.testing.assert_close(tr.logits, logits[0], **tight)


def test_plain_trace_carries_the_terms_as_lists():
    model = make_model("shortcut")
    plain = trace_to_plain(trace(model, fake_task("mse"), fake_sequence("mse")))
    terms = plain["readout_terms"]
    assert list(terms) == ["W_hy h_t", "W_xy x_t", "b_y"]  # in the equation's order
    assert all(len(rows) == len(plain["logits"]) and len(rows[0]) == len(plain["logits"][0]) for rows in terms.values())
