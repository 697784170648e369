"""GET /api/health: is the server up, where do models run, and can the models folder be written."""

from __future__ import annotations

import torch
from fastapi import APIRouter

from app import __version__
from app.api.deps import DeviceDep, Store
from app.api.schemas.catalog import HealthOut
from app.core.store.errors import StoreNotWritable

router = APIRouter(tags=["health"])


@router.get("/health", response_model=HealthOut, summary="Server status, device and torch version")
def health(device: DeviceDep, store: Store) -> HealthOut:
    if store.write_problem is not None:  # known read-only (at start or by a failed write): has it been fixed since?
        try:
            store.check_writable()
        except StoreNotWritable:
            pass
    return HealthOut(
        status="ok",
        device=device.type,
        torch=torch.__version__,
        version=__version__,
        store="writable" if store.write_problem is None else "read-only",
        store_problem=store.write_problem,
    )
