"""Running an experiment: its runs on an executor, each result stored as it arrives; resume.

    runner = ExperimentRunner(recipe, store, executor)
    outcome = runner.run(on_result=lambda progress: ...)     # runner.cancel() from any thread
    outcome.records, outcome.summaries                         # every run of the grid, the aggregates

Runs already stored for the same training and criterion are not run again, so
an interrupted experiment (a kill, Ctrl-C, a cancel) picks up where it
stopped, and a grid grown by seeds or lags runs only the new points. The first
seed's run of each grid point is its representative: its model is stored
under recipe.model_name, before its record, so a record naming a model means
the model is there.
"""

from __future__ import annotations

import os
import platform
import threading
import time
from dataclasses import dataclass, field

import torch

from app.core.experiments.aggregate import aggregate
from app.core.experiments.recipe import Recipe
from app.core.experiments.run import RunJob
from app.core.experiments.storage import ExperimentFolder, model_name
from app.core.store import ModelStore


@dataclass(frozen=True)
class ExperimentProgress:
    """Told to on_result after each run's record is stored."""

    done: int  # runs of the grid with a record, the resumed ones included
    total: int
    record: dict | None  # the run that just finished; None for the first report (resumed runs only)
    resumed: int  # runs found stored at the start


@dataclass
class ExperimentOutcome:
    name: str
    status: str  # done | cancelled
    records: list[dict] = field(default_factory=list)  # every stored run of this grid, in grid order
    summaries: list[dict] = field(default_factory=list)
    ran: int = 0  # runs computed now (the rest were stored already)
    wall_time_s: float = 0.0


class ExperimentRunner:
    def __init__(self, recipe: Recipe, store: ModelStore, executor, restart: bool = False):
        recipe.check()
        self.recipe, self.store, self.executor, self.restart = recipe, store, executor, restart
        self.folder = ExperimentFolder(store.root, recipe.name)
        self._cancelled = threading.Event()

    def plan(self) -> tuple[list[RunJob], int]:
        """(the jobs still to run, the runs stored already) for this grid."""
        stored = {} if self.restart else self.folder.records()
        representative_seed = min(self.recipe.grid.seeds)
        jobs, done = [], 0
        for run in self.recipe.points():
            if run.key in stored:
                done += 1
                continue
            keep_as = model_name(self.recipe.name, run.point) if run.seed == representative_seed else None
            jobs.append(RunJob(self.recipe.name, run, self.recipe.training, self.recipe.criterion, keep_as))
        return jobs, done

    def run(self, on_result=None) -> ExperimentOutcome:
        started = time.perf_counter()
        self.folder.begin(self.recipe, restart=self.restart)
        jobs, resumed = self.plan()
        total, done, ran = resumed + len(jobs), resumed, 0
        if on_result is not None:
            on_result(ExperimentProgress(done, total, None, resumed))
        status = "cancelled"  # also what a Ctrl-C (KeyboardInterrupt) leaves
        try:
            for result in self.executor.results(jobs if not self._cancelled.is_set() else []):
                if result.cancelled:
                    continue
                if result.model is not None:  # the model first: a record that names it finds it
                    metadata, tensors = result.model
                    self.store.put(metadata.name, metadata, tensors, overwrite=True)
                self.folder.write_record(result.record)
                done, ran = done + 1, ran + 1
                if on_result is not None:
                    on_result(ExperimentProgress(done, total, result.record, resumed))
            if not self._cancelled.is_set() and done == total:
                status = "done"
        except Exception:  # a worker's crash, a full disk: the finished runs stay stored for a resume
            status = "failed"
            raise
        finally:
            seconds = time.perf_counter() - started
            self.folder.finish(status, wall_time_s=seconds, runs_done=done, runs=total, machine=self.machine())
        outcome = ExperimentOutcome(self.recipe.name, status, ran=ran, wall_time_s=seconds)
        outcome.records = self.records()
        outcome.summaries = aggregate(outcome.records)
        return outcome

    def cancel(self) -> None:
        """Stop the running runs within a batch and drop the rest; safe from any thread."""
        self._cancelled.set()
        self.executor.cancel()

    def records(self) -> list[dict]:
        """The stored runs of this recipe's grid, in grid order."""
        stored = self.folder.records()
        return [stored[run.key] for run in self.recipe.points() if run.key in stored]

    def machine(self) -> dict:
        facts = {
            "host": platform.node(),
            "processor": _processor(),
            "cores": os.cpu_count(),
            "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
            "python": platform.python_version(),
            "torch": torch.__version__,
        }
        describe = getattr(self.executor, "describe", None)
        return facts | (describe() if describe is not None else {})


def _processor() -> str:
    """The CPU's model name where Linux says it, else what platform knows."""
    try:
        with open("/proc/cpuinfo") as info:
            return next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or platform.machine()
