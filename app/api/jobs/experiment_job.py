"""An experiment as a job: the same resource, line, stream and cancel as a training job.

An ExperimentJob is a Job (app/api/jobs/job.py) whose step and steps count the
grid's runs, so GET /api/jobs/{id}, the cancel route and the event stream
serve it unchanged; its snapshot adds kind "experiment" and the experiment's
own part. Its stream sends, after the status event:

    runs       each time a run's record is stored: runs_done of runs, the run that just
               finished (brief), and the partial aggregates per grid point (without the
               gradient curves, which GET /api/experiments/{name} has: a few kB per event)
    done | cancelled | failed    last, as for training

Like a progress event, a newer runs event replaces an unsent one: every runs
event carries all the aggregates so far, so a client that falls behind loses
nothing. A late joiner gets the status, then the latest runs event.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from app.api.jobs.events import status_event
from app.api.jobs.job import Job, Subscription, utc_now
from app.api.responses import to_json_bytes
from app.core.execution import Ended, Failed, Queued, RunEvent, Withdrawn
from app.core.experiments import ExperimentProgress, aggregate
from app.core.run_description import RunRequest

KIND = "experiment"
CURVES = ("gradient_init", "gradient_end")  # per-distance quartiles: the bulk of a summary


@dataclass(frozen=True)
class RunsStarted:
    """The experiment's runs begin (after its stored runs were read back)."""

    run_id: str
    done: int
    total: int
    resumed: int


@dataclass(frozen=True)
class RunsReported:
    """A run's record was stored; summaries: the aggregates of every stored run so far."""

    run_id: str
    progress: ExperimentProgress
    summaries: list[dict]


def light_summaries(records: list[dict]) -> list[dict]:
    """The aggregates per grid point, less the gradient curves."""
    return [{k: v for k, v in summary.items() if k not in CURVES} for summary in aggregate(records)]


def brief_record(record: dict | None) -> dict | None:
    if record is None:
        return None
    keys = ("key", "seed", "success", "steps_to_success", "final_metric", "steps_done", "status", "wall_time_s")
    return {key: record.get(key) for key in keys} | {"variant": record["point"]["variant"]}


def runs_event(progress: ExperimentProgress, summaries: list[dict]) -> str:
    return to_json_bytes(
        {
            "type": "runs",
            "runs_done": progress.done,
            "runs": progress.total,
            "resumed": progress.resumed,
            "record": brief_record(progress.record),
            "summaries": summaries,
        }
    ).decode()


class ExperimentJob(Job):
    def __init__(
        self,
        name: str,
        request: dict,
        runs: int,
        executor: str,
        workers: int | None,
        workspace: str | None = None,
    ):
        # Job reads only the steps of its RunRequest: here they are the grid's runs.
        super().__init__(name, request, RunRequest(steps=max(1, runs)), first_step=0, workspace=workspace)
        self.runs, self.runs_done, self.resumed = runs, 0, 0
        self.executor, self.workers = executor, workers
        self._latest_runs: str | None = None

    def _snapshot(self) -> dict:
        snapshot = super()._snapshot()
        snapshot["kind"] = KIND
        snapshot["experiment"] = {
            "name": self.model,
            "runs_done": self.runs_done,
            "runs": self.runs,
            "resumed": self.resumed,
            "executor": self.executor,
            "workers": self.workers,
        }
        return snapshot

    def start_runs(self, event: RunsStarted) -> bool:
        """The runs begin: running; False when a stop came first."""
        with self._lock:
            if self._stop_reason is not None:
                return False
            self.status, self.position, self.started_at = "running", None, utc_now()
            self.runs_done = self.step = event.done
            self.runs = self.steps = event.total
            self.resumed = event.resumed
            self._publish("progress", status_event(self._snapshot(), []))
            return True

    def report_runs(self, event: RunsReported) -> None:
        text = runs_event(event.progress, event.summaries)  # encoded once, outside the lock
        with self._lock:
            self.runs_done = self.step = event.progress.done
            self.runs = self.steps = event.progress.total
            self._latest_runs = text
            self._publish("progress", text)

    def subscribe(self, notify: Callable[[], None]) -> tuple[Subscription | None, list[str]]:
        """(subscription, opening messages): the status, the latest runs event, the final one if ended."""
        with self._lock:
            job = self._snapshot()
            later = [text for text in (self._latest_runs, self._final) if text is not None]
            subscription = None
            if self._final is None:
                subscription = Subscription(notify)
                self._subscriptions.add(subscription)
        return subscription, [status_event(job, []), *later]


def experiment_sink(job: ExperimentJob, cancel: Callable[[], object]) -> Callable[[RunEvent], None]:
    """The sink the scheduler hands the experiment's events to."""

    def sink(event) -> None:
        if isinstance(event, RunsReported):
            job.report_runs(event)
        elif isinstance(event, RunsStarted):
            if not job.start_runs(event):
                cancel()  # a stop came before the runs began
        elif isinstance(event, Queued):
            job.set_position(event.position)
        elif isinstance(event, Ended):
            outcome = event.outcome
            reason = (job.stop_reason or "") if outcome.status == "cancelled" else outcome.reason
            job.finish(outcome.status, reason)
        elif isinstance(event, Failed):
            job.finish("failed", event.message)
        elif isinstance(event, Withdrawn):
            job.finish("cancelled", job.stop_reason or "cancelled before it started")

    return sink
