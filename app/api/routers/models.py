"""/api/models: list, create, describe and delete models; their weights and checkpoints.

Blocking work (file reads, torch) runs in FastAPI's threadpool: the routes are
plain `def`, except the checkpoint upload, which must await its raw body first.
Store exceptions reach the client through app.api.errors; only the cases
where one exception means different things to a client are decided here
(LimitExceeded: a full store is 409, an oversized upload header 422).
"""

from __future__ import annotations

import inspect
import logging

import anyio.from_thread
from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse

from app.api.deps import (
    get_loaded_model_or_404,
    get_model_cache,
    get_model_or_404,
    get_settings,
    get_store,
    valid_model_name,
)
from app.api.model_cache import ModelCache
from app.api.errors import printable
from app.api.responses import numpy_json_response
from app.api.schemas.common import error_responses
from app.api.schemas.models import CONFIG_KEYS, ModelCreate, ModelDetailOut, ModelSummaryOut, WeightsOut
from app.core.architectures import ModelConfig, get_architecture
from app.core.models import LoadedModel, create_model
from app.core.store import CorruptModel, InvalidModel, LimitExceeded, ModelStore, StoreLimits
from app.core.store.metadata import metadata_from_header
from app.core.store.weights import deserialize, parse_bytes_header
from app.core.tasks import TaskInputError, make_task
from app.settings import Settings

log = logging.getLogger(__name__)

router = APIRouter(prefix="/models", tags=["models"])

UPLOAD_SOURCE = "uploaded checkpoint"
OCTET_STREAM = "application/octet-stream"


@router.get("", response_model=list[ModelSummaryOut], summary="Every stored model; a damaged one lists with its error")
def list_models(store: ModelStore = Depends(get_store)) -> list[ModelSummaryOut]:
    return [ModelSummaryOut.from_listing(entry.name, entry.metadata, entry.error) for entry in store.list()]


@router.post(
    "",
    status_code=201,
    response_model=ModelDetailOut,
    summary="Create an untrained model",
    description="A full store answers 409 (delete a model first); a taken name 409; anything invalid 422.",
    responses=error_responses(409, 413, 422),
)
def create(
    body: ModelCreate,
    store: ModelStore = Depends(get_store),
    settings: Settings = Depends(get_settings),
    cache: ModelCache = Depends(get_model_cache),
) -> ModelDetailOut:
    if body.hidden_size > settings.max_hidden_size:
        raise HTTPException(422, f"hidden_size must be between 1 and {settings.max_hidden_size}, not {body.hidden_size}")
    activation = body.activation or get_architecture(body.architecture).activations[0]
    try:
        loaded = create_model(
            store,
            name=body.name,
            architecture=body.architecture,
            task_id=body.task,
            hidden_size=body.hidden_size,
            seed=body.seed,
            activation=activation,
            task_options=body.task_options,
        )
    except LimitExceeded as exc:
        raise limit_error(store, exc) from None
    except ValueError as exc:
        # build_model's refusals (unknown architecture or task, a bad option or
        # activation) are ValueErrors whose message is written for a person.
        raise HTTPException(422, printable(str(exc))) from None
    cache.invalidate(body.name)
    log.info("created model %s (%s, %s, H=%d)", body.name, body.architecture, body.task, body.hidden_size)
    return detail_of(body.name, loaded.metadata)


@router.get(
    "/{name}",
    response_model=ModelDetailOut,
    summary="One model: config, task, training history",
    responses=error_responses(404, 422),
)
def get_detail(name: str = Depends(valid_model_name), metadata: dict = Depends(get_model_or_404)) -> ModelDetailOut:
    return detail_of(name, metadata)


@router.delete(
    "/{name}",
    status_code=204,
    response_class=Response,
    summary="Delete a model (a training job on it is cancelled first)",
    responses=error_responses(404, 422),
)
def delete(
    request: Request,
    name: str = Depends(valid_model_name),
    store: ModelStore = Depends(get_store),
    cache: ModelCache = Depends(get_model_cache),
) -> Response:
    stop_training(request, name)
    store.delete(name)
    cache.invalidate(name)
    return Response(status_code=204)


@router.get(
    "/{name}/weights",
    summary="Every weight tensor as nested lists, torch.nn names and shapes",
    responses={200: {"model": WeightsOut, "description": "The tensors"}, **error_responses(404, 422)},
)
def get_weights(loaded: LoadedModel = Depends(get_loaded_model_or_404)) -> Response:
    tensors = {
        tensor_name: {"shape": list(tensor.shape), "data": tensor.numpy()}
        for tensor_name, tensor in loaded.model.state_dict().items()
    }
    return numpy_json_response({"tensors": tensors})


@router.get(
    "/{name}/checkpoint",
    response_class=FileResponse,
    summary="Download the .safetensors weights file",
    responses={
        200: {"content": {OCTET_STREAM: {}}, "description": "NAME.safetensors; its header carries config and task"},
        **error_responses(404, 422),
    },
)
def download_checkpoint(name: str = Depends(valid_model_name), store: ModelStore = Depends(get_store)) -> FileResponse:
    return FileResponse(store.weights_path(name), media_type=OCTET_STREAM, filename=f"{name}.safetensors")


@router.post(
    "/{name}/checkpoint",
    status_code=201,
    response_model=ModelDetailOut,
    summary="Import a .safetensors checkpoint as model {name}",
    description=(
        "The body is the raw file (Content-Type: application/octet-stream), for example one downloaded "
        "from GET /models/{name}/checkpoint. Config and task come from the file's __metadata__; the model "
        "starts with no training history. The file is checked header-first and never unpickled. "
        "With overwrite=true an existing model of that name is replaced (a training job on it is cancelled)."
    ),
    openapi_extra={
        "requestBody": {"required": True, "content": {OCTET_STREAM: {"schema": {"type": "string", "format": "binary"}}}}
    },
    responses=error_responses(404, 409, 413, 422),
)
async def import_checkpoint(
    request: Request,
    name: str = Depends(valid_model_name),
    overwrite: bool = Query(False, description="Replace a model of the same name instead of answering 409."),
    store: ModelStore = Depends(get_store),
    settings: Settings = Depends(get_settings),
    cache: ModelCache = Depends(get_model_cache),
) -> ModelDetailOut:
    # BodySizeLimit has already refused anything over UNROLLED_MAX_BODY_BYTES with 413.
    data = await request.body()
    return await run_in_threadpool(_import, request, store, settings, cache, name, data, overwrite)


def _import(request: Request, store: ModelStore, settings: Settings, cache: ModelCache,
            name: str, data: bytes, overwrite: bool) -> ModelDetailOut:
    try:
        metadata = checkpoint_metadata(data, store.limits, UPLOAD_SOURCE)
        check_buildable(metadata, settings.max_hidden_size, UPLOAD_SOURCE)
        if overwrite and store.exists(name):
            stop_training(request, name)
            # save() checks the tensors against the config and replaces both files atomically.
            store.save(name, metadata, deserialize(data, UPLOAD_SOURCE))
        else:
            store.import_checkpoint(name, data)
    except LimitExceeded as exc:
        raise limit_error(store, exc) from None
    except (InvalidModel, CorruptModel) as exc:
        # The file's header is the client's text; its strings may be quoted in the message.
        raise HTTPException(422, printable(str(exc))) from None
    cache.invalidate(name)
    log.info("imported model %s from a checkpoint of %d bytes", name, len(data))
    return detail_of(name, store.load_metadata(name))


def detail_of(name: str, metadata: dict) -> ModelDetailOut:
    task = metadata.get("task") if isinstance(metadata.get("task"), dict) else {}
    try:
        description = make_task(task.get("id"), task.get("options") or {}).describe()
    except TaskInputError as exc:
        # The store accepted the file, but this server cannot rebuild its task.
        raise CorruptModel(f"{name}.json: its task cannot be rebuilt ({exc})") from None
    return ModelDetailOut.from_metadata(name, metadata, description)


def checkpoint_metadata(data: bytes, limits: StoreLimits, source: str) -> dict:
    """Config and task from an upload's header, read with the store's bounded header checks."""
    header = parse_bytes_header(data, limits, source)
    return metadata_from_header(header.metadata, source)


def check_buildable(metadata: dict, max_hidden_size: int, source: str) -> None:
    """Refuse a checkpoint that the store would accept but this server could not use:
    no task, an unknown task or architecture, or a config that does not fit its task."""
    config, task = metadata.get("config"), metadata.get("task")
    if not isinstance(config, dict):
        raise InvalidModel(f"{source}: its header carries no config object")
    if not isinstance(task, dict) or not isinstance(task.get("id"), str):
        raise InvalidModel(f"{source}: its header names no task, so its inputs cannot be encoded")
    try:
        built_task = make_task(task["id"], task.get("options") or {})
        model_config = ModelConfig(**{key: config[key] for key in CONFIG_KEYS})
        get_architecture(model_config.architecture).check(model_config)
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidModel(f"{source}: the model it describes cannot be built ({type(exc).__name__}: {exc})") from None
    if model_config.hidden_size > max_hidden_size:
        raise InvalidModel(f"{source}: hidden_size {model_config.hidden_size} exceeds this server's {max_hidden_size}")
    sizes = (model_config.input_size, model_config.output_size)
    if sizes != (built_task.input_size, built_task.output_size):
        raise InvalidModel(
            f"{source}: config input/output sizes {sizes} do not fit task {built_task.id!r}, "
            f"which needs {(built_task.input_size, built_task.output_size)}"
        )


def limit_error(store: ModelStore, exc: LimitExceeded) -> HTTPException:
    """A full store is a conflict with its state (409); any other limit is in the request itself (422)."""
    # Counted only on this error path: listing reads every model's metadata.
    if len(store.list()) >= store.limits.max_models:
        return HTTPException(409, f"the model store is full ({store.limits.max_models} models); delete a model first")
    return HTTPException(422, printable(str(exc)))


def stop_training(request: Request, name: str) -> None:
    """Cancel a training job on the model, if the job registry offers that."""
    cancel = getattr(request.app.state.jobs, "cancel_for_model", None)
    if not callable(cancel):
        return
    outcome = cancel(name)
    if inspect.isawaitable(outcome):  # an async registry: wait for it from this worker thread
        anyio.from_thread.run(_wait_for, outcome)


async def _wait_for(awaitable) -> None:
    await awaitable
