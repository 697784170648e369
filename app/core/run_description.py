"""A training run as plain data: what to train, how, and how it ended.

These are the shapes app.core.runs works with, kept apart from the flow so
that whatever hands runs around (a worker process, a Ray task, a queue of
events) needs nothing but this module: every class is a frozen dataclass of
plain values, so it pickles. The API's TrainRequest, the CLI's flags and the
demo recipes all become a RunRequest.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from app.core.architectures.init import GateInit
from app.core.train import Progress, TrainConfig

# History points (and progress reports) a run makes at least: a smooth loss curve,
# few enough that reporting (a device sync each) costs nothing visible.
REPORTS_PER_RUN = 200


class RunRefused(ValueError):
    """A run that cannot be done as asked; the message is written for a person."""


class IncompleteModelSpec(RunRefused):
    """A model to create, but the spec lacks what building it needs (`missing`: field names)."""

    def __init__(self, name: str, missing: list[str]):
        super().__init__(f"no model named {name!r} yet; to create it give {', '.join(missing)}")
        self.name, self.missing = name, missing

    def __reduce__(self):  # pickled with its fields, so it can cross to another process
        return type(self), (self.name, self.missing)


@dataclass(frozen=True)
class ModelSpec:
    """What a new model is made of. When the model exists already, every field given
    (not None) must match it; `seed` only initialises a new model's weights."""

    architecture: str | None = None
    task: str | None = None
    hidden_size: int | None = None
    activation: str | None = None  # None: the architecture's first
    seed: int = 0
    task_options: dict = field(default_factory=dict)
    # None: PyTorch's default for a new model, and no check against a stored one. A string
    # is read by GateInit.parse ("forget_bias:1", "chrono:80", "identity"; InvalidInit if malformed).
    init: GateInit | str | None = None

    def __post_init__(self) -> None:
        if isinstance(self.init, str):
            object.__setattr__(self, "init", GateInit.parse(self.init))


@dataclass(frozen=True)
class RunRequest:
    """How to train, checked when made (ValueError names the bad field)."""

    steps: int  # optimizer steps, one batch each
    batch_size: int = 32
    learning_rate: float = 0.01
    optimizer: str = "adam"  # sgd | adam | rmsprop
    clip_norm: float | None = 1.0  # None: no clipping
    tbptt: int | None = None  # None: full BPTT
    seed: int = 0  # the batches' seed, offset by the steps already taken (the seed rule)
    report_every_s: float | None = None  # also report when this much time passed (a display's refresh)
    trace_every_s: float | None = None  # trace the probe this often (and at the last step); None: never
    probe: str | None = None  # the input to trace, as the task reads it; None: the task's own probe

    def __post_init__(self) -> None:
        self.train_config(first_step=0)

    def train_config(self, first_step: int) -> TrainConfig:
        """The Trainer's config for a model that has taken `first_step` steps already."""
        config = TrainConfig(
            steps=self.steps,
            batch_size=self.batch_size,
            learning_rate=self.learning_rate,
            optimizer=self.optimizer,
            clip_norm=self.clip_norm,
            tbptt=self.tbptt,
            seed=self.seed + first_step,
            report_every=max(1, self.steps // REPORTS_PER_RUN),
            report_every_s=self.report_every_s,
            trace_every=0,
            trace_every_s=self.trace_every_s,
        )
        config.check()
        return config


@dataclass(frozen=True)
class RunDescription:
    """A run as plain data: which model, made how if it is new, trained how."""

    model: str
    request: RunRequest
    create: ModelSpec | None = None  # None: the model must exist
    # "Starting small" (Elman 1993): train on an easier variant of the model's task
    # (these options over its own; the same vocabulary), recorded as the model's warm-up.
    warmup_options: dict | None = None


@dataclass(frozen=True)
class RunStart:
    """Told to on_start once the model is ready, before the first step."""

    model: str
    created: bool  # a new model was stored for this run
    first_step: int
    steps: int
    metric_name: str
    device: str


@dataclass(frozen=True)
class RunOutcome:
    model: str
    status: str  # done | cancelled | failed
    reason: str  # why it failed, or MODEL_DELETED; "" otherwise
    first_step: int
    steps_done: int
    saved: bool  # the weights of its last step are on disk
    deleted: bool = False
    seconds: float = 0.0  # training time
    last: Progress | None = None  # the last history point

    @property
    def total_steps(self) -> int:
        return self.first_step + self.steps_done
