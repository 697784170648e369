"""/api/experiments: the recipes, starting one as a job, its stored results, their CSV.

    GET    /experiments                  the recipes (claim, default grid) and the stored results
    POST   /experiments                  {recipe, overrides, executor, restart} -> 202, a Job (kind experiment)
    GET    /experiments/{name}           the experiment as run, every run's record, the aggregates
    GET    /experiments/{name}/runs.csv  one row per run
    DELETE /experiments/{name}           its results (its representative models stay)

An experiment is a job like training (app/api/jobs/experiment_runs.py): it
waits in the same line, takes one slot of UNROLLED_MAX_JOBS, is followed on
GET /api/jobs/{id} and WS /api/jobs/{id}/events (runs done of all, partial
aggregates) and cancelled on POST /api/jobs/{id}/cancel; its runs train on a
pool of UNROLLED_EXPERIMENT_WORKERS processes, or on the Ray cluster at
UNROLLED_RAY_ADDRESS when asked. Everything a client can get wrong is refused
before anything is written: an unknown recipe, zero or repeated seeds, a grid
over the run limit (each a 422 naming it), a step budget or hidden size over
the server's limits (422), no Ray cluster or one that does not answer (422),
stored results made with other settings (409 unless restart), a store without
room for a model per grid point (409). In classroom mode the results live in
the caller's workspace, a student's experiment counts against the workspace's
job quota, and the shared (shipped) results are read-only.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Response

from app.api.deps import Jobs, SettingsDep, Store, VisitorDep
from app.api.experiment_results import discard, find, in_grid_order, listing, runs_csv, stored_run_count
from app.api.jobs.experiment_job import ExperimentJob
from app.api.jobs.experiment_runs import ExperimentDescription
from app.api.json_body import SMALL_BODY_BYTES, json_body, json_body_openapi
from app.api.responses import numpy_json_response
from app.api.routers.jobs import job_out
from app.api.schemas.common import error_responses
from app.api.schemas.experiments import (
    DeletedExperimentOut,
    ExperimentDetailOut,
    ExperimentOverrides,
    ExperimentRequest,
    ExperimentsOut,
    RecipeOut,
    StoredExperimentOut,
)
from app.api.schemas.jobs import JobOut
from app.api.workspaces import WorkspaceView, place_of, workspace_of
from app.core.experiments import (
    MAX_RUNS,
    ExperimentConflict,
    ExperimentFolder,
    Overrides,
    Recipe,
    aggregate,
    model_name,
    seeds_from_count,
)
from app.core.experiments.ray_executor import check_reachable, import_ray
from app.core.experiments.recipes import RECIPES, get_recipe
from app.core.store import validate_name
from app.core.store.errors import StoreFull
from app.settings import Settings

ExperimentBody = Annotated[
    ExperimentRequest, json_body(ExperimentRequest, SMALL_BODY_BYTES, "an experiment request is a few fields")
]
ExperimentName = Annotated[str, Path(description="The experiment's name (its recipe's).", examples=["cost"])]

router = APIRouter(prefix="/experiments", tags=["experiments"])


@router.get("", response_model=ExperimentsOut, summary="The recipes, and the experiments with stored results")
def list_experiments(store: Store, jobs: Jobs, settings: SettingsDep) -> dict:
    stored = []
    for name, folder, read_only in listing(store):
        try:
            document = folder.document()
        except ValueError:  # an experiment.json that cannot be read: not listed, as a damaged run file
            continue
        job = None if read_only else jobs.active_experiment(name, workspace_of(store))
        stored.append(
            StoredExperimentOut(
                name=name,
                status=_status(document, job),
                runs_done=stored_run_count(folder),
                runs=document.get("runs", document.get("recipe", {}).get("grid", {}).get("runs")),
                job=job.id if job is not None else None,
                read_only=read_only,
                claim=document.get("recipe", {}).get("claim"),
                wall_time_s=document.get("wall_time_s"),
                finished_at=document.get("finished_at"),
            )
        )
    return {
        "recipes": [RecipeOut(**recipe.to_dict()) for recipe in RECIPES.values()],
        "stored": stored,
        "max_runs": MAX_RUNS,
        "experiment_workers": settings.experiment_workers,
        "ray": settings.ray_address is not None,
    }


@router.post(
    "",
    status_code=202,
    response_model=JobOut,
    responses=error_responses(404, 409, 413, 422, 429, 503),
    summary="Run a recipe in the background; watch it on /jobs/{id}/events",
    description=(
        "Stored runs of the same training and criterion are kept and not run again (a resume, or a grid "
        "grown by seeds or lags). The job waits in line like a training job (one slot); its events say "
        "runs done of all and carry the partial aggregates."
    ),
    openapi_extra=json_body_openapi(ExperimentRequest),
)
def start_experiment(
    body: ExperimentBody, store: Store, jobs: Jobs, settings: SettingsDep, visitor: VisitorDep
) -> dict:
    recipe = get_recipe(body.recipe).with_overrides(overrides_of(body.overrides))  # RecipeError: 422
    _check_limits(recipe, settings)
    address = _check_executor(body.executor, settings)
    own_root = _own_root(store)
    if own_root is not None:
        _check_stored(ExperimentFolder(own_root, recipe.name), recipe, body.restart)
    _check_room(store, recipe)
    store.check_writable()  # 503 naming the folder, before the job takes a slot
    workers = settings.experiment_workers if body.executor == "local" else None
    job = ExperimentJob(recipe.name, body.model_dump(), recipe.grid.runs, body.executor, workers, workspace_of(store))
    if isinstance(store, WorkspaceView):
        store.own(create=True)  # the workspace's folder, where the results go (TooManyWorkspaces: 409)
    jobs.submit_experiment(
        job,
        ExperimentDescription(recipe, body.executor, workers, address, body.restart),
        place=place_of(store),
        max_active=None if visitor.teacher else settings.workspace_max_jobs,
    )
    return job_out(job, visitor)


@router.get(
    "/{name}",
    response_model=ExperimentDetailOut,
    responses=error_responses(404, 422),
    summary="An experiment's stored results: the recipe as run, every run, the aggregates per grid point",
)
def read_experiment(name: ExperimentName, store: Store, jobs: Jobs) -> Response:
    folder, read_only = find(store, validate_name(name))
    document = folder.document()
    records = in_grid_order(list(folder.records().values()), document)
    job = None if read_only else jobs.active_experiment(name, workspace_of(store))
    detail = {
        "name": name,
        "status": _status(document, job),
        "read_only": read_only,
        "job": job.id if job is not None else None,
        "experiment": document,
        "runs": records,
        "summaries": aggregate(records),
    }
    return numpy_json_response(detail)  # a few hundred kB for a full grid: encoded by orjson, not validated again


@router.get(
    "/{name}/runs.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}, **error_responses(404, 422)},
    summary="Every run of an experiment as CSV, one row each",
)
def experiment_csv(name: ExperimentName, store: Store) -> Response:
    folder, _ = find(store, validate_name(name))
    records = in_grid_order(list(folder.records().values()), folder.document())
    return Response(
        runs_csv(records),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}-runs.csv"'},
    )


@router.delete(
    "/{name}",
    response_model=DeletedExperimentOut,
    responses=error_responses(403, 404, 409, 422),
    summary="Delete an experiment's stored results (its representative models are kept)",
)
def delete_experiment(name: ExperimentName, store: Store, jobs: Jobs) -> dict:
    folder, read_only = find(store, validate_name(name))
    if read_only:
        raise HTTPException(403, f"experiment {name!r} is the class's shared results: read-only in classroom mode")
    job = jobs.active_experiment(name, workspace_of(store))
    if job is not None:
        raise HTTPException(409, f"experiment {name!r} is running in job {job.id}; cancel it first")
    records = list(folder.records().values())
    discard(folder)
    models = sorted({record["model"] for record in records if record.get("model")})
    return {"name": name, "runs_deleted": len(records), "models_kept": models}


# ----- checks ----------------------------------------------------------------------


def overrides_of(body: ExperimentOverrides) -> Overrides:
    options = {name: tuple(values) for name, values in (body.options or {}).items()}
    if body.lags is not None:
        options["lag"] = tuple(body.lags)
    seeds = body.seeds
    return Overrides(
        seeds=seeds_from_count(seeds) if isinstance(seeds, int) else (tuple(seeds) if seeds is not None else None),
        task_options=options,
        steps=body.steps,
        architectures=tuple(body.architectures) if body.architectures is not None else None,
        hidden_sizes=tuple(body.hidden_sizes) if body.hidden_sizes is not None else None,
    )


def _check_limits(recipe: Recipe, settings: Settings) -> None:
    if recipe.training.steps > settings.max_train_steps:
        raise HTTPException(
            422, f"steps must be at most {settings.max_train_steps} on this server, not {recipe.training.steps}"
        )
    largest = max(recipe.grid.hidden_sizes)
    if largest > settings.max_hidden_size:
        raise HTTPException(
            422, f"a hidden size must be at most {settings.max_hidden_size} on this server, not {largest}"
        )


def _check_executor(executor: str, settings: Settings) -> str | None:
    """The Ray address for executor ray (RayUnavailable, a 422, when it cannot be used); None for local."""
    if executor == "local":
        return None
    if settings.ray_address is None:
        raise HTTPException(
            422,
            "executor ray needs a Ray cluster and this server has none: start it with "
            "UNROLLED_RAY_ADDRESS=host:port (or local), or use executor local",
        )
    import_ray()
    if settings.ray_address not in ("local", "auto"):
        check_reachable(settings.ray_address)  # a few seconds at most, in the threadpool
    return settings.ray_address


def _own_root(store):
    """The models folder the caller's results are written to; None for a workspace without a folder yet."""
    if isinstance(store, WorkspaceView):
        own = store.own()
        return own.root if own is not None else None
    return store.root


def _check_stored(folder: ExperimentFolder, recipe: Recipe, restart: bool) -> None:
    if restart or not folder.exists:
        return
    stored = folder.document().get("configuration")
    if stored != recipe.configuration():
        raise ExperimentConflict(
            f"experiment {recipe.name!r} has stored results made with another training or criterion "
            f"({_difference(stored or {}, recipe.configuration())}); send restart: true to discard them, "
            "or ask for the stored settings"
        )


def _difference(stored: dict, asked: dict) -> str:
    for part in ("training", "criterion"):
        for key, value in asked.get(part, {}).items():
            if stored.get(part, {}).get(key) != value:
                return f"{key} {stored.get(part, {}).get(key)!r} stored, {value!r} asked"
    return "a changed setting"


def _check_room(store, recipe: Recipe) -> None:
    """Each grid point keeps its representative model: the store must have room for the new ones,
    or the experiment would stop half way with a full store."""
    own = store.own() if isinstance(store, WorkspaceView) else store
    held = {entry.name for entry in own.list()} if own is not None else set()
    new = {model_name(recipe.name, point) for point in recipe.grid_points()} - held
    room = store.limits.max_models - len(held)
    if len(new) > room:
        raise StoreFull(
            f"the experiment keeps one model per grid point, {len(new)} new ones, and the store has room "
            f"for {max(0, room)} (its limit is {store.limits.max_models} models); narrow the grid or delete models"
        )


def _status(document: dict, job: ExperimentJob | None) -> str:
    if job is not None:
        return "running"
    status = document.get("status", "interrupted")
    return "interrupted" if status == "running" else status  # its job is gone: the server stopped under it
