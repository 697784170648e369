"""Shared lookups as dependencies: settings, the model store, the device, the jobs."""

from __future__ import annotations

import torch
from fastapi import Request

from app.core.store import ModelStore
from app.settings import Settings


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_store(request: Request) -> ModelStore:
    return request.app.state.store


def get_device(request: Request) -> torch.device:
    return request.app.state.device


def get_jobs(request: Request):
    return request.app.state.jobs
