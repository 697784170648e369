"""The state cloud against traces of the same sequences, and PCA against an eigendecomposition."""

from __future__ import annotations

import pytest
import torch

from app.core.analysis import MAX_SEQUENCES, AnalysisInputError, collect_states, pca, states_of_text
from app.core.models import build_model
from app.core.tasks.base import TaskInputError
from app.core.tasks.reber import legal_sets
from app.core.trace import trace


@pytest.fixture(scope="module")
def lstm():
    return build_model("lstm", "lstm", "embedded_reber", hidden_size=5, seed=1)


@pytest.fixture(scope="module")
def second_order():
    return build_model("so", "second_order", "reber", hidden_size=4, seed=2)


@pytest.mark.parametrize("which", ["lstm", "second_order"])
def test_cloud_equals_the_traces_of_its_sequences(which, request):
    loaded = request.getfixturevalue(which)
    cloud = collect_states(loaded, 6, seed=4)
    assert cloud.points == sum(len(text) for text in cloud.texts)
    for index, text in enumerate(cloud.texts):
        mine = cloud.sequence == index
        assert cloud.step[mine].tolist() == list(range(len(text)))
        assert "".join(s for s, m in zip(cloud.symbol, mine.tolist(), strict=True) if m) == text
        reference = trace(loaded.model, loaded.task, loaded.task.encode(text), grad_flow=False)
        torch.testing.assert_close(cloud.hidden[mine], reference.h, atol=1e-6, rtol=1e-5)
        torch.testing.assert_close(cloud.output[mine], reference.y, atol=1e-6, rtol=1e-5)
        assert cloud.scored[mine].tolist() == (reference.loss_mask > 0).tolist()
        if reference.c is not None:
            torch.testing.assert_close(cloud.cell[mine], reference.c, atol=1e-6, rtol=1e-5)
            for name, gate in reference.gates.items():
                torch.testing.assert_close(cloud.gates[name][mine], gate, atol=1e-6, rtol=1e-5)
    assert (cloud.cell is None) == (which == "second_order")


def test_grammar_states_and_legal_sets(lstm):
    cloud = collect_states(lstm, 5, seed=0)
    legal = [s for text in cloud.texts for s in legal_sets(lstm.task.grammar, text)[1:]]
    assert cloud.legal_next == legal
    first = cloud.texts[0]
    names = cloud.grammar_state[: len(first)]
    # B, the branch symbol, the inner B: then the inner Reber walk on that branch; the final E ends it
    assert names[:3] == ["branch", f"{first[1]}/0", f"{first[1]}/1"]
    assert names[-3:] == [f"{first[1]}/end", "close", "end"]
    assert cloud.legal_next[len(first) - 1] == frozenset()  # nothing follows the final E ...
    assert not cloud.scored[len(first) - 1]  # ... so the loss does not count there


def test_same_seed_same_cloud(second_order):
    a, b = collect_states(second_order, 4, seed=7), collect_states(second_order, 4, seed=7)
    assert a.texts == b.texts and torch.equal(a.hidden, b.hidden)
    assert collect_states(second_order, 4, seed=8).texts != a.texts
    assert a.grammar_state[0] == "1" and "end" in a.grammar_state


def test_states_of_text(lstm):
    cloud = states_of_text(lstm, "BTBTXSETE")
    assert cloud.texts == ["BTBTXSETE"] and cloud.points == 9
    assert cloud.grammar_state[-2:] == ["close", "end"]
    with pytest.raises(TaskInputError):
        states_of_text(lstm, "BTBQ")


@pytest.mark.parametrize("count", [0, MAX_SEQUENCES + 1, 2.5, True])
def test_sequence_limits(second_order, count):
    with pytest.raises(AnalysisInputError, match="sequences"):
        collect_states(second_order, count, seed=0)


def test_state_by_target(lstm, second_order):
    cloud = collect_states(lstm, 2, seed=0)
    assert cloud.state("c") is cloud.cell and cloud.state("gate:f") is cloud.gates["f"]
    with pytest.raises(AnalysisInputError, match="gate:i"):
        cloud.state("gate:z")
    with pytest.raises(AnalysisInputError, match="no state 'c'"):
        collect_states(second_order, 2, seed=0).state("c")


# ----- PCA ----------------------------------------------------------------------------------


def cloud_points(seed: int = 0) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    stretch = torch.diag(torch.tensor([5.0, 2.0, 1.0, 0.3, 0.1]))
    return torch.randn(300, 5, generator=generator) @ stretch @ torch.linalg.qr(torch.randn(5, 5))[0] + 3.0


def test_pca_against_the_covariance_eigendecomposition():
    x = cloud_points()
    projection = pca(x, 3)
    covariance = torch.cov(x.double().T)  # independent: the covariance's eigenvectors, largest first
    values, vectors = torch.linalg.eigh(covariance)
    values, vectors = values.flip(0), vectors.flip(1)
    for k in range(3):
        cosine = torch.dot(projection.axes[k].double(), vectors[:, k])
        assert abs(float(cosine)) == pytest.approx(1.0, abs=1e-5)  # the same axis, either sign
    expected_ratios = (values[:3] / values.sum()).tolist()
    assert projection.explained_variance_ratio == pytest.approx(expected_ratios, rel=1e-6)
    torch.testing.assert_close(projection.coords, projection.project(x), atol=1e-4, rtol=1e-5)
    torch.testing.assert_close(projection.axes @ projection.axes.T, torch.eye(3), atol=1e-5, rtol=0)
    # coordinates are centred, and their variances are the eigenvalues
    assert projection.coords.mean(0).abs().max() < 1e-4
    torch.testing.assert_close(projection.coords.double().var(0), values[:3], rtol=1e-4, atol=1e-6)


def test_pca_signs_are_fixed():
    x = cloud_points(1)
    axes = pca(x, 2).axes
    assert torch.equal(axes, pca(x.clone(), 2).axes)
    largest = axes.gather(1, axes.abs().argmax(1, keepdim=True))
    assert (largest > 0).all()


def test_pca_bad_input():
    x = cloud_points()
    for components in (0, 4, 2.0):
        with pytest.raises(AnalysisInputError, match="components"):
            pca(x, components)
    with pytest.raises(AnalysisInputError, match="too few"):
        pca(x[:1], 2)
    with pytest.raises(AnalysisInputError, match="units"):
        pca(x[:, :2], 3)
    flat = pca(torch.ones(10, 4), 2)  # one repeated point: nothing to explain, no NaN
    assert flat.explained_variance_ratio == [0.0, 0.0] and torch.isfinite(flat.coords).all()
