"""Schemas of "what did it learn?": POST /models/{name}/analysis/states, /automaton, /units, /units/select.

The bodies are strict (a number is a JSON number) and bounded here; what depends on the
model (a unit past its hidden size, a gate it lacks, steps past the text) is checked by
the engine (app/core/analysis), whose AnalysisInputError becomes a 422 with its message.
The responses are written from the engine's tensors with orjson (the states route sends
10^4 to 10^5 numbers), so the *Out models below document them and are not validated.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.api.schemas.catalog import GrammarOut
from app.api.schemas.traces import MAX_INPUT_CHARS
from app.core.analysis.automaton import K_MAX, K_MIN
from app.core.analysis.holds import MAX_HELD_OUT
from app.core.analysis.states import MAX_SEQUENCES
from app.core.analysis.units import MAX_TOP

MAX_SEED = 2**31 - 1
# "h", "c" or "gate:<name>"; which of them a model has is the engine's to say.
TARGET_PATTERN = r"^(h|c|gate:[A-Za-z0-9_]{1,16})$"

STRICT = ConfigDict(extra="forbid", strict=True)


def _sequences(default: int):
    return Field(
        default,
        ge=1,
        le=MAX_SEQUENCES,
        description=f"How many sequences to sample from the model's task, 1 to {MAX_SEQUENCES}.",
        examples=[default],
    )


def _seed():
    return Field(
        0, ge=0, le=MAX_SEED, description="Seeds the sampled sequences: the same seed, the same states.", examples=[0]
    )


def _text(description: str):
    return Field(None, min_length=1, max_length=MAX_INPUT_CHARS, description=description, examples=["BTSSXXTVVE"])


TEXT_STATES = "A person's input (as for a trace), whose states are also given, in the same terms."


class StatesIn(BaseModel):
    model_config = STRICT

    sequences: int = _sequences(200)
    seed: int = _seed()
    components: Literal[2, 3] = Field(2, description="PCA components: 2 or 3.", examples=[2])
    state: Literal["h", "c"] = Field("h", description="Project h_t, or the LSTM's cell state c_t.", examples=["h"])
    text: str | None = _text(TEXT_STATES)


class Trajectory(BaseModel):
    text: str = Field(examples=["BTSSXXTVVE"])
    coords: list[list[float]] = Field(description="(T, components) the text's states, projected.")
    symbol: list[str] = Field(description="(T) the symbol read at each step.")


class StatesOut(BaseModel):
    model: str
    sequences: int
    points: int = Field(description="P, the steps of every sequence together.")
    state: Literal["h", "c"]
    components: int
    explained_variance: list[float] = Field(description="Per component, the share of the variance it explains.")
    coords: list[list[float]] = Field(description="(P, components) each point projected.")
    symbol: list[str] = Field(description="(P) the symbol read at the point's step.")
    step: list[int] = Field(description="(P) the step within its sequence, from 0.")
    sequence: list[int] = Field(description="(P) the index of its sequence in `texts`.")
    grammar_state: list[str] | None = Field(description="(P) the grammar state after the step; null without one.")
    texts: list[str] = Field(description="The sampled sequences, as a person would type them.")
    trajectory: Trajectory | None = Field(description="The `text`'s states in the same projection; null without.")


class AutomatonIn(BaseModel):
    model_config = STRICT

    sequences: int = _sequences(400)
    seed: int = _seed()
    k: int | None = Field(
        None,
        ge=K_MIN,
        le=K_MAX,
        description=f"Clusters of k-means, {K_MIN} to {K_MAX}; null searches for the smallest k that holds.",
        examples=[None, 8],
    )
    held_out: int = Field(
        300,
        ge=1,
        le=MAX_HELD_OUT,
        description=f"Fresh sequences (1 to {MAX_HELD_OUT}) the automaton is checked on, drawn apart from the others.",
        examples=[300],
    )
    text: str | None = _text("A person's input: the automaton state of each of its steps is given too.")


class ExtractedState(BaseModel):
    id: int
    size: int = Field(description="Points of the collected states in it (the start: the sequences).")
    next: list[str] = Field(description="The symbols it predicts may come next, in vocabulary order.")
    grammar_state: str | None = Field(description="The grammar state most of its points are in; null without one.")
    purity: float | None = Field(description="The share of its points in that grammar state; null without one.")
    accepting: bool = Field(description="Most of its points end their sequence.")
    clusters: list[int] = Field(description="The k-means clusters merged into it (none for the start).")


class AutomatonTransition(BaseModel):
    from_: int = Field(alias="from")
    to: int
    symbol: str
    count: int = Field(description="Points that voted for it.")


class KTried(BaseModel):
    k: int
    states: int = Field(description="States after minimisation, the start included.")
    agreement: float = Field(
        description="What the search judged by on the held-out sequences: agreement with the grammar, or "
        "fidelity to the network for a task without one."
    )


class AutomatonOut(BaseModel):
    model: str
    k: int
    k_search: list[KTried]
    states: list[ExtractedState]
    start: int
    transitions: list[AutomatonTransition]
    agreement: float | None = Field(
        description="The share of steps of fresh strings where its predicted next symbols equal the grammar's legal "
        "ones; null without a grammar."
    )
    purity: float | None = Field(description="The share of all points in their state's grammar state.")
    fidelity: float = Field(
        description="The share of held-out steps where its predicted next symbols equal the network's own."
    )
    held_out_steps: int = Field(description="The held-out steps agreement and fidelity count.")
    grammar: GrammarOut | None = Field(description="The task's grammar as GET /tasks gives it; null without one.")
    point_state: list[int] = Field(description="The state of each point, in /analysis/states' order (same body).")
    text_states: list[int] | None = Field(
        description="The state of each step of `text` (its states' nearest cluster); null without a text."
    )


class UnitsIn(BaseModel):
    model_config = STRICT

    sequences: int = _sequences(200)
    seed: int = _seed()
    target: str = Field(
        "h",
        pattern=TARGET_PATTERN,
        description="'h', 'c' (LSTM) or 'gate:<name>' (lstm i f g o, gru r z n).",
        examples=["h", "gate:f"],
    )
    unit: int = Field(ge=0, description="The unit, from 0; past the model's size is a 422.", examples=[3])
    top: int = Field(10, ge=1, le=MAX_TOP, description="Top contexts and similar units to list.", examples=[10])


class GroupMeanOut(BaseModel):
    mean: float
    count: int


class SymbolMean(GroupMeanOut):
    symbol: str


class GrammarStateMean(GroupMeanOut):
    grammar_state: str


class StepMean(GroupMeanOut):
    step: int


class ContextOut(BaseModel):
    sequence: int
    step: int
    value: float
    context: str = Field(description="The symbols read up to the step, its own last ('…' before older ones).")


class SimilarOut(BaseModel):
    unit: int
    correlation: float = Field(description="Pearson correlation with the unit over the collected states.")


class UnitsOut(BaseModel):
    model: str
    unit: int
    target: str
    by_symbol: list[SymbolMean]
    by_grammar_state: list[GrammarStateMean] | None
    by_step: list[StepMean]
    top_contexts: list[ContextOut]
    similar: list[SimilarOut]


class SelectIn(BaseModel):
    model_config = STRICT

    text: str = Field(min_length=1, max_length=MAX_INPUT_CHARS, description="The input.", examples=["BTSSXXTVVE"])
    start: int = Field(ge=0, description="The first marked step, from 0.", examples=[2])
    end: int = Field(ge=0, description="The last marked step (inclusive).", examples=[4])
    threshold: float = Field(0.5, ge=-1e6, le=1e6, description="On is above it, off below it.", examples=[0.5])
    target: str = Field("h", pattern=TARGET_PATTERN, examples=["h"])


class SelectedUnitOut(BaseModel):
    unit: int
    inside_min: float
    outside_max: float | None = Field(description="Null when the range is the whole text.")
    score: float = Field(description="inside_min - outside_max (inside_min - threshold with nothing outside).")


class SelectOut(BaseModel):
    model: str
    units: list[SelectedUnitOut]
