"""Schemas of the training-job resource: what a client asks for, and the Job it gets back.

Limits that depend on the server (steps, batch size) are checked against the
Settings in the router; the fixed ones live here. Types are strict: "10" is not
a number of steps, and an unknown key (a misspelt "lr") is an error, not ignored.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.api.schemas.experiments import ExperimentJobInfo, ExperimentRequest

JobStatus = Literal["queued", "running", "done", "cancelled", "failed"]


class TrainRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={"examples": [{"steps": 2000, "batch_size": 32, "learning_rate": 0.01, "optimizer": "adam"}]},
    )

    steps: int = Field(
        ge=1,
        description="Optimizer steps to take, one batch each (at most the server's max_train_steps).",
        examples=[2000],
    )
    batch_size: int = Field(
        32, ge=1, description="Sequences per batch (at most the server's max_batch_size).", examples=[32]
    )
    learning_rate: float = Field(
        0.01, gt=0, le=100, allow_inf_nan=False, description="The optimizer's step size.", examples=[0.01]
    )
    optimizer: Literal["sgd", "adam", "rmsprop"] = Field(
        "adam", description="Which torch.optim optimizer.", examples=["adam"]
    )
    clip_norm: float | None = Field(
        1.0,
        gt=0,
        allow_inf_nan=False,
        description="Clip the gradient's global norm to this; null trains unclipped (watch gradients explode).",
        examples=[1.0, None],
    )
    tbptt: int | None = Field(
        None,
        ge=1,
        le=100_000,
        description="Truncated BPTT: gradients reach back at most this many steps; null for full BPTT.",
        examples=[None, 10],
    )
    seed: int = Field(
        0,
        ge=0,
        le=2**63 - 1,
        description=(
            "Seeds the batches. A continued run adds the model's step count, so it does not replay earlier batches."
        ),
        examples=[0],
    )
    trace_every_s: float = Field(
        0.5,
        ge=0.1,
        le=3600,
        allow_inf_nan=False,
        description="Seconds between probe traces sent on the job's event stream (the last step is always traced).",
        examples=[0.5],
    )
    probe: str | None = Field(
        None,
        max_length=10_000,
        description="Input to trace while training, written as the task reads it; null for the task's own probe.",
        examples=[None, "BTSSXXTVVE"],
    )


# A job's settings and the job as clients see them (also the `job` field of stream events).
CONFIG_EXAMPLE = {
    "steps": 2000,
    "batch_size": 32,
    "learning_rate": 0.01,
    "optimizer": "adam",
    "clip_norm": 1.0,
    "tbptt": None,
    "seed": 0,
    "trace_every_s": 0.5,
    "probe": None,
}
JOB_EXAMPLE = {
    "id": "3f9a1c0b2e4d",
    "model": "reber-elman",
    "status": "running",
    "queue_position": None,
    "step": 1350,
    "steps": 3000,
    "first_step": 1000,
    "loss": 0.41,
    "metric": 0.93,
    "grad_norm": 0.8,
    "steps_per_s": 210.5,
    "created_at": "2025-01-01T12:00:00.000Z",
    "started_at": "2025-01-01T12:00:00.120Z",
    "finished_at": None,
    "reason": "",
    "config": CONFIG_EXAMPLE,
}


class JobOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [JOB_EXAMPLE]})

    id: str = Field(description="The job's id, for /jobs/{id} and its event stream.", examples=["3f9a1c0b2e4d"])
    kind: Literal["training", "experiment"] = Field(
        "training",
        description=(
            "training: a model's training run; experiment: a recipe's runs (POST /api/experiments), "
            "where model is the experiment's name and step/steps count its runs done and in all."
        ),
        examples=["training"],
    )
    model: str = Field(description="The model being trained.", examples=["reber-elman"])
    status: JobStatus = Field(
        description="queued, running, or how it ended: done, cancelled, failed.", examples=["running"]
    )
    queue_position: int | None = Field(
        None,
        description=(
            "While queued: its place in the line for a training slot (1 starts next; the line takes "
            "owners in turn). null once it runs or has ended."
        ),
        examples=[None, 2],
    )
    step: int = Field(description="The model's step count now (it continues from first_step).", examples=[1350])
    steps: int = Field(
        description="The model's step count when the job is done: first_step + config.steps.", examples=[3000]
    )
    first_step: int = Field(description="The model's step count when the job began.", examples=[1000])
    loss: float | None = Field(
        description=(
            "Mean training loss over the latest report's batches; null before the first report or if non-finite."
        ),
        examples=[0.41],
    )
    metric: float | None = Field(description="The task's metric (1 is perfect) on the latest batch.", examples=[0.93])
    grad_norm: float | None = Field(description="Global gradient norm before clipping, latest batch.", examples=[0.8])
    steps_per_s: float | None = Field(description="Training speed over the latest report's batches.", examples=[210.5])
    created_at: str = Field(
        description="When the job was asked for (ISO 8601, UTC).", examples=["2025-01-01T12:00:00.000Z"]
    )
    started_at: str | None = Field(
        description="When training began; null while queued.", examples=["2025-01-01T12:00:00.120Z"]
    )
    finished_at: str | None = Field(description="When the job ended; null while active.", examples=[None])
    reason: str = Field(
        description="Why it was cancelled or failed, in words; empty otherwise.", examples=["", "cancelled by request"]
    )
    config: TrainRequest | ExperimentRequest = Field(
        description="The training settings, as asked for (defaults filled in); an experiment's request for one.",
        examples=[CONFIG_EXAMPLE],
    )
    experiment: ExperimentJobInfo | None = Field(
        default=None, description="An experiment job's progress over its runs; null for training.", examples=[None]
    )
    workspace: str | None = Field(
        default=None,
        description="Classroom mode, shown to the teacher only: the workspace whose model the job trains.",
        examples=[None],
    )
