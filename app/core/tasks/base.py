"""What every sequence task provides: options, sequences, batches, and the Task base class.

A task turns randomness (a seeded random.Random) or a person's typed text into
tensors a recurrent model reads step by step:

    step t:     0      1      2           T-1
    x[t]:     [B]    [T]    [S]   ...    [E]      one-hot symbol / word / number(s)
    target[t]: T|P    S|X    S|X  ...     ""       what the output at step t should say
    loss_mask:  1      1      1   ...      0        whether L_t counts

Targets come in the shape the task's loss kind needs (see app.core.losses):
a class index per step for "cross_entropy", a 0/1 vector for "bce", a float
vector for "mse". Nothing here draws from global randomness: the same rng state
always gives the same sequences, so runs and tests are reproducible.
"""

from __future__ import annotations

import math
import random
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass
from typing import ClassVar

import torch

OPTION_KINDS = ("int", "float", "str")
# The longest input a person may have encoded and traced unless a task needs more:
# a trace keeps a T x T gradient-flow table, so T must stay modest.
DEFAULT_ENCODE_LIMIT = 500


class TaskInputError(ValueError):
    """A person's input (or option) the task cannot use.

    The message names the problem in plain words, e.g. "unknown symbol 'Q' at
    position 4; the Reber symbols are B, T, P, S, X, V, E".
    """


class SequenceTooLong(TaskInputError):
    """A sequence longer than the caller allows (a server's trace limit): still the person's input,
    told apart so a caller can say which limit it met."""


@dataclass(frozen=True)
class TaskOption:
    name: str  # the keyword the task's constructor takes
    kind: str  # "int" | "float" | "str"
    default: object  # used when the option is not given
    description: str  # one plain sentence for the page
    minimum: float | None = None  # smallest value; for "str" the shortest length
    maximum: float | None = None  # largest value; for "str" the longest length


@dataclass
class Sequence:
    """One sequence of T steps, with its targets and readable labels."""

    x: torch.Tensor  # (T, I) float32
    target: torch.Tensor  # (T,) int64 for cross_entropy; (T, O) float32 for bce and mse
    loss_mask: torch.Tensor  # (T,) float32, 1.0 where the step's loss counts
    labels: list[str]  # T readable labels of the input at each step
    target_labels: list[str]  # T readable labels of the target ("" where masked)

    def __len__(self) -> int:
        return self.x.shape[0]


@dataclass
class Batch:
    """B sequences padded at the end to the longest; padding has x = 0 and loss_mask = 0."""

    x: torch.Tensor  # (B, T, I) float32
    target: torch.Tensor  # (B, T) int64 or (B, T, O) float32
    loss_mask: torch.Tensor  # (B, T) float32
    lengths: torch.Tensor  # (B,) int64, real steps per sequence


def collate(sequences: list[Sequence]) -> Batch:
    """Stack sequences into a batch, padding each at the end with zeros (mask 0)."""
    if not sequences:
        raise ValueError("collate needs at least one sequence")
    lengths = [len(s) for s in sequences]
    batch_size, longest = len(sequences), max(lengths)
    first = sequences[0]
    x = torch.zeros(batch_size, longest, first.x.shape[1], dtype=torch.float32)  # (B, T, I)
    target = torch.zeros((batch_size, longest) + tuple(first.target.shape[1:]), dtype=first.target.dtype)
    loss_mask = torch.zeros(batch_size, longest, dtype=torch.float32)  # (B, T)
    for row, (seq, length) in enumerate(zip(sequences, lengths, strict=True)):
        x[row, :length] = seq.x
        target[row, :length] = seq.target
        loss_mask[row, :length] = seq.loss_mask
    return Batch(x=x, target=target, loss_mask=loss_mask, lengths=torch.tensor(lengths, dtype=torch.int64))


def _check_option(option: TaskOption, value: object) -> object:
    """Return the option's value in its proper type, or raise TaskInputError naming the problem."""
    name = option.name
    if option.kind == "int":
        # JSON clients may send 40.0 for 40; accept whole floats, refuse bools and fractions.
        if isinstance(value, float) and math.isfinite(value) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise TaskInputError(f"option '{name}' must be a whole number, got {value!r}")
    elif option.kind == "float":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TaskInputError(f"option '{name}' must be a number, got {value!r}")
        value = float(value)
        if not math.isfinite(value):
            raise TaskInputError(f"option '{name}' must be a finite number, got {value!r}")
    elif option.kind == "str":
        if not isinstance(value, str):
            raise TaskInputError(f"option '{name}' must be text, got {type(value).__name__}")
        if option.maximum is not None and len(value) > option.maximum:
            raise TaskInputError(
                f"option '{name}' is {len(value)} characters long; at most {int(option.maximum)} are allowed"
            )
        if option.minimum is not None and len(value) < option.minimum:
            raise TaskInputError(
                f"option '{name}' is {len(value)} characters long; at least {int(option.minimum)} are needed"
            )
        return value
    else:  # a programming error in a task's spec, not a person's input
        raise ValueError(f"option '{name}' has unknown kind {option.kind!r}")
    low, high = option.minimum, option.maximum
    if (low is not None and value < low) or (high is not None and value > high):
        raise TaskInputError(f"option '{name}' must be between {_fmt(low)} and {_fmt(high)}, got {_fmt(value)}")
    return value


def _fmt(number: float | None) -> str:
    if number is None:
        return "any"
    return str(int(number)) if float(number).is_integer() else f"{number:g}"


class Task(ABC):
    """A sequence task: generates seeded sequences, encodes typed input, and scores outputs.

    Subclasses set the class constants below, declare their options in
    `options_spec`, compute option-dependent attributes in `_configure`, and
    implement `sample`, `encode`, `probe_text` and `metric`.
    """

    id: ClassVar[str]
    title: ClassVar[str]
    description: ClassVar[str]  # one or two plain sentences for a student
    options_spec: ClassVar[tuple[TaskOption, ...]] = ()
    input_kind: ClassVar[str]  # "symbols" | "words" | "numbers": how encode() reads text
    metric_name: ClassVar[str]
    loss_kind: ClassVar[str]  # "cross_entropy" | "bce" | "mse"
    mode: ClassVar[str] = "many_to_many"  # or "many_to_one": loss only on the last real step

    # Option-dependent; symbolic tasks set symbols and get the sizes from them.
    symbols: tuple[str, ...] | None = None  # in OUTPUT order: output k means symbols[k]
    input_symbols: tuple[str, ...] | None = None  # in INPUT one-hot order; defaults to symbols
    max_length: int = DEFAULT_ENCODE_LIMIT  # the longest sequence encode() accepts

    def __init__(self, **options: object) -> None:
        spec = {option.name: option for option in self.options_spec}
        unknown = sorted(set(options) - set(spec))
        if unknown:
            known = ", ".join(spec) or "none"
            raise TaskInputError(f"unknown option '{unknown[0]}' for task '{self.id}'; its options are: {known}")
        self.options: dict[str, object] = {
            name: _check_option(option, options.get(name, option.default)) for name, option in spec.items()
        }
        self._configure()
        if self.input_symbols is None and self.symbols is not None:
            self.input_symbols = self.symbols

    def _configure(self) -> None:  # noqa: B027 (an optional hook: most tasks need nothing here)
        """Derive attributes from self.options; raise TaskInputError for combinations that do not fit."""

    @property
    def input_size(self) -> int:
        return len(self.input_symbols)  # numeric tasks override

    @property
    def output_size(self) -> int:
        return len(self.symbols)  # numeric tasks override

    @abstractmethod
    def sample(self, rng: random.Random) -> Sequence:
        """One generated sequence; deterministic given the rng's state."""

    def batch(self, batch_size: int, rng: random.Random) -> Batch:
        if batch_size < 1:
            raise TaskInputError(f"batch size must be at least 1, got {batch_size}")
        return collate([self.sample(rng) for _ in range(batch_size)])

    @abstractmethod
    def encode(self, text: str) -> Sequence:
        """A person's input as a Sequence with targets; bad input raises TaskInputError."""

    @abstractmethod
    def probe_text(self) -> str:
        """The text probe() encodes, so the page can show it in its input box."""

    def encode_at_most(self, text: str, max_steps: int, what: str = "the input") -> Sequence:
        """encode(), refusing a sequence longer than max_steps (a caller's limit, tighter than max_length)."""
        sequence = self.encode(text)
        if len(sequence) > max_steps:
            raise SequenceTooLong(f"{what} is {len(sequence)} steps long; at most {max_steps} can be traced")
        return sequence

    def sequence_from_vectors(
        self, x: list[list[float]], target: list | None = None, max_steps: int = DEFAULT_ENCODE_LIMIT
    ) -> Sequence:
        """Raw input vectors x (T rows of input_size numbers) and optional targets in the loss kind's
        shape as a Sequence; anything unusable raises TaskInputError naming the entry (see vectors.py)."""
        from .vectors import vectors_to_sequence  # vectors.py builds on this module's Sequence

        return vectors_to_sequence(self, x, target, max_steps)

    def probe(self) -> Sequence:
        """A fixed, interesting sequence to trace; the same on every call."""
        return self.encode(self.probe_text())

    @abstractmethod
    def metric(self, logits: torch.Tensor, batch: Batch) -> float:
        """A score in [0, 1] (1 is perfect) of raw outputs (B, T, O) on a batch."""

    def describe(self) -> dict:
        """Everything a client needs to know about the task, as plain JSON-ready data."""
        return {
            "id": self.id,
            "title": self.title,
            "description": self.description,
            "symbols": list(self.symbols) if self.symbols is not None else None,
            "input_symbols": list(self.input_symbols) if self.input_symbols is not None else None,
            "input_size": self.input_size,
            "output_size": self.output_size,
            "loss_kind": self.loss_kind,
            "mode": self.mode,
            "metric_name": self.metric_name,
            "input_kind": self.input_kind,
            "max_length": self.max_length,
            "probe_text": self.probe_text(),
            "options": dict(self.options),
            "options_spec": [asdict(option) for option in self.options_spec],
        }

    def _check_logits(self, logits: torch.Tensor, batch: Batch) -> torch.Tensor:
        """Detached float copy of logits after checking they fit the batch."""
        expected = tuple(batch.x.shape[:2]) + (self.output_size,)
        if tuple(logits.shape) != expected:
            raise ValueError(f"logits of shape {tuple(logits.shape)} do not fit the batch; expected {expected}")
        return logits.detach().float()

    def _check_length(self, steps: int) -> None:
        if steps > self.max_length:
            raise TaskInputError(f"the input is {steps} steps long; at most {self.max_length} are allowed")


def masked_share(correct: torch.Tensor, mask: torch.Tensor) -> float:
    """Share of the steps where mask > 0 that are correct; 0.0 when no step counts."""
    counted = mask > 0
    total = int(counted.sum())
    if total == 0:
        return 0.0
    return float((correct & counted).sum()) / total
