"""The body of a worker process: one run of app.core.runs, its events sent down a pipe.

    run_in_worker(run_id, description, place, device, threads, events, stop_event)

Runs in a process of its own (local.py starts it from the forkserver, which has
imported this module, and so torch and app.core, once). Signals: SIGTERM (a
service manager stopping the whole process group) becomes a stop request, so
the run ends after its current batch and saves; SIGINT is ignored, since a
Ctrl-C in the server's terminal reaches every process of the group and the
server itself stops its workers. A worker whose server has gone (the pipe
breaks) stops too, and saves.

A worker runs at a lower CPU priority than its server (WORKER_NICENESS added to
the server's niceness): on a small machine training can take every core, and
the API process that routes, streams and traces for a class must still get its
turn at once. Training loses nothing when the cores are otherwise idle.
"""

from __future__ import annotations

import logging
import os
import signal
import traceback
from multiprocessing.connection import Connection

from app.core.device import configure_threads
from app.core.execution.base import CRASHED, NOT_FOUND, REFUSED, Ended, Failed, Reported, Started, StorePlace, Traced
from app.core.run_description import RunDescription, RunStart
from app.core.runs import run_training
from app.core.store import ModelNotFound, StoreError
from app.core.trace import trace_document
from app.core.train import Progress, StopFlag

log = logging.getLogger(__name__)

# Added to the server's niceness (0-19 on Linux; 10 is what `nice` adds by default). What it
# changes for a class is measured by bench/watchers.py (docs/benchmarks.md, "A class watching").
WORKER_NICENESS = 10


def run_in_worker(
    run_id: str,
    description: RunDescription,
    place: StorePlace,
    device: str,
    threads: int,
    events: Connection,
    stop_event,
) -> None:
    """The worker's target. Whatever happens, the last thing sent is one Ended or Failed."""
    stop = StopFlag(stop_event)
    _lower_priority()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, lambda signum, frame: stop.stop())
    configure_threads(threads)

    def send(event) -> None:
        try:
            events.send(event)
        except (BrokenPipeError, EOFError, OSError):  # the server is gone: stop and save
            stop.stop()

    def on_start(start: RunStart) -> None:
        send(Started(run_id, start))

    def on_progress(progress: Progress) -> None:
        send(Reported(run_id, progress))

    def on_trace(step: int, trace) -> None:
        send(Traced(run_id, step, trace_document(trace)))

    try:
        outcome = run_training(
            place.open(),
            description,
            device,
            on_start=on_start,
            on_progress=on_progress,
            on_trace=on_trace,
            stop=stop,
        )
        send(Ended(run_id, outcome))
    except ModelNotFound as error:
        send(Failed(run_id, NOT_FOUND, str(error)))
    except (StoreError, ValueError) as error:  # RunRefused is a ValueError
        send(Failed(run_id, REFUSED, str(error)))
    except Exception as error:  # a bug must not leave the run without an end
        log.error("run %s crashed:\n%s", run_id, traceback.format_exc())
        send(Failed(run_id, CRASHED, f"{type(error).__name__}: {error}"))
    finally:
        events.close()


def _lower_priority() -> None:
    """Yield the CPU to the server: an increment, so a server started under `nice` keeps its
    workers below itself."""
    try:
        os.nice(WORKER_NICENESS)
    except (AttributeError, OSError) as error:  # no os.nice (Windows), or a sandbox that forbids it
        log.warning("training runs at the server's CPU priority: %s", error)
