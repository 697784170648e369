"""The unit inspector (app/core/analysis/units.py) against hand computations on small synthetic clouds.

Every expected number below was worked out by hand from the few points written here
(correlations by the standard library's statistics.correlation, an independent formula).
"""

from __future__ import annotations

import statistics

import pytest
import torch

from app.core.analysis.states import AnalysisInputError, StateCloud
from app.core.analysis.units import CONTEXT_SYMBOLS, activations, profile, select, summaries


def cloud_of(hidden, symbols, steps, sequences, grammar_state=None, cell=None, gates=None, texts=None) -> StateCloud:
    return StateCloud(
        hidden=torch.tensor(hidden, dtype=torch.float32),
        cell=None if cell is None else torch.tensor(cell, dtype=torch.float32),
        gates={name: torch.tensor(v, dtype=torch.float32) for name, v in (gates or {}).items()},
        symbol=list(symbols),
        step=torch.tensor(steps, dtype=torch.int64),
        sequence=torch.tensor(sequences, dtype=torch.int64),
        grammar_state=grammar_state,
        legal_next=None,
        texts=texts or [],
    )


# Two sequences, BTX and BPV; unit 1 is twice unit 0, unit 2 is constant, unit 3 a 0/1 pattern.
UNIT0 = [0.1, 0.9, 0.5, 0.3, -0.2, 0.7]
UNIT3 = [1.0, 0.0, 0.0, 1.0, 0.0, 1.0]
HIDDEN = [[u, 2 * u, 0.25, v] for u, v in zip(UNIT0, UNIT3, strict=True)]


@pytest.fixture(scope="module")
def two_strings() -> StateCloud:
    return cloud_of(
        HIDDEN,
        symbols="BTXBPV",
        steps=[0, 1, 2, 0, 1, 2],
        sequences=[0, 0, 0, 1, 1, 1],
        grammar_state=["1", "2", "10", "1", "3", "2"],
        texts=["BTX", "BPV"],
    )


def means(groups) -> dict:
    return {group.key: (round(group.mean, 6), group.count) for group in groups}


def test_means_by_symbol_state_and_step(two_strings):
    unit = profile(two_strings, "h", 0, top=3)
    assert [group.key for group in unit.by_symbol] == ["B", "P", "T", "V", "X"]
    assert means(unit.by_symbol) == {"B": (0.2, 2), "P": (-0.2, 1), "T": (0.9, 1), "V": (0.7, 1), "X": (0.5, 1)}
    # Grammar states in natural order: 10 after 3.
    assert [group.key for group in unit.by_grammar_state] == ["1", "2", "3", "10"]
    assert means(unit.by_grammar_state) == {"1": (0.2, 2), "2": (0.8, 2), "3": (-0.2, 1), "10": (0.5, 1)}
    assert means(unit.by_step) == {0: (0.2, 2), 1: (0.35, 2), 2: (0.6, 2)}


def test_top_contexts_carry_the_symbols_up_to_the_step(two_strings):
    top = profile(two_strings, "h", 0, top=3).top_contexts
    assert [(c.sequence, c.step, c.context) for c in top] == [(0, 1, "BT"), (1, 2, "BPV"), (0, 2, "BTX")]
    assert [c.value for c in top] == pytest.approx([0.9, 0.7, 0.5])


def test_similar_units_are_pearson_over_the_points_without_itself_or_constants(two_strings):
    similar = profile(two_strings, "h", 0, top=5).similar
    assert [s.unit for s in similar] == [1, 3]  # unit 2 is constant: no correlation to speak of
    assert similar[0].correlation == pytest.approx(1.0)
    assert similar[1].correlation == pytest.approx(statistics.correlation(UNIT0, UNIT3), abs=1e-6)
    assert profile(two_strings, "h", 2).similar == []
    assert [s.unit for s in profile(two_strings, "h", 0, top=1).similar] == [1]


def test_a_repeated_context_is_listed_once():
    # The same string twice: its steps' contexts repeat; each is listed once, at its first point.
    cloud = cloud_of([[0.5], [0.9], [0.5], [0.9]], "ABAB", [0, 1, 0, 1], [0, 0, 1, 1])
    top = profile(cloud, "h", 0, top=3).top_contexts
    assert [(c.sequence, c.step, c.context) for c in top] == [(0, 1, "AB"), (0, 0, "A")]


def test_summaries_agree_with_each_units_profile(two_strings):
    rows = summaries(two_strings)
    assert [row.unit for row in rows] == [0, 1, 2, 3]
    first = rows[0]
    assert (first.mean, first.low, first.high) == pytest.approx((sum(UNIT0) / 6, -0.2, 0.9))
    assert (first.favourite, first.top_context) == ("T", "BT")
    assert first.favourite_mean == pytest.approx(0.9)
    # Unit 3 is 1 after B and after V: B comes first among equal means; its first peak is sequence 0's B.
    assert (rows[3].favourite, rows[3].favourite_mean, rows[3].top_context) == ("B", 1.0, "B")
    for row in rows:
        unit = profile(two_strings, "h", row.unit, top=1)
        best = max(unit.by_symbol, key=lambda group: group.mean)
        assert row.favourite_mean == pytest.approx(best.mean)
        assert row.high == pytest.approx(unit.top_contexts[0].value)


def test_no_grammar_gives_no_grammar_means():
    cloud = cloud_of([[0.0], [1.0]], symbols=["0.5", "0.25"], steps=[0, 1], sequences=[0, 0])
    unit = profile(cloud, "h", 0)
    assert unit.by_grammar_state is None
    assert unit.top_contexts[0].context == "0.5 0.25"  # symbols longer than a character are spaced


def test_a_long_context_keeps_its_last_symbols():
    steps = CONTEXT_SYMBOLS + 3
    symbols = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[:steps]
    cloud = cloud_of([[float(t)] for t in range(steps)], symbols, list(range(steps)), [0] * steps)
    top = profile(cloud, "h", 0, top=1).top_contexts[0]
    assert top.step == steps - 1
    assert top.context == "…" + symbols[-CONTEXT_SYMBOLS:]


def test_targets_c_and_gates():
    cloud = cloud_of(
        [[0.0], [1.0]],
        "AB",
        [0, 1],
        [0, 0],
        cell=[[2.0], [4.0]],
        gates={"f": [[0.1], [0.3]]},
    )
    assert means(profile(cloud, "c", 0).by_step) == {0: (2.0, 1), 1: (4.0, 1)}
    assert means(profile(cloud, "gate:f", 0).by_symbol) == {"A": (0.1, 1), "B": (0.3, 1)}
    with pytest.raises(AnalysisInputError, match="no state 'gate:z'; it has h, c, gate:f"):
        activations(cloud, "gate:z")
    with pytest.raises(AnalysisInputError, match="no state 'hidden'"):
        activations(cloud, "hidden")


@pytest.mark.parametrize(
    ("target", "unit", "top", "words"),
    [
        ("c", 0, 10, "no state 'c'; it has h$"),
        ("gate:f", 0, 10, "no state 'gate:f'"),
        ("h", 4, 10, "unit 4 is out of range: h has units 0 to 3"),
        ("h", -1, 10, "out of range"),
        ("h", 0, 0, "top must be"),
        ("h", 0, 101, "top must be"),
    ],
)
def test_bad_profile_requests_are_refused_in_words(two_strings, target, unit, top, words):
    with pytest.raises(AnalysisInputError, match=words):
        profile(two_strings, target, unit, top)


# One text, BTSSX: unit 0 is on at steps 1-2 only, unit 1 also at step 3, unit 2 on at 1-2 less clearly.
TEXT_HIDDEN = [
    [0.1, 0.0, 0.3],
    [0.9, 0.7, 0.95],
    [0.8, 0.6, 0.99],
    [0.2, 0.6, 0.1],
    [0.0, 0.0, 0.4],
]


@pytest.fixture(scope="module")
def one_text() -> StateCloud:
    return cloud_of(TEXT_HIDDEN, "BTSSX", [0, 1, 2, 3, 4], [0] * 5, texts=["BTSSX"])


def test_select_finds_units_on_inside_and_off_outside(one_text):
    chosen = select(one_text, 1, 2, 0.5)
    assert [unit.unit for unit in chosen] == [0, 2]  # unit 1 stays on at step 3
    first, second = chosen
    assert (first.inside_min, first.outside_max, first.score) == pytest.approx((0.8, 0.2, 0.6))
    assert (second.inside_min, second.outside_max, second.score) == pytest.approx((0.95, 0.4, 0.55))
    assert [unit.unit for unit in select(one_text, 1, 3, 0.5)] == [1]
    assert select(one_text, 0, 0, 0.5) == []


def test_select_over_the_whole_text_has_nothing_outside(one_text):
    chosen = select(one_text, 0, 4, -0.5)
    assert [unit.unit for unit in chosen] == [2, 0, 1]  # by inside_min: 0.1, 0.0, 0.0 (ties by unit)
    assert all(unit.outside_max is None for unit in chosen)
    assert chosen[0].score == pytest.approx(0.1 + 0.5)


@pytest.mark.parametrize(
    ("start", "end", "threshold", "target", "words"),
    [
        (2, 1, 0.5, "h", "start <= end"),
        (0, 5, 0.5, "h", "steps 0..4"),
        (-1, 2, 0.5, "h", "not within"),
        (0, 1, float("nan"), "h", "finite"),
        (0, 1, 0.5, "c", "no state 'c'"),
    ],
)
def test_bad_selections_are_refused_in_words(one_text, start, end, threshold, target, words):
    with pytest.raises(AnalysisInputError, match=words):
        select(one_text, start, end, threshold, target)


def test_select_needs_one_text(two_strings):
    with pytest.raises(AnalysisInputError, match="exactly one text"):
        select(two_strings, 0, 1, 0.5)
