"""Experiments: a recipe's grid of training runs, run on a process pool or a Ray cluster.

    recipe.py         a recipe as frozen data: grid, training, criterion; overrides checked
    recipes.py        the shipped recipes, one per claim of the subject
    run.py            one run: train a grid point from a seed, measure it, a plain record
    aggregate.py      per grid point: success rate with a Wilson interval, quartiles
    storage.py        results beside the models, written atomically; what a resume reads
    experiment.py     the runner: jobs to an executor, each result stored as it comes
    pool.py           the local executor (a process pool)
    ray_executor.py   the Ray executor (optional extra, imported only when used)

Nothing here imports a web package; the API and the page build on the plain
records and summaries.
"""

from app.core.experiments.aggregate import aggregate, quantile, wilson_interval
from app.core.experiments.experiment import ExperimentOutcome, ExperimentProgress, ExperimentRunner
from app.core.experiments.pool import LocalPool
from app.core.experiments.recipe import (
    MAX_RUNS,
    Criterion,
    Grid,
    Overrides,
    Recipe,
    RecipeError,
    Training,
    Variant,
    seeds_from_count,
    variants,
)
from app.core.experiments.storage import (
    ExperimentConflict,
    ExperimentFolder,
    ExperimentNotFound,
    model_name,
    stored_experiments,
)

EXECUTORS = ("local", "ray")


def make_executor(kind: str, workers: int | None = None, address: str | None = None, gpus_per_run: float = 0.0):
    """The executor of that kind; for "ray", address is host:port, ray://..., auto or local, and
    gpus_per_run the share of a GPU each run declares (0: CPU runs)."""
    if kind == "local":
        return LocalPool(workers)
    if kind == "ray":
        from app.core.experiments.ray_executor import RayExecutor  # Ray only when asked for

        return RayExecutor(address or "local", workers=workers, gpus_per_run=gpus_per_run)
    raise ValueError(f"executor must be one of {', '.join(EXECUTORS)}, not {kind!r}")


__all__ = [
    "EXECUTORS",
    "MAX_RUNS",
    "Criterion",
    "ExperimentConflict",
    "ExperimentFolder",
    "ExperimentNotFound",
    "ExperimentOutcome",
    "ExperimentProgress",
    "ExperimentRunner",
    "Grid",
    "LocalPool",
    "Overrides",
    "Recipe",
    "RecipeError",
    "Training",
    "Variant",
    "aggregate",
    "make_executor",
    "model_name",
    "quantile",
    "seeds_from_count",
    "stored_experiments",
    "variants",
    "wilson_interval",
]
