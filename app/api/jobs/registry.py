"""The job registry: which training jobs exist, and the executor that runs them.

Each job's run goes to app.core.execution: a worker process of its own (the
local executor), so the API process only routes, streams and traces. At most
settings.max_jobs run at once; the next settings.max_queued_jobs wait in a line
that is fair between owners (the Scheduler), each told its position; beyond
that a client is told so (TooManyJobs, a 429) instead of waiting unseen.
Jobs live in memory: the active ones and the last KEEP_FINISHED finished ones.

In classroom mode every job belongs to a workspace (app/api/workspaces.py): it
runs in that workspace's folder (its StorePlace), a model name is busy only within
its workspace (two students may each train a model called "mine"), the line is
fair between workspaces (the Scheduler's owner), a workspace may have at most a
quota of active jobs (WorkspaceJobsFull, a 429), and a reader scoped to one
workspace (JobScope) never sees another's jobs: they answer as if they did not exist.

An experiment (app/api/jobs/experiment_runs.py) is a job too: it waits in the same
line, takes one slot, counts against the same quota, and trains its runs on a pool of
its own (UNROLLED_EXPERIMENT_WORKERS); one experiment of a name runs at a time per workspace.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict

import torch

from app.api.jobs.experiment_job import ExperimentJob, experiment_sink
from app.api.jobs.experiment_runs import ExperimentDescription, WithExperiments
from app.api.jobs.job import Job
from app.api.jobs.runner import MODEL_DELETED, job_sink
from app.core.execution import EXECUTORS, QueueFull, Scheduler, StorePlace
from app.core.run_description import RunDescription, RunRequest
from app.core.store import ModelStore
from app.settings import Settings

log = logging.getLogger(__name__)

KEEP_FINISHED = 100
SAVE_WAIT_S = 2.0  # beyond one batch (the budget's job_step_s), what a stop may take to save
DELETE_WAIT_S = 5.0
CANCELLED_BY_REQUEST = "cancelled by request"
SERVER_SHUTDOWN = "the server shut down"


class JobRefused(Exception):
    """A job that cannot start now; the message says why."""


class ModelBusy(JobRefused):
    """The model already has an active job (409)."""


class ExperimentBusy(ModelBusy):
    """The experiment already has an active job in this workspace (409)."""


class TooManyJobs(JobRefused):
    """Every slot is busy and the waiting line is full, or the server is shutting down (429)."""


class WorkspaceJobsFull(TooManyJobs):
    """The workspace has its quota of queued and running jobs already (429)."""


class JobNotFound(LookupError):
    """No job of that id is kept (404)."""


ALL_WORKSPACES = None  # a scope that sees every job: the teacher's, and a local server's


class JobScope:
    """The jobs one reader may see: every job (workspace None) or one workspace's. Hands
    out the registry's lookups, so that a job of another workspace is simply not there."""

    def __init__(self, registry: JobRegistry, workspace: str | None = ALL_WORKSPACES):
        self.registry, self.workspace = registry, workspace

    def sees(self, job: Job) -> bool:
        return self.workspace is None or job.workspace == self.workspace

    def get(self, job_id: str) -> Job | None:
        job = self.registry.get(job_id)
        return job if job is not None and self.sees(job) else None

    def find(self, job_id: str) -> Job:
        """The job of that id; JobNotFound when none is kept, or it is another workspace's."""
        job = self.get(job_id)
        if job is None:
            kept = f"finished jobs are kept until the server restarts, the last {KEEP_FINISHED} of them"
            raise JobNotFound(f"no job {job_id!r} ({kept})")
        return job

    def list(self) -> list[Job]:
        """Every job this scope sees, newest first."""
        return [job for job in self.registry.list() if self.sees(job)]


class QueueHold:
    """Keeps queued jobs from starting until set() (tests look at a job before its first step)."""

    def __init__(self, scheduler: Scheduler):
        self._scheduler, self._released = scheduler, False
        scheduler.hold()

    def set(self) -> None:
        if not self._released:
            self._released = True
            self._scheduler.release()


class JobRegistry:
    def __init__(self, settings: Settings, store: ModelStore, device: torch.device):
        self.settings, self.store, self.device = settings, store, device
        place = StorePlace(store.root, store.limits)
        threads = settings.torch_threads
        training = EXECUTORS["local"](place, device=str(device), slots=settings.max_jobs, threads=threads)
        executor = WithExperiments(training, place, settings.experiment_workers)
        self.scheduler = Scheduler(executor, settings.max_queued_jobs)
        self._lock = threading.Lock()
        self._jobs: OrderedDict[str, Job] = OrderedDict()  # oldest first
        self._closed = False

    # ----- reading -------------------------------------------------------------

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def find(self, job_id: str) -> Job:
        """The job of that id; JobNotFound when none is kept."""
        return JobScope(self).find(job_id)

    def scope(self, workspace: str | None = ALL_WORKSPACES) -> JobScope:
        return JobScope(self, workspace)

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

    def active_for(self, model: str, workspace: str | None = None) -> Job | None:
        with self._lock:
            return self._active_for(model, workspace)

    def _active_for(self, model: str, workspace: str | None) -> Job | None:
        return next(
            (
                job
                for job in self._jobs.values()
                if job.model == model
                and job.workspace == workspace
                and job.active
                and not isinstance(job, ExperimentJob)  # an experiment of the same name trains no model of it
            ),
            None,
        )

    def active_experiment(self, name: str, workspace: str | None = None) -> ExperimentJob | None:
        with self._lock:
            return self._active_experiment(name, workspace)

    def _active_experiment(self, name: str, workspace: str | None) -> ExperimentJob | None:
        return next(
            (
                job
                for job in self._jobs.values()
                if isinstance(job, ExperimentJob) and job.model == name and job.workspace == workspace and job.active
            ),
            None,
        )

    def active_counts(self) -> dict[str | None, int]:
        """Queued and running jobs by workspace (GET /api/workspaces)."""
        counts: dict[str | None, int] = {}
        with self._lock:
            for job in self._jobs.values():
                if job.active:
                    counts[job.workspace] = counts.get(job.workspace, 0) + 1
        return counts

    # ----- starting ------------------------------------------------------------

    def submit(
        self,
        model: str,
        request: dict,
        run_request: RunRequest,
        first_step: int,
        workspace: str | None = None,
        place: StorePlace | None = None,
        max_active: int | None = None,
    ) -> Job:
        """Queue a job training `model`; it starts as soon as a slot is free. ModelBusy or
        TooManyJobs when it cannot be taken. workspace: whose model it is (and whose turn it
        takes in the line); place: where its run opens the store (None: the shared store);
        max_active: the workspace's quota of queued and running jobs (WorkspaceJobsFull past it)."""
        with self._lock:
            if self._closed:
                raise TooManyJobs("the server is shutting down and starts no new jobs")
            busy = self._active_for(model, workspace)
            if busy is not None:
                raise ModelBusy(
                    f"model {model!r} is already training in job {busy.id}; cancel it or wait for it to end"
                )
            self._check_quota(workspace, max_active)
            job = Job(model, request, run_request, first_step, workspace)
            self._add(job)
        self._enqueue(job, RunDescription(model, run_request), job_sink, place)
        log.info("job %s: %d steps of %s queued", job.id, run_request.steps, model)
        return job

    def submit_experiment(
        self,
        job: ExperimentJob,
        description: ExperimentDescription,
        place: StorePlace | None = None,
        max_active: int | None = None,
    ) -> ExperimentJob:
        """Queue an experiment job, as submit() a training job: ExperimentBusy when the same
        experiment is active in the job's workspace, TooManyJobs as for training."""
        with self._lock:
            if self._closed:
                raise TooManyJobs("the server is shutting down and starts no new jobs")
            busy = self._active_experiment(job.model, job.workspace)
            if busy is not None:
                raise ExperimentBusy(
                    f"experiment {job.model!r} is already running in job {busy.id}; cancel it or wait for it to end"
                )
            self._check_quota(job.workspace, max_active)
            self._add(job)
        self._enqueue(job, description, experiment_sink, place)
        log.info("job %s: experiment %s of %d runs queued", job.id, job.model, job.runs)
        return job

    def _check_quota(self, workspace: str | None, max_active: int | None) -> None:
        if max_active is None:
            return
        active = [job.id for job in self._jobs.values() if job.workspace == workspace and job.active]
        if len(active) >= max_active:
            raise WorkspaceJobsFull(
                f"your workspace already has {len(active)} job(s) queued or running "
                f"({', '.join(active)}), the most this server allows one workspace "
                "(UNROLLED_WORKSPACE_MAX_JOBS); wait for one to end or cancel one"
            )

    def _add(self, job: Job) -> None:
        cancel = lambda: self.scheduler.cancel(job.id)  # noqa: E731 (the job's one way to stop its run)
        job.set_canceller(cancel)
        self._jobs[job.id] = job
        self._forget_old()

    def _enqueue(self, job: Job, description, make_sink, place: StorePlace | None) -> None:
        cancel = lambda: self.scheduler.cancel(job.id)  # noqa: E731
        try:
            self.scheduler.submit(job.id, description, make_sink(job, cancel), owner=job.workspace, place=place)
        except QueueFull as error:
            with self._lock:
                self._jobs.pop(job.id, None)
            raise TooManyJobs(str(error)) from None

    def hold(self) -> QueueHold:
        """Start no queued job until the returned hold's set()."""
        return QueueHold(self.scheduler)

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

    def cancel_for_model(self, name: str, workspace: str | None = None, wait_s: float = DELETE_WAIT_S) -> Job | None:
        """Called before a model (of `workspace`) is deleted: stop its job (ending 'cancelled',
        "the model was deleted", without a final save) and wait up to wait_s for its thread to let go."""
        job = self.active_for(name, workspace)
        if job is None:
            return None
        job.request_stop(MODEL_DELETED)
        if not job.wait(wait_s):
            log.warning("job %s on %s did not stop within %.0f s of its model's deletion", job.id, name, wait_s)
        return job

    def shutdown(self, wait_s: float | None = None) -> None:
        """Stop every job (queued ones are withdrawn, running ones stop after their batch and
        save) and wait, bounded, for their workers, so the process exits within a second or two."""
        wait_s = wait_s if wait_s is not None else self.settings.job_step_s + SAVE_WAIT_S
        with self._lock:
            self._closed = True
            active = [job for job in self._jobs.values() if job.active]
        for job in active:
            job.request_stop(SERVER_SHUTDOWN)
        self.scheduler.shutdown(wait_s)
        if active:
            log.info("stopped %d training job(s)", len(active))
