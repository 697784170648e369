"""GET /api/health: is the server up, and where do models run."""

from __future__ import annotations

import torch
from fastapi import APIRouter

from app import __version__
from app.api.deps import DeviceDep
from app.api.schemas.catalog import HealthOut

router = APIRouter(tags=["health"])


@router.get("/health", response_model=HealthOut, summary="Server status, device and torch version")
def health(device: DeviceDep) -> HealthOut:
    return HealthOut(status="ok", device=device.type, torch=torch.__version__, version=__version__)
