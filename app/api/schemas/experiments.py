"""Schemas of the experiments resource: what a client may ask for, and what it is shown.

An experiment is a recipe of app.core.experiments (a grid of training runs over
architectures, task options, hidden sizes and seeds); the request names one and
may narrow or widen its grid the way the command line's flags do. Types are
strict and unknown keys refused, as for training. The engine checks the grid
itself (a seed repeated, a lag the task refuses, a grid over the run limit) and
its message becomes the 422.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

# A small number is a count of seeds (0..N-1), as the command line's --seeds N.
SeedsField = int | list[int]


class ExperimentOverrides(BaseModel):
    """The grid's parts to change; each one left out keeps the recipe's own."""

    model_config = ConfigDict(extra="forbid", strict=True)

    seeds: SeedsField | None = Field(
        None, description="How many seeds (N: the seeds 0..N-1), or the seeds themselves.", examples=[3, [0, 4]]
    )
    lags: list[int] | None = Field(
        None, max_length=100, description="The copy task's lags (the recall recipes).", examples=[[5, 20]]
    )
    options: dict[str, list[int]] | None = Field(
        None,
        max_length=20,
        description='Values of any task option, e.g. {"distance": [0, 8]} for fluent-distance.',
        examples=[{"distance": [0, 8]}],
    )
    hidden_sizes: list[int] | None = Field(
        None, max_length=100, description="The hidden sizes H to train (the cost recipe).", examples=[[16, 32]]
    )
    architectures: list[str] | None = Field(
        None, max_length=20, description="Keep only these families of the recipe's variants.", examples=[["elman"]]
    )
    steps: int | None = Field(
        None, ge=1, description="The step budget of every run (at most the server's max_train_steps).", examples=[300]
    )


class ExperimentRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={"examples": [{"recipe": "short-term-memory", "overrides": {"seeds": 2, "lags": [5, 10]}}]},
    )

    recipe: str = Field(
        max_length=100, description="A recipe's name (GET /api/experiments lists them).", examples=["short-term-memory"]
    )
    overrides: ExperimentOverrides = Field(
        default_factory=ExperimentOverrides,
        description="The parts of the recipe's grid to change; the recipe's own where left out.",
        examples=[{"seeds": 2, "lags": [5, 10]}],
    )
    executor: Literal["local", "ray"] = Field(
        "local",
        description=(
            "local: the server's process pool (UNROLLED_EXPERIMENT_WORKERS runs at once); "
            "ray: the Ray cluster at UNROLLED_RAY_ADDRESS (422 when none is set or it does not answer)."
        ),
        examples=["local"],
    )
    restart: bool = Field(
        False, description="Discard stored runs made with another training or criterion (else 409).", examples=[False]
    )


class ExperimentJobInfo(BaseModel):
    """An experiment job's own part of the Job resource."""

    name: str = Field(description="The experiment (its recipe's name).", examples=["short-term-memory"])
    runs_done: int = Field(description="Runs of the grid with a record, the resumed ones included.", examples=[12])
    runs: int = Field(description="Runs in the grid.", examples=[135])
    resumed: int = Field(description="Runs found stored when the job began.", examples=[0])
    executor: Literal["local", "ray"] = Field(
        description="Where its runs train: local pool or Ray.", examples=["local"]
    )
    workers: int | None = Field(description="Runs at once on the local pool; null on Ray.", examples=[1])


class RecipeOut(BaseModel):
    """A recipe: its claim, its default grid, training and criterion (app/core/experiments/recipe.py)."""

    name: str = Field(description="The recipe's name, used to run it.", examples=["short-term-memory"])
    claim: str = Field(
        description="The claim the experiment tests, in a sentence.",
        examples=["Plain RNNs fail to recall a symbol across a long lag where LSTM and GRU succeed."],
    )
    full_grid: str = Field(
        description="How to run the grid the claim deserves.",
        examples=["python -m app experiment run short-term-memory --seeds 20 --executor ray"],
    )
    grid: dict = Field(
        description="variants, task, task_options, hidden_sizes, seeds and runs.",
        examples=[{"task": "copy", "task_options": {"lag": [5, 10]}, "hidden_sizes": [32], "seeds": [0, 1]}],
    )
    training: dict = Field(
        description="steps (the budget), batch_size, learning_rate, optimizer, clip_norm.",
        examples=[{"steps": 2000, "batch_size": 32, "learning_rate": 0.003, "optimizer": "adam", "clip_norm": 1.0}],
    )
    criterion: dict = Field(
        description="threshold, sequences, every, stop_early.",
        examples=[{"threshold": 0.95, "sequences": 512, "every": 50, "stop_early": True}],
    )


class StoredExperimentOut(BaseModel):
    """Stored results of one experiment, as the listing shows them."""

    name: str = Field(description="The experiment (its recipe's name).", examples=["short-term-memory"])
    status: str = Field(
        description=(
            "running (a job is at it), done, cancelled, or interrupted (the server stopped while it ran: "
            "starting it again resumes)"
        ),
        examples=["done"],
    )
    runs_done: int = Field(description="Runs stored.", examples=[135])
    runs: int | None = Field(description="Runs in the grid as last run.", examples=[135])
    job: str | None = Field(None, description="The id of the job running it, while one does.", examples=[None])
    read_only: bool = Field(
        False, description="Classroom mode: the shared results, which a student cannot change.", examples=[False]
    )
    claim: str | None = Field(None, description="The recipe's claim.", examples=["Plain RNNs fail to recall ..."])
    wall_time_s: float | None = Field(None, description="Seconds the runs took, all sessions.", examples=[91.4])
    finished_at: str | None = Field(
        None, description="When it last ended (UTC, ISO 8601).", examples=["2026-11-30T01:10:00Z"]
    )


class ExperimentsOut(BaseModel):
    recipes: list[RecipeOut] = Field(description="Every recipe the server can run.", examples=[[]])
    stored: list[StoredExperimentOut] = Field(description="The results stored in this store.", examples=[[]])
    max_runs: int = Field(description="The largest grid the server runs.", examples=[5000])
    experiment_workers: int = Field(description="Runs an experiment trains at once on the local pool.", examples=[1])
    ray: bool = Field(
        description="Whether the server has a Ray cluster (UNROLLED_RAY_ADDRESS) for executor ray.", examples=[False]
    )


class ExperimentDetailOut(BaseModel):
    """An experiment's stored results: the document (recipe as run, status, machine, wall time),
    every run's record and the aggregate per grid point (app/core/experiments/aggregate.py)."""

    name: str = Field(description="The experiment (its recipe's name).", examples=["short-term-memory"])
    status: str = Field(description="running, done, cancelled or interrupted (as in the listing).", examples=["done"])
    read_only: bool = Field(
        False, description="Classroom mode: shared results a student cannot change.", examples=[False]
    )
    job: str | None = Field(None, description="The id of the job running it, while one does.", examples=[None])
    experiment: dict = Field(
        description="experiment.json: recipe, configuration, status, machine, wall_time_s.",
        examples=[{"recipe": {"name": "short-term-memory"}, "status": "done", "wall_time_s": 91.4}],
    )
    runs: list[dict] = Field(
        description="One record per finished run, in grid order.",
        examples=[[{"key": "lstm-lag10-h32-s0", "seed": 0, "success": True, "steps_to_success": 350}]],
    )
    summaries: list[dict] = Field(
        description="Per grid point: success rate with its Wilson 95% interval, quartiles.",
        examples=[[{"successes": 2, "success_rate": 0.67, "success_interval": [0.21, 0.94]}]],
    )


class DeletedExperimentOut(BaseModel):
    name: str = Field(description="The experiment whose results were deleted.", examples=["short-term-memory"])
    runs_deleted: int = Field(description="How many run records were removed.", examples=[45])
    models_kept: list[str] = Field(
        description="The representative runs' models: ordinary models, not deleted.",
        examples=[["x-short-term-memory-lstm-lag20-h32"]],
    )


class RunsEvent(BaseModel):
    """An experiment job's event (WS /jobs/{id}/events) each time a run's record is stored."""

    type: Literal["runs"] = Field(description="The event's kind.", examples=["runs"])
    runs_done: int = Field(description="Runs of the grid with a record, the resumed ones included.", examples=[12])
    runs: int = Field(description="Runs in the grid.", examples=[135])
    resumed: int = Field(description="Runs found stored when the job began.", examples=[0])
    record: dict | None = Field(
        description="The run that just finished: key, variant, seed, success, steps_to_success, final_metric, "
        "steps_done, status, wall_time_s.",
        examples=[{"key": "lstm-lag10-h32-s0", "seed": 0, "success": True, "steps_to_success": 350}],
    )
    summaries: list[dict] = Field(
        description="The aggregates per grid point so far, without the gradient curves (GET /experiments/{name}).",
        examples=[[{"successes": 2, "success_rate": 0.67, "success_interval": [0.21, 0.94]}]],
    )
