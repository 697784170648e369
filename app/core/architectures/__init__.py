"""The cell families, by id. Add a family by adding it to ARCHITECTURES."""

from __future__ import annotations

from app.core.architectures.base import (
    MAX_HIDDEN_SIZE,
    Architecture,
    ForwardRecord,
    InvalidConfig,
    ModelConfig,
    RecurrentModel,
)
from app.core.architectures.elman import ElmanArchitecture, ShortcutArchitecture
from app.core.architectures.gru import GruArchitecture
from app.core.architectures.init import DEFAULT_INIT, SCHEMES, GateInit, InvalidInit, check_init
from app.core.architectures.lstm import LstmArchitecture
from app.core.architectures.second_order import SecondOrderArchitecture

ARCHITECTURES: dict[str, Architecture] = {
    arch.id: arch
    for arch in (
        ElmanArchitecture(),
        ShortcutArchitecture(),
        LstmArchitecture(),
        GruArchitecture(),
        SecondOrderArchitecture(),
    )
}


class UnknownArchitecture(ValueError):
    pass


def get_architecture(arch_id: str) -> Architecture:
    try:
        return ARCHITECTURES[arch_id]
    except KeyError:
        known = ", ".join(ARCHITECTURES)
        raise UnknownArchitecture(f"unknown architecture {arch_id!r}; choose one of {known}") from None


def expected_shapes(config: dict) -> dict[str, tuple[int, ...]]:
    """Tensor names and shapes for a stored model's config dict (used by the store)."""
    model_config = ModelConfig(**config)
    return get_architecture(model_config.architecture).parameter_shapes(model_config)


__all__ = [
    "ARCHITECTURES",
    "DEFAULT_INIT",
    "MAX_HIDDEN_SIZE",
    "SCHEMES",
    "Architecture",
    "ForwardRecord",
    "GateInit",
    "InvalidConfig",
    "InvalidInit",
    "ModelConfig",
    "RecurrentModel",
    "UnknownArchitecture",
    "check_init",
    "expected_shapes",
    "get_architecture",
]
