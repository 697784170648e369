"""What every recurrent cell family provides, and the model that wraps one.

An Architecture owns two views of the same parameters:

* the fast path, `run_fast`, used for training: the fused torch.nn module where
  one exists, batched over sequences;
* the step path, `step_forward` + `backward_cell`, used for traces: every
  intermediate of one sequence (h_t, c_t, gates) and a hand-written BPTT step,
  so a trace gets dL/dh_t at every step without autograd's retain_grad
  overhead. The fused families take h_t from the fused kernel itself and
  recover the gates in batched ops (fused.py); second_order loops over time.

Tests hold both paths to torch.nn and to autograd.

    x_1      x_2            x_T
     |        |              |
   [cell]-->[cell]--> ... -->[cell]      the same W_ih, W_hh at every step
     |        |              |
    y_1      y_2            y_T          the same readout W_hy at every step
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

import torch
from torch import nn

if TYPE_CHECKING:
    from app.core.architectures.init import GateInit

MAX_HIDDEN_SIZE = 512


class InvalidConfig(ValueError):
    """A ModelConfig its architecture cannot build (sizes out of range, an activation it lacks)."""


@dataclass
class ModelConfig:
    architecture: str  # registry id: elman | shortcut | lstm | gru | second_order
    input_size: int  # I: size of x_t (the task's encoding)
    output_size: int  # O: size of y_t
    hidden_size: int  # H: units in h_t, 1..MAX_HIDDEN_SIZE
    activation: str = "tanh"  # the cell nonlinearity where the family has a choice

    def to_dict(self) -> dict:
        return {
            "architecture": self.architecture,
            "input_size": self.input_size,
            "output_size": self.output_size,
            "hidden_size": self.hidden_size,
            "activation": self.activation,
        }


@dataclass
class ForwardRecord:
    """Everything one step-path forward pass over a single sequence produced."""

    x: torch.Tensor  # (T, I)
    h: torch.Tensor  # (T, H) h_1..h_T
    h_prev: torch.Tensor  # (T, H) h_0..h_{T-1}, h_0 = 0
    c: torch.Tensor | None = None  # (T, H) cell state for LSTM
    gates: dict[str, torch.Tensor] = field(default_factory=dict)  # name -> (T, H)
    cache: dict[str, torch.Tensor] = field(default_factory=dict)  # what a family's backward needs besides
    # "h", "c" or a gate name -> (T, H) bool, True where an intervention forced the value
    clamped: dict[str, torch.Tensor] = field(default_factory=dict)

    def free(self, name: str) -> torch.Tensor | None:
        """(T, H) 1.0 where `name` was computed, 0.0 where it was clamped; None when nothing was.
        A clamped value is a constant, so the backward multiplies its local derivative by this."""
        mask = self.clamped.get(name)
        return None if mask is None else (~mask).to(self.h.dtype)


@dataclass(frozen=True)
class Clamp:
    """Values an intervention forces in a forward pass: where mask holds, value replaces
    what the step computed (app/core/trace/interventions.py builds these)."""

    mask: torch.Tensor  # (T, H) bool
    value: torch.Tensor  # (T, H)

    def at(self, t: int, row: torch.Tensor) -> torch.Tensor:
        return torch.where(self.mask[t], self.value[t], row)


def clamped(clamps: dict[str, Clamp], name: str, t: int, row: torch.Tensor) -> torch.Tensor:
    """row (H,) with step t's clamps of `name` applied (unchanged when none)."""
    clamp = clamps.get(name)
    return row if clamp is None else clamp.at(t, row)


def scale_free(value: torch.Tensor, record: ForwardRecord, *names: str) -> torch.Tensor:
    """value (T, H) times record.free(name) for each clamped name: zero where any of them was forced."""
    for name in names:
        free = record.free(name)
        if free is not None:
            value = value * free
    return value


class CellBackward(ABC):
    """One step of BPTT through a cell, for S error sources at once.

    S = 1 gives the gradient of the total loss; S = T (one source per step's
    loss) gives grad_flow. The map from (dL/dh_t, dL/dc_t) to the previous step
    is linear, which is why several sources can ride along in one matmul.
    """

    has_cell_state: ClassVar[bool] = False
    width: int  # G, the size of the recurrent pre-activation (4H for LSTM, 3H for GRU, else H)

    def out_views(self, dpre: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """Views into a pre-activation gradient buffer (..., G) that step() writes
        through; the first is always the whole buffer. Families with gate blocks
        add views of the blocks, so each step writes without slicing."""
        return (dpre,)

    @abstractmethod
    def step(self, t: int, dh: torch.Tensor, dc_carry, out: tuple[torch.Tensor, ...], dc_out, dh_prev: torch.Tensor):
        """Back through step t.

        dh (..., H) = dL/dh_t in total, for one source (H,) or several (S, H);
        dc_carry = dL/dc_t arriving from step t+1 (LSTM only, else None).
        Writes the gradient of the recurrent pre-activations (those W_hh
        multiplied) through `out` (from out_views), the total dL/dc_t into
        dc_out when given, and ADDS the part of dL/dh_{t-1} that flows through
        this step into dh_prev in place (it already holds the readout's part,
        so one fused multiply-add gives the total). Returns the carry for
        c_{t-1}, or None without a cell state.
        """


def add_projection(dh_prev: torch.Tensor, dpre: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """dh_prev += dpre @ weight, in place, for one source (vectors) or several (matrices)."""
    if dpre.dim() == 1:
        return torch.addmv(dh_prev, weight.T, dpre, out=dh_prev)
    return torch.addmm(dh_prev, dpre, weight, out=dh_prev)


class Architecture(ABC):
    """A cell family: its equations, parameters, fast path and step path."""

    id: ClassVar[str]
    title: ClassVar[str]
    summary: ClassVar[str]  # a sentence for a student
    equations: ClassVar[tuple[str, ...]]
    gate_names: ClassVar[tuple[str, ...]] = ()
    activations: ClassVar[tuple[str, ...]] = ("tanh",)
    has_cell_state: ClassVar[bool] = False
    has_shortcut: ClassVar[bool] = False
    # initialisation schemes the family offers (init.py), the first PyTorch's own
    init_schemes: ClassVar[tuple[str, ...]] = ("default",)
    # shared matrices whose per-step gradient contribution a trace reports, label -> tensor name
    shared_matrices: ClassVar[dict[str, str]] = {
        "W_xh": "rnn.weight_ih_l0",
        "W_hh": "rnn.weight_hh_l0",
        "W_hy": "readout.weight",
    }

    def check(self, config: ModelConfig) -> None:
        if not 1 <= config.hidden_size <= MAX_HIDDEN_SIZE:
            raise InvalidConfig(f"hidden_size must be between 1 and {MAX_HIDDEN_SIZE}, not {config.hidden_size}")
        if config.input_size < 1 or config.output_size < 1:
            raise InvalidConfig("input_size and output_size must be at least 1")
        if config.activation not in self.activations:
            raise InvalidConfig(
                f"{self.id} supports activation {' or '.join(self.activations)}, not {config.activation!r}"
            )

    def apply_init(self, core: nn.Module, init: GateInit) -> None:  # noqa: B027 (optional: most families add nothing)
        """Set what `init` sets in a freshly made core (init.check_init has accepted it).
        The default scheme leaves PyTorch's draw as it is."""

    @abstractmethod
    def make_core(self, config: ModelConfig) -> nn.Module:
        """The recurrent module; its parameters are exported under the prefix "rnn."."""

    @abstractmethod
    def run_fast(self, core: nn.Module, x: torch.Tensor, state=None):
        """Batched forward for training: x (B, T, I) -> (h_all (B, T, H), final state)."""

    @abstractmethod
    def step_forward(self, core: nn.Module, x: torch.Tensor, clamps: dict[str, Clamp] | None = None) -> ForwardRecord:
        """Exact step-by-step forward of one sequence x (T, I), without autograd.

        clamps None: the family's fastest exact path. A dict (even empty): a plain loop over
        steps that forces each clamp's values as the step computes them (gates first, then
        c, then h), and records where in `clamped`; the clean run an intervention is compared
        with passes {} so both take the same arithmetic."""

    @abstractmethod
    def backward_cell(self, core: nn.Module, record: ForwardRecord) -> CellBackward:
        """The BPTT step for this record (coefficients precomputed over all T)."""

    @abstractmethod
    def input_side(self, core: nn.Module, record: ForwardRecord, grad_h, grad_c, dpre_hh):
        """From the recurrent adjoints to (grad_x (T, I), parameter grads {name: tensor},
        per-step contribution norms {tensor name: (T,)}) of the cell's own parameters."""

    def parameter_shapes(self, config: ModelConfig) -> dict[str, tuple[int, ...]]:
        """Exported tensor names and shapes of a model with this config."""
        with torch.device("meta"):
            model = RecurrentModel(config)
        return {name: tuple(tensor.shape) for name, tensor in model.state_dict().items()}


class RecurrentModel(nn.Module):
    """A recurrent core ("rnn."), a linear readout ("readout.") and, for the
    shortcut family, a direct input-to-output path ("shortcut.")."""

    def __init__(self, config: ModelConfig):
        super().__init__()
        from app.core.architectures import get_architecture  # the registry imports this module

        self.config = config
        self.architecture = get_architecture(config.architecture)
        self.architecture.check(config)
        self.rnn = self.architecture.make_core(config)
        self.readout = nn.Linear(config.hidden_size, config.output_size)
        self.shortcut = (
            nn.Linear(config.input_size, config.output_size, bias=False) if self.architecture.has_shortcut else None
        )

    def forward(self, x: torch.Tensor, state=None):
        """x (B, T, I) -> (logits (B, T, O), final recurrent state)."""
        h_all, state = self.architecture.run_fast(self.rnn, x, state)  # (B, T, H)
        logits = self.readout(h_all)  # (B, T, O)
        if self.shortcut is not None:
            logits = logits + self.shortcut(x)
        return logits, state

    def parameter_count(self) -> int:
        return sum(p.numel() for p in self.parameters())
