"""GET /api/architectures and /api/tasks: what models can be built, for what tasks."""

from __future__ import annotations

from fastapi import APIRouter

from app.api.schemas.catalog import ArchitectureOut, TaskOut
from app.core.architectures import ARCHITECTURES
from app.core.tasks import TASKS

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
            has_cell_state=arch.has_cell_state,
            has_shortcut=arch.has_shortcut,
            shared_matrices=dict(arch.shared_matrices),
        )
        for arch in ARCHITECTURES.values()
    ]


@router.get("/tasks", response_model=list[TaskOut], summary="The sequence tasks, with their default options")
def list_tasks() -> list[TaskOut]:
    return [TaskOut(**task_class().describe()) for task_class in TASKS.values()]
