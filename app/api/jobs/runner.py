"""The body of a training job's thread: one run of app.core.runs, reported to its Job.

    run_training(store, RunDescription(job.model, job's RunRequest), device)
        on_start    -> job.start(stop flag, first_step)     queued -> running
        on_progress -> job.report_progress                  progress events
        on_trace    -> job.report_trace (encoded once)      trace events
    RunOutcome      -> job.finish(status, reason, step)      done, cancelled, failed
The run owns loading, the seed rule and the save rules (see app/core/runs.py);
its final save comes before the job is marked finished, so "done" means "on disk".
"""

from __future__ import annotations

import logging

import torch

from app.api.jobs.job import Job
from app.core.runs import MODEL_DELETED, RunDescription, RunOutcome, RunStart, run_training
from app.core.store import ModelNotFound, ModelStore, StoreError
from app.core.trace import trace_document
from app.core.train import StopFlag

log = logging.getLogger(__name__)

__all__ = ["MODEL_DELETED", "run_job"]


def run_job(job: Job, store: ModelStore, device: torch.device) -> None:
    """The thread's target. Whatever happens, the job ends with a status and a reason."""
    try:
        _train(job, store, device)
    except Exception as error:  # a bug must not leave a job 'running' forever
        log.exception("job %s on model %s crashed", job.id, job.model)
        job.finish("failed", f"training stopped by an unexpected error: {error}")


def _train(job: Job, store: ModelStore, device: torch.device) -> None:
    if job.stop_reason is not None:
        job.finish("cancelled", job.stop_reason)
        return
    stop = StopFlag()

    def on_start(start: RunStart) -> None:
        if not job.start(stop, start.first_step):  # a stop came first: the run takes no step
            stop.stop()
        else:
            log.info("job %s: training %s on %s from step %d", job.id, start.model, start.device, start.first_step)

    try:
        outcome = run_training(
            store,
            RunDescription(job.model, job.run_request),
            device,
            on_start=on_start,
            on_progress=job.report_progress,
            on_trace=lambda step, trace: job.report_trace(step, trace_document(trace)),
            stop=stop,
        )
    except ModelNotFound:
        job.finish("cancelled", MODEL_DELETED)
        return
    except (StoreError, ValueError) as error:
        job.finish("failed", f"could not load the model: {error}")
        return
    _finish(job, outcome)


def _finish(job: Job, outcome: RunOutcome) -> None:
    if outcome.deleted or job.stop_reason == MODEL_DELETED:
        job.finish("cancelled", MODEL_DELETED)
    elif outcome.status == "failed":
        job.finish("failed", outcome.reason, outcome.total_steps if outcome.saved else None)
    else:
        reason = (job.stop_reason or "") if outcome.status == "cancelled" else ""
        job.finish(outcome.status, reason, outcome.total_steps if outcome.saved else None)
