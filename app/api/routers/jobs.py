"""The training-job resource: GET /api/jobs, GET /api/jobs/{id}, POST /api/jobs/{id}/cancel,
and the live stream WS /api/jobs/{id}/events.

The stream's messages (JSON text, one per frame) are defined in app.api.jobs.events:
status first, then progress and trace, last done, cancelled or failed. A slow
client gets the newest progress and trace, not a backlog. The client may send
{"type": "cancel"}; anything else is ignored. An unknown Host or a page from a
foreign Origin never gets here: app/api/security.py answers the handshake with
400 or 403. Closes: 4404 an unknown job (accepted first, so a browser can read
the reason), 1009 a message over max_ws_message_bytes, 1008 a client that read
nothing for ws_stall_timeout_s (or asked for an unknown ?encoding), 1013 one
stream too many from one address (max_streams_per_client). ?encoding=msgpack
sends trace events as binary msgpack frames (app/api/jobs/streams.py).

In classroom mode a student sees, cancels and streams only their workspace's jobs:
another's job id answers 404 (4404 on the stream), as if it did not exist. The
teacher sees every job, each with its workspace (?workspace=ID: one workspace's).
"""

from __future__ import annotations

from fastapi import APIRouter, WebSocket

from app.api.auth import Visitor
from app.api.deps import JobDep, Jobs, SettingsDep, VisibleJobs, VisitorDep
from app.api.jobs.job import Job
from app.api.jobs.streams import serve_job_stream
from app.api.schemas.common import error_responses
from app.api.schemas.jobs import JobOut
from app.api.workspaces import shown_workspace

router = APIRouter(tags=["jobs"])

# A cancelled job stops after its current batch and saves; waiting this long lets
# the reply show it ended (and the model saved) in all but the slowest cases.
CANCEL_WAIT_S = 5.0


@router.get("/jobs", response_model=list[JobOut], summary="Training jobs, newest first")
def list_jobs(jobs: VisibleJobs, visitor: VisitorDep) -> list[dict]:
    return [job_out(job, visitor) for job in jobs.list()]


@router.get("/jobs/{job_id}", response_model=JobOut, responses=error_responses(404), summary="One training job")
def read_job(job: JobDep, visitor: VisitorDep) -> dict:
    return job_out(job, visitor)


@router.post(
    "/jobs/{job_id}/cancel",
    response_model=JobOut,
    responses=error_responses(404),
    summary="Stop a job after its current batch; the model keeps what it learned",
    description=(
        "Waits up to a few seconds for the job to stop and save, then returns it. "
        "Cancelling a job that has already ended returns it unchanged (200), so a "
        "cancel that races the job's end is not an error."
    ),
)
def cancel_job(job: JobDep, jobs: Jobs, visitor: VisitorDep) -> dict:
    jobs.cancel(job.id, wait_s=CANCEL_WAIT_S)
    return job_out(job, visitor)


@router.websocket("/jobs/{job_id}/events")
async def job_events(websocket: WebSocket, job_id: str, settings: SettingsDep, jobs: VisibleJobs) -> None:
    await serve_job_stream(websocket, job_id, jobs, settings)  # another workspace's job: as if unknown (4404)


def job_out(job: Job, visitor: Visitor) -> dict:
    """The Job resource; its workspace shown to the teacher only."""
    return {**job.snapshot(), "workspace": shown_workspace(visitor, job.workspace)}
