"""Classroom mode as the page sees it: GET /api/classroom (who am I, what are my quotas)
and GET /api/workspaces (the teacher's overview of every workspace).

The page asks /api/classroom once to show its header chip ("your workspace" or
"teacher") and to mark the demos read-only; the teacher's workspace picker lists
/api/workspaces and then names one with ?workspace=ID on /api/models... and
/api/jobs. Who is asking comes from ClassroomGate (app/api/auth.py).
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, Field

from app.api.deps import Jobs, SettingsDep, VisitorDep
from app.api.schemas.common import error_responses
from app.api.workspaces import TEACHER_WORKSPACE, WorkspaceStores
from app.core.store.layout import model_names

router = APIRouter(tags=["classroom"])


class ClassroomOut(BaseModel):
    on: bool = Field(
        description="Whether classroom mode is on (off: a local server, everyone may do anything).", examples=[True]
    )
    role: str = Field(description="teacher, student, or local (classroom mode off).", examples=["student"])
    workspace_max_models: int | None = Field(description="Models one workspace may hold; null when off.", examples=[10])
    workspace_max_jobs: int | None = Field(
        description="Training jobs a student's workspace may have queued or running; null when off.", examples=[2]
    )


class WorkspaceOut(BaseModel):
    id: str = Field(description="The workspace's id; name it with ?workspace=ID.", examples=["teacher"])
    models: int = Field(description="Models stored in it.", examples=[3])
    jobs: int = Field(description="Its training jobs queued or running now.", examples=[1])


@router.get("/classroom", response_model=ClassroomOut, summary="Classroom mode: on or off, and who is asking")
def read_classroom(request: Request, visitor: VisitorDep, settings: SettingsDep) -> ClassroomOut:
    if request.app.state.workspaces is None:
        return ClassroomOut(on=False, role="local", workspace_max_models=None, workspace_max_jobs=None)
    return ClassroomOut(
        on=True,
        role="teacher" if visitor.teacher else "student",
        workspace_max_models=settings.workspace_max_models,
        workspace_max_jobs=settings.workspace_max_jobs,
    )


@router.get(
    "/workspaces",
    response_model=list[WorkspaceOut],
    responses=error_responses(403, 404),
    summary="The teacher's view of every workspace: its models and active jobs",
)
def list_workspaces(request: Request, visitor: VisitorDep, jobs: Jobs) -> list[WorkspaceOut]:
    workspaces: WorkspaceStores | None = request.app.state.workspaces
    if workspaces is None:
        raise HTTPException(404, "this server is not in classroom mode: it has no workspaces (UNROLLED_CLASSROOM)")
    if not visitor.teacher:
        raise HTTPException(403, "only the teacher sees the workspaces; yours is the models the page lists")
    active = jobs.active_counts()
    ids = workspaces.ids()
    if TEACHER_WORKSPACE not in ids:
        ids = [TEACHER_WORKSPACE, *ids]  # the teacher's own, listed even before its first model
    # Counted from the file names, without opening (and so repairing) every workspace's store.
    return [
        WorkspaceOut(id=each, models=len(model_names(workspaces.folder(each))), jobs=active.get(each, 0))
        for each in ids
    ]
