"""Runs away from the caller: the local executor's worker processes, the queue, the cost estimate.

Worker runs train tiny models (elman, H=4, on reber) so each takes well under a
second once the forkserver is up; "long" runs ask for many steps and are stopped.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from app.core.architectures import ModelConfig
from app.core.execution import (
    LOST,
    NOT_FOUND,
    REFUSED,
    Budget,
    Ended,
    Executor,
    Failed,
    LocalExecutor,
    OverBudget,
    Queued,
    QueueFull,
    Reported,
    Scheduler,
    Started,
    StorePlace,
    Traced,
    Withdrawn,
    check_budget,
    estimate_cost,
)
from app.core.run_description import ModelSpec, RunDescription, RunRequest
from app.core.runs import run_training
from app.core.tasks import make_task

ROOT = Path(__file__).resolve().parents[2]
TINY = ModelSpec("elman", "reber", 4, seed=3)
LONG = RunRequest(steps=1_000_000, batch_size=2, report_every_s=0.05)


class Collector:
    """A sink that keeps a run's events and says when its final one came."""

    def __init__(self):
        self.events, self.ended = [], threading.Event()

    def __call__(self, event) -> None:
        self.events.append(event)
        if isinstance(event, Ended | Failed | Withdrawn):
            self.ended.set()

    def wait_for(self, kind, timeout: float = 60.0):
        deadline = time.monotonic() + timeout
        while not any(isinstance(e, kind) for e in self.events):
            assert time.monotonic() < deadline, f"no {kind.__name__} in {self.events}"
            time.sleep(0.01)
        return next(e for e in self.events if isinstance(e, kind))

    def final(self, timeout: float = 60.0):
        assert self.ended.wait(timeout), f"the run never ended: {self.events}"
        return self.events[-1]


@pytest.fixture
def place(tmp_path) -> StorePlace:
    return StorePlace(tmp_path / "models")


@pytest.fixture
def executor(place):
    made = LocalExecutor(place, "cpu", slots=2)
    yield made
    made.shutdown(5.0)


def test_a_run_in_a_worker_stores_the_same_weights_as_one_in_process(tmp_path, executor, place):
    request = RunRequest(steps=30, batch_size=4, seed=7, trace_every_s=60)
    sink = Collector()
    executor.launch("r", RunDescription("m", request, create=TINY), sink)
    outcome = sink.final().outcome
    assert outcome.status == "done" and outcome.saved and outcome.total_steps == 30
    here = StorePlace(tmp_path / "here").open()
    run_training(here, RunDescription("m", request, create=TINY), "cpu")
    assert place.open().load_metadata("m").weights_sha256 == here.load_metadata("m").weights_sha256


def test_events_come_in_order_with_the_trace_as_numpy_arrays_and_one_end(executor):
    sink = Collector()
    request = RunRequest(steps=12, batch_size=2, report_every_s=0.01, trace_every_s=0.1)
    executor.launch("r", RunDescription("m", request, create=TINY), sink)
    sink.final()
    kinds = [type(e) for e in sink.events]
    assert kinds[0] is Started and kinds[-1] is Ended and kinds.count(Ended) == 1
    assert Reported in kinds and Traced in kinds
    assert all(e.run_id == "r" for e in sink.events)
    traced = [e for e in sink.events if isinstance(e, Traced)][-1]
    assert traced.step == 12 and isinstance(traced.document["h"], np.ndarray)
    assert executor.running() == [] or sink.ended.is_set()


def test_a_cancel_stops_the_run_and_it_saves_its_last_complete_step(executor, place):
    sink = Collector()
    executor.launch("r", RunDescription("m", LONG, create=TINY), sink)
    sink.wait_for(Reported)
    assert executor.cancel("r")
    outcome = sink.final().outcome
    assert outcome.status == "cancelled" and outcome.saved and 0 < outcome.steps_done < LONG.steps
    assert place.open().load_metadata("m").total_steps == outcome.total_steps
    assert not executor.cancel("nobody")


def test_sigterm_to_a_worker_stops_its_run_with_a_save(executor, place):
    sink = Collector()
    executor.launch("r", RunDescription("m", LONG, create=TINY), sink)
    sink.wait_for(Reported)
    pid = next(w.process.pid for w in executor._workers.values())
    os.kill(pid, signal.SIGTERM)
    outcome = sink.final().outcome
    assert outcome.status == "cancelled" and outcome.saved
    assert place.open().load_metadata("m").total_steps == outcome.total_steps


def test_a_worker_killed_outright_ends_its_run_as_lost(executor):
    sink = Collector()
    executor.launch("r", RunDescription("m", LONG, create=TINY), sink)
    sink.wait_for(Reported)
    os.kill(next(w.process.pid for w in executor._workers.values()), signal.SIGKILL)
    final = sink.final()
    assert isinstance(final, Failed) and final.kind == LOST and "-9" in final.message


def test_runs_that_cannot_start_fail_with_their_reason(executor):
    missing, incomplete = Collector(), Collector()
    executor.launch("a", RunDescription("nobody", RunRequest(steps=2)), missing)
    executor.launch("b", RunDescription("new", RunRequest(steps=2), create=ModelSpec("elman")), incomplete)
    assert (missing.final().kind, incomplete.final().kind) == (NOT_FOUND, REFUSED)
    assert "nobody" in missing.final().message and "task, hidden_size" in incomplete.final().message


def test_shutdown_stops_every_run_each_saving(place):
    executor = LocalExecutor(place, "cpu", slots=2)
    sinks = [Collector(), Collector()]
    for index, sink in enumerate(sinks):
        executor.launch(f"r{index}", RunDescription(f"m{index}", LONG, create=TINY), sink)
    for sink in sinks:
        sink.wait_for(Reported)
    executor.shutdown(5.0)
    for index, sink in enumerate(sinks):
        outcome = sink.final(0).outcome
        assert outcome.status == "cancelled" and outcome.saved
        assert place.open().load_metadata(f"m{index}").total_steps == outcome.total_steps
    with pytest.raises(RuntimeError):
        executor.launch("late", RunDescription("m0", LONG), Collector())


# ----- the Scheduler, over an executor that only records ---------------------------------


class RecordingExecutor(Executor):
    kind = "recording"

    def __init__(self, slots: int):
        self.slots, self.launched, self.cancelled, self.sinks = slots, [], [], {}

    def launch(self, run_id, description, sink, place=None) -> None:
        self.launched.append(run_id)
        self.sinks[run_id] = sink

    def cancel(self, run_id) -> bool:
        self.cancelled.append(run_id)
        return run_id in self.sinks

    def running(self) -> list[str]:
        return list(self.sinks)

    def shutdown(self, wait_s: float) -> None:
        pass

    def end(self, run_id: str) -> None:
        self.sinks.pop(run_id)(Failed(run_id, "crashed", "ended by the test"))


def positions(sink: Collector) -> list[int]:
    return [e.position for e in sink.events if isinstance(e, Queued)]


def test_the_line_takes_owners_in_turn_and_tells_each_run_its_place():
    executor = RecordingExecutor(slots=1)
    scheduler = Scheduler(executor, max_queued=10)
    sinks = {name: Collector() for name in ("a1", "a2", "a3", "b1", "c1")}
    description = RunDescription("m", RunRequest(steps=1))
    for name in ("a1", "a2", "a3", "b1", "c1"):
        scheduler.submit(name, description, sinks[name], owner=name[0])
    assert executor.launched == ["a1"]
    # a1 started, so b1 and c1 (owners never served) come before a2; a3 after a2.
    assert scheduler.queued() == ["b1", "c1", "a2", "a3"]
    assert positions(sinks["a2"]) == [1, 2, 3] and positions(sinks["a3"]) == [2, 3, 4]
    assert positions(sinks["b1"]) == [1] and positions(sinks["c1"]) == [2]
    executor.end("a1")
    assert executor.launched == ["a1", "b1"]
    assert scheduler.queued() == ["c1", "a2", "a3"]
    assert positions(sinks["c1"])[-1] == 1 and positions(sinks["a3"])[-1] == 3
    scheduler.submit("b2", description, Collector(), owner="b")  # b was served after a: a2 first
    assert scheduler.queued() == ["c1", "a2", "b2", "a3"]


def test_a_full_line_refuses_and_a_withdrawn_run_makes_room():
    executor = RecordingExecutor(slots=1)
    scheduler = Scheduler(executor, max_queued=1)
    description = RunDescription("m", RunRequest(steps=1))
    first, second = Collector(), Collector()
    scheduler.submit("first", description, first)
    scheduler.submit("second", description, second)
    with pytest.raises(QueueFull, match="1 training runs are already running and 1 waiting"):
        scheduler.submit("third", description, Collector())
    assert scheduler.cancel("second") and isinstance(second.final(0), Withdrawn)
    scheduler.submit("third", description, Collector())
    assert scheduler.cancel("first") and executor.cancelled == ["first"]


def test_a_hold_keeps_runs_queued_until_released_and_shutdown_withdraws_the_line():
    executor = RecordingExecutor(slots=2)
    scheduler = Scheduler(executor, max_queued=5)
    description = RunDescription("m", RunRequest(steps=1))
    scheduler.hold()
    held, waiting = Collector(), Collector()
    scheduler.submit("held", description, held)
    assert executor.launched == [] and positions(held) == [1]
    scheduler.release()
    assert executor.launched == ["held"]
    scheduler.hold()
    scheduler.submit("waiting", description, waiting)
    scheduler.shutdown(0)
    assert isinstance(waiting.final(0), Withdrawn)
    with pytest.raises(QueueFull, match="shutting down"):
        scheduler.submit("late", description, Collector())


# ----- the cost estimate ------------------------------------------------------------------


def test_the_issues_lstm_is_estimated_near_what_was_measured_and_is_over_the_default_budget():
    """The issue measured LSTM H=512, length 500, batch 512: 25-34 s and ~9.5 GB a step."""
    task = make_task("sine", {"length": 500})
    cost = estimate_cost(ModelConfig("lstm", task.input_size, task.output_size, 512), task, 512)
    assert 15 < cost.step_s < 60 and 5_000 < cost.memory_mb < 20_000
    with pytest.raises(OverBudget) as refused:
        check_budget(cost, Budget(memory_mb=2048, step_s=0.5))
    message = str(refused.value)
    assert "lstm, batch 512, sequences up to 550 steps, hidden size 512" in message
    assert "2,048 MB and 0.50 s per step" in message


def test_cost_grows_with_every_size_and_tbptt_saves_memory_not_time():
    task = make_task("sine", {"length": 100})
    config = ModelConfig("gru", task.input_size, task.output_size, 64)
    base = estimate_cost(config, task, 32)
    for bigger in (
        estimate_cost(config, task, 64),
        estimate_cost(ModelConfig("gru", task.input_size, task.output_size, 128), task, 32),
        estimate_cost(config, make_task("sine", {"length": 200}), 32),
    ):
        assert bigger.step_s > base.step_s and bigger.memory_mb > base.memory_mb
    truncated = estimate_cost(config, task, 32, tbptt=10)
    assert truncated.memory_mb < base.memory_mb and truncated.step_s == base.step_s
    check_budget(base, Budget(memory_mb=2048, step_s=0.5))  # a classroom-sized job fits


ORPHANING_SCRIPT = """
import sys, time
from pathlib import Path
from app.core.execution import LocalExecutor, Reported, StorePlace
from app.core.run_description import ModelSpec, RunDescription, RunRequest

if __name__ == "__main__":
    executor = LocalExecutor(StorePlace(Path(sys.argv[1])), "cpu", slots=1)
    reports = []
    request = RunRequest(steps=1_000_000, batch_size=2, report_every_s=0.05)
    executor.launch("r", RunDescription("m", request, create=ModelSpec("elman", "reber", 4)), reports.append)
    while not any(isinstance(event, Reported) for event in reports):
        time.sleep(0.01)
    print("training", flush=True)
    time.sleep(600)
"""


def test_a_worker_whose_server_is_killed_stops_and_saves(tmp_path):
    """kill -9 of the server process: the worker's next event finds the pipe broken, so it stops
    after that batch and saves (instead of training on, unseen, or dying mid-step)."""
    models = tmp_path / "models"
    server = subprocess.Popen(
        [sys.executable, "-c", ORPHANING_SCRIPT, str(models)], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout.readline().strip() == "training"
    finally:
        server.kill()
        server.wait()
    store, deadline = StorePlace(models).open(), time.monotonic() + 30
    while (last := store.load_metadata("m").last_training) is None or last.status != "cancelled":
        assert time.monotonic() < deadline, f"the orphaned worker never saved: {last}"
        time.sleep(0.05)
    assert store.load_metadata("m").total_steps > 0
