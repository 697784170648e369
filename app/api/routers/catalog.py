"""GET /api/architectures and /api/tasks: what models can be built, for what tasks."""

from __future__ import annotations

import random

from fastapi import APIRouter, Query

from app.api.schemas.catalog import ArchitectureOut, SampleOut, TaskOut
from app.api.schemas.common import error_responses
from app.core.architectures import ARCHITECTURES
from app.core.tasks import TASKS, TaskInputError, make_task

# The option a `length` query sets, by the first name the task has.
LENGTH_OPTIONS = ("length", "max_length")

router = APIRouter(tags=["catalog"])


@router.get("/architectures", response_model=list[ArchitectureOut], summary="The recurrent cell families")
def list_architectures() -> list[ArchitectureOut]:
    return [
        ArchitectureOut(
            id=arch.id,
            title=arch.title,
            summary=arch.summary,
            equations=list(arch.equations),
            gate_names=list(arch.gate_names),
            activations=list(arch.activations),
            init_schemes=list(arch.init_schemes),
            has_cell_state=arch.has_cell_state,
            has_shortcut=arch.has_shortcut,
            shared_matrices=dict(arch.shared_matrices),
        )
        for arch in ARCHITECTURES.values()
    ]


@router.get("/tasks", response_model=list[TaskOut], summary="The sequence tasks, with their default options")
def list_tasks() -> list[TaskOut]:
    return [TaskOut(**task_class().describe()) for task_class in TASKS.values()]


@router.get(
    "/tasks/{task_id}/sample",
    response_model=SampleOut,
    responses=error_responses(422),
    summary="A generated sequence of a task, as a model would see it",
)
def sample_task(
    task_id: str,
    seed: int = Query(0, ge=0, le=2**32 - 1, description="Random seed: the same seed gives the same sequence."),
    length: int | None = Query(
        None,
        ge=1,
        le=10_000,
        description="Sets the task's `length` option (adding, copy, sine, text) or `max_length` (the grammars).",
    ),
) -> SampleOut:
    options = {}
    if length is not None:
        spec = {option.name for option in TASKS[task_id].options_spec} if task_id in TASKS else set()
        name = next((n for n in LENGTH_OPTIONS if n in spec), None)
        if name is None and task_id in TASKS:
            raise TaskInputError(f"the {task_id} task has no length option")
        options[name] = length
    task = make_task(task_id, options)  # unknown id or out-of-range length -> TaskInputError -> 422
    sequence = task.sample(random.Random(seed))
    return SampleOut(
        task=task.id,
        seed=seed,
        steps=len(sequence.labels),
        labels=sequence.labels,
        target_labels=sequence.target_labels,
        x=sequence.x.tolist(),
        target=sequence.target.tolist(),
        loss_mask=sequence.loss_mask.tolist(),
    )
