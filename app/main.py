"""create_app(): the FastAPI application, and the module-level `app` uvicorn serves.

    request -> RequestGuard -> ClassroomGate -> BodySizeLimit -> FastAPI routers (/api/...) -> app.core
RequestGuard (app/api/security.py) refuses unknown Hosts, foreign Origins and bodies
of the wrong type before anything else runs. ClassroomGate (app/api/auth.py) tells
who is asking when classroom mode is on (the teacher, or a student's workspace:
app/api/workspaces.py), and refuses /api to a caller who is neither (401).
The lifespan owns the model store and the training-job registry; on shutdown
running jobs are stopped and saved before the process exits.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI

from app import __version__
from app.api.auth import ClassroomGate, classroom_on, new_token, teacher_url
from app.api.body_limit import BodySizeLimit
from app.api.errors import install_error_handlers
from app.api.jobs import JobRegistry
from app.api.jobs.events import add_event_schemas
from app.api.jobs.streams import StreamTransport
from app.api.metrics import install_metrics
from app.api.origin import AccessPolicy
from app.api.routers import (
    analysis,
    catalog,
    classroom,
    experiments,
    generate,
    health,
    jobs,
    lessons,
    models,
    pages,
    traces,
    training,
)
from app.api.security import RequestGuard, body_rules, document_refusals
from app.api.workspaces import WorkspaceStores
from app.core.architectures import expected_shapes
from app.core.device import configure_threads, pick_device
from app.core.store import ModelStore, StoreLimits
from app.core.store.seed import seed_at_start
from app.settings import Settings

log = logging.getLogger(__name__)

API_ROUTERS = (
    health.router,
    catalog.router,
    models.router,
    traces.router,
    generate.router,
    training.router,
    jobs.router,
    classroom.router,
    experiments.router,
    lessons.router,
    analysis.router,
)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.from_env()
    workspaces_dir = settings.workspaces_dir or settings.models_dir / "workspaces"

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        # An empty store (a new volume) gets the demos; the workspaces' folder inside it is not content.
        seed_at_start(settings.models_dir, settings.seed_dir, ignore=[workspaces_dir.name])
        # The store makes its folder, or serves reads only when it cannot (health and the log say so).
        app.state.store = ModelStore(
            settings.models_dir,
            StoreLimits(max_hidden_size=settings.max_hidden_size, max_models=settings.max_models),
            expected_shapes=expected_shapes,
        )
        # Finish or undo what a crash interrupted, remove temp files, log what stays broken or read-only.
        await asyncio.to_thread(app.state.store.repair)
        if classroom_token is not None:  # each visitor's store: their workspace over the read-only demos
            app.state.workspaces = WorkspaceStores(
                app.state.store,
                workspaces_dir,
                StoreLimits(max_hidden_size=settings.max_hidden_size, max_models=settings.workspace_max_models),
                settings.max_workspaces,
                expected_shapes=expected_shapes,
            )
            log.info("classroom mode: workspaces in %s", workspaces_dir)
            if not settings.classroom_token:  # not started by serve, which prints it: the log is the only place
                shown = teacher_url(settings.host, settings.port, classroom_token, settings.allowed_hosts)
                log.warning("classroom mode: the teacher opens %s", shown)
        app.state.device = pick_device(settings.device)
        configure_threads(settings.torch_threads)
        app.state.jobs = JobRegistry(settings, app.state.store, app.state.device)
        log.info("serving models from %s on %s", settings.models_dir, app.state.device)
        try:
            yield
        finally:
            await asyncio.to_thread(app.state.jobs.shutdown)

    app = FastAPI(
        title="Unrolled",
        version=__version__,
        summary="Train recurrent networks and watch their hidden states, gates and BPTT gradients.",
        lifespan=lifespan,
        # FastAPI's own /docs and /redoc load Swagger UI and ReDoc from a CDN (blank offline):
        # the pages router serves them from /vendor instead.
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    # Classroom mode: the teacher's token (serve prints it; a new one when none is set), None when off.
    classroom_token = (
        (settings.classroom_token or new_token()) if classroom_on(settings.classroom, settings.host) else None
    )
    app.state.classroom_token = classroom_token
    app.state.workspaces = None
    install_error_handlers(app)
    for router in API_ROUTERS:
        app.include_router(router, prefix="/api")
    app.include_router(pages.router)  # the page at "/", outside /api
    pages.mount_static(app, dev=settings.dev)  # static/dev only on a dev server (UNROLLED_DEV=1)
    add_event_schemas(app)  # the stream's events, which no HTTP route shows
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(ClassroomGate, token=classroom_token)  # who is asking (inside the guard)
    # Added last, so outermost: a foreign request is refused before its body is counted.
    guard_rules = body_rules(API_ROUTERS, prefix="/api")  # each route's declared body type
    app.add_middleware(RequestGuard, policy=AccessPolicy.from_settings(settings), body_rules=guard_rules)
    document_refusals(app)  # the guard's 400, 403 and 415 in the OpenAPI document
    # GET /metrics and its middleware, outermost of all: it also counts and times what other middleware refuses.
    install_metrics(app)
    # Outermost of all, so it sees the server's own `send`: lets a stalled stream be aborted.
    app.add_middleware(StreamTransport)
    return app


app = create_app()
