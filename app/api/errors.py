"""Errors as JSON a person can read: {"detail": message}, with the right status.

The engine (and the job registry) raise their own exceptions; STATUS_OF below is
the one place that gives each a status, so no router catches and re-raises, and
nothing a client can cause becomes a 500. Where one situation means two things
to a client, the engine raises two classes (StoreFull is a LimitExceeded; a
SequenceTooLong is a TaskInputError): a subclass listed here wins over its base.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from app.api.jobs.registry import JobNotFound, ModelBusy, TooManyJobs
from app.api.workspaces import ReadOnlyModel, TooManyWorkspaces
from app.core.analysis import AnalysisInputError
from app.core.analysis.generate import GenerationError
from app.core.architectures import InvalidConfig, UnknownArchitecture
from app.core.execution import OverBudget
from app.core.experiments import ExperimentConflict, ExperimentNotFound, RecipeError
from app.core.experiments.ray_executor import RayUnavailable
from app.core.lessons import UnknownFigure
from app.core.store import CorruptModel, InvalidModel, InvalidName, LimitExceeded, ModelExists, ModelNotFound
from app.core.store.errors import StoreFull, StoreNotWritable
from app.core.tasks import SequenceTooLong, TaskInputError
from app.core.trace.interventions import InterventionError

log = logging.getLogger(__name__)

# engine exception -> HTTP status
STATUS_OF: dict[type[Exception], int] = {
    ModelNotFound: 404,  # in classroom mode also another workspace's model: its existence is not told
    ReadOnlyModel: 403,  # a demo model, in classroom mode
    TooManyWorkspaces: 409,  # max_workspaces reached: the teacher must clear some
    JobNotFound: 404,
    ModelExists: 409,  # a taken name
    StoreFull: 409,  # max_models reached: a conflict with the store's state, not a fault of the request
    StoreNotWritable: 503,  # the models folder refuses writes (read-only, another user's, full); reads still work
    ModelBusy: 409,  # the model already has an active job
    TooManyJobs: 429,  # every slot busy and the waiting line full, or a workspace's job quota: try again later
    OverBudget: 422,  # a job whose estimated memory or time per step is over the server's budget
    InvalidName: 422,
    InvalidModel: 422,
    CorruptModel: 422,  # a damaged stored file, or a hostile or broken upload
    LimitExceeded: 422,  # a size in the request (an upload's header, a config) beyond the store's limits
    UnknownArchitecture: 422,
    InvalidConfig: 422,  # e.g. an activation the architecture lacks
    TaskInputError: 422,  # the message names the bad symbol or entry and its position
    SequenceTooLong: 422,  # over max_trace_steps: the body is small, its content is what is refused
    RecipeError: 422,  # an unknown recipe, zero or repeated seeds, a grid over the run limit: the message names it
    ExperimentConflict: 409,  # stored results made with another training or criterion
    ExperimentNotFound: 404,
    UnknownFigure: 404,  # a figure name the tour does not use
    RayUnavailable: 422,  # executor ray without Ray, or a cluster that does not answer
    InterventionError: 422,  # an unknown gate, c on a family without a cell, a unit or step out of range
    GenerationError: 422,  # a task that cannot write, steps / temperature / samples out of range
    AnalysisInputError: 422,  # a unit past the model's size, a gate it lacks, steps outside the text, k out of range
}


def printable(message: str) -> str:
    """A message that can be encoded as UTF-8 JSON even when it quotes a client's
    text holding lone surrogates (valid in a JSON string, not in UTF-8)."""
    return message.encode("utf-8", "backslashreplace").decode("utf-8")


def _describe_validation(exc: RequestValidationError) -> str:
    parts = []
    for error in exc.errors()[:5]:
        where = ".".join(str(p) for p in error.get("loc", ()) if p not in ("body", "query", "path"))
        parts.append(f"{where}: {error.get('msg', 'invalid')}" if where else error.get("msg", "invalid"))
    return "; ".join(parts) or "the request is not valid"


def install_error_handlers(app: FastAPI) -> None:
    for exc_type, status in STATUS_OF.items():

        async def handler(request: Request, exc: Exception, status: int = status) -> JSONResponse:
            return JSONResponse({"detail": printable(str(exc))}, status_code=status)

        app.add_exception_handler(exc_type, handler)

    async def validation_handler(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")} for e in exc.errors()
        ]
        errors = [{**e, "msg": printable(e["msg"])} for e in errors]
        return JSONResponse({"detail": printable(_describe_validation(exc)), "errors": errors}, status_code=422)

    app.add_exception_handler(RequestValidationError, validation_handler)
