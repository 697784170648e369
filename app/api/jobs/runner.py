"""The body of a training job's thread: load, train, save, and save however it ends.

    load the model fresh from the store          its step count continues
    Trainer.run()  --on_progress--> Job (events), ModelSaver (a save every SAVE_EVERY_S)
                   --on_trace-----> Job (the probe trace, encoded once)
    final save                                   done, cancelled, failed, server shutdown
The final save comes before the job is marked finished, so "done" means "on disk".
Two endings are not saved: weights that became non-finite (the store keeps the
last good save, as the CLI does, rather than a model of NaNs) and a model that
was deleted (saving would bring it back; the store refuses anyway).
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace

import torch

from app.api.jobs.job import Job
from app.core.models import LoadedModel, load_model, record_training, save_model
from app.core.store import ModelNotFound, ModelStore, StoreError
from app.core.trace import trace_document
from app.core.train import Progress, TrainConfig, Trainer, TrainResult

log = logging.getLogger(__name__)

SAVE_EVERY_S = 10.0  # a crash or a kill loses at most this much training
EXISTS_CHECK_S = 1.0  # how soon a model deleted behind the registry's back stops its job
MODEL_DELETED = "the model was deleted"


class ProbeTask:
    """The model's task, except that probe() is the sequence the client asked to watch."""

    def __init__(self, task, probe):
        self._task, self._probe = task, probe

    def probe(self):
        return self._probe

    def __getattr__(self, name):
        if name == "_task":  # not set yet (a copy being made): no endless lookup
            raise AttributeError(name)
        return getattr(self._task, name)


class ModelSaver:
    """Folds progress into the model's metadata and writes it to the store, now and then."""

    def __init__(self, store: ModelStore, loaded: LoadedModel, config: TrainConfig):
        self.store, self.loaded, self.config = store, loaded, config
        self._unsaved: list[Progress] = []  # reports not yet in the stored history
        self._mark = time.perf_counter()  # training time up to here is already counted
        self._last_exists_check = self._mark

    def add(self, progress: Progress) -> None:
        self._unsaved.append(progress)

    def save_due(self) -> bool:
        return time.perf_counter() - self._mark >= SAVE_EVERY_S

    def deleted(self) -> bool:
        """Whether the model is gone, looked at most every EXISTS_CHECK_S (two stat calls)."""
        now = time.perf_counter()
        if now - self._last_exists_check < EXISTS_CHECK_S:
            return False
        self._last_exists_check = now
        return not self.store.exists(self.loaded.name)

    def save(self, status: str, total_steps: int) -> None:
        """Raises ModelNotFound when the model was deleted, StoreError when it cannot be written."""
        now = time.perf_counter()
        # Folded in before writing, and cleared at once: a failed write keeps them in
        # the metadata in memory, and the next save must not count them twice.
        record_training(self.loaded, self._unsaved, self.config, now - self._mark, status)
        self._unsaved.clear()
        self._mark = now
        # A stopped run ends between reports; its later steps changed the weights too.
        self.loaded.metadata["total_steps"] = total_steps
        save_model(self.store, self.loaded)


def run_job(job: Job, store: ModelStore, device: torch.device) -> None:
    """The thread's target. Whatever happens, the job ends with a status and a reason."""
    try:
        _train(job, store, device)
    except Exception as error:  # a bug must not leave a job 'running' forever
        log.exception("job %s on model %s crashed", job.id, job.model)
        job.finish("failed", f"training stopped by an unexpected error: {error}")


def _train(job: Job, store: ModelStore, device: torch.device) -> None:
    if job.stop_reason is not None:
        job.finish("cancelled", job.stop_reason)
        return
    try:
        loaded = load_model(store, job.model, device)
    except ModelNotFound:
        job.finish("cancelled", MODEL_DELETED)
        return
    except (StoreError, ValueError) as error:
        job.finish("failed", f"could not load the model: {error}")
        return

    first_step = loaded.total_steps
    # A continued run must not replay the batches of the last one: the seed is
    # offset by the steps already taken, as the CLI does (same model + seed, same run).
    config = replace(job.train_config, seed=job.train_config.seed + first_step)
    task = ProbeTask(loaded.task, job.probe) if job.probe is not None else loaded.task
    saver = ModelSaver(store, loaded, config)

    def on_progress(progress: Progress) -> None:
        job.report_progress(progress)
        saver.add(progress)
        try:
            if saver.save_due() and progress.step < progress.steps:  # the last one is saved anyway
                saver.save("running", progress.step)
            elif saver.deleted():
                raise ModelNotFound(loaded.name)
        except ModelNotFound:
            job.request_stop(MODEL_DELETED)
        except StoreError as error:  # tried again at the next interval; the final save reports it
            log.warning("job %s: periodic save of %s failed: %s", job.id, loaded.name, error)

    def on_trace(step: int, trace) -> None:
        job.report_trace(step, trace_document(trace))

    trainer = Trainer(loaded.model, task, config, on_progress, on_trace, first_step=first_step)
    if not job.start(trainer, first_step):
        job.finish("cancelled", job.stop_reason or "cancelled")
        return
    log.info("job %s: training %s on %s from step %d", job.id, loaded.name, device, first_step)
    try:
        result = trainer.run()
    except Exception as error:  # e.g. out of memory: the weights of the last finished step are kept
        log.exception("job %s: training %s failed", job.id, loaded.name)
        result = TrainResult("failed", trainer.step, f"training stopped by an error: {error}")
    _save_and_finish(job, saver, result, first_step)


def _save_and_finish(job: Job, saver: ModelSaver, result: TrainResult, first_step: int) -> None:
    status = result.status
    reason = {"failed": result.reason, "cancelled": job.stop_reason or ""}.get(status, "")
    if job.stop_reason == MODEL_DELETED:
        job.finish("cancelled", MODEL_DELETED)
        return
    if result.steps_done == 0:
        job.finish(status, reason)  # nothing changed, nothing to save
        return
    if not _finite(saver.loaded.model):
        job.finish("failed", f"{reason or 'the weights became non-finite'}; the stored model keeps its last saved weights")
        return
    step = first_step + result.steps_done
    try:
        saver.save(status, step)
    except ModelNotFound:
        job.finish("cancelled", MODEL_DELETED, step)
        return
    except StoreError as error:
        job.finish("failed", f"the trained model could not be saved: {error}", step)
        return
    job.finish(status, reason, step)


def _finite(model: torch.nn.Module) -> bool:
    with torch.no_grad():
        return all(bool(torch.isfinite(p).all()) for p in model.parameters())
