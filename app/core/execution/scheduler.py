"""The waiting line in front of an executor: a bounded queue, fair between owners.

    scheduler = Scheduler(executor, max_queued=10)
    scheduler.submit("job-1", description, sink, owner=None)   # QueueFull when the line is full
    scheduler.submit("job-2", description, sink, owner="ws-a", place=StorePlace(folder))  # its own store
    scheduler.cancel("job-1")                                  # queued: Withdrawn; running: stopped

The executor runs at most executor.slots runs; the rest wait here and start in
turn as slots free. The line is round-robin between owners (a workspace, say;
None for everyone when there is only one): the next run is the oldest waiting
run of the owner served longest ago (never served counts as longest), first
come first served within an owner. With A's a1 started and a2, a3 waiting, B's
b1 and C's c1 start before a2: one owner's pile of jobs cannot shut the others out.
Each waiting run is told its position (Queued) when it joins and whenever it
moves; a run taken out before it started gets Withdrawn. hold() keeps queued runs
from starting until released (a test looks at a job before its first step that
way; an operator could drain a server).
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections import deque
from collections.abc import Hashable
from dataclasses import dataclass

from app.core.execution.base import (
    CRASHED,
    FINAL_EVENTS,
    EventSink,
    Executor,
    Failed,
    Queued,
    RunEvent,
    StorePlace,
    Withdrawn,
)
from app.core.run_description import RunDescription

log = logging.getLogger(__name__)


class QueueFull(Exception):
    """Every slot is busy and max_queued runs wait already; the message says so."""


@dataclass
class _Waiting:
    run_id: str
    description: RunDescription
    sink: EventSink
    owner: Hashable
    arrival: int  # submission order
    place: StorePlace | None = None  # the store the run opens; None: the executor's own
    position: int = 0  # the last position it was told


class Scheduler:
    def __init__(self, executor: Executor, max_queued: int):
        self.executor, self.max_queued = executor, max_queued
        self._lock = threading.Lock()
        self._lines: dict[Hashable, deque[_Waiting]] = {}  # owner -> its waiting runs, oldest first
        self._running: set[str] = set()
        self._arrivals = itertools.count()
        self._served: dict[Hashable, int] = {}  # owner -> when it last had a run started (a tick)
        self._ticks = itertools.count()
        self._cancel_on_launch: set[str] = set()  # cancelled between leaving the line and starting
        self._held = 0
        self._closed = False

    # ----- asking ------------------------------------------------------------------

    def submit(
        self,
        run_id: str,
        description: RunDescription,
        sink: EventSink,
        owner: Hashable = None,
        place: StorePlace | None = None,
    ) -> None:
        with self._lock:
            if self._closed:
                raise QueueFull("the server is shutting down and starts no new runs")
            waiting = sum(len(line) for line in self._lines.values())
            if waiting >= self.max_queued + self._slots_free():  # runs about to start are not waiting
                raise QueueFull(
                    f"{len(self._running)} training runs are already running and {waiting} waiting, the most "
                    "this server queues; wait for one to end or cancel one"
                )
            waiting_run = _Waiting(run_id, description, sink, owner, next(self._arrivals), place=place)
            self._lines.setdefault(owner, deque()).append(waiting_run)
            told = self._positions()
        self._tell(told)
        self._fill()

    def cancel(self, run_id: str) -> bool:
        """Withdraw a waiting run, or stop a running one before its next batch; False if unknown."""
        with self._lock:
            for owner, line in self._lines.items():
                found = next((each for each in line if each.run_id == run_id), None)
                if found is not None:
                    line.remove(found)
                    if not line:
                        del self._lines[owner]
                    told = self._positions()
                    break
            else:
                found = None
                if run_id in self._running:
                    self._cancel_on_launch.add(run_id)  # in case it has not reached the executor yet
        if found is not None:
            found.sink(Withdrawn(run_id))
            self._tell(told)
            return True
        return self.executor.cancel(run_id) or run_id in self._cancel_on_launch

    def queued(self) -> list[str]:
        """The waiting runs in the order they will start."""
        with self._lock:
            return [each.run_id for each in self._order()]

    def running(self) -> list[str]:
        with self._lock:
            return sorted(self._running)  # the run ids

    # ----- holding and stopping ------------------------------------------------------

    def hold(self) -> None:
        """Start no queued run until release() (holds nest)."""
        with self._lock:
            self._held += 1

    def release(self) -> None:
        with self._lock:
            self._held = max(0, self._held - 1)
        self._fill()

    def shutdown(self, wait_s: float) -> None:
        """Withdraw every waiting run, then stop the running ones (they save) within wait_s."""
        with self._lock:
            self._closed = True
            waiting = [each for line in self._lines.values() for each in line]
            self._lines.clear()
        for each in waiting:
            each.sink(Withdrawn(each.run_id))
        self.executor.shutdown(wait_s)

    # ----- starting runs as slots free ------------------------------------------------

    def _slots_free(self) -> int:
        return max(0, self.executor.slots - len(self._running))

    def _fill(self) -> None:
        while True:
            with self._lock:
                if self._closed or self._held or not self._lines or not self._slots_free():
                    return
                chosen = self._order()[0]
                line = self._lines[chosen.owner]
                line.popleft()
                if not line:
                    del self._lines[chosen.owner]
                self._running.add(chosen.run_id)
                self._served[chosen.owner] = next(self._ticks)
                told = self._positions()
            self._tell(told)
            self._launch(chosen)

    def _launch(self, chosen: _Waiting) -> None:
        run_id = chosen.run_id

        def sink(event: RunEvent) -> None:
            chosen.sink(event)
            if isinstance(event, FINAL_EVENTS):
                with self._lock:
                    self._running.discard(run_id)
                    self._cancel_on_launch.discard(run_id)
                self._fill()

        try:
            self.executor.launch(run_id, chosen.description, sink, place=chosen.place)
        except Exception as error:
            log.exception("run %s could not be started", run_id)
            sink(Failed(run_id, CRASHED, f"the run could not be started: {error}"))
            return
        with self._lock:
            stop_now = run_id in self._cancel_on_launch
        if stop_now:
            self.executor.cancel(run_id)

    # ----- positions --------------------------------------------------------------------

    def _order(self) -> list[_Waiting]:
        """The waiting runs in start order: each next is the oldest run of the owner served
        longest ago, counting the runs ahead of it in this order as served."""
        served = dict(self._served)
        lines = {owner: deque(line) for owner, line in self._lines.items()}
        order, tick = [], max(served.values(), default=0)
        while lines:
            owner = min(lines, key=lambda key: (served.get(key, -1), lines[key][0].arrival))
            order.append(lines[owner].popleft())
            tick += 1
            served[owner] = tick
            if not lines[owner]:
                del lines[owner]
        return order

    def _positions(self) -> list[tuple[_Waiting, int]]:
        """(run, new position) for each waiting run whose position changed (called under the lock)."""
        changed = []
        for position, each in enumerate(self._order(), start=1):
            if each.position != position:
                each.position = position
                changed.append((each, position))
        return changed

    @staticmethod
    def _tell(told: list[tuple[_Waiting, int]]) -> None:
        for each, position in told:
            each.sink(Queued(each.run_id, position))
