"""The executors: a local process pool and a local Ray instance give equal records for the same
recipe; a cancel reaches the running runs; an unreachable Ray address is refused at once."""

from __future__ import annotations

import threading
import time

import pytest

from app.core.experiments import Criterion, Grid, LocalPool, Recipe, Training, variants
from app.core.experiments.run import RunJob, comparable

ray = pytest.importorskip("ray", reason="the ray extra is not installed (make setup installs it)")

from app.core.experiments.ray_executor import RayExecutor, RayUnavailable  # noqa: E402

TINY = Recipe(
    name="tiny",
    claim="a test",
    grid=Grid(variants(("elman", "lstm")), "copy", {"lag": (3,), "n_symbols": (4,), "length": (1,)}, (8,), (0,)),
    training=Training(steps=30, learning_rate=0.01),
    criterion=Criterion(threshold=0.6, sequences=64, every=10),
)
ENDLESS = Recipe(  # runs that would take minutes: only a cancel ends them quickly
    name="endless",
    claim="a test",
    grid=Grid(variants(("elman",)), "copy", {"lag": (3,)}, (8,), (0, 1, 2)),
    training=Training(steps=50_000, learning_rate=0.01),
    criterion=Criterion(threshold=0.99, sequences=16, every=50_000, stop_early=False),
)


def jobs(recipe: Recipe) -> list[RunJob]:
    return [RunJob(recipe.name, run, recipe.training, recipe.criterion) for run in recipe.points()]


def by_key(results) -> dict[str, dict]:
    return {result.record["key"]: comparable(result.record) for result in results}


@pytest.fixture(scope="module")
def local_ray():
    executor = RayExecutor("local", workers=2)
    executor.connect()
    yield executor
    executor.close()


def cancel_soon(executor, after_s: float = 2.0) -> threading.Timer:
    timer = threading.Timer(after_s, executor.cancel)
    timer.start()
    return timer


def test_the_local_pool_and_ray_give_equal_records(local_ray):
    with LocalPool(workers=2) as pool:
        pooled = list(pool.results(jobs(TINY)))
        again = list(pool.results(jobs(TINY)))  # the same workers, warm: the same records
    assert by_key(again) == by_key(pooled)
    on_ray = list(local_ray.results(jobs(TINY)))
    assert len(pooled) == len(on_ray) == 2
    assert by_key(pooled) == by_key(on_ray)
    assert not any(result.cancelled for result in pooled + on_ray)


def test_cancel_stops_the_running_runs_of_the_local_pool():
    started = time.monotonic()
    with LocalPool(workers=2) as pool:
        timer = cancel_soon(pool)
        results = list(pool.results(jobs(ENDLESS)))
        timer.join()
    # a run the pool had queued to a worker reports itself cancelled too: none is a result
    assert all(result.cancelled and result.record["steps_done"] < 50_000 for result in results)
    assert time.monotonic() - started < 120  # far less than the budget's minutes


def test_cancel_reaches_rays_running_tasks(local_ray):
    timer = cancel_soon(local_ray)
    results = list(local_ray.results(jobs(ENDLESS)))
    timer.join()
    assert results == []  # cancelled tasks give no result, running or not


def test_an_unreachable_address_is_refused_at_once():
    started = time.monotonic()
    with pytest.raises(RayUnavailable, match="cannot reach the Ray cluster at 127.0.0.1:9"):
        RayExecutor("127.0.0.1:9").connect()
    with pytest.raises(RayUnavailable, match="is not host:port"):
        RayExecutor("ray://:x").connect()
    assert time.monotonic() - started < 10  # not Ray's own minute of retries
