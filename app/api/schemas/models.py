"""Schemas of the model resource: creating a model, the listing, the detail and the weights."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from app.api.schemas.catalog import TaskOut
from app.core.architectures import MAX_HIDDEN_SIZE, GateInit, InvalidInit
from app.core.architectures.init import FORGET_BIAS_LIMIT, MAX_T_MAX, MIN_T_MAX
from app.core.store import NAME_PATTERN, HistoryPoint, InvalidName, ModelMetadata, Speed, validate_name
from app.core.store.metadata import CONFIG_KEYS  # noqa: F401 (the upload checks read it from here)

# Seeds travel through JSON to a browser, whose numbers are exact only up to 2^53;
# torch.manual_seed accepts anything below 2^64. 2^32 - 1 is plenty and safe for both.
MAX_SEED = 2**32 - 1

NAME_DESCRIPTION = (
    "1 to 64 characters: lower-case letters a-z, digits, '-' and '_', starting with a letter or digit. "
    "A name is never used as a path."
)


INIT_EXAMPLE = {"scheme": "chrono", "t_max": 80}


class InitIn(BaseModel):
    """How a new model's gates (or recurrent weights) start; docs/engine.md has the formulas.

    Which schemes a family takes is in GET /architectures (`init_schemes`); a scheme the
    chosen family cannot take is a 422 naming the families that can."""

    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra={"examples": [INIT_EXAMPLE]})

    scheme: Literal["default", "forget_bias", "chrono", "identity"] = Field(
        description=(
            "default: PyTorch's. forget_bias: the LSTM forget gate's (GRU: update gate's) bias set to "
            "`forget_bias`. chrono: that bias drawn from log U[1, t_max - 1] per unit, and the LSTM input "
            "gate's set to its negative (Tallec & Ollivier 2018). identity: W_hh = I and zero biases, "
            "for the relu Elman and shortcut nets (Le, Jaitly & Hinton 2015)."
        ),
        examples=["chrono", "forget_bias"],
    )
    forget_bias: float | None = Field(
        None,
        ge=-FORGET_BIAS_LIMIT,
        le=FORGET_BIAS_LIMIT,
        allow_inf_nan=False,
        description="With forget_bias only: the bias (1 in Jozefowicz et al. 2015; 3-5 opens the gate wide).",
        examples=[1.0],
    )
    t_max: int | None = Field(
        None,
        ge=MIN_T_MAX,
        le=MAX_T_MAX,
        description="With chrono only: the longest dependency, in steps, the gates should span at the start.",
        examples=[80],
    )

    @model_validator(mode="after")
    def _parameter_fits_scheme(self) -> InitIn:
        self.to_gate_init()  # a missing or stray parameter: the engine's message, as a 422
        return self

    def to_gate_init(self) -> GateInit:
        try:
            return GateInit(self.scheme, self.forget_bias, self.t_max)
        except InvalidInit as exc:  # not a ValueError pydantic would report as a 422 on its own
            raise ValueError(str(exc)) from None


class InitOut(BaseModel):
    scheme: str = Field(description="default, forget_bias, chrono or identity (see POST /models).", examples=["chrono"])
    forget_bias: float | None = Field(None, description="The forget_bias scheme's value.", examples=[None])
    t_max: int | None = Field(None, description="The chrono scheme's T_max.", examples=[80])

    @classmethod
    def of(cls, init: GateInit) -> InitOut:
        return cls(scheme=init.scheme, forget_bias=init.forget_bias, t_max=init.t_max)


class ModelCreate(BaseModel):
    """What POST /models needs to build and store a fresh, untrained model.

    Strict: `"hidden_size": true` or `"16"` is refused, not read as 1 or 16."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={
            "examples": [
                {"name": "reber-lstm", "architecture": "lstm", "task": "reber", "hidden_size": 16},
                {
                    "name": "fluent-gru",
                    "architecture": "gru",
                    "task": "fluent",
                    "hidden_size": 32,
                    "seed": 7,
                    "task_options": {"distance": 12},
                },
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
        ge=1,
        le=MAX_HIDDEN_SIZE,
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
    init: InitIn | None = Field(
        None,
        description="How the gates start (see InitIn); null or absent: PyTorch's default.",
        examples=[None, INIT_EXAMPLE, {"scheme": "forget_bias", "forget_bias": 1.0}],
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
    def of(cls, point: HistoryPoint) -> HistoryPointOut:
        return cls(step=point.step, loss=point.loss, metric=point.metric, grad_norm=point.grad_norm)


class ModelPlaceOut(BaseModel):
    """Where a model stands, shown in the listing and the detail alike."""

    read_only: bool = Field(
        default=False,
        description="Classroom mode: a shipped demo model, which no one may train, replace or delete.",
        examples=[False],
    )
    workspace: str | None = Field(
        default=None,
        description="Classroom mode, shown to the teacher only: the workspace the model is in (null: a demo).",
        examples=[None],
    )
    experiment: str | None = Field(
        default=None,
        description=(
            "The experiment that keeps this model as the representative run of one of its grid points "
            "(its stored results name it); null for any other model."
        ),
        examples=[None, "vanishing-gradient"],
    )


class ModelSummaryOut(ModelPlaceOut):
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
    init: InitOut | None = Field(
        None, description="How the model's gates started; null for a broken entry.", examples=[INIT_EXAMPLE]
    )

    @classmethod
    def from_listing(cls, name: str, metadata: ModelMetadata | None, error: str | None) -> ModelSummaryOut:
        """A row of the listing; a model whose metadata cannot be read has only its name and error."""
        if metadata is None:
            return cls(
                name=name,
                architecture=None,
                task=None,
                hidden_size=None,
                parameter_count=None,
                total_steps=0,
                updated_at=None,
                last_loss=None,
                last_metric=None,
                error=error,
            )
        last = metadata.last_point
        return cls(
            name=name,
            architecture=metadata.config.architecture,
            task=metadata.task.id if metadata.task else None,
            hidden_size=metadata.config.hidden_size,
            parameter_count=metadata.parameter_count,
            total_steps=metadata.total_steps,
            updated_at=metadata.updated_at,
            last_loss=last.loss if last else None,
            last_metric=last.metric if last else None,
            error=error,
            init=InitOut.of(metadata.init),
        )


class SpeedOut(BaseModel):
    steps_per_s: float = Field(description="Training steps per second.", examples=[729.1])
    batch_size: int = Field(description="Sequences per step when measured.", examples=[32])
    torch_threads: int = Field(description="torch intra-op threads when measured.", examples=[1])

    @classmethod
    def of(cls, speed: Speed | None) -> SpeedOut | None:
        return None if speed is None else cls(**asdict(speed))


class ModelDetailOut(ModelPlaceOut):
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
    init: InitOut = Field(
        description="How the gates started (default for models made before the option existed).",
        examples=[INIT_EXAMPLE],
    )
    total_steps: int = Field(description="Training steps so far.", examples=[2000])
    training_time_s: float = Field(description="Seconds spent training, all runs together.", examples=[12.5])
    last_training: dict[str, Any] | None = Field(
        description="The latest run: status, finished_at, steps_per_s and its config; null if never trained.",
        examples=[
            {
                "status": "done",
                "finished_at": "2024-05-01T12:00:00Z",
                "steps_per_s": 310.0,
                "config": {"steps": 2000, "batch_size": 32, "learning_rate": 0.01},
            }
        ],
    )
    created_at: str | None = Field(description="Creation time, ISO 8601 UTC.", examples=["2024-05-01T11:00:00.000Z"])
    updated_at: str | None = Field(description="Last save, ISO 8601 UTC.", examples=["2024-05-01T12:00:00.000Z"])
    history: list[HistoryPointOut] = Field(
        description="Training curve, thinned evenly to at most a few thousand points.",
        examples=[[{"step": 100, "loss": 0.9, "metric": 0.4, "grad_norm": 2.1}]],
    )
    note: str | None = Field(
        None,
        description="What the model shows, in a sentence (the demo models carry one).",
        examples=["An Elman net that has learnt the Reber grammar."],
    )
    held_out_metric: float | None = Field(
        None,
        description="The task's metric on 512 sequences the model did not train on: for a task with a split "
        "(copy), contents its training never drew; otherwise fresh ones (python -m app.demo_models measures it).",
        examples=[0.98],
    )
    saturation: float | None = Field(
        None,
        description="Share of hidden values h_t,j with |h| > 0.99 on those sequences (every step, every unit): "
        "near 1, tanh' passes almost no gradient, so a net at chance with most of its values saturated has "
        "collapsed rather than merely run out of gradient with distance.",
        examples=[0.02],
    )
    speed: SpeedOut | None = Field(
        None,
        description="Training speed measured like for like across the demo models (python -m app.demo_models).",
        examples=[{"steps_per_s": 959.4, "batch_size": 32, "torch_threads": 1}],
    )

    @classmethod
    def from_metadata(cls, name: str, metadata: ModelMetadata, task_description: dict) -> ModelDetailOut:
        """The detail of a stored model; `task_description` is its rebuilt task's describe()."""
        return cls(
            name=name,
            config=ModelConfigOut(**metadata.config.to_dict()),
            task=TaskOut(**task_description),
            parameter_count=metadata.parameter_count,
            seed=metadata.seed,
            init=InitOut.of(metadata.init),
            total_steps=metadata.total_steps,
            training_time_s=metadata.training_time_s,
            last_training=asdict(metadata.last_training) if metadata.last_training else None,
            created_at=metadata.created_at,
            updated_at=metadata.updated_at,
            history=[HistoryPointOut.of(point) for point in metadata.history],
            note=metadata.note,
            held_out_metric=metadata.held_out_metric,
            saturation=metadata.saturation,
            speed=SpeedOut.of(metadata.speed),
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
