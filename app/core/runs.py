"""The one way to train a stored model: create or continue it, train it, save it.

    outcome = run_training(store, RunDescription("reber-lstm", RunRequest(steps=500),
                                                 create=ModelSpec("lstm", "reber", 16)),
                           device, on_start=..., on_progress=..., on_trace=..., stop=StopFlag())

The command line (app/cli/training.py), the server's job runner
(app/api/jobs/runner.py) and the demo script (app/demo_models.py) all train
through here; they differ only in where the request comes from and where the
events go. A RunDescription (app/core/run_description.py) is plain, picklable
data, so a worker process can be handed one; nothing here knows of the web.

Before the first step a run that cannot be done raises (RunRefused, or the
store's error: an unknown model, a damaged file); from then on every ending is
a RunOutcome. A new model is stored before its first step, so an interrupted
run has somewhere to go.

The seed rule: a run's batches are seeded with request.seed + the steps the
model had already taken. A continued run draws fresh batches instead of
replaying the first run's, and the same model with the same request is the
same run.

The save rules:
    done       saved.
    cancelled  (the stop flag was set) saved: the steps taken count.
    failed     (a non-finite loss or weights, an exception) not saved: the store
               keeps the last good save rather than a model of NaNs.
    deleted    (the model vanished from the store during the run) never saved,
               so never resurrected; the run ends cancelled.
While it trains, the model is also saved every SAVE_EVERY_S, so a crash or a
kill loses at most that much training.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import torch

from app.core.models import LoadedModel, build_model, load_model, save_model, store_new
from app.core.run_description import (
    IncompleteModelSpec,
    ModelSpec,
    RunDescription,
    RunOutcome,
    RunRefused,
    RunRequest,
    RunStart,
)
from app.core.store import HistoryPoint, LastTraining, ModelNotFound, ModelStore, StoreError, Warmup
from app.core.tasks import Task, make_task
from app.core.train import Progress, StopFlag, TrainConfig, Trainer, TrainResult

log = logging.getLogger(__name__)

# The plain data of a run lives in run_description; callers import it from here too.
__all__ = [
    "MODEL_DELETED",
    "IncompleteModelSpec",
    "ModelSpec",
    "RunDescription",
    "RunOutcome",
    "RunRefused",
    "RunRequest",
    "RunStart",
    "StopFlag",
    "run_training",
]

SAVE_EVERY_S = 10.0  # a crash or a kill loses at most this much training
EXISTS_CHECK_S = 1.0  # how soon a model deleted behind the run's back stops it
MODEL_DELETED = "the model was deleted"
KEPT_LAST_SAVE = "the stored model keeps its last saved weights"


def run_training(
    store: ModelStore,
    description: RunDescription,
    device: torch.device | str,
    *,
    on_start: Callable[[RunStart], None] | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    on_trace: Callable[[int, object], None] | None = None,
    stop: StopFlag | None = None,
    early_stop: Callable[[Progress, LoadedModel], bool] | None = None,
) -> RunOutcome:
    """Create or continue description.model, train it, save it by the rules above.

    early_stop, when given, is asked after each progress report (with the model being
    trained); True ends the run there, done and saved like a run that used its budget.
    An experiment's criterion stops its runs this way (app/core/experiments/run.py).
    """
    stop = stop if stop is not None else StopFlag()
    request = description.request
    loaded, created = _open(store, description, device)
    # Everything that can refuse the run is checked before a new model is stored,
    # so a refused run leaves nothing behind.
    task = _training_task(loaded, description.warmup_options)
    probe = task.encode(request.probe) if request.probe is not None else None
    if created:  # stored before its first step, so an interrupted run has somewhere to go
        store_new(store, loaded)
    first_step = loaded.total_steps
    config = request.train_config(first_step)
    run = _Run(store, loaded, config, stop, task if description.warmup_options is not None else None)
    # The trainer stops on the caller's flag or on this run's own early stop, which must not
    # set the caller's flag: that one may be shared with other runs (an experiment's cancel).
    met = StopFlag()
    either = StopFlag(_Either(stop, met))

    def progress(report: Progress) -> None:
        if on_progress is not None:
            on_progress(report)
        if early_stop is not None and not either.is_set() and early_stop(report, loaded):
            met.stop()
        run.check_in(trainer)

    trainer = Trainer(
        loaded.model, task, config, progress, on_trace, first_step=first_step, probe=probe, stop_flag=either
    )
    if on_start is not None:
        on_start(RunStart(loaded.name, created, first_step, config.steps, task.metric_name, str(device)))
    log.info("training %s on %s from step %d", loaded.name, device, first_step)
    run.begin()
    try:
        result = trainer.run()
    except Exception as error:  # e.g. out of memory: the store keeps the last good save
        log.exception("training %s failed", loaded.name)
        result = TrainResult("failed", trainer.step, f"training stopped by an error: {error}", trainer.history)
    if result.status == "cancelled" and met.is_set() and not stop.is_set():
        result = TrainResult("done", result.steps_done, "", result.history)  # stopped early: its goal was met
    return run.finish(trainer, result)


class _Either:
    """An event that is set when either of two flags is (StopFlag accepts any set()/is_set())."""

    def __init__(self, outer: StopFlag, own: StopFlag):
        self.outer, self.own = outer, own

    def set(self) -> None:
        self.own.stop()

    def is_set(self) -> bool:
        return self.own.is_set() or self.outer.is_set()


def _open(store: ModelStore, description: RunDescription, device) -> tuple[LoadedModel, bool]:
    """(the model, whether it is new: built here and not yet stored)."""
    name, spec = description.model, description.create
    store.validate_name(name)
    if spec is None or store.exists(name):
        loaded = load_model(store, name, device)
        if spec is not None:
            _check_matches(loaded, spec)
        return loaded, False
    loaded = build_new(name, spec)
    loaded.model.to(device)
    return loaded, True


def build_new(name: str, spec: ModelSpec) -> LoadedModel:
    """A new model as `spec` describes it, built and not yet stored. IncompleteModelSpec when
    the spec lacks what building needs; RunRefused with the reason when the family refuses it."""
    missing = [key for key in ("architecture", "task", "hidden_size") if getattr(spec, key) is None]
    if missing:
        raise IncompleteModelSpec(name, missing)
    try:
        return build_model(
            name=name,
            architecture=spec.architecture,
            task_id=spec.task,
            hidden_size=spec.hidden_size,
            seed=spec.seed,
            activation=spec.activation,
            task_options=spec.task_options,
            init=spec.init,
        )
    except ValueError as error:  # unknown architecture or task, a bad option, a size or init the family refuses
        raise RunRefused(str(error)) from None


def _check_matches(loaded: LoadedModel, spec: ModelSpec) -> None:
    """A stored model cannot change shape or task: a spec that says otherwise is refused."""
    config = loaded.model.config
    stored = {
        "architecture": config.architecture,
        "task": loaded.task.id,
        "hidden_size": config.hidden_size,
        "activation": config.activation,
    }
    if spec.init is not None and spec.init != loaded.metadata.init:
        raise RunRefused(
            f"model {loaded.name!r} was initialised with {loaded.metadata.init.to_text()}, not {spec.init.to_text()}; "
            "initialisation only applies to a new model, so choose a new name to start one that way"
        )
    for key, value in stored.items():
        given = getattr(spec, key)
        if given is not None and given != value:
            raise RunRefused(
                f"model {loaded.name!r} has {key.replace('_', ' ')} {value!r}, not {given!r}; "
                "a stored model keeps its shape, so choose a new name to train a different one"
            )
    for key, value in spec.task_options.items():
        if loaded.task.options.get(key) != value:
            raise RunRefused(
                f"model {loaded.name!r} was made with task option {key}={loaded.task.options.get(key)!r}, "
                f"not {value!r}; choose a new name for a different task setting"
            )


def _training_task(loaded: LoadedModel, warmup_options: dict | None) -> Task:
    if warmup_options is None:
        return loaded.task
    task = make_task(loaded.task.id, {**loaded.task.options, **warmup_options})
    if (task.input_size, task.output_size) != (loaded.task.input_size, loaded.task.output_size):
        raise RunRefused(f"warm-up options {warmup_options} change the task's vocabulary; the model cannot train on it")
    return task


class _Run:
    """Folds a run's history and time into the model's metadata and saves it: now and then, and at the end."""

    def __init__(
        self, store: ModelStore, loaded: LoadedModel, config: TrainConfig, stop: StopFlag, warmup_task: Task | None
    ):
        self.store, self.loaded, self.config, self.stop = store, loaded, config, stop
        self.warmup_task = warmup_task
        self.first_step = loaded.total_steps
        self.warmup_steps_before = loaded.metadata.warmup.steps if loaded.metadata.warmup and warmup_task else 0
        self.folded = 0  # the trainer's history points already in the metadata
        self.deleted = False
        self.started = self.mark = self.last_exists_check = time.perf_counter()

    def begin(self) -> None:
        self.started = self.mark = self.last_exists_check = time.perf_counter()

    def check_in(self, trainer: Trainer) -> None:
        """After each report: a periodic save when one is due, else now and then a look
        whether the model was deleted (two stat calls)."""
        now = time.perf_counter()
        try:
            if now - self.mark >= SAVE_EVERY_S and trainer.step < self.config.steps:  # the last one is saved anyway
                if _finite(self.loaded.model):
                    self.save(trainer, "running")
            elif now - self.last_exists_check >= EXISTS_CHECK_S:
                self.last_exists_check = now
                if not self.store.exists(self.loaded.name):
                    raise ModelNotFound(self.loaded.name)
        except ModelNotFound:
            self.deleted = True
            self.stop.stop()
        except StoreError as error:  # tried again at the next interval; the final save reports it
            log.warning("periodic save of %s failed: %s", self.loaded.name, error)

    def save(self, trainer: Trainer, status: str) -> None:
        """Raises ModelNotFound when the model was deleted, StoreError when it cannot be written."""
        now = time.perf_counter()
        # Folded in before writing and counted at once: after a failed write they stay
        # in the metadata in memory, and the next save must not add them twice.
        self._fold(trainer.history[self.folded :], now - self.mark, status, self.first_step + trainer.step)
        self.folded, self.mark = len(trainer.history), now
        save_model(self.store, self.loaded)

    def finish(self, trainer: Trainer, result: TrainResult) -> RunOutcome:
        def outcome(status: str, reason: str = "", saved: bool = False, deleted: bool = False) -> RunOutcome:
            return RunOutcome(
                self.loaded.name,
                status,
                reason,
                self.first_step,
                result.steps_done,
                saved,
                deleted,
                time.perf_counter() - self.started,
                result.history[-1] if result.history else None,
            )

        if self.deleted:
            return outcome("cancelled", MODEL_DELETED, deleted=True)
        if result.status == "failed":
            return outcome("failed", f"{result.reason}; {KEPT_LAST_SAVE}")
        if result.steps_done == 0:
            return outcome(result.status)  # nothing changed, nothing to save
        if not _finite(self.loaded.model):
            return outcome("failed", f"the weights became non-finite; {KEPT_LAST_SAVE}")
        try:
            self.save(trainer, result.status)
        except ModelNotFound:
            return outcome("cancelled", MODEL_DELETED, deleted=True)
        except StoreError as error:
            return outcome("failed", f"the trained model could not be saved: {error}")
        return outcome(result.status, saved=True)

    def _fold(self, points: list[Progress], seconds: float, status: str, total_steps: int) -> None:
        metadata, config = self.loaded.metadata, self.config
        for point in points:
            plain = point.to_dict()  # a non-finite number becomes None
            metadata.history.append(HistoryPoint(point.step, plain["loss"], plain["metric"], plain["grad_norm"]))
        # A stopped run ends between reports; its later steps changed the weights too.
        metadata.total_steps = total_steps
        metadata.training_time_s += seconds
        metadata.last_training = LastTraining(
            status=status,
            finished_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            steps_per_s=points[-1].steps_per_s if points else None,
            config={
                "steps": config.steps,
                "batch_size": config.batch_size,
                "learning_rate": config.learning_rate,
                "optimizer": config.optimizer,
                "clip_norm": config.clip_norm,
                "tbptt": config.tbptt,
                "seed": config.seed,
            },
        )
        if self.warmup_task is not None:
            steps = self.warmup_steps_before + total_steps - self.first_step
            metadata.warmup = Warmup(dict(self.warmup_task.options), steps)


def _finite(model: torch.nn.Module) -> bool:
    with torch.no_grad():
        return all(bool(torch.isfinite(p).all()) for p in model.parameters())
