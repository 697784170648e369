"""`python -m app analyze NAME states|automaton|units` (app/cli/analyze.py) on copies of shipped models.

Each test runs main([...]) in-process against a store in tmp holding copies of elman-reber and
lstm-embedded-reber (and an untrained numeric model), and reads what a person would see. The
tables are checked against the --json documents, computed again here where it is cheap.
"""

from __future__ import annotations

import json
import shutil
from collections import defaultdict
from pathlib import Path

import pytest
import torch

from app.__main__ import main
from app.core.models import create_model
from app.core.store import ModelStore

SHIPPED = Path(__file__).resolve().parents[2] / "models"


@pytest.fixture(scope="module")
def shipped_copy(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("analyze-models")
    for name in ("elman-reber", "lstm-embedded-reber"):
        for suffix in (".json", ".safetensors"):
            shutil.copy(SHIPPED / f"{name}{suffix}", folder / f"{name}{suffix}")
    create_model(ModelStore(folder), name="numbers", architecture="gru", task_id="adding", hidden_size=4)
    return folder


@pytest.fixture(autouse=True)
def store_dir(shipped_copy, monkeypatch):
    monkeypatch.setenv("UNROLLED_MODELS_DIR", str(shipped_copy))
    monkeypatch.setenv("UNROLLED_DEVICE", "cpu")
    monkeypatch.setenv("UNROLLED_TORCH_THREADS", "1")
    return shipped_copy


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["analyze", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def ok_json(capsys, *argv: str) -> dict:
    code, out, err = run(capsys, *argv, "--json")
    assert code == 0, err
    return json.loads(out)


def rows_of(out: str) -> list[list[str]]:
    """The body rows of the first table printed: the lines after the dashes, up to a blank line."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line and set(line) <= {"-", " "}) + 1
    end = lines.index("", start)
    return [line.split() for line in lines[start:end]]


def test_states_table_places_each_grammar_state_in_the_projection(capsys):
    code, out, err = run(capsys, "elman-reber", "states", "--sequences", "30", "--seed", "2")
    assert code == 0, err
    document = ok_json(capsys, "elman-reber", "states", "--sequences", "30", "--seed", "2")
    assert document["points"] == len(document["coords"]) == sum(len(text) for text in document["texts"])
    members = defaultdict(list)
    for coords, state in zip(document["coords"], document["grammar_state"], strict=True):
        members[state].append(coords)
    rows = rows_of(out)
    assert [row[0] for row in rows] == ["1", "2", "3", "4", "5", "6", "end"]  # natural order
    for name, points, pc1, pc2 in rows:
        mean = torch.tensor(members[name]).mean(0)
        assert int(points) == len(members[name])
        assert (float(pc1), float(pc2)) == pytest.approx(mean.tolist(), abs=1e-3)
    ratios = document["explained_variance"]
    assert f"PC1 {100 * ratios[0]:.1f}%" in out and "model elman-reber: elman, task reber; seed 2" in out


def test_lstm_cell_states_in_three_components(capsys):
    document = ok_json(capsys, "lstm-embedded-reber", "states", "--sequences", "5", "--state", "c", "--components", "3")
    assert document["state"] == "c" and all(len(row) == 3 for row in document["coords"])


def test_automaton_table_and_its_document(capsys):
    argv = ("elman-reber", "automaton", "--sequences", "60", "--held-out", "40", "--k", "8")
    code, out, err = run(capsys, *argv)
    assert code == 0, err
    document = ok_json(capsys, *argv)
    assert document["k"] == 8 and [t["k"] for t in document["k_search"]] == [8]
    rows = rows_of(out)
    assert [int(row[0]) for row in rows] == [state["id"] for state in document["states"]]
    assert rows[0][-1] == "start" and rows[0][2] == "B"
    summary = next(line for line in out.splitlines() if line.startswith("k = 8"))
    assert f"{len(document['states'])} states after minimisation" in summary
    assert f"agreement with the Reber grammar {document['agreement']:.3f}" in summary
    assert len(document["point_state"]) == sum(state["size"] for state in document["states"][1:])


def test_units_overview_has_a_row_per_unit(capsys):
    code, out, err = run(capsys, "elman-reber", "units", "--sequences", "20")
    assert code == 0, err
    rows = rows_of(out)
    document = ok_json(capsys, "elman-reber", "units", "--sequences", "20")
    assert [int(row[0]) for row in rows] == list(range(16)) == [u["unit"] for u in document["units"]]
    for row, unit in zip(rows, document["units"], strict=True):
        assert float(row[3]) == pytest.approx(unit["high"], abs=1e-3) and row[-1] == unit["top_context"]


def test_one_units_profile(capsys):
    argv = ("lstm-embedded-reber", "units", "--sequences", "20", "--unit", "3", "--target", "gate:f", "--top", "3")
    code, out, err = run(capsys, *argv)
    assert code == 0, err
    document = ok_json(capsys, *argv)
    assert document["unit"] == 3 and document["target"] == "gate:f"
    assert len(document["top_contexts"]) == 3 and len(document["similar"]) == 3
    assert out.startswith("unit 3 of gate:f") and "in grammar state" in out and "T/1" in out
    assert document["top_contexts"][0]["context"] in out


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (("elman-reber", "units", "--unit", "99"), "unit 99 is out of range"),
        (("elman-reber", "units", "--unit", "0", "--target", "gate:f"), "no state 'gate:f'"),
        (("elman-reber", "states", "--state", "c"), "no state 'c'"),
        (("elman-reber", "automaton", "--k", "0"), "k must be"),
        (("elman-reber", "automaton", "--sequences", "3000"), "sequences must be"),
        (("numbers", "automaton", "--k", "2"), "predicts numbers"),
        (("nobody", "states"), "nobody"),
        (("elman-reber", "shapes"), "invalid choice"),
    ],
)
def test_mistakes_are_one_line_and_exit_2(capsys, argv, words):
    code, out, err = run(capsys, *argv, "--sequences", "5") if "--sequences" not in argv else run(capsys, *argv)
    assert code == 2 and err.startswith("error: ") and err.count("\n") == 1, err
    assert words in err and "Traceback" not in out + err
