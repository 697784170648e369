"""A job's run, seen from the API: the executor's events for one run, told to its Job.

    Queued(position)   -> job.set_position          queued, and where in line
    Withdrawn          -> job.finish(cancelled)     left the line before it started
    Started            -> job.start(first_step)     queued -> running (a stop that came first
                                                     is passed on again: the run takes no step)
    Reported           -> job.report_progress       progress events
    Traced             -> job.report_trace          trace events (encoded once, here)
    Ended(outcome)     -> job.finish(...)           done, cancelled, failed
    Failed(kind)       -> job.finish(...)           the run never reached an outcome
The run itself happens in a worker process (app.core.execution); it owns loading,
the seed rule and the save rules (app/core/runs.py), and its final save comes
before its Ended event, so "done" means "on disk". These calls come on the
executor's dispatcher thread, never on the event loop.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from app.api.jobs.job import Job
from app.core.execution import (
    NOT_FOUND,
    REFUSED,
    Ended,
    Failed,
    Queued,
    Reported,
    RunEvent,
    Started,
    Traced,
    Withdrawn,
)
from app.core.runs import MODEL_DELETED, RunOutcome

log = logging.getLogger(__name__)

__all__ = ["MODEL_DELETED", "job_sink"]


def job_sink(job: Job, cancel: Callable[[], object]) -> Callable[[RunEvent], None]:
    """The sink the executor hands job's events to; cancel() stops the job's run."""

    def sink(event: RunEvent) -> None:
        if isinstance(event, Reported):
            job.report_progress(event.progress)
        elif isinstance(event, Traced):
            job.report_trace(event.step, event.document)
        elif isinstance(event, Queued):
            job.set_position(event.position)
        elif isinstance(event, Started):
            if job.start(event.start.first_step):
                log.info(
                    "job %s: training %s on %s from step %d",
                    job.id,
                    job.model,
                    event.start.device,
                    event.start.first_step,
                )
            else:  # a stop came before the run began
                cancel()
        elif isinstance(event, Ended):
            _finish(job, event.outcome)
        elif isinstance(event, Failed):
            _failed(job, event)
        elif isinstance(event, Withdrawn):
            job.finish("cancelled", job.stop_reason or "cancelled before it started")

    return sink


def _failed(job: Job, event: Failed) -> None:
    if event.kind == NOT_FOUND or job.stop_reason == MODEL_DELETED:
        job.finish("cancelled", MODEL_DELETED)
    elif event.kind == REFUSED:
        job.finish("failed", f"could not load the model: {event.message}")
    else:
        job.finish("failed", f"training stopped by an unexpected error: {event.message}")


def _finish(job: Job, outcome: RunOutcome) -> None:
    if outcome.deleted or job.stop_reason == MODEL_DELETED:
        job.finish("cancelled", MODEL_DELETED)
    elif outcome.status == "failed":
        job.finish("failed", outcome.reason, outcome.total_steps if outcome.saved else None)
    else:
        reason = (job.stop_reason or "") if outcome.status == "cancelled" else ""
        job.finish(outcome.status, reason, outcome.total_steps if outcome.saved else None)
