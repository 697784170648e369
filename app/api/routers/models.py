"""/api/models: list, create, describe and delete models; their weights and checkpoints.

Blocking work (file reads, torch) runs in FastAPI's threadpool: the routes are
plain `def`, except the checkpoint upload, which must await its raw body first.
Store exceptions reach the client through app.api.errors, which gives each
its status (a full store, StoreFull, is 409; any other limit 422).
In classroom mode `Store` is the caller's workspace over the demos
(app/api/workspaces.py): another workspace's model is not found (404), a demo is
read-only (403), and each row and detail says which (read_only; the teacher also
gets the workspace a model is in). A representative model kept by an experiment says
which (`experiment`, from the experiments' stored results), so the page can group them.
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse

from app.api.auth import Visitor
from app.api.deps import Cache, Jobs, LoadedModelDep, ModelName, SettingsDep, Store, StoredMetadata, VisitorDep
from app.api.jobs.registry import JobRegistry
from app.api.json_body import SMALL_BODY_BYTES, json_body, json_body_openapi
from app.api.model_cache import ModelCache
from app.api.responses import numpy_json_response
from app.api.schemas.common import error_responses
from app.api.schemas.models import CONFIG_KEYS, ModelCreate, ModelDetailOut, ModelSummaryOut, WeightsOut
from app.api.workspaces import WorkspaceView, is_read_only, read_only_error, shown_workspace, workspace_of
from app.core.architectures import ModelConfig, get_architecture
from app.core.experiments.storage import representative_models
from app.core.models import create_model
from app.core.store import InvalidModel, ModelMetadata, ModelStore, StoreLimits
from app.core.store.document import metadata_from_header
from app.core.store.weights import parse_bytes_header
from app.core.tasks import make_task
from app.settings import Settings

log = logging.getLogger(__name__)

# Parsed off the event loop (app/api/json_body.py); a create request is a few fields.
CreateBody = Annotated[ModelCreate, json_body(ModelCreate, SMALL_BODY_BYTES, "a create request is a few fields")]

router = APIRouter(prefix="/models", tags=["models"])

UPLOAD_SOURCE = "uploaded checkpoint"
OCTET_STREAM = "application/octet-stream"


@router.get("", response_model=list[ModelSummaryOut], summary="Every stored model; a damaged one lists with its error")
def list_models(store: Store, visitor: VisitorDep) -> list[ModelSummaryOut]:
    rows = []
    experiments = experiments_by_model(store)
    for entry in store.list():
        row = ModelSummaryOut.from_listing(entry.name, entry.metadata, entry.error)
        fields = classroom_fields(store, entry.name, visitor) | {"experiment": experiments.get(entry.name)}
        rows.append(row.model_copy(update=fields))
    return rows


@router.post(
    "",
    status_code=201,
    response_model=ModelDetailOut,
    summary="Create an untrained model",
    description=(
        "A full store answers 409 (delete a model first); a taken name 409; anything invalid 422; "
        "a models folder that cannot be written 503."
    ),
    responses=error_responses(409, 413, 422, 503),
    openapi_extra=json_body_openapi(ModelCreate),
)
def create(body: CreateBody, store: Store, settings: SettingsDep, cache: Cache, visitor: VisitorDep) -> ModelDetailOut:
    if body.hidden_size > settings.max_hidden_size:
        raise HTTPException(
            422, f"hidden_size must be between 1 and {settings.max_hidden_size}, not {body.hidden_size}"
        )
    activation = body.activation or get_architecture(body.architecture).activations[0]
    # Refusals (an unknown architecture or task, a bad option or activation, a full store)
    # are the engine's exceptions, each with its status in app.api.errors.
    loaded = create_model(
        store,
        name=body.name,
        architecture=body.architecture,
        task_id=body.task,
        hidden_size=body.hidden_size,
        seed=body.seed,
        activation=activation,
        task_options=body.task_options,
        init=body.init.to_gate_init() if body.init else None,
    )
    cache.invalidate(body.name)
    log.info("created model %s (%s, %s, H=%d)", body.name, body.architecture, body.task, body.hidden_size)
    return detail_of(body.name, loaded.metadata, model_fields(store, body.name, visitor))


@router.get(
    "/{name}",
    response_model=ModelDetailOut,
    summary="One model: config, task, training history",
    responses=error_responses(404, 422),
)
def get_detail(name: ModelName, metadata: StoredMetadata, store: Store, visitor: VisitorDep) -> ModelDetailOut:
    return detail_of(name, metadata, model_fields(store, name, visitor))


@router.delete(
    "/{name}",
    status_code=204,
    response_class=Response,
    summary="Delete a model (a training job on it is cancelled first)",
    responses=error_responses(403, 404, 422, 503),
)
def delete(name: ModelName, store: Store, cache: Cache, jobs: Jobs) -> Response:
    store.check_writable()  # refuse before the running job is cancelled for nothing
    if is_read_only(store, name):  # a demo in classroom mode: 403, and no job is touched
        raise read_only_error(name)
    jobs.cancel_for_model(name, workspace_of(store))
    store.delete(name)
    cache.invalidate(name)
    return Response(status_code=204)


@router.get(
    "/{name}/weights",
    summary="Every weight tensor as nested lists, torch.nn names and shapes",
    responses={200: {"model": WeightsOut, "description": "The tensors"}, **error_responses(404, 422)},
)
def get_weights(loaded: LoadedModelDep) -> Response:
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
def download_checkpoint(name: ModelName, store: Store) -> FileResponse:
    return FileResponse(store.weights_path(name), media_type=OCTET_STREAM, filename=f"{name}.safetensors")


@router.post(
    "/{name}/checkpoint",
    status_code=201,
    response_model=ModelDetailOut,
    summary="Import a .safetensors checkpoint as model {name}",
    description=(
        "The body is the raw file (Content-Type: application/octet-stream), for example one downloaded "
        "from GET /models/{name}/checkpoint. Config, task and init come from the file's __metadata__; the model "
        "starts with no training history. The file is checked header-first and never unpickled. "
        "With overwrite=true an existing model of that name is replaced (a training job on it is cancelled)."
    ),
    openapi_extra={
        "requestBody": {"required": True, "content": {OCTET_STREAM: {"schema": {"type": "string", "format": "binary"}}}}
    },
    responses=error_responses(403, 404, 409, 413, 422, 503),
)
async def import_checkpoint(
    request: Request,
    name: ModelName,
    store: Store,
    settings: SettingsDep,
    cache: Cache,
    jobs: Jobs,
    visitor: VisitorDep,
    overwrite: bool = Query(False, description="Replace a model of the same name instead of answering 409."),
) -> ModelDetailOut:
    # BodySizeLimit has already refused anything over UNROLLED_MAX_BODY_BYTES with 413.
    data = await request.body()
    detail = await run_in_threadpool(_import, jobs, store, settings, cache, name, data, overwrite)
    return detail.model_copy(update=model_fields(store, name, visitor))


def _import(
    jobs: JobRegistry, store: ModelStore, settings: Settings, cache: ModelCache, name: str, data: bytes, overwrite: bool
) -> ModelDetailOut:
    # The file's header is the client's text: the store's refusals quote it, and
    # app.api.errors makes those messages printable.
    metadata = checkpoint_metadata(data, store.limits, UPLOAD_SOURCE)
    check_buildable(metadata, settings.max_hidden_size, UPLOAD_SOURCE)
    if is_read_only(store, name):  # classroom mode: a demo is never replaced (403)
        raise read_only_error(name)
    if overwrite:
        store.check_writable()  # a folder that refuses the write must not cost the running job
        jobs.cancel_for_model(name, workspace_of(store))
    # Create or replace is decided under the store's lock (a racing create or delete cannot make
    # the answer untrue), and the detail comes from the write itself, not from a read-back.
    stored = store.import_checkpoint(name, data, metadata, overwrite=overwrite)
    cache.invalidate(name)
    log.info("imported model %s from a checkpoint of %d bytes", name, len(data))
    return detail_of(name, stored)


def detail_of(name: str, metadata: ModelMetadata, classroom: dict | None = None) -> ModelDetailOut:
    # make_task() raises CorruptModel when this server cannot rebuild the stored task.
    detail = ModelDetailOut.from_metadata(name, metadata, metadata.make_task().describe())
    return detail.model_copy(update=classroom) if classroom else detail


def classroom_fields(store: ModelStore, name: str, visitor: Visitor) -> dict:
    """read_only (a demo in classroom mode) and, for the teacher, the workspace the model is in."""
    read_only = is_read_only(store, name)
    return {"read_only": read_only, "workspace": None if read_only else shown_workspace(visitor, workspace_of(store))}


def model_fields(store: ModelStore, name: str, visitor: Visitor) -> dict:
    """A detail's fields that depend on where the model is: classroom_fields and its experiment."""
    return classroom_fields(store, name, visitor) | {"experiment": experiments_by_model(store).get(name)}


def experiments_by_model(store: ModelStore) -> dict[str, str]:
    """{model name: experiment} for the representative models the caller sees. In classroom mode
    the workspace's own experiments name its own models, the shared results name the demos that
    the workspace does not shadow with a model of its own."""
    if not isinstance(store, WorkspaceView):
        return representative_models(store.root)
    own = store.own()
    mine = representative_models(own.root) if own is not None else {}
    shared = {model: name for model, name in representative_models(store.demos.root).items() if not store.owns(model)}
    return shared | {model: name for model, name in mine.items() if store.owns(model)}


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
