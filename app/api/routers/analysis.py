"""What did the network learn? POST /api/models/{name}/analysis/states, /automaton, /units, /units/select.

Each route samples seeded sequences from the model's task and collects every state the
model passes through (app/core/analysis/states.py), then projects them (PCA), reads an
automaton off them beside the task's grammar, or profiles one unit. Collecting 2,000
sequences takes a second or more, so the routes are plain `def` (FastAPI's threadpool, off
the event loop) and the last few clouds are kept (CloudCache, keyed by the weights' digest:
a retrained model gets a fresh one), so clicking from unit to unit does not collect again.

The model comes through LoadedModelDep like a trace's, so in classroom mode a visitor reads
exactly the models they can trace (their workspace's and the demos). A `text` is read by
the task as a trace's input is, with the same step limit and the same 422s. The states and
automaton documents carry one entry per point (10^4 to 10^5) and are written by orjson
(compressed as Accept-Encoding allows); the small units documents go through pydantic.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Annotated

from fastapi import APIRouter, Header, Response
from starlette.requests import HTTPConnection

from app.api.deps import LoadedModelDep, ModelName, SettingsDep, Store
from app.api.json_body import json_body, json_body_openapi
from app.api.responses import numpy_response
from app.api.routers.traces import BODY_SLACK, CHAR_BYTES
from app.api.schemas.analysis import (
    AutomatonIn,
    AutomatonOut,
    SelectIn,
    SelectOut,
    StatesIn,
    StatesOut,
    UnitsIn,
    UnitsOut,
)
from app.api.schemas.common import error_responses
from app.api.schemas.traces import MAX_INPUT_CHARS
from app.core.analysis import StateCloud, collect_states, pca, states_of_text
from app.core.analysis.holds import HELD_OUT_SEED, compare, extract
from app.core.analysis.units import profile, select
from app.core.models import LoadedModel
from app.core.store import ModelStore

router = APIRouter(tags=["analysis"])

# A body is a few numbers and at most one text as long as a trace's `input`.
BODY_BYTES = MAX_INPUT_CHARS * CHAR_BYTES + BODY_SLACK
WHY = "a few fields and a text as long as a trace's input"
StatesBody = Annotated[StatesIn, json_body(StatesIn, BODY_BYTES, WHY)]
AutomatonBody = Annotated[AutomatonIn, json_body(AutomatonIn, BODY_BYTES, WHY)]
UnitsBody = Annotated[UnitsIn, json_body(UnitsIn, BODY_BYTES, WHY)]
SelectBody = Annotated[SelectIn, json_body(SelectIn, BODY_BYTES, WHY)]
AcceptEncoding = Annotated[str | None, Header(include_in_schema=False)]

JSON_ONLY = {"content": {"application/json": {}}}


class CloudCache:
    """The last few state clouds by (model folder, name, weights digest, sequences, seed), within a
    byte budget: an LSTM with H = 512 over 2,000 sequences holds ~300 MB of states, and is not kept."""

    def __init__(self, max_bytes: int = 256 * 2**20) -> None:
        self.max_bytes = max_bytes
        self._clouds: OrderedDict[tuple, tuple[int, StateCloud]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, loaded: LoadedModel, folder: str, sequences: int, seed: int) -> StateCloud:
        key = (folder, loaded.name, loaded.metadata.weights_sha256, sequences, seed)
        with self._lock:
            if key in self._clouds:
                self._clouds.move_to_end(key)
                return self._clouds[key][1]
        cloud = collect_states(loaded, sequences, seed)  # outside the lock: seconds for a big cloud
        size = cloud_bytes(cloud)
        with self._lock:
            if size <= self.max_bytes:
                self._clouds[key] = (size, cloud)
                while sum(entry[0] for entry in self._clouds.values()) > self.max_bytes:
                    self._clouds.popitem(last=False)
        return cloud


def cloud_bytes(cloud: StateCloud) -> int:
    tensors = [cloud.hidden, cloud.cell, cloud.output, *cloud.gates.values()]
    return sum(t.numel() * t.element_size() for t in tensors if t is not None)


_guard = threading.Lock()


def states_of(
    connection: HTTPConnection, store: ModelStore, loaded: LoadedModel, sequences: int, seed: int
) -> StateCloud:
    """The cloud of `sequences` seeded sequences, from the application's CloudCache."""
    with _guard:
        cache = getattr(connection.app.state, "cloud_cache", None)
        if cache is None:
            cache = connection.app.state.cloud_cache = CloudCache()
    # The folder tells two workspaces' models of the same name apart, as the model cache does.
    return cache.get(loaded, str(store.weights_path(loaded.name).parent), sequences, seed)


def text_states(loaded: LoadedModel, text: str, max_steps: int) -> StateCloud:
    """One typed input's states; the task's 422 for a bad symbol or more than max_steps steps."""
    loaded.task.encode_at_most(text, max_steps)
    return states_of_text(loaded, text)


@router.post(
    "/models/{name}/analysis/states",
    summary="The states the model passes through over seeded sequences, projected by PCA",
    description=(
        "One point per step of every sequence: its PCA coordinates, symbol, step, sequence and "
        "(grammar tasks) grammar state. With `text`, that input's states in the same projection."
    ),
    response_class=Response,
    responses={200: {"model": StatesOut, **JSON_ONLY}, **error_responses(404, 413, 422)},
    openapi_extra=json_body_openapi(StatesIn),
)
def analysis_states(
    body: StatesBody,
    name: ModelName,
    loaded: LoadedModelDep,
    store: Store,
    settings: SettingsDep,
    connection: HTTPConnection,
    accept_encoding: AcceptEncoding = None,
) -> Response:
    cloud = states_of(connection, store, loaded, body.sequences, body.seed)
    projection = pca(cloud.state(body.state), body.components)
    trajectory = None
    if body.text is not None:
        own = text_states(loaded, body.text, settings.max_trace_steps)
        trajectory = {
            "text": body.text,
            "coords": projection.project(own.state(body.state)).numpy(),
            "symbol": own.symbol,
        }
    document = {
        "model": name,
        "sequences": body.sequences,
        "points": cloud.points,
        "state": body.state,
        "components": body.components,
        "explained_variance": projection.explained_variance_ratio,
        "coords": projection.coords.numpy(),
        "symbol": cloud.symbol,
        "step": cloud.step.numpy(),
        "sequence": cloud.sequence.numpy(),
        "grammar_state": cloud.grammar_state,
        "texts": cloud.texts,
        "trajectory": trajectory,
    }
    return numpy_response(document, None, accept_encoding)


@router.post(
    "/models/{name}/analysis/automaton",
    summary="The finite-state machine read off the model's states, beside the task's grammar",
    description=(
        "k-means over h_t (k set, or the smallest k whose machine holds on `held_out` fresh sequences), "
        "transitions by majority vote, minimised; compared with the grammar for reber and embedded_reber "
        "(`grammar`, `agreement` and each state's grammar_state are null for other tasks). A task whose "
        "outputs are numbers has no symbols to predict: 422."
    ),
    response_class=Response,
    responses={200: {"model": AutomatonOut, **JSON_ONLY}, **error_responses(404, 413, 422)},
    openapi_extra=json_body_openapi(AutomatonIn),
)
def analysis_automaton(
    body: AutomatonBody,
    name: ModelName,
    loaded: LoadedModelDep,
    store: Store,
    settings: SettingsDep,
    connection: HTTPConnection,
    accept_encoding: AcceptEncoding = None,
) -> Response:
    own = text_states(loaded, body.text, settings.max_trace_steps) if body.text is not None else None
    cloud = states_of(connection, store, loaded, body.sequences, body.seed)
    fresh = states_of(connection, store, loaded, body.held_out, body.seed + HELD_OUT_SEED)
    automaton, trials = extract(cloud, fresh, body.k, body.seed)
    comparison = compare(automaton, cloud, fresh, loaded)
    order = {symbol: i for i, symbol in enumerate(automaton.vocabulary)}
    document = {
        "model": name,
        "k": automaton.k,
        "k_search": [{"k": t.k, "states": t.states, "agreement": t.agreement} for t in trials],
        "states": [
            {
                "id": state.id,
                "size": state.size,
                "next": sorted(state.next, key=order.__getitem__),
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
        "purity": comparison.purity,
        "fidelity": comparison.fidelity,
        "held_out_steps": comparison.steps,
        "grammar": comparison.grammar,
        "point_state": automaton.point_state.numpy(),
        "text_states": None if own is None else automaton.states_of(own).numpy(),
    }
    return numpy_response(document, None, accept_encoding)


@router.post(
    "/models/{name}/analysis/units",
    response_model=UnitsOut,
    summary="One unit's profile: its means by symbol, grammar state and step, its top contexts, the units like it",
    responses=error_responses(404, 413, 422),
    openapi_extra=json_body_openapi(UnitsIn),
)
def analysis_unit(
    body: UnitsBody, name: ModelName, loaded: LoadedModelDep, store: Store, connection: HTTPConnection
) -> dict:
    cloud = states_of(connection, store, loaded, body.sequences, body.seed)
    unit = profile(cloud, body.target, body.unit, body.top)
    grammar = unit.by_grammar_state
    return {
        "model": name,
        "unit": unit.unit,
        "target": unit.target,
        "by_symbol": [{"symbol": g.key, "mean": g.mean, "count": g.count} for g in unit.by_symbol],
        "by_grammar_state": None
        if grammar is None
        else [{"grammar_state": g.key, "mean": g.mean, "count": g.count} for g in grammar],
        "by_step": [{"step": g.key, "mean": g.mean, "count": g.count} for g in unit.by_step],
        "top_contexts": [vars(c) for c in unit.top_contexts],
        "similar": [vars(s) for s in unit.similar],
    }


@router.post(
    "/models/{name}/analysis/units/select",
    response_model=SelectOut,
    summary="The units on over a marked range of steps of a text and off everywhere else in it (LSTMVis)",
    responses=error_responses(404, 413, 422),
    openapi_extra=json_body_openapi(SelectIn),
)
def analysis_select(body: SelectBody, name: ModelName, loaded: LoadedModelDep, settings: SettingsDep) -> dict:
    own = text_states(loaded, body.text, settings.max_trace_steps)
    chosen = select(own, body.start, body.end, body.threshold, body.target)
    return {"model": name, "units": [vars(unit) for unit in chosen]}
