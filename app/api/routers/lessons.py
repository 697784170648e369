"""GET /api/lessons/figures: the numbers the tour's chapters state, measured on the stored models.

Each figure runs its models over tens to hundreds of seeded sequences (app/core/lessons),
which takes seconds, so the routes are plain `def` (FastAPI runs them in its threadpool,
off the event loop) and the values are cached by the models' weight digests: a figure is
computed once per set of weights and recomputed only when a model is retrained.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from starlette.requests import HTTPConnection

from app.api import experiment_results
from app.api.deps import Cache, Store, per_app
from app.api.schemas.common import error_responses
from app.api.schemas.lessons import FigureOut, FiguresOut
from app.core.experiments import ExperimentNotFound
from app.core.lessons import FIGURE_SEED, FIGURES, FigureCache, FigureSpec, UnknownFigure
from app.core.store import ModelNotFound, ModelStore

router = APIRouter(tags=["lessons"])


def figure_cache(connection: HTTPConnection) -> FigureCache:
    """One FigureCache per application, made on first use."""
    return per_app(connection, "figure_cache", FigureCache)


def stored_results(spec: FigureSpec, store: ModelStore) -> dict | None:
    """The experiment results a figure reads, where the caller's experiments are (their own first, then the
    shipped ones); None when none are stored."""
    try:
        folder, _ = experiment_results.find(store, spec.experiment)
        return {"document": folder.document(), "records": list(folder.records().values())}
    except ExperimentNotFound:
        return None


def measure(spec: FigureSpec, store: ModelStore, models, figures: FigureCache) -> FigureOut:
    loaded, missing, results = [], [], None
    for name in spec.models:
        try:
            loaded.append(models.get(store, name))
        except ModelNotFound:
            missing.append(name)
    if spec.experiment is not None:
        results = stored_results(spec, store)
        if results is None or not results["records"]:
            missing.append(f"the {spec.experiment} experiment's results")
    value = None if missing else figures.get(spec, loaded, FIGURE_SEED, results)
    return FigureOut(
        name=spec.name,
        description=spec.description,
        models=list(spec.models),
        sequences=spec.sequences,
        seed=FIGURE_SEED,
        missing=missing,
        value=value,
        experiment=spec.experiment,
    )


@router.get(
    "/lessons/figures",
    response_model=FiguresOut,
    summary="Every figure the tour states, measured on the stored demo models",
    description="Computed on first use (seconds), then cached until a model it reads is retrained.",
)
def list_figures(store: Store, models: Cache, connection: HTTPConnection) -> FiguresOut:
    figures = figure_cache(connection)
    return FiguresOut(figures={name: measure(spec, store, models, figures) for name, spec in FIGURES.items()})


@router.get(
    "/lessons/figures/{figure}",
    response_model=FigureOut,
    responses=error_responses(404, 422),
    summary="One figure the tour states, measured on the stored demo models",
)
def get_figure(
    figure: Annotated[str, Path(description="A figure's name.", examples=["cost"], max_length=64)],
    store: Store,
    models: Cache,
    connection: HTTPConnection,
) -> FigureOut:
    spec = FIGURES.get(figure)
    if spec is None:
        raise UnknownFigure(f"no figure {figure!r}; the figures are: {', '.join(FIGURES)}")
    return measure(spec, store, models, figure_cache(connection))
