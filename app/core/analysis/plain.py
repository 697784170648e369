"""The analysis results as plain data: the documents the API sends and `analyze --json` prints.

One builder per result, so the page, the API and the command line read the same fields
(docs/api.md, "What did it learn?"). Per-point arrays stay numpy (the API's orjson writes
them directly, the command line turns them into lists); everything else is built-in types.
"""

from __future__ import annotations

import numpy as np

from app.core.analysis.automaton import Automaton
from app.core.analysis.holds import Comparison, KTrial
from app.core.analysis.pca import Projection
from app.core.analysis.states import StateCloud
from app.core.analysis.units import SelectedUnit, UnitProfile


def states_document(
    cloud: StateCloud, projection: Projection, state: str, text: str | None = None, own: StateCloud | None = None
) -> dict:
    """The cloud in PCA coordinates; with `own` (the states of `text`) its trajectory in the same ones."""
    trajectory = None
    if own is not None:
        coords = projection.project(own.state(state)).numpy()
        trajectory = {"text": text, "coords": coords, "symbol": own.symbol}
    return {
        "sequences": len(cloud.texts),
        "points": cloud.points,
        "state": state,
        "components": projection.axes.shape[0],
        "explained_variance": projection.explained_variance_ratio,
        "coords": projection.coords.numpy(),
        "symbol": cloud.symbol,
        "step": cloud.step.numpy(),
        "sequence": cloud.sequence.numpy(),
        "grammar_state": cloud.grammar_state,
        "texts": cloud.texts,
        "trajectory": trajectory,
    }


def automaton_document(
    automaton: Automaton, trials: list[KTrial], comparison: Comparison, text_states: np.ndarray | None = None
) -> dict:
    """The machine, how k was found, and the comparison with the grammar (null fields without one)."""
    order = {symbol: i for i, symbol in enumerate(automaton.vocabulary)}
    return {
        "k": automaton.k,
        "k_search": [
            {"k": t.k, "states": t.states, "agreement": t.agreement, "acceptance": t.acceptance} for t in trials
        ],
        "states": [
            {
                "id": state.id,
                "size": state.size,
                "next": sorted(state.next, key=lambda symbol: (order.get(symbol, len(order)), symbol)),
                "grammar_state": comparison.mapping.get(state.id),
                "purity": comparison.state_purity.get(state.id),
                "accepting": state.accepting,
                "clusters": list(state.clusters),
            }
            for state in automaton.states
        ],
        "start": automaton.start,
        "transitions": [
            {"from": t.source, "to": t.target, "symbol": t.symbol, "count": t.count} for t in automaton.transitions
        ],
        "agreement": comparison.agreement,
        "acceptance": comparison.acceptance,
        "purity": comparison.purity,
        "fidelity": comparison.fidelity,
        "held_out_steps": comparison.steps,
        "grammar": comparison.grammar,
        "point_state": automaton.point_state.numpy(),
        "text_states": text_states,
    }


def unit_document(unit: UnitProfile) -> dict:
    grammar = unit.by_grammar_state
    return {
        "unit": unit.unit,
        "target": unit.target,
        "by_symbol": [{"symbol": g.key, "mean": g.mean, "count": g.count} for g in unit.by_symbol],
        "by_grammar_state": None
        if grammar is None
        else [{"grammar_state": g.key, "mean": g.mean, "count": g.count} for g in grammar],
        "by_step": [{"step": g.key, "mean": g.mean, "count": g.count} for g in unit.by_step],
        "top_contexts": [vars(context) for context in unit.top_contexts],
        "similar": [vars(similar) for similar in unit.similar],
    }


def selection_document(units: list[SelectedUnit]) -> dict:
    return {"units": [vars(unit) for unit in units]}


def to_plain(document: object) -> object:
    """A document with its numpy arrays as lists, for the standard json module."""
    if isinstance(document, dict):
        return {key: to_plain(value) for key, value in document.items()}
    if isinstance(document, list | tuple):
        return [to_plain(value) for value in document]
    if isinstance(document, np.ndarray):
        return document.tolist()
    return document
