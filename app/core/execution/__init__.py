"""Running training runs away from the caller: executors, their events, the queue, the cost.

    base.py       the events a run sends back and the Executor contract (local and, later, Ray)
    local.py      LocalExecutor: a worker process per run, from a forkserver
    worker.py     what a worker process runs
    scheduler.py  the bounded waiting line in front of an executor, fair between owners
    cost.py       a job's memory and time per step, estimated before it starts; the budget

EXECUTORS maps a kind to its class; an executor is built from plain settings, so
the same RunDescription runs the same wherever it goes.
"""

from app.core.execution.base import (
    CRASHED,
    FINAL_EVENTS,
    LOST,
    NOT_FOUND,
    REFUSED,
    Ended,
    EventSink,
    Executor,
    Failed,
    Queued,
    Reported,
    RunEvent,
    Started,
    StorePlace,
    Traced,
    Withdrawn,
)
from app.core.execution.cost import Budget, JobCost, OverBudget, check_budget, estimate_cost
from app.core.execution.local import LocalExecutor
from app.core.execution.scheduler import QueueFull, Scheduler

EXECUTORS: dict[str, type[Executor]] = {"local": LocalExecutor}

__all__ = [
    "CRASHED",
    "EXECUTORS",
    "FINAL_EVENTS",
    "LOST",
    "NOT_FOUND",
    "REFUSED",
    "Budget",
    "Ended",
    "EventSink",
    "Executor",
    "Failed",
    "JobCost",
    "LocalExecutor",
    "OverBudget",
    "Queued",
    "QueueFull",
    "Reported",
    "RunEvent",
    "Scheduler",
    "Started",
    "StorePlace",
    "Traced",
    "Withdrawn",
    "check_budget",
    "estimate_cost",
]
