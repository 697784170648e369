"""How a new model's gates and recurrent weights start: the initialisation schemes.

Whether a gated net can learn a long lag at all depends on where its gates
start. PyTorch's default draws every bias from U(-1/sqrt(H), 1/sqrt(H)), so an
LSTM's forget gate starts near sigma(0) = 0.5 and the cell state halves at
every step: after 40 steps nothing of the first symbol is left for the
gradient to find. The schemes here open the gate, or give a plain RNN its
best start:

    default       PyTorch's initialisation, untouched (every family).
    forget_bias   LSTM: b_f = value (Gers, Schmidhuber & Cummins 2000; 1 in
                  Jozefowicz, Zaremba & Sutskever 2015). GRU: b_z = value, the
                  update gate biased toward keeping h_{t-1}.
    chrono        LSTM: b_f ~ log(U[1, T_max - 1]) per unit, b_i = -b_f
                  (Tallec & Ollivier 2018). GRU: b_z ~ log(U[1, T_max - 1]);
                  its input gate is 1 - z, tied to z, so there is no b_i.
    identity      Elman / shortcut with relu: W_hh = I, b_ih = b_hh = 0
                  (the IRNN of Le, Jaitly & Hinton 2015).

torch keeps two biases per gate block, b_ih and b_hh, and only their sum acts.
A scheme sets the gate's b_ih to the value and its b_hh to 0, so the sum is
exactly the value; every other weight keeps PyTorch's draw. Which rows are the
gate follows torch's chunk order: LSTM i, f, g, o (f is rows H..2H); GRU r, z,
n (z is rows H..2H), with h_t = (1 - z) n + z h_{t-1}, so a positive b_z keeps.

A scheme is applied right after the default initialisation, under the same
seed, so one seed gives the same weights every time, and two schemes differ
only in the tensors the scheme sets.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from app.core.architectures.base import InvalidConfig

SCHEMES = ("default", "forget_bias", "chrono", "identity")
FORGET_BIAS_LIMIT = 20.0  # sigma(20) = 1 - 2e-9: anything beyond is the same gate
MIN_T_MAX, MAX_T_MAX = 2, 100_000  # U[1, T_max - 1] needs T_max - 1 >= 1


class InvalidInit(InvalidConfig):
    """An initialisation that is malformed or that the chosen family cannot take."""


@dataclass(frozen=True)
class GateInit:
    """An initialisation scheme and its one parameter (forget_bias's value, chrono's T_max)."""

    scheme: str = "default"
    forget_bias: float | None = None  # forget_bias only: the bias of the forget (LSTM) or update (GRU) gate
    t_max: int | None = None  # chrono only: the longest dependency, in steps, the gates should span

    def __post_init__(self) -> None:
        if self.scheme not in SCHEMES:
            raise InvalidInit(f"unknown initialisation {self.scheme!r}; choose one of {', '.join(SCHEMES)}")
        if self.scheme == "forget_bias":
            value = self.forget_bias
            if type(value) not in (int, float) or not math.isfinite(value):
                raise InvalidInit("forget_bias needs a value, a finite number, e.g. forget_bias:1")
            if abs(value) > FORGET_BIAS_LIMIT:
                raise InvalidInit(f"forget_bias must be between -{FORGET_BIAS_LIMIT:g} and {FORGET_BIAS_LIMIT:g}")
            object.__setattr__(self, "forget_bias", float(value))
        elif self.forget_bias is not None:
            raise InvalidInit(f"a forget bias value goes with forget_bias only, not with {self.scheme}")
        if self.scheme == "chrono":
            if type(self.t_max) is not int:
                raise InvalidInit("chrono needs T_max, the longest lag in steps, a whole number, e.g. chrono:80")
            if not MIN_T_MAX <= self.t_max <= MAX_T_MAX:
                raise InvalidInit(f"chrono's T_max must be between {MIN_T_MAX} and {MAX_T_MAX}, not {self.t_max}")
        elif self.t_max is not None:
            raise InvalidInit(f"T_max goes with chrono only, not with {self.scheme}")

    @property
    def is_default(self) -> bool:
        return self.scheme == "default"

    @classmethod
    def parse(cls, text: str) -> GateInit:
        """'default', 'identity', 'forget_bias:3' or 'chrono:80' (what the CLI takes)."""
        scheme, sep, raw = text.strip().partition(":")
        scheme, raw = scheme.strip(), raw.strip()
        if scheme in ("default", "identity"):
            if sep:
                raise InvalidInit(f"{scheme} takes no value, got {text!r}")
            return cls(scheme)
        if scheme == "forget_bias":
            value = _number(raw, float)
            if value is None:
                raise InvalidInit(f"forget_bias needs a number after the colon, e.g. forget_bias:1, got {text!r}")
            return cls(scheme, forget_bias=value)
        if scheme == "chrono":
            t_max = _number(raw, int)
            if t_max is None:
                raise InvalidInit(f"chrono needs T_max, a whole number after the colon, e.g. chrono:80, got {text!r}")
            return cls(scheme, t_max=t_max)
        return cls(scheme)  # unknown: __post_init__ names the choices

    def to_text(self) -> str:
        if self.scheme == "forget_bias":
            return f"forget_bias:{self.forget_bias:g}"
        if self.scheme == "chrono":
            return f"chrono:{self.t_max}"
        return self.scheme

    def to_dict(self) -> dict:
        """The stored form: the scheme and, where it has one, its parameter."""
        document: dict = {"scheme": self.scheme}
        if self.forget_bias is not None:
            document["forget_bias"] = self.forget_bias
        if self.t_max is not None:
            document["t_max"] = self.t_max
        return document

    @classmethod
    def from_dict(cls, value: dict) -> GateInit:
        """The inverse of to_dict; InvalidInit when the dict is not one it writes."""
        unknown = set(value) - {"scheme", "forget_bias", "t_max"}
        if unknown:
            raise InvalidInit(f"unknown initialisation field {sorted(unknown)[0]!r}")
        if not isinstance(value.get("scheme"), str):
            raise InvalidInit("an initialisation needs a scheme")
        return cls(value["scheme"], value.get("forget_bias"), value.get("t_max"))


DEFAULT_INIT = GateInit()


def _number(text: str, kind: type) -> float | int | None:
    try:
        return kind(text)
    except ValueError:
        return None


def gate_rows(core: nn.Module, gate_index: int) -> slice:
    """The rows of gate block `gate_index` in torch's stacked (G, .) tensors."""
    H = core.hidden_size
    return slice(gate_index * H, (gate_index + 1) * H)


@torch.no_grad()
def set_gate_bias(core: nn.Module, gate_index: int, value: torch.Tensor | float) -> None:
    """b_ih of the gate := value, b_hh of the gate := 0, so the acting sum b_ih + b_hh is the value."""
    rows = gate_rows(core, gate_index)
    core.bias_ih_l0[rows] = value
    core.bias_hh_l0[rows] = 0.0


def chrono_draw(hidden_size: int, t_max: int) -> torch.Tensor:
    """log(U[1, T_max - 1]) per unit, from the global generator (seeded by the caller)."""
    return torch.empty(hidden_size).uniform_(1.0, float(t_max - 1)).log_()


def check_init(architecture, config, init: GateInit) -> None:
    """InvalidInit unless `architecture` (an Architecture) with `config` can take `init`."""
    from app.core.architectures import ARCHITECTURES  # the registry imports this module

    offered = architecture.init_schemes
    if init.scheme not in offered:
        where = [arch_id for arch_id, arch in ARCHITECTURES.items() if init.scheme in arch.init_schemes]
        hint = f" ({init.scheme} is for {' and '.join(where)})" if where else ""
        raise InvalidInit(f"{architecture.id} takes initialisation {' or '.join(offered)}, not {init.scheme!r}{hint}")
    if init.scheme == "identity" and config.activation != "relu":
        raise InvalidInit(
            "identity initialisation (W_hh = I, the IRNN) needs activation relu: "
            f"with {config.activation} the identity does not carry the state unchanged"
        )
