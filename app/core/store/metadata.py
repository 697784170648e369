"""ModelMetadata: a stored model's JSON document as one typed object.

The store parses each document exactly once, here (document.py has already
checked what it relies on: the config's sizes, the task's id, the history
being a list). Every other field is read leniently, in one place: a value of
the wrong type (a hand-edited file, another version) reads as absent rather
than breaking a listing, and is not written back. Keys this version does not
know are kept in `extra`, in order, so a load-and-save loses nothing.

    document (dict) --from_document--> ModelMetadata --to_document--> document
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from app.core.architectures.base import ModelConfig
from app.core.architectures.init import DEFAULT_INIT, GateInit, InvalidInit
from app.core.store.document import FORMAT_VERSION
from app.core.store.errors import CorruptModel
from app.core.tasks import Task, TaskInputError, make_task

# The order keys are written in (the store's own first, then what training adds).
KNOWN_KEYS = (
    "format_version",
    "name",
    "config",
    "task",
    "created_at",
    "updated_at",
    "total_steps",
    "parameter_count",
    "weights_sha256",
    "history",
    "seed",
    "training_time_s",
    "last_training",
    "init",
    "note",
    "warmup",
    "held_out_metric",
    "saturation",
    "speed",
)
CONFIG_KEYS = ("architecture", "input_size", "output_size", "hidden_size", "activation")


@dataclass(frozen=True)
class TaskSpec:
    """Which task a model learns, and with which options."""

    id: str
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class HistoryPoint:
    """One point of the training curve."""

    step: int
    loss: float | None  # None: not finite, or not recorded
    metric: float | None
    grad_norm: float | None = None


@dataclass(frozen=True)
class LastTraining:
    """How the latest run ended and with which settings."""

    status: str | None  # done | cancelled | failed | running (a periodic save)
    finished_at: str | None
    steps_per_s: float | None
    config: dict[str, Any]  # the run's settings: steps, batch_size, learning_rate, optimizer, ... seed


@dataclass(frozen=True)
class Speed:
    """Training speed measured like for like across the demo models."""

    steps_per_s: float
    batch_size: int
    torch_threads: int


@dataclass(frozen=True)
class Warmup:
    """A "starting small" phase: steps trained on an easier variant of the task first."""

    task_options: dict[str, Any]
    steps: int


@dataclass
class ModelMetadata:
    """Everything stored about a model but its weights; the training flow updates it in place."""

    config: ModelConfig
    task: TaskSpec | None
    seed: int | None = 0  # of the initial weights
    init: GateInit = DEFAULT_INIT  # how they started; absent from a document (older files): PyTorch's default
    total_steps: int = 0
    history: list[HistoryPoint] = field(default_factory=list)
    training_time_s: float = 0.0
    last_training: LastTraining | None = None
    note: str | None = None  # what the model shows, in a sentence (the demo models)
    warmup: Warmup | None = None
    held_out_metric: float | None = None
    # share of hidden values with |h| > 0.99 on the held-out sequences (app/core/heldout.py)
    saturation: float | None = None
    speed: Speed | None = None
    # Filled in by the store on every write; what a caller sets here is ignored.
    name: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    parameter_count: int | None = None
    weights_sha256: str | None = None
    format_version: int = FORMAT_VERSION
    extra: dict[str, Any] = field(default_factory=dict)  # keys this version does not know

    def make_task(self) -> Task:
        """The model's task, built from its id and options; CorruptModel when it cannot be."""
        if self.task is None:
            raise CorruptModel(f"{self.name}.json: names no task, so its inputs cannot be encoded")
        try:
            return make_task(self.task.id, self.task.options)
        except TaskInputError as exc:
            raise CorruptModel(f"{self.name}.json: its task cannot be rebuilt ({exc})") from None

    @property
    def last_point(self) -> HistoryPoint | None:
        return self.history[-1] if self.history else None

    # ----- the JSON document ------------------------------------------------------

    @classmethod
    def from_document(cls, document: dict) -> ModelMetadata:
        """The typed form of a document that document.check_document accepted."""
        config = _mapping(document.get("config"))
        task = document.get("task")
        return cls(
            config=ModelConfig(**{key: config.get(key) for key in CONFIG_KEYS}),
            task=TaskSpec(task["id"], dict(_mapping(task.get("options")))) if isinstance(task, dict) else None,
            seed=_whole(document.get("seed")),
            init=_init(document.get("init")),
            total_steps=_whole(document.get("total_steps")) or 0,
            history=_history(document.get("history")),
            training_time_s=_number(document.get("training_time_s")) or 0.0,
            last_training=_last_training(document.get("last_training")),
            note=_text(document.get("note")),
            warmup=_warmup(document.get("warmup")),
            held_out_metric=_number(document.get("held_out_metric")),
            saturation=_number(document.get("saturation")),
            speed=_speed(document.get("speed")),
            name=_text(document.get("name")),
            created_at=_text(document.get("created_at")),
            updated_at=_text(document.get("updated_at")),
            parameter_count=_whole(document.get("parameter_count")),
            weights_sha256=_text(document.get("weights_sha256")),
            format_version=_whole(document.get("format_version")) or FORMAT_VERSION,
            extra={key: value for key, value in document.items() if key not in KNOWN_KEYS},
        )

    def to_document(self) -> dict:
        """The JSON document, keys in the stored order; optional fields only when set."""
        document = {
            "format_version": self.format_version,
            "name": self.name,
            "config": self.config.to_dict(),
            "task": {"id": self.task.id, "options": dict(self.task.options)} if self.task else None,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "total_steps": self.total_steps,
            "parameter_count": self.parameter_count,
            "weights_sha256": self.weights_sha256,
            "history": [_point_document(point) for point in self.history],
            "seed": self.seed,
            "training_time_s": self.training_time_s,
            "last_training": _plain(self.last_training),
        }
        optional = {
            "init": None if self.init.is_default else self.init.to_dict(),  # older files have none: unchanged
            "note": self.note,
            "warmup": _plain(self.warmup),
            "held_out_metric": self.held_out_metric,
            "saturation": self.saturation,
            "speed": _plain(self.speed),
        }
        document.update({key: value for key, value in optional.items() if value is not None})
        document.update(self.extra)
        return document


# ----- reading leniently -------------------------------------------------------------
# Only the fields the store checks are sure to be well-formed; the rest could be
# anything a person or another version wrote, so each is read through one of these.


def _mapping(value: object) -> dict:
    return value if isinstance(value, dict) else {}


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _whole(value: object) -> int | None:
    return value if type(value) is int else None  # bool is an int subclass, not a count


def _number(value: object) -> float | None:
    if type(value) in (int, float) and math.isfinite(value):
        return value
    return None


def _history(points: object) -> list[HistoryPoint]:
    """The well-formed points (a dict with an integer step); anything else is skipped."""
    history = []
    for point in points if isinstance(points, list) else ():
        if isinstance(point, dict) and _whole(point.get("step")) is not None:
            history.append(
                HistoryPoint(
                    point["step"],
                    _number(point.get("loss")),
                    _number(point.get("metric")),
                    _number(point.get("grad_norm")),
                )
            )
    return history


def _point_document(point: HistoryPoint) -> dict:
    return {"step": point.step, "loss": point.loss, "metric": point.metric, "grad_norm": point.grad_norm}


def _last_training(value: object) -> LastTraining | None:
    if not isinstance(value, dict):
        return None
    return LastTraining(
        _text(value.get("status")),
        _text(value.get("finished_at")),
        _number(value.get("steps_per_s")),
        dict(_mapping(value.get("config"))),
    )


def _speed(value: object) -> Speed | None:
    value = _mapping(value)
    steps_per_s, batch, threads = _number(value.get("steps_per_s")), value.get("batch_size"), value.get("torch_threads")
    if steps_per_s is None or _whole(batch) is None or _whole(threads) is None:
        return None
    return Speed(steps_per_s, batch, threads)


def _warmup(value: object) -> Warmup | None:
    value = _mapping(value)
    if not isinstance(value.get("task_options"), dict) or _whole(value.get("steps")) is None:
        return None
    return Warmup(dict(value["task_options"]), value["steps"])


def _init(value: object) -> GateInit:
    """A stored scheme; absent or malformed (hand-edited) reads as the default."""
    if not isinstance(value, dict):
        return DEFAULT_INIT
    try:
        return GateInit.from_dict(value)
    except InvalidInit:
        return DEFAULT_INIT


def _plain(value: LastTraining | Speed | Warmup | None) -> dict | None:
    if value is None:
        return None
    return {name: getattr(value, name) for name in value.__dataclass_fields__}
