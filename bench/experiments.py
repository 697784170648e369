"""Experiments' executors: the local pool's speed-up and Ray's overhead per run.

    python -m bench.experiments [--rounds 2] [--no-ray]

One recipe of 8 runs (Elman and LSTM, H = 32, delayed recall at lag 10, 4 seeds,
300 steps each, no early stop: every run does the same work) is run, in turn,
on the local pool with 1 worker, with 2 workers and on a local Ray instance of
2 CPUs; rounds alternate so a slow spell of the shared machine hits each alike,
and the medians are compared. Each executor is warmed first (the forkserver's
imports, the pool's and Ray's workers and their first runs), so the figures are
what a running experiment costs per run, not start-up. Records must agree across the
executors; the bench says so rather than assuming it.

Targets (issue 9): 2 workers >= 1.8x one worker on 8 runs; Ray's overhead per
run against the local pool, same runs, reported.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

from app.core.experiments import Criterion, Grid, LocalPool, Recipe, Training, variants
from app.core.experiments.run import RunJob, comparable
from bench.timing import machine

RECALL_AT_10 = {"lag": (10,), "n_symbols": (8,), "length": (1,)}
RECIPE = Recipe(
    name="bench",
    claim="executor speed",
    grid=Grid(variants(("elman", "lstm")), "copy", RECALL_AT_10, (32,), (0, 1, 2, 3)),
    training=Training(steps=300, learning_rate=3e-3),
    criterion=Criterion(threshold=0.95, sequences=512, every=100, stop_early=False),
)


def jobs(recipe: Recipe = RECIPE) -> list[RunJob]:
    return [RunJob(recipe.name, run, recipe.training, recipe.criterion) for run in recipe.points()]


def timed(executor, work: list[RunJob]) -> tuple[float, dict]:
    start = time.perf_counter()
    records = {result.record["key"]: result.record for result in executor.results(work)}
    return time.perf_counter() - start, records


def run(rounds: int = 2, with_ray: bool = True, **_) -> dict:
    work = jobs()
    contenders = {"pool_1": LocalPool(workers=1), "pool_2": LocalPool(workers=2)}
    ray_start_s = None
    if with_ray:
        from app.core.experiments.ray_executor import RayExecutor

        started = time.perf_counter()
        contenders["ray_2"] = RayExecutor("local", workers=2)
        contenders["ray_2"].connect()
        ray_start_s = time.perf_counter() - started
    warm = jobs(RECIPE)[:2]
    for executor in contenders.values():  # imports and worker start-up out of the figures
        timed(executor, warm)
    samples: dict[str, list[float]] = {name: [] for name in contenders}
    records: dict[str, dict] = {}
    run_seconds: list[float] = []
    for _ in range(rounds):
        for name, executor in contenders.items():
            seconds, found = timed(executor, work)
            samples[name].append(seconds)
            records[name] = {key: comparable(record) for key, record in found.items()}
            run_seconds += [record["wall_time_s"] for record in found.values()] if name == "pool_1" else []
    for executor in contenders.values():
        executor.close()
    wall = {name: statistics.median(values) for name, values in samples.items()}
    result = {
        "runs": len(work),
        "steps_per_run": RECIPE.training.steps,
        "wall_s": wall,
        "run_s_one_worker": statistics.median(run_seconds),
        "speedup_2_workers": wall["pool_1"] / wall["pool_2"],
        "records_agree": all(found == records["pool_1"] for found in records.values()),
    }
    if with_ray:
        result["ray_start_s"] = ray_start_s
        result["ray_overhead_per_run_s"] = (wall["ray_2"] - wall["pool_2"]) / len(work)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.experiments")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--no-ray", action="store_true")
    args = parser.parse_args()
    load = os.getloadavg()
    print(f"# machine: {machine()}; {os.cpu_count()} cores; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print(f"# load average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    figures = run(rounds=args.rounds, with_ray=not args.no_ray)
    figures["load_average_before"] = [round(value, 2) for value in load]
    figures["load_average_after"] = [round(value, 2) for value in os.getloadavg()]
    print(json.dumps({"bench": "experiments", **figures}, default=lambda v: round(v, 3)))


if __name__ == "__main__":
    main()
