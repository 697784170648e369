"""Shared lookups as dependencies, each with an Annotated name a route signature uses:

    SettingsDep, Store, DeviceDep, Jobs, Cache      what the application holds (app.state)
    ModelName                                       the {name} path parameter, checked (422)
    StoredMetadata, LoadedModelDep                  model {name}'s metadata / the model itself (404)
    JobDep                                          job {job_id} (404)
A failed lookup raises the engine's own exception; app.api.errors gives it its status.
"""

from __future__ import annotations

import threading
from typing import Annotated

import torch
from fastapi import Depends, Path
from starlette.requests import HTTPConnection

from app.api.jobs.job import Job
from app.api.jobs.registry import JobRegistry
from app.api.model_cache import ModelCache
from app.api.schemas.models import NAME_DESCRIPTION
from app.core.models import LoadedModel
from app.core.store import ModelMetadata, ModelStore, validate_name
from app.settings import Settings

# An HTTPConnection is a request or a WebSocket, so the event stream's route uses these too.


def get_settings(connection: HTTPConnection) -> Settings:
    return connection.app.state.settings


def get_store(connection: HTTPConnection) -> ModelStore:
    return connection.app.state.store


def get_device(connection: HTTPConnection) -> torch.device:
    return connection.app.state.device


def get_jobs(connection: HTTPConnection) -> JobRegistry:
    return connection.app.state.jobs


# One cache per application; created on first use so the lifespan need not know of it.
_cache_guard = threading.Lock()


def get_model_cache(connection: HTTPConnection) -> ModelCache:
    state = connection.app.state
    with _cache_guard:
        cache = getattr(state, "model_cache", None)
        if cache is None:
            cache = state.model_cache = ModelCache()
        return cache


SettingsDep = Annotated[Settings, Depends(get_settings)]
Store = Annotated[ModelStore, Depends(get_store)]
DeviceDep = Annotated[torch.device, Depends(get_device)]
Jobs = Annotated[JobRegistry, Depends(get_jobs)]
Cache = Annotated[ModelCache, Depends(get_model_cache)]


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
    jobs: Jobs,
    job_id: str = Path(
        description="The job's id, as POST /models/{name}/train returned it.", examples=["3f9a1c0b2e4d"]
    ),
) -> Job:
    """Job {job_id}; JobNotFound (404) when no such job is kept."""
    return jobs.find(job_id)


JobDep = Annotated[Job, Depends(get_job_or_404)]
