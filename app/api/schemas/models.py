"""Schemas of the model resource: creating a model, the listing, the detail and the weights."""

from __future__ import annotations

import json
import math
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.api.schemas.catalog import TaskOut
from app.core.architectures import MAX_HIDDEN_SIZE
from app.core.store import NAME_PATTERN, InvalidName, validate_name

# Seeds travel through JSON to a browser, whose numbers are exact only up to 2^53;
# torch.manual_seed accepts anything below 2^64. 2^32 - 1 is plenty and safe for both.
MAX_SEED = 2**32 - 1

# The config keys a model is rebuilt from (app.core.architectures.ModelConfig).
CONFIG_KEYS = ("architecture", "input_size", "output_size", "hidden_size", "activation")

NAME_DESCRIPTION = (
    "1 to 64 characters: lower-case letters a-z, digits, '-' and '_', starting with a letter or digit. "
    "A name is never used as a path."
)


class ModelCreate(BaseModel):
    """What POST /models needs to build and store a fresh, untrained model."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"name": "reber-lstm", "architecture": "lstm", "task": "reber", "hidden_size": 16},
                {"name": "fluent-gru", "architecture": "gru", "task": "fluent", "hidden_size": 32,
                 "seed": 7, "task_options": {"distance": 12}},
            ]
        },
    )

    name: str = Field(
        description=NAME_DESCRIPTION,
        examples=["reber-lstm"],
        json_schema_extra={"pattern": NAME_PATTERN.pattern},
    )
    architecture: str = Field(description="Cell family id from GET /architectures.", examples=["lstm", "elman"])
    task: str = Field(description="Task id from GET /tasks.", examples=["reber", "adding"])
    hidden_size: int = Field(
        ge=1, le=MAX_HIDDEN_SIZE,
        description="Units H in the hidden state (the server may set a lower limit, UNROLLED_MAX_HIDDEN_SIZE).",
        examples=[16],
    )
    seed: int = Field(0, ge=0, le=MAX_SEED, description="Seed of the initial weights.", examples=[0, 42])
    activation: str | None = Field(
        None,
        description="Cell nonlinearity; one of the architecture's `activations`. Default: its first.",
        examples=["tanh", "relu"],
    )
    task_options: dict[str, Any] = Field(
        default_factory=dict,
        description="Task options (see the task's options_spec); unknown options are refused.",
        examples=[{"max_length": 30}],
    )

    @field_validator("name")
    @classmethod
    def _name_is_legal(cls, value: str) -> str:
        # validate_name's message says the rule in words, unlike a bare regex mismatch.
        try:
            return validate_name(value)
        except InvalidName as exc:  # not a ValueError, which is what pydantic reports as a 422
            raise ValueError(str(exc)) from None

    @field_validator("task_options")
    @classmethod
    def _options_are_storable(cls, value: dict[str, Any]) -> dict[str, Any]:
        # JSON may carry lone surrogates ("\\ud800") that no UTF-8 file can hold;
        # refuse them here rather than when the metadata is written.
        try:
            json.dumps(value, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("task options must be valid Unicode text (a lone surrogate is not)") from None
        return value


class ModelConfigOut(BaseModel):
    architecture: str = Field(description="Cell family id.", examples=["lstm"])
    input_size: int = Field(description="Size I of x_t.", examples=[7])
    output_size: int = Field(description="Size O of y_t.", examples=[7])
    hidden_size: int = Field(description="Units H in h_t.", examples=[16])
    activation: str | None = Field(description="Cell nonlinearity.", examples=["tanh"])


class HistoryPointOut(BaseModel):
    step: int = Field(description="Training step (optimizer updates since creation).", examples=[500])
    loss: float | None = Field(description="Mean loss at that step; null if it was not finite.", examples=[0.41])
    metric: float | None = Field(description="The task's metric in [0, 1]; null if not measured.", examples=[0.93])
    grad_norm: float | None = Field(
        None, description="Gradient norm before clipping; null if not finite or not recorded.", examples=[1.7]
    )

    @classmethod
    def points_of(cls, history: object) -> list["HistoryPointOut"]:
        """The well-formed points of a stored history; anything else is skipped."""
        points = []
        for point in history if isinstance(history, list) else ():
            step = _whole(point.get("step")) if isinstance(point, dict) else None
            if step is not None:
                points.append(cls(step=step, loss=_number(point.get("loss")), metric=_number(point.get("metric")),
                                  grad_norm=_number(point.get("grad_norm"))))
        return points


class ModelSummaryOut(BaseModel):
    """One row of GET /models. A model whose files cannot be read still lists, with `error` set."""

    name: str = Field(description="The model's name.", examples=["reber-lstm"])
    architecture: str | None = Field(description="Cell family id; null for a broken entry.", examples=["lstm"])
    task: str | None = Field(description="Task id; null for a broken entry.", examples=["reber"])
    hidden_size: int | None = Field(description="Units H; null for a broken entry.", examples=[16])
    parameter_count: int | None = Field(description="Number of weights.", examples=[1655])
    total_steps: int = Field(description="Training steps so far.", examples=[2000])
    updated_at: str | None = Field(description="Last save, ISO 8601 UTC.", examples=["2024-05-01T12:00:00.000Z"])
    last_loss: float | None = Field(description="Loss of the latest history point.", examples=[0.12])
    last_metric: float | None = Field(description="Metric of the latest history point.", examples=[0.98])
    error: str | None = Field(
        description="Why the model cannot be used (damaged or missing file); null for a healthy model.",
        examples=[None, "m.json: not valid JSON (JSONDecodeError: Expecting value)"],
    )

    @classmethod
    def from_listing(cls, name: str, document: dict | None, error: str | None) -> "ModelSummaryOut":
        """A row from stored metadata, read defensively: one odd file must not break the listing."""
        document = _mapping(document)
        config, task = _mapping(document.get("config")), _mapping(document.get("task"))
        history = document.get("history")
        last = _mapping(history[-1]) if isinstance(history, list) and history else {}
        return cls(
            name=name,
            architecture=_text(config.get("architecture")),
            task=_text(task.get("id")),
            hidden_size=_whole(config.get("hidden_size")),
            parameter_count=_whole(document.get("parameter_count")),
            total_steps=_whole(document.get("total_steps")) or 0,
            updated_at=_text(document.get("updated_at")),
            last_loss=_number(last.get("loss")),
            last_metric=_number(last.get("metric")),
            error=error,
        )


class SpeedOut(BaseModel):
    steps_per_s: float = Field(description="Training steps per second.", examples=[729.1])
    batch_size: int = Field(description="Sequences per step when measured.", examples=[32])
    torch_threads: int = Field(description="torch intra-op threads when measured.", examples=[1])

    @classmethod
    def of(cls, value: object) -> "SpeedOut | None":
        value = _mapping(value)
        steps_per_s, batch, threads = _number(value.get("steps_per_s")), _whole(value.get("batch_size")), _whole(value.get("torch_threads"))
        if steps_per_s is None or batch is None or threads is None:
            return None
        return cls(steps_per_s=steps_per_s, batch_size=batch, torch_threads=threads)


class ModelDetailOut(BaseModel):
    """Everything about one model except its weights."""

    name: str = Field(description="The model's name.", examples=["reber-lstm"])
    config: ModelConfigOut = Field(
        description="The architecture config the weights fit.",
        examples=[{"architecture": "lstm", "input_size": 7, "output_size": 7, "hidden_size": 32, "activation": "tanh"}],
    )
    task: TaskOut = Field(
        description="The task with this model's options, as GET /tasks describes it.",
        examples=[{"id": "reber", "title": "Reber grammar", "options": {"max_length": 40}}],
    )
    parameter_count: int | None = Field(description="Number of weights.", examples=[1655])
    seed: int | None = Field(description="Seed of the initial weights.", examples=[0])
    total_steps: int = Field(description="Training steps so far.", examples=[2000])
    training_time_s: float = Field(description="Seconds spent training, all runs together.", examples=[12.5])
    last_training: dict[str, Any] | None = Field(
        description="The latest run: status, finished_at, steps_per_s and its config; null if never trained.",
        examples=[{"status": "done", "finished_at": "2024-05-01T12:00:00Z", "steps_per_s": 310.0,
                   "config": {"steps": 2000, "batch_size": 32, "learning_rate": 0.01}}],
    )
    created_at: str | None = Field(description="Creation time, ISO 8601 UTC.", examples=["2024-05-01T11:00:00.000Z"])
    updated_at: str | None = Field(description="Last save, ISO 8601 UTC.", examples=["2024-05-01T12:00:00.000Z"])
    history: list[HistoryPointOut] = Field(
        description="Training curve, thinned evenly to at most a few thousand points.",
        examples=[[{"step": 100, "loss": 0.9, "metric": 0.4, "grad_norm": 2.1}]],
    )
    note: str | None = Field(
        None, description="What the model shows, in a sentence (the demo models carry one).",
        examples=["An Elman net that has learnt the Reber grammar."],
    )
    speed: SpeedOut | None = Field(
        None, description="Training speed measured like for like across the demo models (python -m app.demo_models).",
        examples=[{"steps_per_s": 959.4, "batch_size": 32, "torch_threads": 1}],
    )

    @classmethod
    def from_metadata(cls, name: str, metadata: dict, task_description: dict) -> "ModelDetailOut":
        """The detail of a stored model; `task_description` is its rebuilt task's describe()."""
        config = _mapping(metadata.get("config"))
        last_training = metadata.get("last_training")
        return cls(
            name=name,
            config=ModelConfigOut(**{key: config.get(key) for key in CONFIG_KEYS}),
            task=TaskOut(**task_description),
            parameter_count=_whole(metadata.get("parameter_count")),
            seed=_whole(metadata.get("seed")),
            total_steps=_whole(metadata.get("total_steps")) or 0,
            training_time_s=_number(metadata.get("training_time_s")) or 0.0,
            last_training=last_training if isinstance(last_training, dict) else None,
            created_at=_text(metadata.get("created_at")),
            updated_at=_text(metadata.get("updated_at")),
            history=HistoryPointOut.points_of(metadata.get("history")),
            note=_text(metadata.get("note")),
            speed=SpeedOut.of(metadata.get("speed")),
        )


class TensorOut(BaseModel):
    shape: list[int] = Field(description="The torch.nn shape.", examples=[[16, 7]])
    data: list[Any] = Field(
        description="The values as nested lists in that shape (row-major); a non-finite value is null.",
        examples=[[[0.1, -0.2], [0.05, 0.3]]],
    )


class WeightsOut(BaseModel):
    tensors: dict[str, TensorOut] = Field(
        description="Tensor name (torch.nn naming: rnn.weight_ih_l0, readout.weight, ...) -> shape and values.",
        examples=[{"readout.bias": {"shape": [2], "data": [0.1, -0.1]}}],
    )


# ----- reading stored JSON defensively -------------------------------------------
# Metadata files are checked by the store only for what it relies on; the rest
# could be anything a person or another version wrote, so every field is read
# through one of these and an odd value becomes null instead of a 500.


def _mapping(value: object) -> dict:
    return value if isinstance(value, dict) else {}


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _whole(value: object) -> int | None:
    return value if type(value) is int else None  # bool is an int subclass, not a count


def _number(value: object) -> float | None:
    if type(value) in (int, float) and math.isfinite(value):
        return float(value)
    return None
