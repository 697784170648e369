"""The command line's --init (train and create) and `create`: in-process main([...]) against
a store in tmp_path, reading what a person sees, as tests/core/test_cli.py does."""

from __future__ import annotations

import json

import pytest
import torch

from app.core.architectures import GateInit
from app.core.models import load_model
from app.core.store import ModelStore
from tests.core.test_cli import assert_user_error, run, train_new

NEW_LSTM = ["--architecture", "lstm", "--task", "copy", "--hidden-size", "6"]


@pytest.fixture
def store_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("UNROLLED_MODELS_DIR", str(tmp_path))
    monkeypatch.setenv("UNROLLED_DEVICE", "cpu")
    return tmp_path


@pytest.fixture(autouse=True)
def one_torch_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def test_train_creates_with_init_and_info_shows_it(store_dir, capsys):
    train_new(capsys, "c1", "lstm", "copy", "6", "3", "--init", "chrono:40")
    loaded = load_model(ModelStore(store_dir), "c1")
    assert loaded.metadata.init == GateInit("chrono", t_max=40)
    code, out, _ = run(capsys, "info", "c1")
    assert code == 0 and "initialisation: chrono:40" in out
    code, out, _ = run(capsys, "info", "c1", "--json")
    assert json.loads(out)["init"] == {"scheme": "chrono", "t_max": 40}
    # continuing needs no --init; a different one is refused, the same one is fine
    assert run(capsys, "train", "--name", "c1", "--steps", "2")[0] == 0
    assert_user_error(*run(capsys, "train", "--name", "c1", "--steps", "2", "--init", "forget_bias:1"), "chrono:40")
    assert run(capsys, "train", "--name", "c1", "--steps", "2", "--init", "chrono:40")[0] == 0


def test_create_stores_an_untrained_model_with_its_scheme(store_dir, capsys):
    new_gru = ["--architecture", "gru", *NEW_LSTM[2:]]
    code, out, err = run(capsys, "create", "--name", "g1", *new_gru, "--init", "forget_bias:3")
    assert code == 0, err
    assert out.startswith("g1: gru (tanh), hidden size 6, task copy, init forget_bias:3") and "untrained" in out
    loaded = load_model(ModelStore(store_dir), "g1")
    assert loaded.total_steps == 0
    assert torch.all(loaded.model.rnn.bias_ih_l0[6:12] == 3.0) and torch.all(loaded.model.rnn.bias_hh_l0[6:12] == 0)
    code, out, err = run(capsys, "create", "--name", "i1", "--architecture", "elman", "--activation", "relu",
                         "--task", "copy", "--hidden-size", "5", "--init", "identity")  # fmt: skip
    assert code == 0, err
    assert torch.equal(load_model(ModelStore(store_dir), "i1").model.rnn.weight_hh_l0, torch.eye(5))
    assert_user_error(*run(capsys, "create", "--name", "g1", *NEW_LSTM), "g1")  # the name is taken


@pytest.mark.parametrize(
    "command, flags, words",
    [
        ("train", ["--init", "chrono"], ["--init", "chrono needs T_max"]),
        ("train", ["--init", "forget_bias:x"], ["--init", "forget_bias needs a number"]),
        ("train", ["--init", "orthogonal"], ["choose one of default, forget_bias, chrono, identity"]),
        ("train", ["--init", "identity"], ["lstm takes initialisation default or forget_bias or chrono"]),
        ("create", ["--init", "identity"], ["lstm takes initialisation", "identity is for elman and shortcut"]),
        ("create", ["--init", "chrono:1"], ["between 2 and"]),
    ],
)
def test_bad_init_exits_2_with_one_line_and_stores_nothing(store_dir, capsys, command, flags, words):
    steps = ["--steps", "2"] if command == "train" else []
    assert_user_error(*run(capsys, command, "--name", "x", *NEW_LSTM, *steps, *flags), *words)
    assert not list(store_dir.iterdir())


def test_create_needs_the_model_flags(store_dir, capsys):
    assert_user_error(*run(capsys, "create", "--name", "x"), "--architecture", "--task", "--hidden-size")
