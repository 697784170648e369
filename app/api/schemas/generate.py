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
    steps: int = Field(20, ge=1, le=MAX_STEPS, description=f"At most this many symbols per sample, 1 to {MAX_STEPS}.")
    temperature: float = Field(
        1.0,
        gt=0,
        le=MAX_TEMPERATURE,
        description=(
            "p_k ∝ exp(score_k / temperature), above 0 and at most 10; score is the logit (softmax tasks) or "
            "log σ(logit) (Reber tasks, whose sigmoid outputs are normalised). Lower is greedier."
        ),
    )
    seed: int = Field(0, ge=0, le=MAX_SEED, description="The same seed and request, the same samples.")
    samples: int = Field(1, ge=1, le=MAX_SAMPLES, description=f"How many samples, 1 to {MAX_SAMPLES}.")


class GeneratedStepOut(BaseModel):
    symbol: str = Field(description="The symbol drawn at this step.", examples=["S"])
    p: list[float] = Field(description="The distribution it was drawn from, over `vocabulary`.")


class SampleOut(BaseModel):
    text: str = Field(description="The whole sequence as typed: prefix (or start) and what was written.")
    symbols: list[str] = Field(description="The same, one symbol per step.")
    given: int = Field(description="How many leading symbols were given (the prefix, or the start), not drawn.")
    steps: list[GeneratedStepOut] = Field(description="One per drawn symbol.")
    accepted: bool | None = Field(
        description="Grammar tasks: whether the grammar accepts the whole string (complete and legal); else null."
    )


class AcceptanceOut(BaseModel):
    accepted: int
    total: int
    rate: float


class CompletionOut(BaseModel):
    symbol: str
    p: float


class GenerateOut(BaseModel):
    model: str
    vocabulary: list[str] = Field(description="The task's symbols, in the order of every `p`.")
    samples: list[SampleOut]
    acceptance: AcceptanceOut | None = Field(description="Grammar tasks: how many samples the grammar accepts.")
    completions: list[CompletionOut] | None = Field(
        description="The likeliest next symbols after the prefix (at temperature 1), most likely first; "
        "null without a prefix."
    )
