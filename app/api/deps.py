"""Shared lookups as dependencies, each with an Annotated name a route signature uses:

    SettingsDep, Store, DeviceDep, Jobs, Cache      what the application holds (app.state)
    VisitorDep, VisibleJobs                         who is asking (classroom mode), the jobs they may see
    ModelName                                       the {name} path parameter, checked (422)
    StoredMetadata, LoadedModelDep                  model {name}'s metadata / the model itself (404)
    JobDep                                          job {job_id} (404, also another workspace's)
A failed lookup raises the engine's own exception; app.api.errors gives it its status.
"""

from __future__ import annotations

import threading
from typing import Annotated

import torch
from fastapi import Depends, Path
from starlette.requests import HTTPConnection

from app.api.auth import LOCAL_VISITOR, Visitor
from app.api.jobs.job import Job
from app.api.jobs.registry import JobRegistry, JobScope
from app.api.model_cache import ModelCache
from app.api.schemas.models import NAME_DESCRIPTION
from app.core.models import LoadedModel
from app.core.store import ModelMetadata, ModelStore, validate_name
from app.settings import Settings

# An HTTPConnection is a request or a WebSocket, so the event stream's route uses these too.


def get_settings(connection: HTTPConnection) -> Settings:
    return connection.app.state.settings


def get_visitor(connection: HTTPConnection) -> Visitor:
    """Who is asking, as ClassroomGate (app/api/auth.py) told it; anyone on a local server."""
    return connection.scope.get("state", {}).get("visitor") or LOCAL_VISITOR


def get_store(connection: HTTPConnection) -> ModelStore:
    """The store this caller works on: the whole store on a local server; in classroom mode
    the caller's workspace over the read-only demos (the teacher may name a workspace with
    ?workspace=ID; a student's ?workspace is ignored). app/api/workspaces.py."""
    workspaces = getattr(connection.app.state, "workspaces", None)
    visitor = connection.scope.get("state", {}).get("visitor")
    if workspaces is None or visitor is None:  # a local server; or an open path (health), which only reads
        return connection.app.state.store
    return workspaces.view(visitor, connection.query_params.get("workspace"))


def get_device(connection: HTTPConnection) -> torch.device:
    return connection.app.state.device


def get_jobs(connection: HTTPConnection) -> JobRegistry:
    return connection.app.state.jobs


_per_app_guard = threading.Lock()


def per_app(connection: HTTPConnection, attribute: str, make):
    """The application's one `attribute` (a cache), made by make() on first use, so the lifespan
    need not know of it; a lock keeps two first requests from making two."""
    state = connection.app.state
    with _per_app_guard:
        value = getattr(state, attribute, None)
        if value is None:
            value = make()
            setattr(state, attribute, value)
        return value


def get_model_cache(connection: HTTPConnection) -> ModelCache:
    return per_app(connection, "model_cache", ModelCache)


def get_visible_jobs(connection: HTTPConnection) -> JobScope:
    """The jobs the caller may see and manage: a student only their workspace's; the teacher
    every one (or one workspace's, with ?workspace=ID); a local server every one."""
    jobs: JobRegistry = connection.app.state.jobs
    visitor = get_visitor(connection)
    if not visitor.teacher:
        return jobs.scope(visitor.workspace)
    if getattr(connection.app.state, "workspaces", None) is None:
        return jobs.scope()
    return jobs.scope(connection.query_params.get("workspace"))


SettingsDep = Annotated[Settings, Depends(get_settings)]
Store = Annotated[ModelStore, Depends(get_store)]
DeviceDep = Annotated[torch.device, Depends(get_device)]
Jobs = Annotated[JobRegistry, Depends(get_jobs)]
Cache = Annotated[ModelCache, Depends(get_model_cache)]
VisitorDep = Annotated[Visitor, Depends(get_visitor)]
VisibleJobs = Annotated[JobScope, Depends(get_visible_jobs)]


# ----- models ------------------------------------------------------------------


def valid_model_name(name: str = Path(description=NAME_DESCRIPTION, examples=["reber-lstm"])) -> str:
    """The {name} path parameter, checked before it goes anywhere near a file: InvalidName (422) otherwise."""
    return validate_name(name)


ModelName = Annotated[str, Depends(valid_model_name)]


def get_model_or_404(name: ModelName, store: Store) -> ModelMetadata:
    """The stored metadata of model {name}; ModelNotFound (404) or CorruptModel (422) from the store."""
    return store.load_metadata(name)


def get_loaded_model_or_404(name: ModelName, store: Store, cache: Cache) -> LoadedModel:
    """Model {name} loaded on the CPU (see model_cache), with its current metadata."""
    return cache.get(store, name)


StoredMetadata = Annotated[ModelMetadata, Depends(get_model_or_404)]
LoadedModelDep = Annotated[LoadedModel, Depends(get_loaded_model_or_404)]


# ----- jobs ----------------------------------------------------------------------


def get_job_or_404(
    jobs: VisibleJobs,
    job_id: str = Path(
        description="The job's id, as POST /models/{name}/train returned it.", examples=["3f9a1c0b2e4d"]
    ),
) -> Job:
    """Job {job_id}; JobNotFound (404) when no such job is kept, or it is another workspace's
    (a student is not told that it exists)."""
    return jobs.find(job_id)


JobDep = Annotated[Job, Depends(get_job_or_404)]
