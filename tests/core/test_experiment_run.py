"""One experiment run: the early-stop hook in runs.py, determinism, the record, cancel, the gradient curve."""

from __future__ import annotations

import threading

from app.core.experiments import Criterion, Grid, Recipe, Training, variants
from app.core.experiments.run import RunJob, comparable, execute_run, gradient_curve
from app.core.models import build_model
from app.core.runs import ModelSpec, RunDescription, RunRequest, StopFlag, run_training
from app.core.store import ModelStore

RECIPE = Recipe(
    name="tiny",
    claim="a test",
    grid=Grid(variants(("elman",)), "copy", {"lag": (2,), "n_symbols": (4,), "length": (1,)}, (8,), (0,)),
    training=Training(steps=60, learning_rate=0.01),
    criterion=Criterion(threshold=0.5, sequences=64, every=20),
)


def job(keep_as=None, recipe=RECIPE) -> RunJob:
    return RunJob(recipe.name, recipe.points()[0], recipe.training, recipe.criterion, keep_as)


def test_early_stop_ends_the_run_done_and_saved_without_setting_the_callers_flag(tmp_path):
    store, caller = ModelStore(tmp_path), StopFlag()
    asked = []

    def criterion(report, loaded):
        asked.append(report.step)
        assert loaded.model is not None
        return report.step >= 20

    outcome = run_training(
        store,
        RunDescription("m", RunRequest(steps=200), ModelSpec("elman", "copy", 8)),
        "cpu",
        stop=caller,
        early_stop=criterion,
    )
    assert (outcome.status, outcome.steps_done, outcome.saved) == ("done", 20, True)
    assert asked[-1] == 20 and not caller.is_set()
    assert store.load_metadata("m").total_steps == 20


def test_a_run_is_the_same_record_every_time_less_its_timing():
    first, second = execute_run(job()), execute_run(job())
    assert comparable(first.record) == comparable(second.record)
    record = first.record
    assert record["key"] == "elman.lag=2.length=1.n_symbols=4.h8.seed=0"
    assert record["status"] == "done" and not first.cancelled
    same = build_model("x", "elman", "copy", 8, task_options={"n_symbols": 4})
    assert record["parameters"] == same.model.parameter_count()
    steps = [step for step, _ in record["evaluations"]]
    assert all(step % 20 == 0 for step in steps) and steps[-1] == record["steps_done"]
    if record["success"]:  # stopped early at the check that met the criterion
        assert record["steps_to_success"] == record["steps_done"] and record["final_metric"] >= 0.5
    assert len(record["gradient_init"]) == len(record["gradient_end"]) == 4  # T = 1 + lag + 1 steps back
    assert record["model"] is None and first.model is None


def test_the_representative_run_hands_back_its_model():
    result = execute_run(job(keep_as="x-tiny-elman"))
    metadata, tensors = result.model
    assert metadata.name == "x-tiny-elman" == result.record["model"]
    assert metadata.total_steps == result.record["steps_done"]
    assert "rnn.weight_hh_l0" in tensors


def test_a_cancelled_run_is_not_a_result():
    cancel = threading.Event()
    cancel.set()
    result = execute_run(job(), cancel)
    assert result.cancelled and result.record["steps_done"] == 0


def test_without_early_stop_a_run_trains_its_whole_budget():
    recipe = Recipe("full", "c", RECIPE.grid, RECIPE.training, Criterion(0.01, 64, 20, stop_early=False))
    record = execute_run(job(recipe=recipe)).record
    assert record["success"] and record["steps_to_success"] == 20
    assert record["steps_done"] == 60 and [s for s, _ in record["evaluations"]] == [20, 40, 60]


def test_gradient_curve_starts_at_the_last_counted_loss():
    loaded = build_model("g", "elman", "copy", 8, task_options={"lag": 5, "length": 1})
    task = loaded.task
    sequence = task.probe()
    curve = gradient_curve(loaded.model, task, [sequence])
    assert len(curve) == len(sequence)  # the last step counts, so every step is a distance
    assert all(value >= 0 for value in curve) and curve[0] > 0
