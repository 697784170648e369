"""Training jobs: the registry that hands them to app.core.execution, and their live event streams."""

from app.api.jobs.registry import JobRegistry

__all__ = ["JobRegistry"]
