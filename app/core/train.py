"""The training loop. It knows nothing of the web: it reports through callbacks.

A Trainer runs `config.steps` optimizer steps over batches from the task (or a
batch source you hand it), and every so often calls
    on_progress(Progress)   the loss and metric since the last report, ||grad||, steps/s
    on_trace(step, Trace)   a trace of the probe sequence, to watch the net learn
The server's job registry hooks its WebSocket streams in here (minGPT's
callback design). `stop()` (or its StopFlag) may be called from any thread; the
loop notices it before the next batch, so it stops within one batch.

The history (the loss curve kept with the model) has a point every
`report_every` steps, at the last step and at a stop, each averaging the loss
since the previous point. Reports made because time passed (report_every_s)
only refresh a display: they depend on the machine's speed, so they never enter
the history, and the same run gives the same history everywhere.
"""

from __future__ import annotations

import logging
import math
import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field

import torch

from app.core.architectures import RecurrentModel
from app.core.losses import step_losses
from app.core.trace import trace

log = logging.getLogger(__name__)

OPTIMIZERS = {
    "sgd": torch.optim.SGD,
    "adam": torch.optim.Adam,
    "rmsprop": torch.optim.RMSprop,
}


@dataclass
class TrainConfig:
    steps: int = 1000  # optimizer steps, one batch each
    batch_size: int = 32  # sequences per batch
    learning_rate: float = 0.01
    optimizer: str = "adam"  # sgd | adam | rmsprop
    clip_norm: float | None = 1.0  # clip the gradient's global norm to this; None: no clipping
    tbptt: int | None = None  # truncated BPTT: gradients flow back at most this many steps; None: full BPTT
    seed: int = 0  # seeds the batches: same seed, same run on the CPU
    report_every: int = 10  # call on_progress at least every this many steps...
    report_every_s: float | None = None  # ...and also whenever this much time has passed
    trace_every: int = 0  # call on_trace every this many steps; 0: only by time, if trace_every_s
    trace_every_s: float | None = None  # ...and whenever this much time has passed since the last trace

    def check(self) -> None:
        if self.steps < 1:
            raise ValueError("steps must be at least 1")
        if self.batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        if not (math.isfinite(self.learning_rate) and self.learning_rate > 0):
            raise ValueError("learning_rate must be a positive number")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {', '.join(OPTIMIZERS)}, not {self.optimizer!r}")
        if self.clip_norm is not None and not (math.isfinite(self.clip_norm) and self.clip_norm > 0):
            raise ValueError("clip_norm must be a positive number, or null for no clipping")
        if self.tbptt is not None and self.tbptt < 1:
            raise ValueError("tbptt must be at least 1, or null for full BPTT")
        for name in ("report_every_s", "trace_every_s"):
            seconds = getattr(self, name)
            if seconds is not None and not (math.isfinite(seconds) and seconds > 0):
                raise ValueError(f"{name} must be a positive number of seconds, or null")


class StopFlag:
    """A request to end a run after its current batch; stop() is safe from any thread.

    Backed by a threading.Event unless given another event with set()/is_set(),
    such as a multiprocessing one, so a run in a worker process can be stopped too.
    """

    def __init__(self, event=None):
        self._event = event if event is not None else threading.Event()

    def stop(self) -> None:
        self._event.set()

    def is_set(self) -> bool:
        return self._event.is_set()


@dataclass
class Progress:
    step: int  # optimizer steps done so far
    steps: int  # steps asked for
    loss: float  # mean training loss per counted step, over the batches since the last report
    metric: float  # the task's metric on the latest batch
    grad_norm: float  # global gradient norm before clipping, latest batch
    steps_per_s: float  # over the batches since the last report
    elapsed_s: float

    def to_dict(self) -> dict:
        return {k: (v if not isinstance(v, float) or math.isfinite(v) else None) for k, v in asdict(self).items()}


@dataclass
class TrainResult:
    status: str  # done | cancelled | failed
    steps_done: int
    reason: str = ""  # why it failed, in words
    history: list[Progress] = field(default_factory=list)


class TrainingDiverged(RuntimeError):
    pass


class Trainer:
    def __init__(
        self,
        model: RecurrentModel,
        task,
        config: TrainConfig,
        on_progress: Callable[[Progress], None] | None = None,
        on_trace: Callable[[int, object], None] | None = None,
        batches: Iterator | None = None,
        first_step: int = 0,
        probe=None,
        stop_flag: StopFlag | None = None,
    ):
        config.check()
        self.model, self.task, self.config = model, task, config
        self.on_progress, self.on_trace = on_progress, on_trace
        self.device = next(model.parameters()).device
        self.dtype = next(model.parameters()).dtype
        self.batches = batches if batches is not None else self._task_batches()
        self.first_step = first_step  # steps the model had before this run, for the reported step numbers
        self.probe = probe  # the sequence on_trace traces (a tasks.Sequence); None: the task's probe
        self.optimizer = OPTIMIZERS[config.optimizer](model.parameters(), lr=config.learning_rate)
        self.stop_flag = stop_flag if stop_flag is not None else StopFlag()
        self.step = 0
        self.history: list[Progress] = []  # grows as the run goes, for a caller's periodic saves

    def stop(self) -> None:
        """Ask the loop to stop before its next batch (safe from any thread)."""
        self.stop_flag.stop()

    def _task_batches(self) -> Iterator:
        rng = random.Random(self.config.seed)
        while True:
            yield self.task.batch(self.config.batch_size, rng)

    def run(self) -> TrainResult:
        try:
            self._loop()
        except TrainingDiverged as error:
            return TrainResult("failed", self.step, str(error), self.history)
        status = "cancelled" if self.stop_flag.is_set() and self.step < self.config.steps else "done"
        return TrainResult(status, self.step, "", self.history)

    def _loop(self) -> None:
        cfg = self.config
        start = time.perf_counter()
        report, point = _Window(self.device, start), _Window(self.device, start)  # the display's, the history's
        last_trace = start
        self.model.train()
        while self.step < cfg.steps and not self.stop_flag.is_set():
            batch = next(self.batches)
            logits, grad_norm, loss, batch = self._train_step(batch)
            self.step += 1
            report.add(loss)
            point.add(loss)
            now = time.perf_counter()
            # The last batch before a stop makes a point, so no step goes unrecorded.
            point_due = self.step % cfg.report_every == 0 or self.step == cfg.steps or self.stop_flag.is_set()
            report_due = point_due or (cfg.report_every_s is not None and now - report.since >= cfg.report_every_s)
            if point_due:
                self.history.append(self._progress(point, logits, batch, grad_norm, now, start))
            if report_due:
                progress = self._progress(report, logits, batch, grad_norm, now, start)
                if self.on_progress:
                    self.on_progress(progress)
                if not math.isfinite(progress.loss):
                    raise TrainingDiverged(
                        f"the loss became non-finite at step {progress.step}; "
                        "try a smaller learning rate or clipping the gradient norm"
                    )
            # A stopped run is not traced: a trace of a long probe could delay the stop.
            if self.on_trace and not self.stop_flag.is_set() and self._trace_due(now - last_trace):
                self.model.eval()
                self.on_trace(self.first_step + self.step, trace(self.model, self.task, self.probe))
                self.model.train()
                last_trace = time.perf_counter()

    def _trace_due(self, since_last: float) -> bool:
        cfg = self.config
        if cfg.trace_every and self.step % cfg.trace_every == 0:
            return True
        if cfg.trace_every_s is not None and since_last >= cfg.trace_every_s:
            return True
        return self.step == cfg.steps  # the final state, always

    def _to_device(self, batch):
        """The batch on the model's device, its floats in the model's dtype."""
        if batch.x.device == self.device and batch.x.dtype == self.dtype:
            return batch
        target = batch.target.to(self.device)
        return type(batch)(
            x=batch.x.to(self.device, self.dtype),
            target=target.to(self.dtype) if target.is_floating_point() else target,
            loss_mask=batch.loss_mask.to(self.device, self.dtype),
            lengths=batch.lengths,
        )

    def _train_step(self, batch):
        """One optimizer step; returns (logits, grad norm, mean loss, batch on the device)."""
        batch = self._to_device(batch)
        cfg = self.config
        self.optimizer.zero_grad(set_to_none=True)
        counted = batch.loss_mask.sum().clamp_min(1)
        T = batch.x.shape[1]
        chunk = cfg.tbptt or T
        state, total, pieces = None, 0.0, []
        # Truncated BPTT: run the sequence in chunks, carrying the state forward
        # but cutting the graph between chunks, so gradients reach back at most
        # `chunk` steps; the optimizer still steps once per batch.
        for begin in range(0, T, chunk):
            end = min(T, begin + chunk)
            logits, state = self.model(batch.x[:, begin:end], state)  # (B, t, O)
            losses = step_losses(logits, batch.target[:, begin:end], batch.loss_mask[:, begin:end], self.task.loss_kind)
            loss = losses.sum() / counted
            loss.backward()
            total = total + loss.detach()
            pieces.append(logits.detach())
            state = _detach(state)
        max_norm = cfg.clip_norm if cfg.clip_norm is not None else math.inf
        grad_norm = torch.nn.utils.clip_grad_norm_(self.model.parameters(), max_norm)
        self.optimizer.step()
        return (pieces[0] if len(pieces) == 1 else torch.cat(pieces, 1)), grad_norm, total, batch

    def _progress(self, window: _Window, logits, batch, grad_norm, now: float, start: float) -> Progress:
        """The report over `window` (which it then restarts), with the latest batch's metric and norm."""
        with torch.no_grad():
            metric = float(self.task.metric(logits, batch))
        loss, steps, seconds = window.take(now)
        return Progress(
            step=self.first_step + self.step,
            steps=self.first_step + self.config.steps,
            loss=loss,
            metric=metric,
            grad_norm=float(grad_norm),
            steps_per_s=steps / seconds if seconds > 0 else 0.0,
            elapsed_s=now - start,
        )


class _Window:
    """The loss summed over the steps since a report, kept on the device: no sync per step."""

    def __init__(self, device: torch.device, since: float):
        self.loss = torch.zeros((), device=device)
        self.steps, self.since = 0, since

    def add(self, loss: torch.Tensor) -> None:
        self.loss += loss
        self.steps += 1

    def take(self, now: float) -> tuple[float, int, float]:
        """(mean loss, steps, seconds) since the last take; starts the next window."""
        mean, steps, seconds = float(self.loss) / max(1, self.steps), self.steps, now - self.since
        self.loss.zero_()
        self.steps, self.since = 0, now
        return mean, steps, seconds


def _detach(state):
    if state is None:
        return None
    if isinstance(state, tuple):
        return tuple(s.detach() for s in state)
    return state.detach()
