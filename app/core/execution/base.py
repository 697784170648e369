"""What every executor shares: the events a run sends back, and the Executor contract.

An executor runs app.core.runs.run_training somewhere other than the caller's
thread (worker processes on this machine: local.py; Ray tasks on a cluster: the
experiments issue), given only plain, picklable data:

    executor = LocalExecutor(StorePlace(models_dir, limits), device="cpu", slots=2)
    executor.launch("job-1", RunDescription("reber-lstm", RunRequest(steps=500)), sink)
    executor.launch("job-2", description, sink, place=StorePlace(workspace_dir))  # another store
    ...
    executor.cancel("job-1")          # reaches the run before its next batch
    executor.shutdown(wait_s=2.0)     # every run stops and saves its last complete step

`sink(event)` is called on one of the executor's threads, one event at a time per
run, in the order the run made them:

    Started    the model is open (and, if new, stored); training begins
    Reported   a Progress report
    Traced     the probe's trace, as app.core.trace.trace_document (numpy arrays)
    Ended      a RunOutcome: done | cancelled | failed, saved or not (runs.py's rules)
    Failed     the run never reached an outcome: refused before its first step, the
               model missing, or the worker died (kind says which)

Every run launched ends with exactly one Ended or Failed. Queued and Withdrawn come
from the Scheduler (scheduler.py), which keeps the waiting line in front of an
executor's slots. Every event is a frozen dataclass, so a Ray executor can send
the same ones.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from app.core.run_description import RunDescription, RunOutcome, RunStart
from app.core.store import ModelStore, StoreLimits
from app.core.train import Progress

# Failed.kind
NOT_FOUND = "not_found"  # the model is not in the store (deleted before the run opened it)
REFUSED = "refused"  # the run cannot be done as asked, or the stored model cannot be loaded
CRASHED = "crashed"  # an unexpected exception in the run
LOST = "lost"  # the worker ended without a word (killed, out of memory)


@dataclass(frozen=True)
class Queued:
    run_id: str
    position: int  # 1: the next to start


@dataclass(frozen=True)
class Withdrawn:
    """Taken out of the queue before it started (cancelled, or the executor shut down)."""

    run_id: str


@dataclass(frozen=True)
class Started:
    run_id: str
    start: RunStart


@dataclass(frozen=True)
class Reported:
    run_id: str
    progress: Progress


@dataclass(frozen=True)
class Traced:
    run_id: str
    step: int
    document: dict  # app.core.trace.trace_document(trace): numpy arrays and plain values


@dataclass(frozen=True)
class Ended:
    run_id: str
    outcome: RunOutcome


@dataclass(frozen=True)
class Failed:
    run_id: str
    kind: str  # NOT_FOUND | REFUSED | CRASHED | LOST
    message: str


RunEvent = Queued | Withdrawn | Started | Reported | Traced | Ended | Failed
FINAL_EVENTS = (Withdrawn, Ended, Failed)
EventSink = Callable[[RunEvent], None]


@dataclass(frozen=True)
class StorePlace:
    """Where a worker opens the model store: plain data, so it crosses to another process
    (or, on shared storage, to another machine)."""

    root: Path
    limits: StoreLimits = StoreLimits()

    def open(self) -> ModelStore:
        from app.core.architectures import expected_shapes  # the store checks weights against them

        return ModelStore(self.root, self.limits, expected_shapes=expected_shapes)


class Executor(ABC):
    """Runs at most `slots` runs at once; the caller (the Scheduler) launches no more."""

    kind: str  # "local", "ray"
    slots: int

    @abstractmethod
    def launch(
        self, run_id: str, description: RunDescription, sink: EventSink, place: StorePlace | None = None
    ) -> None:
        """Start the run now. Its events go to sink; it ends with one Ended or Failed.
        place: the store the run opens, when not the executor's own (a classroom workspace's folder)."""

    @abstractmethod
    def cancel(self, run_id: str) -> bool:
        """Ask the run to stop before its next batch (it then saves, by runs.py's rules);
        False when no such run is going."""

    @abstractmethod
    def running(self) -> list[str]:
        """The runs launched and not yet ended."""

    @abstractmethod
    def shutdown(self, wait_s: float) -> None:
        """Stop every run, wait up to wait_s for them to save and end, then end what is left."""
