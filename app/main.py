"""create_app(): the FastAPI application, and the module-level `app` uvicorn serves."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI

from app import __version__
from app.api.errors import install_error_handlers
from app.api.routers import catalog, health
from app.core.architectures import expected_shapes
from app.core.device import pick_device
from app.core.store import ModelStore, StoreLimits
from app.settings import Settings

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.from_env()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        settings.models_dir.mkdir(parents=True, exist_ok=True)
        app.state.store = ModelStore(
            settings.models_dir,
            StoreLimits(max_hidden_size=settings.max_hidden_size, max_models=settings.max_models),
            expected_shapes=expected_shapes,
        )
        app.state.device = pick_device(settings.device)
        log.info("serving models from %s on %s", settings.models_dir, app.state.device)
        yield

    app = FastAPI(
        title="Unrolled",
        version=__version__,
        summary="Train recurrent networks and watch their hidden states, gates and BPTT gradients.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    install_error_handlers(app)
    for router in (health.router, catalog.router):
        app.include_router(router, prefix="/api")
    return app


app = create_app()
