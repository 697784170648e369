"""POST /api/models/{name}/train: start a training job on a stored model.

Everything a client can get wrong is checked here, before a thread starts:
the body (schema), the server's limits, the model (404), the probe input (the
task reads it: 422 naming the bad symbol), then room to run (409, 429).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException

from app.api.deps import get_jobs, get_model_or_404, get_settings, valid_model_name
from app.api.jobs.registry import JobRegistry, ModelBusy, TooManyJobs
from app.api.schemas.common import error_responses
from app.api.schemas.jobs import JobOut, TrainRequest
from app.core.tasks import make_task
from app.core.train import TrainConfig
from app.settings import Settings

router = APIRouter(tags=["training"])

# Progress reports a run makes at least (on top of one every REPORT_EVERY_S), so a
# short run still draws a loss curve; few enough that reporting costs nothing visible.
REPORTS_PER_RUN = 200
REPORT_EVERY_S = 0.1  # the page's chart and progress bar move ten times a second


@router.post(
    "/models/{name}/train",
    status_code=202,
    response_model=JobOut,
    responses=error_responses(404, 409, 413, 422, 429),
    summary="Train a model in the background; watch it on /jobs/{id}/events",
)
def start_training(
    body: TrainRequest,
    name: str = Depends(valid_model_name),
    metadata: dict = Depends(get_model_or_404),
    settings: Settings = Depends(get_settings),
    jobs: JobRegistry = Depends(get_jobs),
) -> dict:
    _check_limits(body, settings)
    probe = _encode_probe(metadata, body.probe, settings) if body.probe is not None else None
    config = TrainConfig(
        steps=body.steps,
        batch_size=body.batch_size,
        learning_rate=body.learning_rate,
        optimizer=body.optimizer,
        clip_norm=body.clip_norm,
        tbptt=body.tbptt,
        seed=body.seed,
        report_every=max(1, body.steps // REPORTS_PER_RUN),
        report_every_s=REPORT_EVERY_S,
        trace_every=0,
        trace_every_s=body.trace_every_s,
    )
    try:
        job = jobs.submit(name, body.model_dump(), config, int(metadata.get("total_steps") or 0), probe)
    except ModelBusy as error:
        raise HTTPException(409, str(error)) from None
    except TooManyJobs as error:
        raise HTTPException(429, str(error)) from None
    return job.snapshot()


def _check_limits(body: TrainRequest, settings: Settings) -> None:
    for field, value, limit in (
        ("steps", body.steps, settings.max_train_steps),
        ("batch_size", body.batch_size, settings.max_batch_size),
    ):
        if value > limit:
            raise HTTPException(422, f"{field} must be at most {limit} on this server, not {value}")


def _encode_probe(metadata: dict, text: str, settings: Settings):
    """The probe as the model's task reads it; TaskInputError (-> 422) names what is wrong."""
    task = make_task(metadata["task"]["id"], metadata["task"].get("options") or {})
    sequence = task.encode(text)
    if len(sequence) > settings.max_trace_steps:
        raise HTTPException(422, f"the probe is {len(sequence)} steps long; at most {settings.max_trace_steps} can be traced")
    return sequence
