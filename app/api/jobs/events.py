"""Every message of a job's event stream (WS /api/jobs/{id}/events): its schema and its builder.

    status     first, on connect: the job and its progress history so far
    progress   about ten times a second while training
    trace      the probe's Trace, every trace_every_s (the latest one again to a late joiner)
    done | cancelled | failed    last, with the job and the reason; then a normal close
The builders return the JSON text sent as one frame, encoded once by the shared
encoder (app.api.responses) however many clients watch. A trace event is built
in both encodings at once (TraceFrames): JSON text, and the msgpack bytes a
client that asked for ?encoding=msgpack gets as a binary frame. They build plain dicts
rather than validating through the schemas: a trace holds ~10^5 numpy values,
and the final event is built under the job's lock, where nothing may fail.
tests/api/test_events.py holds each builder to its schema; add_event_schemas
lists the schemas in the OpenAPI document, which shows only what routes use.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from fastapi import FastAPI
from pydantic import BaseModel, Field
from pydantic.json_schema import models_json_schema

from app.api.responses import to_json_bytes, to_msgpack_bytes
from app.api.schemas.experiments import RunsEvent
from app.api.schemas.jobs import JOB_EXAMPLE, JobOut
from app.api.schemas.traces import TraceDocument

EndStatus = Literal["done", "cancelled", "failed"]
# Examples for the documentation. (A field's example must differ from its schema's own,
# JOB_EXAMPLE for JobOut, or pydantic leaves it out.)
TRACE_EXAMPLE = {name: field.examples[0] for name, field in TraceDocument.model_fields.items()}
QUEUED_JOB = {
    **JOB_EXAMPLE,
    "status": "queued",
    "step": 1000,
    "started_at": None,
    "loss": None,
    "metric": None,
    "grad_norm": None,
    "steps_per_s": None,
}
NON_FINITE_REASON = "the weights became non-finite; the stored model keeps its last saved weights"
ENDED_JOB = {**JOB_EXAMPLE, "status": "done", "step": 3000, "finished_at": "2025-01-01T12:00:09.620Z"}


class ProgressPoint(BaseModel):
    """One progress report of a training run, as kept in a job's history."""

    step: int = Field(description="The model's step count at this report.", examples=[1350])
    steps: int = Field(description="The step count the job ends at.", examples=[3000])
    loss: float | None = Field(
        description="Mean loss over the batches since the last report; null if non-finite.", examples=[0.41]
    )
    metric: float | None = Field(description="The task's metric (1 is perfect) on the latest batch.", examples=[0.93])
    grad_norm: float | None = Field(description="Global gradient norm before clipping, latest batch.", examples=[0.8])
    steps_per_s: float | None = Field(
        description="Training speed over the batches since the last report.", examples=[210.5]
    )
    elapsed_s: float = Field(description="Seconds since this run began training.", examples=[1.6])


class StatusEvent(BaseModel):
    """The first message: where the job stands, with every progress point so far (thinned past 4000)."""

    type: Literal["status"] = Field(description="The event's kind.", examples=["status"])
    job: JobOut = Field(description="The job, as GET /jobs/{id} returns it.", examples=[QUEUED_JOB])
    history: list[ProgressPoint] = Field(
        description="The progress points so far, oldest first.",
        examples=[
            [
                {
                    "step": 10,
                    "steps": 3000,
                    "loss": 0.9,
                    "metric": 0.5,
                    "grad_norm": 1.2,
                    "steps_per_s": 200.0,
                    "elapsed_s": 0.05,
                }
            ]
        ],
    )


class ProgressEvent(ProgressPoint):
    """A progress report, about ten times a second (every step when a step takes longer)."""

    type: Literal["progress"] = Field(description="The event's kind.", examples=["progress"])
    eta_s: float | None = Field(
        description="Seconds left at this run's average speed; null before it is known.", examples=[7.7]
    )


class TraceEvent(BaseModel):
    """The probe sequence traced at a step: every trace_every_s, and at the last step."""

    type: Literal["trace"] = Field(description="The event's kind.", examples=["trace"])
    step: int = Field(description="The model's step count when traced.", examples=[1350])
    trace: TraceDocument = Field(
        description="The Trace of the probe (as POST /models/{name}/trace, without model, input and total_steps).",
        examples=[TRACE_EXAMPLE],
    )


class DoneEvent(BaseModel):
    """The last message of a job that ran all its steps; the model is saved."""

    type: Literal["done"] = Field(description="The event's kind.", examples=["done"])
    job: JobOut = Field(description="The job as it ended.", examples=[ENDED_JOB])
    reason: str = Field(description="Empty for a finished job.", examples=[""])


class CancelledEvent(BaseModel):
    """The last message of a job stopped by a client, a deletion or a server shutdown."""

    type: Literal["cancelled"] = Field(description="The event's kind.", examples=["cancelled"])
    job: JobOut = Field(
        description="The job as it ended.",
        examples=[{**ENDED_JOB, "status": "cancelled", "step": 1720, "reason": "cancelled by request"}],
    )
    reason: str = Field(description="Who or what stopped it.", examples=["cancelled by request"])


class FailedEvent(BaseModel):
    """The last message of a job that could not finish (an error, non-finite weights, a failed save)."""

    type: Literal["failed"] = Field(description="The event's kind.", examples=["failed"])
    job: JobOut = Field(
        description="The job as it ended.",
        examples=[{**ENDED_JOB, "status": "failed", "step": 1720, "reason": NON_FINITE_REASON}],
    )
    reason: str = Field(description="What went wrong, in words.", examples=[NON_FINITE_REASON])


# RunsEvent: an experiment job's progress (app/api/jobs/experiment_job.py builds it).
EVENTS: tuple[type[BaseModel], ...] = (
    StatusEvent,
    ProgressEvent,
    TraceEvent,
    RunsEvent,
    DoneEvent,
    CancelledEvent,
    FailedEvent,
)


# ----- builders: (arguments) -> the frame's JSON text --------------------------------


def _text(event: dict) -> str:
    return to_json_bytes(event).decode()


def status_event(job: dict, history: list[dict]) -> str:
    """job: Job.snapshot(); history: progress points (Progress.to_dict())."""
    return _text({"type": "status", "job": job, "history": history})


def progress_event(point: dict, eta_s: float | None) -> str:
    """point: Progress.to_dict()."""
    return _text({"type": "progress", **point, "eta_s": eta_s})


@dataclass(frozen=True)
class TraceFrames:
    """One trace event in both encodings, built once however many clients watch: the JSON
    text frame (the default) and the msgpack binary frame (?encoding=msgpack). Plain data,
    so it can be built in another thread or process and handed over."""

    text: str
    binary: bytes


def trace_event(step: int, document: dict) -> TraceFrames:
    """document: app.core.trace.trace_document(), numpy arrays and all. The msgpack frame costs
    little beside the JSON one: its arrays are copied as bytes, not written number by number."""
    event = {"type": "trace", "step": step, "trace": document}
    return TraceFrames(text=_text(event), binary=to_msgpack_bytes(event))


def end_event(status: EndStatus, job: dict, reason: str) -> str:
    """The final event: type is how the job ended."""
    return _text({"type": status, "job": job, "reason": reason})


# ----- the OpenAPI document ---------------------------------------------------------


def add_event_schemas(app: FastAPI) -> None:
    """List every event schema in app's OpenAPI components (FastAPI lists only the schemas its
    HTTP routes use, and a WebSocket route is not in the document at all)."""
    plain_openapi = app.openapi

    def openapi() -> dict:
        if app.openapi_schema is None:
            document = plain_openapi()  # cached by FastAPI as app.openapi_schema
            _, top = models_json_schema(
                [(event, "serialization") for event in EVENTS], ref_template="#/components/schemas/{model}"
            )
            schemas = document.setdefault("components", {}).setdefault("schemas", {})
            for name, schema in top["$defs"].items():
                schemas.setdefault(name, schema)  # JobOut and the like: the routes' own entry stays
        return app.openapi_schema

    app.openapi = openapi
