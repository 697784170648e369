"""Schemas of POST /models/{name}/generate: the model writes, from a prefix, with each step's distribution.

The body is strict and bounded here; what depends on the model (a task that cannot write, a
prefix its task refuses, more probabilities than an answer may carry) is checked by the engine
(app/core/analysis/generate.py) and comes back as a 422 with its message. The response is
written with orjson from the engine's arrays; GenerateOut documents it.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from app.api.schemas.traces import MAX_INPUT_CHARS
from app.core.analysis.generate import MAX_SAMPLES, MAX_STEPS, MAX_TEMPERATURE

MAX_SEED = 2**31 - 1


class GenerateIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={"examples": [{"prefix": "BT", "steps": 40, "temperature": 1.0, "seed": 0, "samples": 5}]},
    )

    prefix: str = Field(
        "",
        max_length=MAX_INPUT_CHARS,
        description=(
            "What the model reads before it writes, in the task's own terms (as a trace's `input`). "
            "Empty: each sample starts the way the task's sequences start (B for Reber)."
        ),
        examples=["BT"],
    )
    steps: int = Field(
        20, ge=1, le=MAX_STEPS, description=f"At most this many symbols per sample, 1 to {MAX_STEPS}.", examples=[40]
    )
    temperature: float = Field(
        1.0,
        gt=0,
        le=MAX_TEMPERATURE,
        description=(
            "p_k ∝ exp(score_k / temperature), above 0 and at most 10; score is the logit (softmax tasks) or "
            "log σ(logit) (Reber tasks, whose sigmoid outputs are normalised). Lower is greedier."
        ),
        examples=[1.0],
    )
    seed: int = Field(0, ge=0, le=MAX_SEED, description="The same seed and request, the same samples.", examples=[0])
    samples: int = Field(1, ge=1, le=MAX_SAMPLES, description=f"How many samples, 1 to {MAX_SAMPLES}.", examples=[5])


class GeneratedStepOut(BaseModel):
    symbol: str = Field(description="The symbol drawn at this step.", examples=["S"])
    p: list[float] = Field(
        description="The distribution it was drawn from, over `vocabulary`.",
        examples=[[0.0, 0.0, 0.0, 0.5, 0.5, 0.0, 0.0]],
    )


class SampleOut(BaseModel):
    text: str = Field(
        description="The whole sequence as typed: prefix (or start) and what was written.", examples=["BTSSXXTVVE"]
    )
    symbols: list[str] = Field(
        description="The same, one symbol per step.", examples=[["B", "T", "S", "S", "X", "X", "T", "V", "V", "E"]]
    )
    given: int = Field(
        description="How many leading symbols were given (the prefix, or the start), not drawn.", examples=[2]
    )
    steps: list[GeneratedStepOut] = Field(
        description="One per drawn symbol.",
        examples=[[{"symbol": "S", "p": [0.0, 0.0, 0.0, 0.5, 0.5, 0.0, 0.0]}]],
    )
    accepted: bool | None = Field(
        description="Grammar tasks: whether the grammar accepts the whole string (complete and legal); else null.",
        examples=[True, None],
    )


class AcceptanceOut(BaseModel):
    accepted: int = Field(description="How many of the samples the grammar accepts (complete and legal).", examples=[4])
    total: int = Field(description="How many samples were drawn.", examples=[5])
    rate: float = Field(
        description="accepted / total: the share of the model's samples that are strings of the grammar.",
        examples=[0.8],
    )


class CompletionOut(BaseModel):
    symbol: str = Field(
        description="A symbol (a word, for fluent) that may come right after the prefix.", examples=["S"]
    )
    p: float = Field(
        description="The model's probability of that symbol coming next, at temperature 1.", examples=[0.49]
    )


class GenerateOut(BaseModel):
    model: str = Field(description="The model that wrote the samples, as named in the path.", examples=["elman-reber"])
    vocabulary: list[str] = Field(
        description="The task's symbols, in the order of every `p`.", examples=[["B", "T", "P", "S", "X", "V", "E"]]
    )
    samples: list[SampleOut] = Field(
        description="The written sequences, in the order drawn, each with every drawn step's distribution.",
        examples=[
            [
                {
                    "text": "BPVVE",
                    "symbols": ["B", "P", "V", "V", "E"],
                    "given": 1,
                    "steps": [{"symbol": "P", "p": [0.0, 0.5, 0.5, 0.0, 0.0, 0.0, 0.0]}],
                    "accepted": True,
                }
            ]
        ],
    )
    acceptance: AcceptanceOut | None = Field(
        description="Grammar tasks: how many samples the grammar accepts; null for other tasks.",
        examples=[{"accepted": 4, "total": 5, "rate": 0.8}, None],
    )
    completions: list[CompletionOut] | None = Field(
        description="The likeliest next symbols after the prefix (at temperature 1), most likely first; "
        "null without a prefix.",
        examples=[[{"symbol": "S", "p": 0.49}, {"symbol": "X", "p": 0.49}], None],
    )
