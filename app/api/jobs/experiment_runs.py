"""Experiments in the server's line of jobs: one slot each, their runs on the engine's pool.

    executor = WithExperiments(LocalExecutor(place, slots=2), experiment_workers=1)
    Scheduler(executor, max_queued)        # the one line every job waits in

The Scheduler starts a job when one of its slots is free and hands it to its
executor; this one passes training runs (a RunDescription) to the training
executor and starts an experiment (an ExperimentDescription) itself: a
coordinating thread that drives app.core.experiments' ExperimentRunner, whose
runs train in a process pool of `experiment_workers` processes (or on a Ray
cluster). So an experiment counts as one job against UNROLLED_MAX_JOBS and waits
its turn, fairly between workspaces, like any job; what it may use while it
runs is its own pool's size, UNROLLED_EXPERIMENT_WORKERS (default 1: a job's
one core). Nothing of an experiment runs on the event loop, and no training
happens in the server's process: the thread only stores each result as it
comes (the runner's atomic writes) and tells the job.

Every experiment ends with exactly one Ended (done or cancelled; its outcome's
steps_done counts the runs it computed) or Failed (refused, or crashed), the
final events the Scheduler frees a slot on.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from app.api.jobs.experiment_job import RunsReported, RunsStarted, light_summaries
from app.core.execution import CRASHED, REFUSED, Ended, EventSink, Executor, Failed, StorePlace
from app.core.experiments import ExperimentConflict, ExperimentProgress, ExperimentRunner, Recipe, make_executor
from app.core.experiments.ray_executor import RayUnavailable
from app.core.experiments.recipe import RecipeError
from app.core.run_description import RunOutcome

log = logging.getLogger(__name__)

# What a shutdown waits for an experiment beyond the training runs' wait: a run checks its stop
# flag between batches, but its set-up (the model, the gradient curve at initialisation) cannot
# be interrupted; waiting lets the experiment record "cancelled" rather than be left "running".
SETUP_GRACE_S = 5.0


@dataclass(frozen=True)
class ExperimentDescription:
    """An experiment as the line carries it: the recipe with its overrides applied, and where its runs go."""

    recipe: Recipe
    executor: str = "local"  # local | ray
    workers: int | None = None  # the local pool's size
    address: str | None = None  # the Ray cluster's, for executor ray
    restart: bool = False

    @property
    def model(self) -> str:  # what the line's log lines name
        return self.recipe.name


class _Experiment:
    def __init__(self, runner: ExperimentRunner):
        self.runner = runner
        self.cancelled = threading.Event()
        self.thread: threading.Thread | None = None

    def cancel(self) -> None:
        self.cancelled.set()
        self.runner.cancel()


class WithExperiments(Executor):
    def __init__(self, training: Executor, place: StorePlace, experiment_workers: int = 1):
        self.training, self.place, self.experiment_workers = training, place, experiment_workers
        self.kind, self.slots = training.kind, training.slots
        self._lock = threading.Lock()
        self._experiments: dict[str, _Experiment] = {}

    def launch(self, run_id: str, description, sink: EventSink, place: StorePlace | None = None) -> None:
        if not isinstance(description, ExperimentDescription):
            self.training.launch(run_id, description, sink, place=place)
            return
        store = (place or self.place).open()
        pool = make_executor(description.executor, workers=description.workers, address=description.address)
        experiment = _Experiment(ExperimentRunner(description.recipe, store, pool, restart=description.restart))
        with self._lock:  # known before it starts, so a cancel that comes now reaches it
            self._experiments[run_id] = experiment
        experiment.thread = threading.Thread(
            target=self._run, args=(run_id, experiment, pool, sink), name=f"experiment-{run_id}", daemon=True
        )
        experiment.thread.start()

    def _run(self, run_id: str, experiment: _Experiment, pool, sink: EventSink) -> None:
        runner = experiment.runner
        records: list[dict] = []

        def on_result(progress: ExperimentProgress) -> None:
            if progress.record is None:  # the runs begin; the stored ones were read back
                records.extend(runner.records())
                sink(RunsStarted(run_id, progress.done, progress.total, progress.resumed))
                return
            records.append(progress.record)
            sink(RunsReported(run_id, progress, light_summaries(records)))

        started = time.perf_counter()
        try:
            with pool:
                if experiment.cancelled.is_set():  # withdrawn between its start and now: nothing written
                    final = _ended(runner.recipe.name, "cancelled", 0, 0.0)
                else:
                    if hasattr(pool, "connect"):
                        pool.connect()  # a cluster that cannot be joined is refused before anything is written
                    outcome = runner.run(on_result=on_result)
                    final = _ended(runner.recipe.name, outcome.status, outcome.ran, outcome.wall_time_s)
        except (RecipeError, ExperimentConflict, RayUnavailable) as error:
            final = Failed(run_id, REFUSED, str(error))
        except Exception as error:  # a worker's crash, a full disk: the job says so, the server goes on
            log.exception("experiment %s (%s) failed", runner.recipe.name, run_id)
            final = Failed(run_id, CRASHED, f"the experiment stopped by an unexpected error: {error}")
        finally:
            with self._lock:
                self._experiments.pop(run_id, None)
        if isinstance(final, RunOutcome):
            final = Ended(run_id, final)
        log.info("experiment %s (%s) ended after %.1f s", runner.recipe.name, run_id, time.perf_counter() - started)
        sink(final)

    def cancel(self, run_id: str) -> bool:
        with self._lock:
            experiment = self._experiments.get(run_id)
        if experiment is None:
            return self.training.cancel(run_id)
        experiment.cancel()  # the running runs stop within a batch; finished ones stay stored
        return True

    def running(self) -> list[str]:
        with self._lock:
            experiments = list(self._experiments)
        return self.training.running() + experiments

    def shutdown(self, wait_s: float) -> None:
        with self._lock:
            experiments = list(self._experiments.values())
        for experiment in experiments:
            experiment.cancel()
        started = time.monotonic()
        self.training.shutdown(wait_s)  # meanwhile the experiments' runs stop too
        deadline = started + wait_s + SETUP_GRACE_S
        for experiment in experiments:
            if experiment.thread is not None:
                experiment.thread.join(max(0.0, deadline - time.monotonic()))


def _ended(name: str, status: str, ran: int, seconds: float) -> RunOutcome:
    """An experiment's end in the line's terms: a run's outcome whose steps are the runs computed."""
    return RunOutcome(model=name, status=status, reason="", first_step=0, steps_done=ran, saved=True, seconds=seconds)
