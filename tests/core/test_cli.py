"""Tests of the command line (app/__main__.py, app/cli/): real training, tracing and listing.

Every test runs main([...]) in-process against a store in tmp_path and reads
what a person would see on stdout and stderr. The models are tiny and train a
few dozen steps, so the whole file takes seconds.
"""

from __future__ import annotations

import json
import math
import os
import signal

import pytest
import torch

from app.__main__ import main
from app.cli import progress as progress_module
from app.core.store import ModelMetadata, ModelStore
from tests.trace_fields import TRACE_FIELDS


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():
    """These models are tiny: a second intra-op thread gains nothing, and on a
    busy machine every op waits for it to be scheduled (runs 20x slower)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture
def store_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("UNROLLED_MODELS_DIR", str(tmp_path))
    monkeypatch.setenv("UNROLLED_DEVICE", "cpu")
    return tmp_path


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def train_new(capsys, name="r1", architecture="elman", task="reber", hidden="6", steps="20", *extra):
    code, out, err = run(
        capsys,
        "train",
        "--name",
        name,
        "--architecture",
        architecture,
        "--task",
        task,
        "--hidden-size",
        hidden,
        "--steps",
        steps,
        *extra,
    )
    assert code == 0, err
    return out, err


def metadata(store_dir, name) -> ModelMetadata:
    return ModelStore(store_dir).load_metadata(name)


def table_rows(out: str) -> list[str]:
    """The body rows of a printed table: the lines between the dashes and the blank line."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line and set(line) <= {"-", " "}) + 1
    end = lines.index("", start) if "" in lines[start:] else len(lines)
    return lines[start:end]


def assert_user_error(code: int, out: str, err: str, *words: str) -> None:
    assert code == 2
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err + out
    for word in words:
        assert word in err


# ----- train ----------------------------------------------------------------


def test_train_creates_and_saves_a_model(store_dir, capsys):
    out, err = train_new(capsys, "r1", "elman", "reber", "6", "20")
    assert (store_dir / "r1.json").is_file() and (store_dir / "r1.safetensors").is_file()
    meta = metadata(store_dir, "r1")
    assert meta.total_steps == 20
    assert meta.config.architecture == "elman" and meta.config.hidden_size == 6
    assert meta.history and meta.history[-1].step == 20
    assert math.isfinite(meta.history[-1].loss)
    assert meta.last_training.status == "done"
    assert out.startswith("r1: 20 steps") and "saved in" in out
    # stderr is not a terminal here: plain progress lines, never carriage returns
    assert "20/20" in err and "legal-set accuracy" in err and "\r" not in err


def test_training_again_continues_the_step_count(store_dir, capsys):
    train_new(capsys, "r1", "elman", "reber", "6", "20")
    code, out, err = run(capsys, "train", "--name", "r1", "--steps", "15")
    assert code == 0, err
    meta = metadata(store_dir, "r1")
    assert meta.total_steps == 35
    steps = [point.step for point in meta.history]
    assert steps == sorted(steps) and steps[-1] == 35
    # a continued run draws fresh batches instead of replaying the first run's
    assert meta.last_training.config["seed"] == 20
    assert "35 in all" in out


def test_continuing_with_contradicting_flags_is_refused(store_dir, capsys):
    train_new(capsys, "r1", "elman", "reber", "6", "5")
    before = (store_dir / "r1.safetensors").read_bytes()
    for flags in (
        ["--architecture", "gru"],
        ["--hidden-size", "7"],
        ["--task", "adding"],
        ["--task-option", "max_length=20"],
    ):
        code, out, err = run(capsys, "train", "--name", "r1", "--steps", "5", *flags)
        assert_user_error(code, out, err, "r1")
    assert (store_dir / "r1.safetensors").read_bytes() == before


def test_task_options_are_typed_by_the_task(store_dir, capsys):
    train_new(
        capsys,
        "s1",
        "gru",
        "sine",
        "4",
        "3",
        "--task-option",
        "length=20",
        "--task-option",
        "noise=0.1",
        "--clip-norm",
        "none",
    )
    meta = metadata(store_dir, "s1")
    assert meta.task.options["length"] == 20 and meta.task.options["noise"] == 0.1
    assert meta.last_training.config["clip_norm"] is None


@pytest.mark.parametrize(
    "flags, words",
    [
        (["--task-option", "length=abc"], ["length", "whole number"]),
        (["--task-option", "nope=1"], ["nope", "length"]),
        (["--task-option", "length"], ["key=value"]),
        (["--learning-rate", "-1"], ["learning_rate"]),
    ],
)
def test_bad_training_flags_exit_2_before_anything_is_stored(store_dir, capsys, flags, words):
    code, out, err = run(
        capsys,
        "train",
        "--name",
        "s1",
        "--architecture",
        "elman",
        "--task",
        "sine",
        "--hidden-size",
        "4",
        "--steps",
        "3",
        *flags,
    )
    assert_user_error(code, out, err, *words)
    assert not list(store_dir.iterdir())


@pytest.mark.parametrize(
    "command, words",
    [
        ("train --name x --steps 3", ["--architecture", "--task", "--hidden-size"]),
        ("train --name x --steps 3 --architecture nope --task reber --hidden-size 3", ["nope"]),
        ("train --name x --steps 3 --architecture lstm --task nope --hidden-size 3", ["nope", "reber"]),
        ("train --name x --steps 3 --architecture lstm --task reber --hidden-size 100000", ["hidden_size"]),
        ("train --name Bad/Name --steps 3 --architecture lstm --task reber --hidden-size 3", ["invalid model name"]),
        ("train --steps 3", ["--name"]),
        ("frobnicate", ["frobnicate"]),
    ],
)
def test_mistakes_on_the_command_line_exit_2_with_one_line(store_dir, capsys, command, words):
    assert_user_error(*run(capsys, *command.split()), *words)


@pytest.mark.parametrize("signum, status", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_stops_the_run_saves_it_and_exits_128_plus_signal(store_dir, capsys, monkeypatch, signum, status):
    """A real signal (Ctrl-C, or kill), sent once the first progress report shows the run is under way."""
    update = progress_module.ProgressBar.update
    sent = []

    def update_then_signal(self, progress):
        update(self, progress)
        if not sent:
            sent.append(progress.step)
            os.kill(os.getpid(), signum)

    monkeypatch.setattr(progress_module.ProgressBar, "update", update_then_signal)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        code, out, err = run(
            capsys,
            "train",
            "--name",
            "long",
            "--architecture",
            "elman",
            "--task",
            "reber",
            "--hidden-size",
            "4",
            "--steps",
            "100000",
        )
    finally:
        signal.signal(signal.SIGINT, previous)
    assert code == status, err
    meta = metadata(store_dir, "long")
    assert 0 < meta.total_steps < 100000
    assert meta.last_training.status == "cancelled"
    # every step taken counts, also those after the last progress report
    assert out.startswith(f"long: {meta.total_steps} steps")
    assert f"(stopped by {signal.Signals(signum).name})" in out
    assert "Traceback" not in err
    assert signal.getsignal(signal.SIGTERM) is not None  # the run put the previous handler back


def test_a_diverged_run_is_reported_and_not_saved(store_dir, capsys):
    train_new(capsys, "d1", "elman", "sine", "8", "3", "--activation", "relu")
    before = (store_dir / "d1.safetensors").read_bytes()
    code, out, err = run(
        capsys,
        "train",
        "--name",
        "d1",
        "--steps",
        "30",
        "--learning-rate",
        "1e30",
        "--clip-norm",
        "none",
        "--optimizer",
        "sgd",
    )
    assert code == 2 and "error: training failed: the loss became non-finite" in err
    assert "Traceback" not in err
    assert (store_dir / "d1.safetensors").read_bytes() == before
    assert metadata(store_dir, "d1").total_steps == 3


# ----- trace ----------------------------------------------------------------


def test_trace_prints_one_row_per_step_and_the_loss(store_dir, capsys):
    train_new(capsys, "r1", "elman", "reber", "6", "20")
    code, out, err = run(capsys, "trace", "r1", "BTSSXXTVVE")
    assert code == 0, err
    rows = table_rows(out)
    assert len(rows) == 10
    assert [row.split()[0] for row in rows] == [str(t) for t in range(1, 11)]
    assert rows[0].split()[1:3] == ["B", "T|P"]
    code, out_json, _ = run(capsys, "trace", "r1", "BTSSXXTVVE", "--json")
    loss = json.loads(out_json)["loss"]
    assert f"L = sum L_t = {loss:.4f}" in out
    assert "model r1: elman" in out and "task reber" in out


def test_trace_json_has_the_design_fields_and_a_consistent_loss(store_dir, capsys):
    train_new(capsys, "r1", "lstm", "reber", "5", "10")
    code, out, err = run(capsys, "trace", "r1", "--json")  # no input: the task's probe
    assert code == 0, err
    plain = json.loads(out)
    for field in TRACE_FIELDS:
        assert field in plain
    T = plain["steps"]
    assert T == len("BTSSXXTVVE") and len(plain["labels"]) == T
    assert math.isfinite(plain["loss"])
    assert plain["loss"] == pytest.approx(sum(plain["losses"]), rel=1e-5)
    assert len(plain["grad_flow"]) == T and len(plain["grad_flow"][0]) == T
    assert set(plain["gates"]) == {"i", "f", "g", "o"}
    code, out, _ = run(capsys, "trace", "r1", "--json", "--no-grad-flow")
    assert code == 0 and json.loads(out)["grad_flow"] is None


@pytest.mark.parametrize(
    "task, text",
    [
        ("copy", "abc"),  # cross_entropy: an argmax symbol and its probability
        ("adding", "0.1 0.5* 0.2 0.9*"),  # mse, many-to-one: only the last step counts
        ("sine", "0 0.5 0.87 1"),  # mse, many-to-many: the last step has no next value
    ],
)
def test_trace_reads_each_loss_kind(store_dir, capsys, task, text):
    train_new(capsys, "m1", "gru", task, "4", "2")
    code, out, err = run(capsys, "trace", "m1", text)
    assert code == 0, err
    rows = table_rows(out)
    assert rows and "L = sum L_t" in out
    if task == "copy":
        assert "(" in rows[-1]  # e.g. "a (0.31)"
    # L_t is blank exactly where the loss is masked, so only counted rows are full width
    _, out_json, _ = run(capsys, "trace", "m1", text, "--json")
    counted = sum(1 for m in json.loads(out_json)["loss_mask"] if m > 0)
    widths = [len(row.split()) for row in rows]
    assert 0 < counted == widths.count(max(widths))


def test_trace_errors_exit_2_without_a_traceback(store_dir, capsys):
    train_new(capsys, "r1", "elman", "reber", "4", "3")
    assert_user_error(*run(capsys, "trace", "r1", "BTQ"), "'Q'", "position 3")
    assert_user_error(*run(capsys, "trace", "nope"), "nope")
    assert_user_error(*run(capsys, "trace", "../r1"), "invalid model name")


def test_lstm_learns_embedded_reber_and_traces_a_long_string(store_dir, capsys):
    train_new(capsys, "er", "lstm", "embedded_reber", "12", "30")
    assert metadata(store_dir, "er").total_steps == 30
    code, out, err = run(capsys, "trace", "er", "BTBTSSXXTVVETE")
    assert code == 0, err
    assert len(table_rows(out)) == 14
    assert "model er: lstm" in out


# ----- list, info, delete ---------------------------------------------------


def test_list_shows_models_and_survives_a_corrupt_file(store_dir, capsys):
    code, out, _ = run(capsys, "list")
    assert code == 0 and "no models" in out
    train_new(capsys, "r1", "elman", "reber", "6", "10")
    (store_dir / "broken.json").write_text("{ this is not json")
    code, out, err = run(capsys, "list")
    assert code == 0, err
    rows = {row.split()[0]: row for row in table_rows(out)}
    assert set(rows) == {"broken", "r1"}
    assert rows["r1"].split()[1:6] == ["elman", "reber", "6", str(metadata(store_dir, "r1").parameter_count), "10"]
    assert "not valid JSON" in rows["broken"]
    assert "Traceback" not in err


def test_info_and_delete(store_dir, capsys):
    train_new(capsys, "r1", "elman", "reber", "6", "5")
    code, out, _ = run(capsys, "info", "r1")
    assert code == 0 and "steps trained:  5" in out and "elman" in out
    code, out, _ = run(capsys, "info", "r1", "--json")
    assert json.loads(out)["total_steps"] == 5
    # deleting without --yes outside a terminal is refused, and the model stays
    assert_user_error(*run(capsys, "delete", "r1"), "--yes")
    assert (store_dir / "r1.json").exists()
    code, out, _ = run(capsys, "delete", "r1", "--yes")
    assert code == 0 and not (store_dir / "r1.json").exists()
    assert_user_error(*run(capsys, "delete", "r1", "--yes"), "r1")
    assert_user_error(*run(capsys, "info", "r1"), "r1")


def test_help_and_no_command(capsys):
    assert main(["--help"]) == 0
    assert "train" in capsys.readouterr().out
    assert main([]) == 2


def test_a_models_folder_that_cannot_be_used_is_an_error(tmp_path, monkeypatch, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("UNROLLED_MODELS_DIR", str(blocker))
    assert_user_error(*run(capsys, "list"), "model folder")


# ----- serve ----------------------------------------------------------------


def test_serve_runs_uvicorn_on_localhost_by_default(monkeypatch, capsys):
    uvicorn = pytest.importorskip("uvicorn")
    calls = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: calls.append((app, kwargs)))
    for variable in ("UNROLLED_HOST", "UNROLLED_PORT"):
        monkeypatch.delenv(variable, raising=False)
    assert main(["serve"]) == 0
    assert main(["serve", "--host", "0.0.0.0", "--port", "9001", "--reload"]) == 0
    assert calls == [
        # permessage-deflate off: compressing every frame per watcher held the event loop (docs/operations.md)
        ("app.main:app", {"host": "127.0.0.1", "port": 8000, "reload": False, "ws_per_message_deflate": False}),
        ("app.main:app", {"host": "0.0.0.0", "port": 9001, "reload": True, "ws_per_message_deflate": False}),
    ]
