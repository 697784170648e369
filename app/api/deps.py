"""Shared lookups as dependencies: settings, the model store, the device, the jobs,
and a model by its {name} path parameter (checked, then found or 404)."""

from __future__ import annotations

import threading

import torch
from fastapi import Depends, Path, Request

from app.api.model_cache import ModelCache
from app.api.schemas.models import NAME_DESCRIPTION
from app.core.models import LoadedModel
from app.core.store import ModelStore, validate_name
from app.settings import Settings


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_store(request: Request) -> ModelStore:
    return request.app.state.store


def get_device(request: Request) -> torch.device:
    return request.app.state.device


def get_jobs(request: Request):
    return request.app.state.jobs


# ----- models ------------------------------------------------------------------

# One cache per application; created on first use so the lifespan need not know of it.
_cache_guard = threading.Lock()


def get_model_cache(request: Request) -> ModelCache:
    state = request.app.state
    with _cache_guard:
        cache = getattr(state, "model_cache", None)
        if cache is None:
            cache = state.model_cache = ModelCache()
        return cache


def valid_model_name(name: str = Path(description=NAME_DESCRIPTION, examples=["reber-lstm"])) -> str:
    """The {name} path parameter, checked before it goes anywhere near a file: 422 otherwise."""
    return validate_name(name)


def get_model_or_404(
    name: str = Depends(valid_model_name), store: ModelStore = Depends(get_store)
) -> dict:
    """The stored metadata of model {name}; ModelNotFound (404) or CorruptModel (422) from the store."""
    return store.load_metadata(name)


def get_loaded_model_or_404(
    name: str = Depends(valid_model_name),
    store: ModelStore = Depends(get_store),
    cache: ModelCache = Depends(get_model_cache),
) -> LoadedModel:
    """Model {name} loaded on the CPU (see model_cache), with its current metadata."""
    return cache.get(store, name)
