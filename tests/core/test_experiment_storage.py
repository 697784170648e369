"""An experiment's results beside the models: stored as runs finish, resumed after a kill, ignored
by the model store's listing and repair, refused when the training changed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.core.experiments import (
    Criterion,
    ExperimentConflict,
    ExperimentFolder,
    ExperimentRunner,
    Grid,
    Overrides,
    Recipe,
    Training,
    model_name,
    stored_experiments,
    variants,
)
from app.core.experiments.run import comparable, execute_run
from app.core.store import ModelStore

ROOT = Path(__file__).resolve().parents[2]
RECIPE = Recipe(
    name="tiny",
    claim="a test",
    grid=Grid(variants(("elman", "gru")), "copy", {"lag": (2,), "n_symbols": (4,), "length": (1,)}, (8,), (0, 1)),
    training=Training(steps=40, learning_rate=0.01),
    criterion=Criterion(threshold=0.6, sequences=64, every=20),
)


class InProcess:
    """Runs each job here, one after another: the runner's contract without processes."""

    kind = "in-process"

    def __init__(self, delay_s: float = 0.0):
        self.delay_s = delay_s
        self.started = []

    def results(self, jobs):
        for job in jobs:
            self.started.append(job.run.key)
            yield execute_run(job)
            time.sleep(self.delay_s)  # gives a test time to kill the process between two records

    def cancel(self):
        pass


def test_results_are_stored_beside_the_models_and_resumed(tmp_path):
    store = ModelStore(tmp_path)
    outcome = ExperimentRunner(RECIPE, store, InProcess()).run()
    assert outcome.status == "done" and outcome.ran == 4 and len(outcome.records) == 4
    folder = ExperimentFolder(tmp_path, "tiny")
    assert sorted(path.name for path in folder.runs.iterdir()) == sorted(f"{r.key}.json" for r in RECIPE.points())
    document = json.loads((tmp_path / "experiments" / "tiny" / "experiment.json").read_text())
    assert document["status"] == "done" and document["machine"]["cores"] == os.cpu_count()
    assert document["recipe"]["grid"]["runs"] == 4 and document["runs_done"] == 4
    assert stored_experiments(tmp_path) == ["tiny"]
    # one representative model per grid point (the first seed's), a normal stored model
    names = sorted(point_name for point_name in (model_name("tiny", p) for p in RECIPE.grid_points()))
    assert [entry.name for entry in store.list()] == names
    assert all(entry.error is None for entry in store.list())

    again = ExperimentRunner(RECIPE, store, executor := InProcess()).run()
    assert again.ran == 0 and executor.started == [] and again.records == outcome.records
    # a grid grown by a seed runs only the new runs
    grown = RECIPE.with_overrides(Overrides(seeds=(0, 1, 2)))
    more = ExperimentRunner(grown, store, executor := InProcess()).run()
    assert more.ran == 2 and all(key.endswith("seed=2") for key in executor.started)


def test_the_model_store_ignores_the_experiments_folder(tmp_path):
    store = ModelStore(tmp_path)
    ExperimentRunner(RECIPE, store, InProcess()).run()
    stray = tmp_path / "experiments" / "tiny" / "runs" / ".x.json.0123456789ab.tmp"  # a write cut short
    stray.write_text("{")
    before = sorted(str(p) for p in (tmp_path / "experiments").rglob("*"))
    report = store.repair()
    assert not report.changed
    assert sorted(str(p) for p in (tmp_path / "experiments").rglob("*")) == before
    assert all(not entry.name.startswith("experiments") for entry in store.list())
    assert len(ExperimentFolder(tmp_path, "tiny").records()) == 4  # the temp file is no record


def test_stored_runs_of_another_training_are_refused_unless_restarted(tmp_path):
    store = ModelStore(tmp_path)
    ExperimentRunner(RECIPE, store, InProcess()).run()
    longer = RECIPE.with_overrides(Overrides(steps=60))
    with pytest.raises(ExperimentConflict, match="steps 40 stored, 60 asked"):
        ExperimentRunner(longer, store, InProcess()).run()
    outcome = ExperimentRunner(longer, store, InProcess(), restart=True).run()
    assert outcome.ran == 4
    document = json.loads((tmp_path / "experiments" / "tiny" / "experiment.json").read_text())
    assert document["configuration"]["training"]["steps"] == 60


SCRIPT = """
import sys
from app.core.experiments import ExperimentRunner
from app.core.store import ModelStore
from tests.core.test_experiment_storage import RECIPE, InProcess
ExperimentRunner(RECIPE, ModelStore(sys.argv[1]), InProcess(delay_s=30)).run()
"""


def test_a_killed_experiment_resumes_to_the_same_results(tmp_path):
    killed, whole = tmp_path / "killed", tmp_path / "whole"
    process = subprocess.Popen([sys.executable, "-c", SCRIPT, str(killed)], cwd=ROOT)
    runs = killed / "experiments" / "tiny" / "runs"
    try:
        deadline = time.monotonic() + 120
        while not (runs.is_dir() and any(runs.glob("*.json"))):
            assert process.poll() is None and time.monotonic() < deadline, "the experiment never stored a run"
            time.sleep(0.1)
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
    assert len(list(runs.glob("*.json"))) == 1  # killed after its first run
    assert json.loads((runs.parent / "experiment.json").read_text())["status"] == "running"

    resumed = ExperimentRunner(RECIPE, ModelStore(killed), executor := InProcess()).run()
    assert resumed.status == "done" and resumed.ran == 3 and len(executor.started) == 3
    reference = ExperimentRunner(RECIPE, ModelStore(whole), InProcess()).run()
    assert [comparable(r) for r in resumed.records] == [comparable(r) for r in reference.records]


def test_a_runner_cancelled_before_it_starts_runs_nothing(tmp_path):
    runner = ExperimentRunner(RECIPE, ModelStore(tmp_path), executor := InProcess())
    runner.cancel()
    outcome = runner.run()
    assert outcome.status == "cancelled" and outcome.ran == 0 and executor.started == []
    assert ExperimentFolder(tmp_path, "tiny").document()["status"] == "cancelled"


class Crashing(InProcess):
    """Gives one result, then fails as a broken worker pool would."""

    def results(self, jobs):
        yield execute_run(jobs[0])
        raise RuntimeError("a worker process died")


def test_a_crash_keeps_the_finished_runs_and_marks_the_experiment_failed(tmp_path):
    with pytest.raises(RuntimeError, match="a worker process died"):
        ExperimentRunner(RECIPE, ModelStore(tmp_path), Crashing()).run()
    folder = ExperimentFolder(tmp_path, "tiny")
    assert folder.document()["status"] == "failed" and len(folder.records()) == 1
    resumed = ExperimentRunner(RECIPE, ModelStore(tmp_path), InProcess()).run()
    assert resumed.status == "done" and resumed.ran == 3
