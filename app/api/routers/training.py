"""POST /api/models/{name}/train: start a training job on a stored model.

Everything a client can get wrong is checked here, before anything starts:
the body (schema), the server's limits, the model (404), the probe input (the
task reads it: 422 naming the bad symbol), the job's estimated cost against the
server's budget (OverBudget 422 naming both: app/core/execution/cost.py), then
room to run (ModelBusy 409, TooManyJobs 429 when every slot is busy and the
line is full; statuses given in app.api.errors). The body becomes
app.core.runs' RunRequest, which the job's run trains by in a worker process.
In classroom mode a demo model is not trained (ReadOnlyModel 403, saying how to
make a copy), the job runs in the caller's workspace folder, and a student's
workspace may have at most UNROLLED_WORKSPACE_MAX_JOBS jobs queued or running (429).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException

from app.api.deps import Jobs, ModelName, SettingsDep, Store, StoredMetadata, VisitorDep
from app.api.json_body import SMALL_BODY_BYTES, json_body, json_body_openapi
from app.api.routers.jobs import job_out
from app.api.schemas.common import error_responses
from app.api.schemas.jobs import JobOut, TrainRequest
from app.api.workspaces import is_read_only, place_of, read_only_error, workspace_of
from app.core.execution import Budget, check_budget, estimate_cost
from app.core.runs import RunRequest
from app.core.store import ModelMetadata
from app.settings import Settings

# Parsed off the event loop (app/api/json_body.py); a training request is a few fields.
TrainBody = Annotated[TrainRequest, json_body(TrainRequest, SMALL_BODY_BYTES, "a training request is a few fields")]

router = APIRouter(tags=["training"])

REPORT_EVERY_S = 0.1  # the page's chart and progress bar move ten times a second


@router.post(
    "/models/{name}/train",
    status_code=202,
    response_model=JobOut,
    responses=error_responses(403, 404, 409, 413, 422, 429, 503),
    description=(
        "The job waits in line (status queued, with its queue_position) while every training slot "
        "is busy. A job whose estimated memory or time per step is over the server's budget "
        "(UNROLLED_JOB_MEMORY_MB, UNROLLED_JOB_STEP_S) is refused with 422 naming both."
    ),
    summary="Train a model in the background; watch it on /jobs/{id}/events",
    openapi_extra=json_body_openapi(TrainRequest),
)
def start_training(
    body: TrainBody,
    name: ModelName,
    metadata: StoredMetadata,
    settings: SettingsDep,
    jobs: Jobs,
    store: Store,
    visitor: VisitorDep,
) -> dict:
    if is_read_only(store, name):  # a demo, in classroom mode: 403 saying how to make a copy
        raise read_only_error(name)
    # A run saves as it goes: on a store that cannot be written it would train for nothing (503 naming the folder).
    store.check_writable()
    _check_limits(body, settings)
    if body.probe is not None:
        _check_probe(metadata, body.probe, settings)
    _check_cost(body, metadata, settings)
    request = RunRequest(**body.model_dump(), report_every_s=REPORT_EVERY_S)
    job = jobs.submit(
        name,
        body.model_dump(),
        request,
        metadata.total_steps,
        workspace=workspace_of(store),
        place=place_of(store),
        max_active=None if visitor.teacher else settings.workspace_max_jobs,
    )
    return job_out(job, visitor)


def _check_limits(body: TrainRequest, settings: Settings) -> None:
    for field, value, limit in (
        ("steps", body.steps, settings.max_train_steps),
        ("batch_size", body.batch_size, settings.max_batch_size),
    ):
        if value > limit:
            raise HTTPException(422, f"{field} must be at most {limit} on this server, not {value}")


def _check_cost(body: TrainRequest, metadata: ModelMetadata, settings: Settings) -> None:
    """A job must fit the budget: its memory, and a step short enough that a cancel lands soon."""
    cost = estimate_cost(metadata.config, metadata.make_task(), body.batch_size, body.tbptt)
    check_budget(cost, Budget(settings.job_memory_mb, settings.job_step_s))


def _check_probe(metadata: ModelMetadata, text: str, settings: Settings) -> None:
    """The probe as the model's task reads it; TaskInputError (-> 422) names what is wrong."""
    metadata.make_task().encode_at_most(text, settings.max_trace_steps, "the probe")
