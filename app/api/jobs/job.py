"""One training job: its state, its progress history and the streams watching it.

A Job is shared by three parties, so its fields are guarded by one lock:
    the executor's thread set_position(), start(), report_progress(), report_trace(), finish()
                          (the run itself is in a worker process: app/api/jobs/runner.py)
    the REST routers      snapshot(), request_stop()
    WebSocket streams     subscribe(), unsubscribe()
The training thread never touches a socket. It encodes each event once (the
builders of app.api.jobs.events) and leaves the same text in every Subscription,
where the newest state wins (the latest progress, the latest trace, the final
event), then wakes the client's event loop through `notify`
(loop.call_soon_threadsafe). A client that keeps up gets every progress event;
one that falls behind gets the latest when it is ready again, so the server's
work per client is bounded by what it can send, never by how fast jobs report.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Callable
from datetime import UTC, datetime

from app.api.jobs.events import TraceFrames, end_event, progress_event, status_event, trace_event
from app.core.run_description import RunRequest
from app.core.store import thin_history
from app.core.train import Progress

log = logging.getLogger(__name__)

ACTIVE = ("queued", "running")
# A late joiner gets the whole loss curve; past twice this many points it is thinned
# evenly to this many (as the store thins saved history), so a long run's status stays small.
HISTORY_LIMIT = 2000


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Subscription:
    """What one stream client has not been sent yet: the latest progress event (a newer one
    replaces it: a client behind gets where the job is now, and its history on reconnecting),
    the latest trace (TraceFrames: its JSON text and msgpack bytes; a newer one replaces it),
    and the final event (never dropped). The stream (app.api.jobs.streams) closes a client
    whose sends have waited longer than UNROLLED_WS_STALL_TIMEOUT_S, so nothing here waits on
    a reader, and it may leave a trace here a while (take(with_trace=False)) to cap a
    client's traces per second."""

    def __init__(self, notify: Callable[[], None]):
        self._notify = notify
        self._lock = threading.Lock()
        self._progress: str | None = None  # a progress event, or a queued job's status
        self._trace: TraceFrames | None = None
        self._final: str | None = None
        self._signalled = False  # a wake-up is already on its way: the loop gets one per batch of events
        self.broken = False  # its event loop is gone

    def offer(self, kind: str, text: str | TraceFrames) -> None:
        with self._lock:
            if kind == "progress":
                self._progress = text
            elif kind == "trace":
                self._trace = text
            else:
                self._final = text
            if self._signalled:
                return
            self._signalled = True
        try:
            self._notify()
        except RuntimeError:  # the loop was closed under us (server stopping)
            self.broken = True

    def take(self, with_trace: bool = True) -> tuple[list[str | TraceFrames], bool]:
        """(the messages to send now in order, whether the last of them is the final event).
        with_trace=False leaves a pending trace for later, unless the final event has come:
        then the trace goes first, so the job's last trace is always sent."""
        with self._lock:
            final = self._final is not None
            trace = self._trace if with_trace or final else None
            texts = [t for t in (self._progress, trace, self._final) if t is not None]
            self._progress = self._final = None
            if trace is not None:
                self._trace = None
            self._signalled = False
        return texts, final

    def holds_trace(self) -> bool:
        with self._lock:
            return self._trace is not None

    def pending(self) -> int:
        with self._lock:
            return (self._progress is not None) + (self._trace is not None) + (self._final is not None)


class Job:
    """A training job as clients see it; its run's events are reported here, streams read here."""

    def __init__(
        self, model: str, request: dict, run_request: RunRequest, first_step: int, workspace: str | None = None
    ):
        self.id = secrets.token_hex(6)
        # Whose model it trains in classroom mode (None on a local server). Not in snapshot(): a
        # student's page never learns its workspace id, the key its HttpOnly cookie keeps from scripts.
        self.workspace = workspace
        self.position: int | None = None  # place in the waiting line while queued (1: next)
        self.model = model
        self.request = dict(request)  # the config as the client sent it, shown in the Job resource
        self.run_request = run_request  # what the training run is handed (app.core.runs)
        self.status = "queued"
        self.first_step = first_step
        self.step = first_step
        self.steps = first_step + run_request.steps
        self.loss = self.metric = self.grad_norm = self.steps_per_s = None
        self.created_at = utc_now()
        self.started_at: str | None = None
        self.finished_at: str | None = None
        self.reason = ""
        self._lock = threading.Lock()
        self._history: list[dict] = []
        self._latest_trace: str | None = None
        self._final: str | None = None
        self._subscriptions: set[Subscription] = set()
        self._stop_reason: str | None = None
        self._cancel: Callable[[], object] | None = None  # stops the run, queued or running (set_canceller)
        self._finished = threading.Event()

    # ----- reading -------------------------------------------------------------

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    @property
    def stop_reason(self) -> str | None:
        return self._stop_reason

    def snapshot(self) -> dict:
        with self._lock:
            return self._snapshot()

    def _snapshot(self) -> dict:
        return {
            "id": self.id,
            "model": self.model,
            "status": self.status,
            "queue_position": self.position,
            "step": self.step,
            "steps": self.steps,
            "first_step": self.first_step,
            "loss": self.loss,
            "metric": self.metric,
            "grad_norm": self.grad_norm,
            "steps_per_s": self.steps_per_s,
            "created_at": self.created_at,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "reason": self.reason,
            "config": dict(self.request),
        }

    def history(self) -> list[dict]:
        """The progress points so far (thinned evenly past HISTORY_LIMIT)."""
        with self._lock:
            return list(self._history)

    def wait(self, timeout: float | None) -> bool:
        """Block until the job has finished (True) or timeout seconds passed (False)."""
        return self._finished.wait(timeout)

    # ----- control ---------------------------------------------------------------

    def set_canceller(self, cancel: Callable[[], object]) -> None:
        """What request_stop() calls: takes the job out of the line, or stops its run."""
        self._cancel = cancel

    def request_stop(self, reason: str) -> None:
        """Stop the run before its next batch, or withdraw it from the line (any thread);
        the first reason given is kept."""
        with self._lock:
            if not self.active:
                return
            if self._stop_reason is None:
                self._stop_reason = reason
        if self._cancel is not None:
            self._cancel()

    # ----- the executor's thread ---------------------------------------------------

    def set_position(self, position: int) -> None:
        """The job's place in the waiting line changed: watching clients get a fresh status
        (while queued the history is empty, so a client that draws it loses nothing)."""
        with self._lock:
            if self.status != "queued" or self.position == position:
                return
            self.position = position
            if self._subscriptions:  # sent in order with progress events, dropped like them when unread
                self._publish("progress", status_event(self._snapshot(), []))

    def start(self, first_step: int) -> bool:
        """The run has begun: mark the job running; False when a stop came first."""
        with self._lock:
            if self._stop_reason is not None:
                return False
            self.status = "running"
            self.position = None
            self.started_at = utc_now()
            self.first_step = self.step = first_step
            self.steps = first_step + self.run_request.steps
            return True

    def report_progress(self, progress: Progress) -> None:
        point = progress.to_dict()
        done, elapsed = progress.step - self.first_step, progress.elapsed_s
        rate = done / elapsed if elapsed > 0 else 0.0  # over the whole run: a steadier ETA than one window
        eta = (progress.steps - progress.step) / rate if rate > 0 else None
        text = progress_event(point, eta)
        with self._lock:
            self.step, self.steps = progress.step, progress.steps
            self.loss, self.metric = point["loss"], point["metric"]
            self.grad_norm, self.steps_per_s = point["grad_norm"], point["steps_per_s"]
            self._history.append(point)
            if len(self._history) > 2 * HISTORY_LIMIT:
                self._history = thin_history(self._history, HISTORY_LIMIT)
            self._publish("progress", text)

    def report_trace(self, step: int, document: dict) -> None:
        text = trace_event(step, document)  # once, shared by every client
        with self._lock:
            self._latest_trace = text
            self._publish("trace", text)

    def finish(self, status: str, reason: str = "", step: int | None = None) -> None:
        """The job's end (step: the model's step count then, when known); later calls are
        ignored, so a last-resort handler may call it safely."""
        with self._lock:
            if not self.active:
                return
            self.status, self.reason = status, reason
            if step is not None:  # a stopped run ends between reports; its later steps count too
                self.step = step
            self.finished_at = utc_now()
            self.position = None
            self._final = end_event(status, self._snapshot(), reason)
            self._publish("final", self._final)
        self._finished.set()
        log.info("job %s on model %s ended: %s %s", self.id, self.model, status, reason)

    def _publish(self, kind: str, text: str) -> None:
        broken = []
        for subscription in self._subscriptions:
            subscription.offer(kind, text)
            if subscription.broken:
                broken.append(subscription)
        self._subscriptions.difference_update(broken)

    # ----- streams -------------------------------------------------------------------

    def subscribe(self, notify: Callable[[], None]) -> tuple[Subscription | None, list[str]]:
        """(subscription, opening messages): the status with the history so far, the latest
        trace, and the final event when the job has already ended (then no subscription).
        Taken under the lock, so no progress falls between the history and the live events."""
        with self._lock:
            job, history = self._snapshot(), list(self._history)
            later = [text for text in (self._latest_trace, self._final) if text is not None]
            subscription = None
            if self._final is None:
                subscription = Subscription(notify)
                self._subscriptions.add(subscription)
        # Encoded outside the lock: a long history must not hold up the training thread.
        return subscription, [status_event(job, history), *later]

    def unsubscribe(self, subscription: Subscription | None) -> None:
        with self._lock:
            self._subscriptions.discard(subscription)

    def subscriber_count(self) -> int:
        with self._lock:
            return len(self._subscriptions)
