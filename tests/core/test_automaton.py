"""k-means, minimisation and automaton extraction: against hand computations, a network built by
hand to act out the Reber grammar exactly, and the shipped elman-reber."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from app.core.analysis import AnalysisInputError, analyse, collect_states, extract_k, kmeans, minimise
from app.core.analysis.holds import HELD_OUT_SEED, agreement
from app.core.device import configure_threads
from app.core.models import build_model, load_model
from app.core.store import ModelStore
from app.core.tasks.reber import REBER_END, REBER_GRAPH, REBER_SYMBOLS

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    configure_threads(1)  # the clouds are small: more threads only contend on the shared cores


# ----- k-means ------------------------------------------------------------------------------


def test_kmeans_by_hand():
    x = torch.tensor([[0.0], [1.0], [10.0], [11.0], [12.0]])
    found = kmeans(x, 2, seed=0)
    low, high = sorted(found.centres.flatten().tolist())
    assert (low, high) == pytest.approx((0.5, 11.0))
    assert found.inertia == pytest.approx(0.25 * 2 + 1 + 0 + 1)
    assert found.labels[0] == found.labels[1] != found.labels[2] == found.labels[3] == found.labels[4]


def test_kmeans_finds_separated_blobs_and_is_a_fixed_point():
    generator = torch.Generator().manual_seed(0)
    means = torch.randn(6, 4, generator=generator) * 20
    truth = torch.arange(6).repeat_interleave(40)
    x = means[truth] + torch.randn(240, 4, generator=generator)
    found = kmeans(x, 6, seed=3)
    # the same partition up to naming: every true blob in exactly one cluster, and vice versa
    pairs = set(zip(truth.tolist(), found.labels.tolist(), strict=True))
    assert len(pairs) == 6 and len({a for a, _ in pairs}) == len({b for _, b in pairs}) == 6
    # independent check of Lloyd's fixed point: each point nearest its centre, each centre its points' mean
    assert torch.equal(torch.cdist(x, found.centres).argmin(1), found.labels)
    for j in range(6):
        torch.testing.assert_close(found.centres[j], x[found.labels == j].mean(0), atol=1e-4, rtol=1e-5)
    again = kmeans(x, 6, seed=3)
    assert torch.equal(again.labels, found.labels) and torch.equal(again.centres, found.centres)


def test_kmeans_with_fewer_distinct_points_than_k():
    x = torch.tensor([[1.0, 0.0]] * 5 + [[0.0, 1.0]] * 5)
    found = kmeans(x, 4, seed=0)
    assert found.inertia == 0.0 and len(set(found.labels.tolist())) == 2


# ----- minimisation -------------------------------------------------------------------------


def test_minimise_merges_only_equivalent_states():
    # 1 and 2 give the same output and move alike: one state; 3 gives the same output as 1 but
    # moves to 4, whose output differs from 0's, so it stays apart
    outputs = ["s", "x", "x", "x", "y", "y"]
    delta = {(0, "a"): 1, (0, "b"): 2, (1, "a"): 0, (2, "a"): 0, (0, "c"): 3, (3, "a"): 4, (4, "a"): 5}
    blocks = minimise(outputs, delta, ["a", "b", "c"])
    assert blocks[1] == blocks[2]
    assert len({blocks[0], blocks[1], blocks[3], blocks[4], blocks[5]}) == 5  # 4 and 5: 4 moves, 5 does not


# ----- a network built by hand to act out the Reber grammar ---------------------------------


@pytest.fixture(scope="module")
def reber_by_hand():
    """A second-order sigmoid net whose hidden unit i-1 is on exactly in grammar state i (1..7, 7 the
    end; state 0 is h_0 = 0): W[i, j, a] = +G when symbol a leads from state j to state i, -G
    otherwise; the biases switch state 1 on from h_0, the only step without an active unit. The
    readout says +R for each legal next symbol of the state whose unit is on, -R for the others."""
    loaded = build_model("by-hand", "second_order", "reber", hidden_size=7, activation="sigmoid")
    gain, readout = 40.0, 20.0
    symbols = loaded.task.input_symbols
    weight = torch.full((7, 7, len(symbols)), -gain)
    for state, ways in REBER_GRAPH.items():
        for symbol, target in ways.items():
            if state > 0:  # from h_0 the bias alone decides
                weight[target - 1, state - 1, symbols.index(symbol)] = gain
    bias = torch.full((7,), -gain / 2)
    bias[0] = gain / 2
    w_hy = torch.full((len(REBER_SYMBOLS), 7), 0.0)
    for state in range(1, REBER_END + 1):
        for symbol in REBER_SYMBOLS:
            w_hy[REBER_SYMBOLS.index(symbol), state - 1] = 2 * readout if symbol in REBER_GRAPH[state] else 0.0
    with torch.no_grad():
        loaded.model.rnn.weight.copy_(weight)
        loaded.model.rnn.bias.copy_(bias)
        loaded.model.readout.weight.copy_(w_hy)
        loaded.model.readout.bias.fill_(-readout)
    return loaded


def test_the_hand_built_net_is_the_grammar(reber_by_hand):
    cloud = collect_states(reber_by_hand, 60, seed=0)
    predicted = cloud.output > 0.5
    for row, legal in zip(predicted, cloud.legal_next, strict=True):
        assert {REBER_SYMBOLS[i] for i in row.nonzero().flatten().tolist()} == legal


def test_extraction_from_the_hand_built_net_is_the_grammar(reber_by_hand):
    extraction = analyse(reber_by_hand, 150, held_out=100, seed=1)
    automaton, comparison = extraction.automaton, extraction.comparison
    assert comparison.agreement == 1.0 and comparison.fidelity == 1.0 and comparison.purity == 1.0
    # the smallest k that holds: the seven codes of states 1..6 and the end (the start is h_0)
    assert [trial.k for trial in extraction.k_search] == list(range(2, 8))
    assert extraction.k_search[-1].agreement == 1.0 and all(t.agreement < 1 for t in extraction.k_search[:-1])
    # isomorphic to the grammar's graph: 8 states (0 as the start, 1..6, the end), same moves, same sets
    assert len(automaton.states) == 8
    names = comparison.mapping
    assert sorted(names.values()) == sorted(comparison.grammar["states"])
    grammar_moves = {(t["from"], t["symbol"], t["to"]) for t in comparison.grammar["transitions"]}
    assert {(names[t.source], t.symbol, names[t.target]) for t in automaton.transitions} == grammar_moves
    for state in automaton.states:
        grammar_state = REBER_END if names[state.id] == "end" else int(names[state.id])
        assert state.next == frozenset(REBER_GRAPH[grammar_state])
        assert state.accepting == (grammar_state == REBER_END)
    # every point's state is its grammar state
    assert [names[s] for s in automaton.point_state.tolist()] == extraction.cloud.grammar_state


def test_a_machine_with_too_few_states_is_caught(reber_by_hand):
    cloud = collect_states(reber_by_hand, 60, seed=0)
    fresh = collect_states(reber_by_hand, 60, seed=HELD_OUT_SEED)
    small = extract_k(cloud, 5, seed=0)  # two grammar states must share a cluster
    assert len(small.states) < 8 and agreement(small, fresh, "grammar") < 0.95


def test_the_machine_runs_and_quantises_a_typed_text(reber_by_hand):
    extraction = analyse(reber_by_hand, 80, held_out=20, seed=0, k=7)
    automaton, names = extraction.automaton, extraction.comparison.mapping
    text = "BTSSXXTVVE"
    path = automaton.run(text)
    assert [names[s] for s in path] == ["1", "2", "2", "2", "4", "3", "3", "5", "6", "end"]
    from app.core.analysis import states_of_text

    assert automaton.states_of(states_of_text(reber_by_hand, text)).tolist() == path
    assert automaton.run("BTV")[-1] is None  # no such move: the machine stops


@pytest.mark.parametrize("k", [0, 1, 65, 10_000, 2.0, True])
def test_k_out_of_range(reber_by_hand, k):
    cloud = collect_states(reber_by_hand, 5, seed=0)
    with pytest.raises(AnalysisInputError, match="k must be"):
        extract_k(cloud, k)


def test_bad_requests(reber_by_hand):
    with pytest.raises(AnalysisInputError, match="held_out"):
        analyse(reber_by_hand, 10, held_out=0)
    with pytest.raises(AnalysisInputError, match="more than the"):
        extract_k(collect_states(reber_by_hand, 1, seed=0), 40)
    adding = build_model("adding", "elman", "adding", hidden_size=3)
    with pytest.raises(AnalysisInputError, match="numbers"):
        extract_k(collect_states(adding, 3, seed=0), 2)


def test_a_task_without_a_grammar_is_judged_by_fidelity(monkeypatch):
    loaded = build_model("copy", "elman", "copy", hidden_size=4, seed=0)
    extraction = analyse(loaded, 4, held_out=3, seed=0)
    comparison = extraction.comparison
    assert comparison.grammar is None and comparison.agreement is None and comparison.purity is None
    assert 0.0 <= comparison.fidelity <= 1.0
    assert [trial.k for trial in extraction.k_search] == list(range(2, 17))  # none held: the short search
    # the automaton's next sets are single symbols (softmax: the most likely one) or empty
    assert all(len(state.next) <= 1 for state in extraction.automaton.states[1:])
    monkeypatch.setattr("app.core.analysis.automaton.MAX_POINTS", 10)
    with pytest.raises(AnalysisInputError, match="fewer sequences"):
        extract_k(extraction.cloud, 2)


# ----- the shipped model --------------------------------------------------------------------


def test_shipped_elman_reber_holds_with_at_most_8_states():
    loaded = load_model(ModelStore(ROOT / "models"), "elman-reber")
    extraction = analyse(loaded, 200, held_out=150, seed=0)
    assert extraction.comparison.agreement >= 0.99 and extraction.comparison.acceptance >= 0.99
    assert len(extraction.automaton.states) <= 8
    inner = {name for name in extraction.comparison.mapping.values()}
    assert {"1", "2", "3", "4", "5", "6"} <= inner  # each inner grammar state has a state of its own


def test_acceptance_keeps_the_state_after_the_end_apart():
    """Agreement alone lets the state after the final E share a cluster with state 6 (nothing is scored
    after the end): elman-reber at k = 8 has 7 states that hold on agreement. Acceptance catches it, and
    the search goes on to the grammar's 8 states, one of them the end."""
    loaded = load_model(ModelStore(ROOT / "models"), "elman-reber")
    extraction = analyse(loaded, 200, held_out=150, seed=0)
    at_8 = next(trial for trial in extraction.k_search if trial.k == 8)
    assert at_8.agreement == 1.0 and at_8.acceptance < 0.99 and at_8.states == 7
    assert extraction.automaton.k > 8 and len(extraction.automaton.states) == 8
    assert "end" in extraction.comparison.mapping.values()
    assert extraction.comparison.purity == 1.0
