"""One run of an experiment: a grid point trained from one seed, measured, as a plain record.

    result = execute_run(RunJob("short-term-memory", run_point, training, criterion, keep_as=None))
    result.record   {"key", "point", "seed", "success", "steps_to_success", "final_metric", ...}

The model is built (app/core/models.build_model) and trained by the one training
flow, app/core/runs.run_training, in a scratch store of its own: the run's model
is never half in the real store, and an interrupted run leaves nothing behind.
Its criterion is checked through run_training's early_stop hook on a fixed set
of fresh held-out sequences, drawn from their own generator (never the training
batches). The gradient curve ||dL_T/dh_t|| against T - t comes from the trace's
per-source gradient table (app/core/trace), at initialisation and at the end.

Everything but the wall time and the speed is a function of the job alone: on
the CPU, with one torch thread, the same job gives the same record in any
process, on any executor. The result is picklable, so a process pool or a Ray
task hands it back as is; the representative run of a grid point also hands
back its trained model (metadata and tensors) for the caller to store.
"""

from __future__ import annotations

import math
import random
import tempfile
import time
from dataclasses import dataclass

import torch

from app.core.device import configure_threads
from app.core.experiments.recipe import Criterion, RunPoint, Training
from app.core.models import LoadedModel, build_model, load_model, store_new, tensors_of
from app.core.run_description import RunDescription
from app.core.runs import run_training
from app.core.store import ModelMetadata, ModelStore
from app.core.tasks import Batch, Task
from app.core.trace import trace
from app.core.train import Progress, StopFlag

GRADIENT_SEQUENCES = 8  # sequences averaged into a gradient curve: a steady curve, a short trace each
TIMING_FIELDS = ("wall_time_s", "steps_per_s", "trace_s")  # the only fields that differ between two runs of one job
SCRATCH_NAME = "run"


@dataclass(frozen=True)
class RunJob:
    experiment: str
    run: RunPoint
    training: Training
    criterion: Criterion
    keep_as: str | None = None  # the stored name of this run's model, when it is its point's representative
    device: str = "cpu"


@dataclass
class RunResult:
    record: dict  # plain JSON-ready data
    cancelled: bool = False  # stopped by the caller: not a result, to be run again
    model: tuple[ModelMetadata, dict[str, torch.Tensor]] | None = None  # the kept model, when keep_as


def execute_run(job: RunJob, cancel=None) -> RunResult:
    """Train and measure one run. `cancel`: an event (set()/is_set()) that stops it within one batch."""
    configure_threads(1)  # runs go side by side, one per core: more threads would only contend
    started = time.perf_counter()
    point, seed = job.run.point, job.run.seed
    with torch.random.fork_rng(devices=[]):  # nothing of the global generator leaks between runs
        loaded = _build(job)
        task = loaded.task
        held_out = task.batch(job.criterion.sequences, random.Random(f"held-out/{seed}"))
        probes = [task.sample(random.Random(f"gradient/{seed}/{k}")) for k in range(GRADIENT_SEQUENCES)]
        record = {
            "key": job.run.key,
            "point": point.to_dict(),
            "seed": seed,
            "parameters": loaded.model.parameter_count(),
            "metric_name": task.metric_name,
            "gradient_init": gradient_curve(loaded.model, task, probes),
        }
        watch = _Criterion(job.criterion, task, held_out)
        with tempfile.TemporaryDirectory(prefix="unrolled-run-") as scratch:
            store = ModelStore(scratch)
            store_new(store, loaded)
            outcome = run_training(
                store,
                RunDescription(SCRATCH_NAME, job.training.request(seed)),
                job.device,
                stop=StopFlag(cancel) if cancel is not None else None,
                early_stop=watch.check,
            )
            trained = load_model(store, SCRATCH_NAME, "cpu") if outcome.saved else None
    cancelled = cancel is not None and cancel.is_set() and outcome.status == "cancelled"
    if trained is not None and not watch.checked_at(outcome.total_steps):
        watch.evaluate(trained.model, outcome.total_steps)  # the final state, always measured
    gradient_end, trace_s = None, None
    if trained is not None:
        traced = time.perf_counter()
        gradient_end = gradient_curve(trained.model, task, probes)
        trace_s = (time.perf_counter() - traced) / len(probes)  # one full trace: the cost recipe's figure
    seconds = time.perf_counter() - started
    record |= {
        "status": outcome.status,
        "reason": outcome.reason,
        "success": watch.success_step is not None,
        "steps_to_success": watch.success_step,
        "steps_done": outcome.steps_done,
        "final_metric": watch.evaluations[-1][1] if watch.evaluations else None,
        "evaluations": [[step, value] for step, value in watch.evaluations],
        "gradient_end": gradient_end,
        "wall_time_s": seconds,
        "steps_per_s": outcome.steps_done / outcome.seconds if outcome.seconds > 0 else None,
        "trace_s": trace_s,
        "model": job.keep_as if trained is not None else None,
    }
    model = None
    if job.keep_as is not None and trained is not None:
        metadata = trained.metadata
        metadata.name = job.keep_as
        model = (metadata, tensors_of(trained.model))
    return RunResult(_finite(record), cancelled, model)


def _build(job: RunJob) -> LoadedModel:
    point = job.run.point
    variant = point.variant
    options = {"init": variant.init} if variant.init is not None else {}
    return build_model(
        name=SCRATCH_NAME,
        architecture=variant.architecture,
        task_id=point.task,
        hidden_size=point.hidden_size,
        seed=job.run.seed,
        activation=variant.activation,
        task_options=dict(point.task_options),
        **options,
    )


class _Criterion:
    """Checks the metric on the held-out batch every `every` steps; remembers each check."""

    def __init__(self, criterion: Criterion, task: Task, held_out: Batch):
        self.criterion, self.task, self.held_out = criterion, task, held_out
        self.next_check = criterion.every
        self.evaluations: list[tuple[int, float]] = []
        self.success_step: int | None = None

    def check(self, report: Progress, loaded: LoadedModel) -> bool:
        """run_training's early_stop: True once the criterion holds (and the recipe stops early)."""
        if report.step < self.next_check:
            return False
        while self.next_check <= report.step:  # reports come every few steps: the next multiple after this one
            self.next_check += self.criterion.every
        self.evaluate(loaded.model, report.step)
        return self.success_step is not None and self.criterion.stop_early

    def checked_at(self, step: int) -> bool:
        return bool(self.evaluations) and self.evaluations[-1][0] == step

    def evaluate(self, model: torch.nn.Module, step: int) -> None:
        value = held_out_metric(model, self.task, self.held_out)
        self.evaluations.append((step, value))
        if self.success_step is None and value >= self.criterion.threshold:
            self.success_step = step


def held_out_metric(model: torch.nn.Module, task: Task, batch: Batch) -> float:
    """The task's metric on a batch the model never trained on, in one forward pass."""
    parameter = next(model.parameters())
    was_training = model.training
    model.eval()
    with torch.no_grad():
        logits, _ = model(batch.x.to(parameter.device, parameter.dtype))
    model.train(was_training)
    return float(task.metric(logits.cpu(), batch))


def gradient_curve(model: torch.nn.Module, task: Task, sequences: list) -> list[float]:
    """||dL_T/dh_t|| against T - t (index 0: t = T), the mean over `sequences`; L_T is the loss of
    the last step that counts. Cut to the shortest sequence, so every distance averages all."""
    curves = []
    for sequence in sequences:
        traced = trace(model.cpu(), task, sequence, grad_flow=True)
        counted = torch.nonzero(traced.loss_mask > 0).flatten()
        last = int(counted[-1]) if len(counted) else traced.steps - 1
        row = traced.grad_flow[last, : last + 1]  # [t] = ||dL_last/dh_t|| for t <= last
        curves.append(row.flip(0))  # [d] = ||dL_last/dh_{last - d}||
    shortest = min(len(curve) for curve in curves)
    mean = torch.stack([curve[:shortest] for curve in curves]).double().mean(0)
    return [float(value) for value in mean]


def _finite(record: dict) -> dict:
    """NaN and infinity as None, so the record is valid JSON."""

    def clean(value):
        if isinstance(value, float) and not math.isfinite(value):
            return None
        if isinstance(value, list):
            return [clean(item) for item in value]
        return value

    return {key: clean(value) for key, value in record.items()}


def comparable(record: dict) -> dict:
    """The record less what depends on the machine's speed: two runs of one job give equal ones."""
    return {key: value for key, value in record.items() if key not in TIMING_FIELDS}
