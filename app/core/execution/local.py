"""The local executor: each run in a worker process of its own on this machine.

Processes come from multiprocessing's forkserver: a clean process started once
(never a fork of this one, which has threads), which imports torch and app.core
once (PRELOAD) and then forks a fresh worker per run in milliseconds. A process
per run, not a pool: a run's memory (gigabytes at the largest sizes) goes back
to the system when it ends, a crash or an out-of-memory kill takes only its own
run, and a worker that will not stop can be ended without harming the others.

One thread here (the dispatcher) waits on every worker's pipe and hands each
event to its run's sink, in order; a pipe that closes without an Ended or
Failed means the worker died, and the run gets Failed(LOST). cancel() sets the
run's multiprocessing Event, which the run's StopFlag checks before each batch.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from dataclasses import dataclass
from multiprocessing import forkserver
from multiprocessing.connection import Connection, wait

from app.core.execution import worker
from app.core.execution.base import LOST, Ended, EventSink, Executor, Failed, StorePlace
from app.core.run_description import RunDescription

log = logging.getLogger(__name__)

# What the forkserver imports once, so that a worker starts in milliseconds: torch and
# app.core through the worker module, and torch._dynamo, which torch.optim imports on
# first use (measured: 2.5 s of a 2.6 s first run of a tiny model).
PRELOAD = ["app.core.execution.worker", "torch._dynamo"]
KILL_WAIT_S = 1.0  # after shutdown's wait: SIGKILL, then this long for the process to go


@dataclass
class _Worker:
    run_id: str
    process: multiprocessing.process.BaseProcess
    events: Connection
    stop: object  # a multiprocessing Event
    sink: EventSink
    ended: bool = False  # an Ended or Failed came through


class LocalExecutor(Executor):
    kind = "local"

    def __init__(self, place: StorePlace, device: str = "cpu", slots: int = 2, threads: int = 1):
        self.place, self.device, self.slots, self.threads = place, str(device), slots, threads
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload(PRELOAD)
        self._lock = threading.Lock()
        self._workers: dict[str, _Worker] = {}
        self._wake_read, self._wake_write = os.pipe()  # tells the dispatcher the set of pipes changed
        self._closed = False
        self._dispatcher = threading.Thread(target=self._dispatch, name="executor-dispatch", daemon=True)
        self._dispatcher.start()
        # The forkserver (one per process, shared by every executor) starts in the background,
        # so the first job does not wait seconds for its imports.
        threading.Thread(target=forkserver.ensure_running, name="forkserver-start", daemon=True).start()

    # ----- the Executor contract ---------------------------------------------------

    def launch(
        self, run_id: str, description: RunDescription, sink: EventSink, place: StorePlace | None = None
    ) -> None:
        receiver, sender = self._context.Pipe(duplex=False)
        stop = self._context.Event()
        process = self._context.Process(
            target=worker.run_in_worker,
            args=(run_id, description, place or self.place, self.device, self.threads, sender, stop),
            name=f"unrolled-run-{run_id}",
            daemon=True,  # ended with this process, should it exit without shutdown()
        )
        if self._closed:
            raise RuntimeError("the executor has shut down")
        process.start()  # outside the lock: the forkserver's first start imports torch (seconds)
        with self._lock:
            self._workers[run_id] = _Worker(run_id, process, receiver, stop, sink)
            if self._closed:  # shut down while this one started: it stops at once
                stop.set()
        sender.close()  # the worker holds the only writing end now: its exit closes the pipe
        os.write(self._wake_write, b"x")
        log.info("run %s: worker process %d started", run_id, process.pid)

    def cancel(self, run_id: str) -> bool:
        with self._lock:
            found = self._workers.get(run_id)
        if found is None:
            return False
        found.stop.set()
        return True

    def running(self) -> list[str]:
        with self._lock:
            return list(self._workers)

    def shutdown(self, wait_s: float) -> None:
        with self._lock:
            if self._closed:  # a second call has nothing left to stop
                return
            self._closed = True
            workers = list(self._workers.values())
        for each in workers:
            each.stop.set()
        deadline = time.monotonic() + wait_s
        for each in workers:
            each.process.join(max(0.0, deadline - time.monotonic()))
        for each in workers:
            if each.process.is_alive():
                log.warning("run %s did not stop within %.1f s; ending its worker", each.run_id, wait_s)
                each.process.kill()
                each.process.join(KILL_WAIT_S)
        # The dispatcher delivers what the workers sent before they ended, then stops.
        deadline = time.monotonic() + KILL_WAIT_S
        while self.running() and time.monotonic() < deadline:
            time.sleep(0.01)
        os.write(self._wake_write, b"x")
        self._dispatcher.join(KILL_WAIT_S)
        if not self._dispatcher.is_alive():
            os.close(self._wake_read)
            os.close(self._wake_write)

    # ----- the dispatcher thread ------------------------------------------------------

    def _dispatch(self) -> None:
        while True:
            with self._lock:
                by_pipe = {each.events: each for each in self._workers.values()}
                if self._closed and not by_pipe:
                    break
            ready = wait([*by_pipe, self._wake_read])
            for pipe in ready:
                if pipe == self._wake_read:
                    os.read(self._wake_read, 4096)
                    continue
                self._drain(by_pipe[pipe])

    def _drain(self, each: _Worker) -> None:
        """Hand on what the worker sent; when its pipe has closed, retire it."""
        try:
            while each.events.poll():
                event = each.events.recv()
                each.ended = each.ended or isinstance(event, Ended | Failed)
                self._deliver(each, event)
            return
        except (EOFError, OSError):
            pass  # the worker's end closed: it has exited, or is exiting
        each.events.close()
        each.process.join(KILL_WAIT_S)
        with self._lock:
            self._workers.pop(each.run_id, None)
        if not each.ended:
            code = each.process.exitcode
            message = f"the worker process ended without a result (exit code {code})"
            log.error("run %s: %s", each.run_id, message)
            self._deliver(each, Failed(each.run_id, LOST, message))

    def _deliver(self, each: _Worker, event) -> None:
        try:
            each.sink(event)
        except Exception:  # one caller's fault must not stop every run's events
            log.exception("run %s: the event sink failed on %s", each.run_id, type(event).__name__)
