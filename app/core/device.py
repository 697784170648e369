"""Choosing the torch device: CUDA when present, else the CPU, overridable."""

from __future__ import annotations

import torch

DEVICE_CHOICES = ("auto", "cpu", "cuda")


def pick_device(preference: str = "auto") -> torch.device:
    """Resolve "auto" | "cpu" | "cuda" to a device.

    "cuda" when no GPU is present is an error rather than a silent fallback, so a
    person who asked for the GPU learns that they are not getting it.
    """
    if preference not in DEVICE_CHOICES:
        raise ValueError(f"device must be one of {', '.join(DEVICE_CHOICES)}, not {preference!r}")
    if preference == "cpu":
        return torch.device("cpu")
    if preference == "cuda" and not torch.cuda.is_available():
        raise ValueError("device 'cuda' was asked for but torch sees no CUDA GPU")
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def configure_threads(threads: int) -> None:
    """Set torch's intra-op threads for this process.

    The models here are small: a (32, T, 64) LSTM batch is far below the size
    where splitting an op across cores pays, so extra threads only contend.
    Measured on the 2-core machine: one thread gave 341 steps/s, two gave 163,
    and two jobs of two threads each fell to 15 steps/s. One thread per process
    (and so per job) is the default; raise it for large hidden sizes.
    """
    if threads >= 1 and torch.get_num_threads() != threads:
        torch.set_num_threads(threads)
