"""Interventions: force a unit's value in the forward pass and trace the network that results.

    {"step": 5, "target": "gate:f", "unit": 3, "value": 0.0}    shut unit 3's forget gate at step 5
    {"step": null, "target": "h", "unit": 0, "value": 1.0}      hold h_t[0] at 1 at every step

A clamped value is a constant of the clamped network: the step computes the
unit as usual, the clamp replaces the result, and everything downstream reads
the forced value. So the trace of the clamped run is exact for that network -
its states, outputs and losses, and every BPTT gradient, in which no gradient
passes back through a clamped value to what would have computed it (the
families' backward steps zero the clamped entries' local derivatives;
tests/core/test_interventions.py holds them to autograd on an independently
built clamped graph).

Interventions are applied in the order the step computes: gates first, then
the cell state c_t, then h_t; two on the same unit, step and target: the last wins.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

import torch

from app.core.architectures.base import Clamp

if TYPE_CHECKING:
    from app.core.architectures import Architecture
    from app.core.trace.capture import Trace

MAX_INTERVENTIONS = 64  # a page clamps a few units; more is a mistake or an attack on the loop
MAX_VALUE = 1e6  # |value|: a gate is meant to be in [0, 1] and a state in [-1, 1], but any finite number is allowed
GATE_PREFIX = "gate:"


class InterventionError(ValueError):
    """An intervention the model cannot take (an unknown gate, a unit or step out of range); the
    message says which one and what is allowed."""


@dataclass(frozen=True)
class Intervention:
    step: int | None  # 0-based step, None for every step
    target: str  # "h" | "c" | "gate:<name>"
    unit: int  # 0-based unit of the hidden layer
    value: float

    def to_dict(self) -> dict:
        return asdict(self)


def targets_of(arch: Architecture) -> list[str]:
    """What a family lets one clamp: h, c where it has a cell state, and each gate."""
    return ["h", *(["c"] if arch.has_cell_state else []), *(GATE_PREFIX + name for name in arch.gate_names)]


def check(interventions, arch: Architecture, steps: int, hidden: int) -> None:
    """Raise InterventionError for the first intervention the model or the sequence cannot take."""
    if len(interventions) > MAX_INTERVENTIONS:
        raise InterventionError(f"{len(interventions)} interventions given; at most {MAX_INTERVENTIONS} are allowed")
    allowed = targets_of(arch)
    for number, item in enumerate(interventions, start=1):
        where = f"intervention {number}"
        if item.target not in allowed:
            raise InterventionError(
                f"{where}: target {item.target!r} does not exist in a {arch.title}; choose one of {', '.join(allowed)}"
            )
        if not 0 <= item.unit < hidden:
            raise InterventionError(f"{where}: unit {item.unit} is out of range; the model has units 0 to {hidden - 1}")
        if item.step is not None and not 0 <= item.step < steps:
            raise InterventionError(
                f"{where}: step {item.step} is out of range; the sequence has steps 0 to {steps - 1} (or null for all)"
            )
        if not (math.isfinite(item.value) and abs(item.value) <= MAX_VALUE):
            raise InterventionError(f"{where}: value must be a finite number within ±{MAX_VALUE:g}, not {item.value}")


def clamps_for(interventions, arch: Architecture, steps: int, hidden: int, like: torch.Tensor) -> dict[str, Clamp]:
    """The checked interventions as Clamps by record name ("h", "c", "f", ...), on like's dtype and device."""
    check(interventions, arch, steps, hidden)
    clamps: dict[str, Clamp] = {}
    for item in interventions:
        name = item.target.removeprefix(GATE_PREFIX)
        if name not in clamps:
            clamps[name] = Clamp(
                mask=torch.zeros(steps, hidden, dtype=torch.bool, device=like.device),
                value=like.new_zeros(steps, hidden),
            )
        rows = slice(None) if item.step is None else item.step
        clamps[name].mask[rows, item.unit] = True
        clamps[name].value[rows, item.unit] = item.value
    return clamps


def comparison(clamped: Trace, clean: Trace) -> dict[str, dict]:
    """The clean run's outputs and losses, and the clamped run's minus them, as tensors."""
    return {
        "clean": {"outputs": clean.y, "losses": clean.losses, "loss": clean.loss},
        "difference": {
            "outputs": clamped.y - clean.y,
            "losses": clamped.losses - clean.losses,
            "loss": clamped.loss - clean.loss,
        },
    }
