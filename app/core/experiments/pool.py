"""The local executor: an experiment's runs on a pool of worker processes on this machine.

    with LocalPool(workers=2) as pool:
        for result in pool.results(jobs):     # as each run finishes, not in order
            ...
        pool.cancel()                          # from any thread: running runs stop within a batch

Workers come from multiprocessing's forkserver (never a fork of a process that
has threads), one torch thread each (execute_run sets it), `workers` at a time:
by default one per core, since a small model's training does not speed up with
more threads. The workers live until close() (the `with` block's end), so
a second call of results() finds them warm: a new worker's first run is about
0.8 s slower than the next (docs/scale.md). A cancel sets an event every
worker's runs check before each batch, and drops the runs not yet started; a
cancelled run's result says so and is not a result, and the pool stays
cancelled: one pool serves one experiment.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Iterator
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor, as_completed, wait

from app.core.experiments.run import RunJob, RunResult, execute_run

# What the forkserver imports once, so each worker starts in milliseconds (as app/core/execution/local.py).
PRELOAD = ["app.core.experiments.run", "torch._dynamo"]
_cancel_event = None  # in a worker: the pool's cancel event, set by the initializer


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


class LocalPool:
    kind = "local"

    def __init__(self, workers: int | None = None):
        if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
            raise ValueError(f"workers must be a whole number of at least 1, not {workers!r}")
        self.workers = workers or default_workers()
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload(PRELOAD)
        self._cancel = self._context.Event()
        self._futures: list[Future] = []
        self._pool: ProcessPoolExecutor | None = None  # started by the first results()

    def describe(self) -> dict:
        return {"executor": self.kind, "workers": self.workers}

    def results(self, jobs: list[RunJob]) -> Iterator[RunResult]:
        """Each job's result as it finishes; a worker's crash raises (the runs done so far are kept)."""
        if not jobs:
            return
        if self._pool is None:  # workers start as jobs arrive, at most `workers`
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=self._context,
                initializer=_start_worker,
                initargs=(self._cancel,),
            )
        try:
            self._futures = [self._pool.submit(_run, job) for job in jobs]
            if self._cancel.is_set():  # cancelled while the pool started
                self.cancel()
            for future in as_completed(self._futures):
                try:
                    yield future.result()
                except CancelledError:
                    continue
        finally:
            # Left early (Ctrl-C, an error, a caller that stopped reading): the running runs stop too,
            # rather than the shutdown waiting for them to use their whole budget.
            if not all(future.done() for future in self._futures):
                self.cancel()
                wait(self._futures)

    def cancel(self) -> None:
        """Stop the running runs within one batch and drop the ones not started."""
        self._cancel.set()
        self.cancel_pending()

    def cancel_pending(self) -> None:
        for future in self._futures:
            future.cancel()

    def close(self) -> None:
        """End the workers (after stopping any run still going)."""
        if self._pool is not None:
            if not all(future.done() for future in self._futures):
                self.cancel()
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def __enter__(self) -> LocalPool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _start_worker(cancel_event) -> None:
    global _cancel_event
    _cancel_event = cancel_event
    # Ctrl-C in a terminal reaches the whole process group: the parent cancels the runs,
    # and a worker killed by the signal would break the pool instead of stopping its run.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _run(job: RunJob) -> RunResult:
    return execute_run(job, _cancel_event)
