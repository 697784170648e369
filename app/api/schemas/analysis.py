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
    text: str = Field(description="The input whose states these are, as it was sent.", examples=["BTSSXXTVVE"])
    coords: list[list[float]] = Field(
        description="(T, components) the text's states, projected onto the cloud's axes (not refitted).",
        examples=[[[-1.42, 0.31], [0.87, -0.65], [0.12, 1.08]]],
    )
    symbol: list[str] = Field(description="(T) the symbol read at each step.", examples=[["B", "T", "S"]])


class StatesOut(BaseModel):
    model: str = Field(description="The model analysed, as named in the path.", examples=["elman-reber"])
    sequences: int = Field(description="How many sequences were sampled from the model's task.", examples=[200])
    points: int = Field(description="P, the steps of every sequence together.", examples=[1834])
    state: Literal["h", "c"] = Field(
        description="Which state was projected: the hidden state h_t, or the LSTM's cell state c_t.", examples=["h"]
    )
    components: int = Field(description="How many PCA axes the points are projected onto: 2 or 3.", examples=[2])
    explained_variance: list[float] = Field(
        description="Per component, the share of the variance it explains.", examples=[[0.46, 0.21]]
    )
    coords: list[list[float]] = Field(
        description="(P, components) each point projected.", examples=[[[-1.42, 0.31], [0.87, -0.65]]]
    )
    symbol: list[str] = Field(description="(P) the symbol read at the point's step.", examples=[["B", "T"]])
    step: list[int] = Field(description="(P) the step within its sequence, from 0.", examples=[[0, 1]])
    sequence: list[int] = Field(description="(P) the index of its sequence in `texts`.", examples=[[0, 0]])
    grammar_state: list[str] | None = Field(
        description="(P) the grammar state after the step; null without one.", examples=[["1", "2"], None]
    )
    texts: list[str] = Field(
        description="The sampled sequences, as a person would type them.", examples=[["BTSSXXTVVE", "BPVVE"]]
    )
    trajectory: Trajectory | None = Field(
        description="The `text`'s states in the same projection; null without.",
        examples=[{"text": "BT", "coords": [[-1.42, 0.31], [0.87, -0.65]], "symbol": ["B", "T"]}, None],
    )


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
    id: int = Field(
        description="The state's number: 0 is the start (h_0), the others in the order a walk from it meets them.",
        examples=[2],
    )
    size: int = Field(description="Points of the collected states in it (the start: the sequences).", examples=[312])
    next: list[str] = Field(
        description="The symbols it predicts may come next, in vocabulary order.", examples=[["S", "X"]]
    )
    grammar_state: str | None = Field(
        description="The grammar state most of its points are in; null without one.", examples=["2", None]
    )
    purity: float | None = Field(
        description="The share of its points in that grammar state; null without one.", examples=[1.0, None]
    )
    accepting: bool = Field(description="Most of its points end their sequence.", examples=[False])
    clusters: list[int] = Field(description="The k-means clusters merged into it (none for the start).", examples=[[3]])


class AutomatonTransition(BaseModel):
    from_: int = Field(alias="from", description="The state (an `id` of `states`) the symbol is read in.", examples=[1])
    to: int = Field(description="The state the machine moves to on reading the symbol.", examples=[2])
    symbol: str = Field(description="The symbol read.", examples=["T"])
    count: int = Field(description="Points that voted for it.", examples=[188])


class KTried(BaseModel):
    k: int = Field(description="The number of k-means clusters tried.", examples=[9])
    states: int = Field(description="States after minimisation, the start included.", examples=[8])
    agreement: float = Field(
        description="Next symbols on the held-out sequences: agreement with the grammar, or fidelity to the "
        "network for a task without one.",
        examples=[1.0],
    )
    acceptance: float | None = Field(
        description="The share of held-out steps where the machine accepts exactly where the string ends; null "
        "without a grammar. A grammar task's k holds when agreement and acceptance both reach 0.99.",
        examples=[1.0, None],
    )


class AutomatonOut(BaseModel):
    model: str = Field(description="The model analysed, as named in the path.", examples=["elman-reber"])
    k: int = Field(
        description="The k-means clusters the machine was read from: the body's k, or the one the search chose.",
        examples=[9],
    )
    k_search: list[KTried] = Field(
        description="Each k tried, smallest first, with its states and score; just the body's k when one was set.",
        examples=[
            [
                {"k": 8, "states": 7, "agreement": 1.0, "acceptance": 0.87},
                {"k": 9, "states": 8, "agreement": 1.0, "acceptance": 1.0},
            ]
        ],
    )
    states: list[ExtractedState] = Field(
        description="The minimised machine's states, the start first.",
        examples=[
            [
                {
                    "id": 0,
                    "size": 400,
                    "next": ["B"],
                    "grammar_state": None,
                    "purity": None,
                    "accepting": False,
                    "clusters": [],
                }
            ]
        ],
    )
    start: int = Field(
        description="The id of the start state, where every string begins (h_0): always 0.", examples=[0]
    )
    transitions: list[AutomatonTransition] = Field(
        description="The machine's moves: reading `symbol` in state `from` leads to state `to`.",
        examples=[[{"from": 0, "to": 1, "symbol": "B", "count": 400}]],
    )
    agreement: float | None = Field(
        description="The share of steps of fresh strings where its predicted next symbols equal the grammar's legal "
        "ones; null without a grammar.",
        examples=[1.0, None],
    )
    acceptance: float | None = Field(
        description="The share of steps of fresh strings where it accepts exactly where the string ends (its "
        "state after the final symbol told apart from the one before); null without a grammar.",
        examples=[1.0, None],
    )
    purity: float | None = Field(
        description="The share of all points in their state's grammar state; null without a grammar.",
        examples=[0.98, None],
    )
    fidelity: float = Field(
        description="The share of held-out steps where its predicted next symbols equal the network's own.",
        examples=[1.0],
    )
    held_out_steps: int = Field(description="The held-out steps agreement and fidelity count.", examples=[2741])
    grammar: GrammarOut | None = Field(
        description="The task's grammar as GET /tasks gives it; null without one.",
        examples=[
            {
                "name": "the Reber grammar",
                "start": "0",
                "states": ["0", "1", "2"],
                "end": ["end"],
                "transitions": [{"from": "0", "to": "1", "symbol": "B"}],
            },
            None,
        ],
    )
    point_state: list[int] = Field(
        description="The state of each point, in /analysis/states' order (same body).", examples=[[1, 2, 3]]
    )
    text_states: list[int] | None = Field(
        description="The state of each step of `text` (its states' nearest cluster); null without a text.",
        examples=[[1, 2, 4], None],
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
    mean: float = Field(description="The unit's mean value over the points of this group.", examples=[0.73])
    count: int = Field(description="How many points the mean is over.", examples=[412])


class SymbolMean(GroupMeanOut):
    symbol: str = Field(description="The group: the points where this symbol was just read.", examples=["T"])


class GrammarStateMean(GroupMeanOut):
    grammar_state: str = Field(
        description="The group: the points after which the grammar is in this state.", examples=["2"]
    )


class StepMean(GroupMeanOut):
    step: int = Field(description="The group: the points at this step of their sequence, from 0.", examples=[3])


class ContextOut(BaseModel):
    sequence: int = Field(description="The index of the sampled sequence the point is in.", examples=[17])
    step: int = Field(description="The step within that sequence, from 0.", examples=[4])
    value: float = Field(description="The unit's value at that step.", examples=[0.98])
    context: str = Field(
        description="The symbols read up to the step, its own last ('…' before older ones).", examples=["BTSSX"]
    )


class SimilarOut(BaseModel):
    unit: int = Field(description="Another unit of the same target, from 0.", examples=[7])
    correlation: float = Field(
        description="Pearson correlation with the unit over the collected states.", examples=[0.91]
    )


class UnitsOut(BaseModel):
    model: str = Field(description="The model analysed, as named in the path.", examples=["elman-reber"])
    unit: int = Field(description="The unit profiled, from 0.", examples=[3])
    target: str = Field(description="Which activations the unit is in: 'h', 'c' or 'gate:<name>'.", examples=["h"])
    by_symbol: list[SymbolMean] = Field(
        description="The unit's mean after each input symbol, symbols in alphabetical order.",
        examples=[[{"symbol": "B", "mean": -0.12, "count": 200}, {"symbol": "T", "mean": 0.73, "count": 412}]],
    )
    by_grammar_state: list[GrammarStateMean] | None = Field(
        description="The unit's mean in each grammar state (natural order); null for a task without a grammar.",
        examples=[[{"grammar_state": "1", "mean": -0.12, "count": 200}], None],
    )
    by_step: list[StepMean] = Field(
        description="The unit's mean at each step of the sequences, from 0.",
        examples=[[{"step": 0, "mean": -0.12, "count": 200}, {"step": 1, "mean": 0.40, "count": 200}]],
    )
    top_contexts: list[ContextOut] = Field(
        description="The steps where the unit is highest, highest first, each with the symbols that led there "
        "(a context already listed is not listed again lower down).",
        examples=[[{"sequence": 17, "step": 4, "value": 0.98, "context": "BTSSX"}]],
    )
    similar: list[SimilarOut] = Field(
        description="The units whose values move most like this one's, most positively correlated first "
        "(itself and constant units left out).",
        examples=[[{"unit": 7, "correlation": 0.91}]],
    )


class SelectIn(BaseModel):
    model_config = STRICT

    text: str = Field(min_length=1, max_length=MAX_INPUT_CHARS, description="The input.", examples=["BTSSXXTVVE"])
    start: int = Field(ge=0, description="The first marked step, from 0.", examples=[2])
    end: int = Field(ge=0, description="The last marked step (inclusive).", examples=[4])
    threshold: float = Field(0.5, ge=-1e6, le=1e6, description="On is above it, off below it.", examples=[0.5])
    target: str = Field(
        "h",
        pattern=TARGET_PATTERN,
        description="Which activations to search: 'h', 'c' (LSTM) or 'gate:<name>' (lstm i f g o, gru r z n).",
        examples=["h"],
    )


class SelectedUnitOut(BaseModel):
    unit: int = Field(description="A unit on at every marked step and off at every other step, from 0.", examples=[5])
    inside_min: float = Field(description="The unit's lowest value over the marked steps.", examples=[0.82])
    outside_max: float | None = Field(
        description="The unit's highest value over the other steps of the text; null when the range is the whole text.",
        examples=[0.11, None],
    )
    score: float = Field(
        description="inside_min - outside_max (inside_min - threshold with nothing outside): how cleanly the unit "
        "separates the range from the rest.",
        examples=[0.71],
    )


class SelectOut(BaseModel):
    model: str = Field(description="The model analysed, as named in the path.", examples=["elman-reber"])
    units: list[SelectedUnitOut] = Field(
        description="The units that pick out the marked range, best separated (highest score) first; "
        "empty when none do.",
        examples=[[{"unit": 5, "inside_min": 0.82, "outside_max": 0.11, "score": 0.71}]],
    )
