"""Schemas shared by every resource: the error body and the error responses to declare."""

from __future__ import annotations

from pydantic import BaseModel, Field


class ErrorOut(BaseModel):
    detail: str = Field(description="What went wrong, in words a person understands.", examples=["model 'x' not found"])


def error_responses(*statuses: int) -> dict:
    """`responses=` for a route: each status documented with the ErrorOut body."""
    meaning = {
        403: "Forbidden (in classroom mode: a demo model, or a teacher's route)",
        404: "Not found",
        409: "Conflict with the current state",
        413: "Too large",
        422: "The request is not valid",
        429: "Too many running jobs (or, in classroom mode, too many of this workspace's)",
        503: "The model store cannot be written (its folder is named)",
    }
    return {status: {"model": ErrorOut, "description": meaning.get(status, "Error")} for status in statuses}
