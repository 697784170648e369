"""Training jobs: a bounded pool of trainer threads and their live event streams."""

from app.api.jobs.registry import JobRegistry

__all__ = ["JobRegistry"]
