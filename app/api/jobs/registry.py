"""The job registry: which training jobs exist, and the bounded pool that runs them.

Each job trains on its own thread (the loop is Python driving PyTorch; a thread
keeps the event loop free, and PyTorch releases the GIL in its kernels). At most
settings.max_jobs run at once and nothing waits in line beyond that: a client
asking for more is told so (TooManyJobs, a 429) instead of waiting unseen.
Jobs live in memory: the active ones and the last KEEP_FINISHED finished ones.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict

import torch

from app.api.jobs.job import Job
from app.api.jobs.runner import MODEL_DELETED, run_job
from app.core.run_description import RunRequest
from app.core.store import ModelStore
from app.settings import Settings

log = logging.getLogger(__name__)

KEEP_FINISHED = 100
SHUTDOWN_WAIT_S = 10.0  # stopping takes one batch and a save; a stuck job must not hold the exit
DELETE_WAIT_S = 5.0
CANCELLED_BY_REQUEST = "cancelled by request"
SERVER_SHUTDOWN = "the server shut down"


class JobRefused(Exception):
    """A job that cannot start now; the message says why."""


class ModelBusy(JobRefused):
    """The model already has an active job (409)."""


class TooManyJobs(JobRefused):
    """settings.max_jobs jobs are running, or the server is shutting down (429)."""


class JobNotFound(LookupError):
    """No job of that id is kept (404)."""


class JobRegistry:
    def __init__(self, settings: Settings, store: ModelStore, device: torch.device):
        self.settings, self.store, self.device = settings, store, device
        self._lock = threading.Lock()
        self._jobs: OrderedDict[str, Job] = OrderedDict()  # oldest first
        self._threads: dict[str, threading.Thread] = {}
        self._closed = False

    # ----- reading -------------------------------------------------------------

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def find(self, job_id: str) -> Job:
        """The job of that id; JobNotFound when none is kept."""
        job = self.get(job_id)
        if job is None:
            kept = f"finished jobs are kept until the server restarts, the last {KEEP_FINISHED} of them"
            raise JobNotFound(f"no job {job_id!r} ({kept})")
        return job

    def list(self) -> list[Job]:
        """Every job kept, newest first."""
        with self._lock:
            return list(reversed(self._jobs.values()))

    def counts(self) -> dict[str, int]:
        """How many kept jobs are in each status, e.g. {"running": 2, "done": 5}; read by /metrics."""
        counts: dict[str, int] = {}
        with self._lock:
            for job in self._jobs.values():
                counts[job.status] = counts.get(job.status, 0) + 1
        return counts

    def active_for(self, model: str) -> Job | None:
        with self._lock:
            return self._active_for(model)

    def _active_for(self, model: str) -> Job | None:
        return next((job for job in self._jobs.values() if job.model == model and job.active), None)

    # ----- starting ------------------------------------------------------------

    def submit(self, model: str, request: dict, run_request: RunRequest, first_step: int) -> Job:
        """Start training `model` on a new thread; ModelBusy or TooManyJobs when it cannot start."""
        with self._lock:
            if self._closed:
                raise TooManyJobs("the server is shutting down and starts no new jobs")
            busy = self._active_for(model)
            if busy is not None:
                raise ModelBusy(
                    f"model {model!r} is already training in job {busy.id}; cancel it or wait for it to end"
                )
            running = sum(job.active for job in self._jobs.values())
            if running >= self.settings.max_jobs:
                raise TooManyJobs(
                    f"{running} training jobs are already running, the most this server runs at once; "
                    "wait for one to end or cancel one"
                )
            job = Job(model, request, run_request, first_step)
            self._jobs[job.id] = job
            self._forget_old()
            thread = threading.Thread(
                target=self._run,
                args=(job,),
                name=f"train-{model}-{job.id}",
                daemon=True,  # shutdown() waits for the save; a stuck thread must not block the exit
            )
            self._threads[job.id] = thread
            thread.start()
        log.info("job %s: %d steps of %s queued", job.id, run_request.steps, model)
        return job

    def _run(self, job: Job) -> None:
        try:
            run_job(job, self.store, self.device)
        finally:
            with self._lock:
                self._threads.pop(job.id, None)

    def _forget_old(self) -> None:
        finished = [job_id for job_id, job in self._jobs.items() if not job.active]
        for job_id in finished[: max(0, len(finished) - KEEP_FINISHED)]:
            del self._jobs[job_id]

    # ----- stopping ------------------------------------------------------------

    def cancel(self, job_id: str, wait_s: float = 0.0, reason: str = CANCELLED_BY_REQUEST) -> Job | None:
        """Stop a job before its next batch and wait up to wait_s for it to save and end.
        A finished job is left as it is. None when no such job is kept."""
        job = self.get(job_id)
        if job is None:
            return None
        job.request_stop(reason)
        if wait_s > 0:
            job.wait(wait_s)
        return job

    def cancel_for_model(self, name: str, wait_s: float = DELETE_WAIT_S) -> Job | None:
        """Called before a model is deleted: stop its job (ending 'cancelled', "the model was
        deleted", without a final save) and wait up to wait_s for its thread to let go."""
        job = self.active_for(name)
        if job is None:
            return None
        job.request_stop(MODEL_DELETED)
        if not job.wait(wait_s):
            log.warning("job %s on %s did not stop within %.0f s of its model's deletion", job.id, name, wait_s)
        return job

    def shutdown(self, wait_s: float = SHUTDOWN_WAIT_S) -> None:
        """Stop every job and wait (bounded) for their threads to save, so the process exits promptly."""
        with self._lock:
            self._closed = True
            active = [job for job in self._jobs.values() if job.active]
            threads = list(self._threads.values())
        for job in active:
            job.request_stop(SERVER_SHUTDOWN)
        deadline = time.monotonic() + wait_s
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        stuck = [thread.name for thread in threads if thread.is_alive()]
        if stuck:
            log.warning("training threads still running at shutdown, their last save may be lost: %s", stuck)
        elif active:
            log.info("stopped and saved %d training job(s)", len(active))
