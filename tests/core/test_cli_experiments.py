"""`python -m app experiment list | run | show`, in-process against a store in tmp_path."""

from __future__ import annotations

import json

import pytest

from app.__main__ import main
from app.core.experiments.recipes import RECIPES

# One run of the shortcuts recipe: an Elman net of 4 units on the Reber grammar, 20 steps.
ONE_RUN = ["shortcuts", "--seeds", "1", "--hidden-sizes", "4", "--architectures", "elman", "--steps", "20"]


@pytest.fixture
def store_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("UNROLLED_MODELS_DIR", str(tmp_path))
    monkeypatch.setenv("UNROLLED_DEVICE", "cpu")
    monkeypatch.delenv("UNROLLED_RAY_ADDRESS", raising=False)
    return tmp_path


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_list_names_every_recipe_with_its_claim(store_dir, capsys):
    code, out, _ = run(capsys, "experiment", "list")
    assert code == 0
    for recipe in RECIPES.values():
        assert recipe.name in out and str(recipe.grid.runs) in out


def test_run_shows_progress_then_the_results_and_show_reads_them_back(store_dir, capsys):
    code, out, err = run(capsys, "experiment", "run", *ONE_RUN, "--workers", "1")
    assert code == 0, err
    assert "shortcuts: 1/1 runs" in err  # the progress, as plain lines into a pipe
    assert "shortcuts: done, 1 runs now, 1 stored" in out
    header, rule, row = out.splitlines()[1:4]
    assert header.split()[:3] == ["point", "runs", "success"] and set(rule.strip()) <= {"-", " "}
    assert row.split()[:4] == ["elman", "h4", "1", "0/1"] or row.split()[:4] == ["elman", "h4", "1", "1/1"]
    assert "x-shortcuts-elman-h4" in row  # the representative model, a stored model

    code, out, _ = run(capsys, "experiment", "show", "shortcuts")
    assert code == 0 and "shortcuts: done, 1 runs" in out and "budget 20 steps" in out and "x-shortcuts-elman-h4" in out
    code, out, _ = run(capsys, "experiment", "show", "shortcuts", "--json")
    document = json.loads(out)
    assert document["experiment"]["status"] == "done" and len(document["runs"]) == 1
    assert document["summaries"][0]["runs"] == 1

    code, out, _ = run(capsys, "experiment", "list")
    assert "1 runs, done" in out
    code, out, _ = run(capsys, "list")  # the model store lists the kept model, and nothing of the results
    assert "x-shortcuts-elman-h4" in out and "experiments" not in out

    code, out, err = run(capsys, "experiment", "run", *ONE_RUN)  # resumed: nothing left to run
    assert code == 0 and "0 runs now, 1 stored" in out


@pytest.mark.parametrize(
    "argv, words",
    [
        (["run", "nope"], "unknown experiment 'nope'; the recipes are: short-term-memory"),
        (["run", "shortcuts", "--seeds", "0"], "the number of seeds must be at least 1, not 0"),
        (["run", "shortcuts", "--seeds", "1,1"], "the seeds repeat"),
        (["run", "short-term-memory", "--lags", "5,999"], "option 'lag' must be between 0 and 200, got 999"),
        (["run", "short-term-memory", "--lags", "ten"], "expected a whole number, not 'ten'"),
        (["run", "short-term-memory", "--seeds", "1000", "--lags", "1,2,3,4,5,6"], "at most 5000 are allowed"),
        (["run", "shortcuts", "--workers", "0"], "--workers must be at least 1, not 0"),
        (["run", "shortcuts", "--address", "x:1"], "--address is for --executor ray"),
        (
            ["run", *ONE_RUN, "--executor", "ray", "--address", "127.0.0.1:9"],
            "cannot reach the Ray cluster at 127.0.0.1:9",
        ),
        (["show", "nope"], "no stored results for experiment 'nope'"),
    ],
)
def test_mistakes_exit_2_with_one_line_and_write_nothing(store_dir, capsys, argv, words):
    code, out, err = run(capsys, "experiment", *argv)
    assert code == 2 and out == ""
    assert err.startswith("error: ") and words in err and err.count("\n") == 1
    assert not (store_dir / "experiments").exists()
