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
