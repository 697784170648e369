"""What did the network learn? POST /api/models/{name}/analysis/states, /automaton, /units, /units/select.

Each route samples seeded sequences from the model's task and collects every state the
model passes through (app/core/analysis/states.py), then projects them (PCA), reads an
automaton off them beside the task's grammar, or profiles one unit. Collecting 2,000
sequences takes a second or more, so the routes are plain `def` (FastAPI's threadpool, off
the event loop), and the clouds and machines are kept (app/api/analysis_cache.py, keyed by
the weights' digest: a retrained model gets fresh ones), so clicking from unit to unit, or
asking for the automaton again with another `text`, computes nothing twice.

The model comes through LoadedModelDep like a trace's, so in classroom mode a visitor reads
exactly the models they can trace (their workspace's and the demos). A `text` is read by
the task as a trace's input is, with the same step limit and the same 422s. The states and
automaton documents carry one entry per point (10^4 to 10^5) and are written by orjson
(compressed as Accept-Encoding allows); the small units documents go through pydantic.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Response
from starlette.requests import HTTPConnection

from app.api.analysis_cache import AnalysisCache, analysis_cache, cloud_bytes
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
from app.core.analysis.plain import automaton_document, selection_document, states_document, unit_document
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


def model_key(store: ModelStore, loaded: LoadedModel) -> tuple:
    """What tells this model's results apart: its folder (two workspaces may each have an "m"),
    name and weights' digest (a retrained model is analysed afresh)."""
    return (str(store.weights_path(loaded.name).parent), loaded.name, loaded.metadata.weights_sha256)


def states_of(cache: AnalysisCache, store: ModelStore, loaded: LoadedModel, sequences: int, seed: int) -> StateCloud:
    """The states of `sequences` sequences sampled with `seed`, collected once."""
    key = ("cloud", *model_key(store, loaded), sequences, seed)
    return cache.remember(key, lambda: collect_states(loaded, sequences, seed), cloud_bytes)


def machine_of(cache: AnalysisCache, store: ModelStore, loaded: LoadedModel, body: AutomatonIn):
    """(automaton, k trials, comparison) for the body's sequences, seed, k and held-out count, extracted once."""

    def extraction():
        cloud = states_of(cache, store, loaded, body.sequences, body.seed)
        fresh = states_of(cache, store, loaded, body.held_out, body.seed + HELD_OUT_SEED)
        automaton, trials = extract(cloud, fresh, body.k, body.seed)
        return automaton, trials, compare(automaton, cloud, fresh, loaded)

    def size(result) -> int:  # point_state and the clusters' centres; the rest is small
        automaton = result[0]
        return automaton.point_state.numel() * 8 + automaton.clusters.centres.numel() * 4 + 2**16

    key = ("automaton", *model_key(store, loaded), body.sequences, body.seed, body.k, body.held_out)
    return cache.remember(key, extraction, size)


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
    own = text_states(loaded, body.text, settings.max_trace_steps) if body.text is not None else None
    cloud = states_of(analysis_cache(connection), store, loaded, body.sequences, body.seed)
    projection = pca(cloud.state(body.state), body.components)
    document = {"model": name, **states_document(cloud, projection, body.state, body.text, own)}
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
    automaton, trials, comparison = machine_of(analysis_cache(connection), store, loaded, body)
    text_path = None if own is None else automaton.states_of(own).numpy()
    document = {"model": name, **automaton_document(automaton, trials, comparison, text_path)}
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
    cloud = states_of(analysis_cache(connection), store, loaded, body.sequences, body.seed)
    return {"model": name, **unit_document(profile(cloud, body.target, body.unit, body.top))}


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
    return {"model": name, **selection_document(chosen)}
