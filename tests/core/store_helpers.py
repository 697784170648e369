"""What the store tests share: a stand-in architecture, metadata and tensors to store, hand-made files."""

from __future__ import annotations

import hashlib
import json
import struct

import safetensors.torch
import torch

HIDDEN, INPUT, OUTPUT = 5, 3, 4


def elman_shapes(config: dict) -> dict[str, tuple[int, ...]]:
    """A stand-in for the architecture registry: nn.RNN plus a linear readout."""
    if config["architecture"] != "elman":
        raise KeyError(config["architecture"])
    h, i, o = config["hidden_size"], config["input_size"], config["output_size"]
    return {
        "rnn.weight_ih_l0": (h, i),
        "rnn.weight_hh_l0": (h, h),
        "rnn.bias_ih_l0": (h,),
        "rnn.bias_hh_l0": (h,),
        "readout.weight": (o, h),
        "readout.bias": (o,),
    }


def make_metadata(**extra) -> dict:
    return {
        "config": {
            "architecture": "elman",
            "input_size": INPUT,
            "output_size": OUTPUT,
            "hidden_size": HIDDEN,
            "activation": "tanh",
        },
        "task": {"id": "reber", "options": {"max_length": 20}},
        "history": [{"step": 10, "loss": 1.5, "metric": 0.25}],
        "total_steps": 10,
        **extra,
    }


def make_tensors(seed: int = 0, dtype=torch.float32) -> dict[str, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    config = make_metadata()["config"]
    return {name: torch.randn(shape, generator=generator, dtype=dtype) for name, shape in elman_shapes(config).items()}


def raw_safetensors(header: dict, data: bytes = b"", length: int | None = None) -> bytes:
    """Hand-made .safetensors bytes, so a test can declare whatever it likes."""
    encoded = json.dumps(header).encode()
    return struct.pack("<Q", len(encoded) if length is None else length) + encoded + data


def temp_files(root) -> list[str]:
    return sorted(path.name for path in root.iterdir() if path.name.startswith("."))


def write_model_files(root, name: str, weights_bytes: bytes) -> None:
    """A .json/.safetensors pair written behind the store's back, with a matching sha."""
    document = {
        "format_version": 1,
        "name": name,
        **make_metadata(),
        "weights_sha256": hashlib.sha256(weights_bytes).hexdigest(),
    }
    (root / f"{name}.safetensors").write_bytes(weights_bytes)
    (root / f"{name}.json").write_text(json.dumps(document))


def refuse_decoding(monkeypatch) -> None:
    """Make any decoding of tensor data fail the test (for the no_deserialise fixtures)."""

    def refuse(data):
        raise AssertionError("tensor data decoded before the header was refused")

    monkeypatch.setattr(safetensors.torch, "load", refuse)
