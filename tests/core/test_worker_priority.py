"""A training worker runs at a lower CPU priority than the process that started it, so the
API process serving a class is never starved by training on a small machine
(app/core/execution/worker.py; what it buys is measured by bench/watchers.py)."""

from __future__ import annotations

import os

import pytest

from app.core.execution import LocalExecutor, Reported, StorePlace
from app.core.execution.worker import WORKER_NICENESS
from app.core.run_description import RunDescription
from tests.core.test_execution import LONG, TINY, Collector

MOST_NICE = 19  # Linux clamps niceness here


@pytest.mark.skipif(not hasattr(os, "getpriority"), reason="process priorities are a POSIX notion")
def test_a_worker_is_nicer_than_its_server(tmp_path):
    executor = LocalExecutor(StorePlace(tmp_path / "models"), "cpu", slots=1)
    try:
        sink = Collector()
        executor.launch("r", RunDescription("m", LONG, create=TINY), sink)
        sink.wait_for(Reported)  # training, so the worker has set its priority
        pid = next(w.process.pid for w in executor._workers.values())
        ours = os.getpriority(os.PRIO_PROCESS, 0)
        assert os.getpriority(os.PRIO_PROCESS, pid) == min(MOST_NICE, ours + WORKER_NICENESS)
        assert WORKER_NICENESS > 0
        executor.cancel("r")
        assert sink.final().outcome.status == "cancelled"  # a nicer worker still stops and saves
    finally:
        executor.shutdown(5.0)
