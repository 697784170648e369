"""The state cloud: every hidden state a model passes through over many seeded sequences.

collect_states() samples N sequences from the model's own task (a seeded
random.Random, so the same model, N and seed give the same cloud) and runs each
through the model. One point per step:

    sequence 0:  B      T      S      ...  E         points 0 .. T_0-1
    sequence 1:  B      P      V      ...  E         points T_0 .. T_0+T_1-1
    point p:     h_t (and c_t, gates) after reading symbol t of its sequence,
                 the model's output there, and for grammar tasks the grammar's
                 state after that symbol and the legal next symbols

The sequences run as one zero-padded batch through the family's fast path
(the fused kernel training uses; padding comes after a sequence's real steps, so
it changes none of them): h_t equals the trace's to float rounding. c_t and the
gates come from the family's own record_steps, as in a trace.

h_0 (the state before the first symbol) is zero in every family here and is
not a point; the automaton (automaton.py) treats it as its start.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import torch

from app.core.architectures.fused import shifted
from app.core.losses import output_activation
from app.core.models import LoadedModel
from app.core.tasks.base import Sequence, Task, collate
from app.core.tasks.reber import Grammar, state_name

MAX_SEQUENCES = 2000  # per request: ~25,000 points of Reber strings, a few MB of float32
MIN_SEQUENCES = 1


class AnalysisInputError(ValueError):
    """A request the analysis cannot serve (too many sequences, k out of range, a task without
    symbols asked for an automaton); the message says what is allowed."""


@dataclass(frozen=True)
class StateCloud:
    hidden: torch.Tensor  # (P, H) h_t of every step of every sequence, float32, CPU
    cell: torch.Tensor | None  # (P, H) c_t for LSTM, else None
    gates: dict[str, torch.Tensor]  # name -> (P, H) where the family has gates ({} otherwise)
    symbol: list[str]  # the input symbol (token) read at that step
    step: torch.Tensor  # (P,) int64, 0-based step within its sequence
    sequence: torch.Tensor  # (P,) int64, index of its sequence
    grammar_state: list[str] | None  # the grammar state AFTER the step's symbol ("3", "T/3"), None without a grammar
    legal_next: list[frozenset[str]] | None  # the grammar's legal next symbols at that point
    texts: list[str]  # the N input sequences as a person would type them
    # What the automaton needs besides (collect_states fills them; a hand-made cloud may leave them out):
    output: torch.Tensor | None = None  # (P, O) the model's output after its nonlinearity
    scored: torch.Tensor | None = None  # (P,) bool: the task's loss counts there (not after a string's final E)
    vocabulary: tuple[str, ...] | None = None  # output symbols in output order, None for numeric tasks
    output_kind: str | None = None  # the task's loss kind: "bce" (sets), "cross_entropy" (one symbol), "mse"

    @property
    def points(self) -> int:
        return self.hidden.shape[0]

    def state(self, target: str) -> torch.Tensor:
        """The (P, H) activations a target names: "h", "c" (LSTM) or "gate:<name>"."""
        if target == "h":
            return self.hidden
        if target == "c" and self.cell is not None:
            return self.cell
        if target.startswith("gate:") and target[5:] in self.gates:
            return self.gates[target[5:]]
        known = ["h"] + (["c"] if self.cell is not None else []) + [f"gate:{name}" for name in self.gates]
        raise AnalysisInputError(f"this model has no state {target!r}; it has {', '.join(known)}")


def check_sequences(sequences: int) -> int:
    if isinstance(sequences, bool) or not isinstance(sequences, int):
        raise AnalysisInputError(f"sequences must be a whole number, got {sequences!r}")
    if not MIN_SEQUENCES <= sequences <= MAX_SEQUENCES:
        raise AnalysisInputError(f"sequences must be between {MIN_SEQUENCES} and {MAX_SEQUENCES}, got {sequences}")
    return sequences


def sample_sequences(task: Task, count: int, seed: int) -> list[Sequence]:
    """`count` sequences of the task from random.Random(seed): the same seed, the same sequences."""
    rng = random.Random(seed)
    return [task.sample(rng) for _ in range(check_sequences(count))]


def collect_states(loaded: LoadedModel, sequences: int, seed: int, *, gates: bool = True) -> StateCloud:
    """The states of `sequences` sequences sampled from the model's task with `seed`. gates=False
    leaves out c and the gates (cell None, gates {}): the automaton needs h alone, and recovering
    an LSTM's gates sequence by sequence is most of the cost."""
    return cloud_of(loaded, sample_sequences(loaded.task, sequences, seed), gates=gates)


def states_of_text(loaded: LoadedModel, text: str) -> StateCloud:
    """The same for one typed input (the current trace); the task's TaskInputError for bad text."""
    return cloud_of(loaded, [loaded.task.encode(text)])


def text_of(task: Task, sequence: Sequence) -> str:
    """A sequence as a person would type it: symbols run together, words and numbers spaced."""
    labels = sequence.labels
    if task.input_kind == "symbols" and all(len(label) == 1 for label in labels):
        return "".join(labels)
    return " ".join(labels)


def cloud_of(loaded: LoadedModel, sequences: list[Sequence], gates: bool = True) -> StateCloud:
    model, task = loaded.model, loaded.task
    param = next(model.parameters())
    batch = collate(sequences)
    x = batch.x.to(device=param.device, dtype=param.dtype)  # (B, T, I), zero-padded at the end
    valid = torch.arange(x.shape[1]).unsqueeze(0) < batch.lengths.unsqueeze(1)  # (B, T) real steps
    with torch.no_grad():
        h_all, _ = model.architecture.run_fast(model.rnn, x)  # (B, T, H): padding only follows real steps
        cell, gate_values = _cell_and_gates(model, x, h_all, batch.lengths) if gates else (None, {})
        logits = model.readout(h_all)  # (B, T, O) as RecurrentModel.forward, without running the core twice
        if model.shortcut is not None:
            logits = logits + model.shortcut(x)
        output = output_activation(logits, task.loss_kind)[valid.to(logits.device)]  # (P, O)

    def points(tensor: torch.Tensor) -> torch.Tensor:  # (B, T, H) -> (P, H), real steps in sequence order
        return tensor[valid.to(tensor.device)].to("cpu", torch.float32)

    texts = [text_of(task, s) for s in sequences]
    grammar: Grammar | None = getattr(task, "grammar", None)
    walked = _walk(grammar, texts) if grammar is not None else None
    return StateCloud(
        hidden=points(h_all),
        cell=points(cell) if cell is not None else None,
        gates={name: points(g) for name, g in gate_values.items()},
        symbol=[label for s in sequences for label in s.labels],
        step=torch.arange(x.shape[1]).expand(len(sequences), -1)[valid],
        sequence=torch.arange(len(sequences)).unsqueeze(1).expand(-1, x.shape[1])[valid],
        grammar_state=walked[0] if walked else None,
        legal_next=walked[1] if walked else None,
        texts=texts,
        output=output.to("cpu", torch.float32),
        scored=batch.loss_mask[valid] > 0,
        vocabulary=tuple(task.symbols) if task.symbols is not None else None,
        output_kind=task.loss_kind,
    )


def _cell_and_gates(model, x: torch.Tensor, h_all: torch.Tensor, lengths: torch.Tensor):
    """c_t and the gates ((B, T, H) each, zero on padding) from the family's own record_steps,
    one sequence at a time over the batched h: the fused kernel gives h, not c or the gates."""
    arch = model.architecture
    if not (arch.gate_names or arch.has_cell_state):
        return None, {}
    cell = torch.zeros_like(h_all) if arch.has_cell_state else None
    gates = {name: torch.zeros_like(h_all) for name in arch.gate_names}
    for row, length in enumerate(lengths.tolist()):
        h = h_all[row, :length]
        record = arch.record_steps(model.rnn, x[row, :length], h, shifted(h))
        if cell is not None:
            cell[row, :length] = record.c
        for name in gates:
            gates[name][row, :length] = record.gates[name]
    return cell, gates


def _walk(grammar: Grammar, texts: list[str]) -> tuple[list[str], list[frozenset[str]]]:
    """The grammar's state after each symbol (named as the grammar's drawn graph names it) and the legal
    next symbols there; the texts come from the grammar or were checked by encode()."""
    names, legal, seen = [], [], {}
    for text in texts:
        state = grammar.start
        for symbol in text:
            state = grammar.transitions(state)[symbol]
            if state not in seen:
                seen[state] = (state_name(grammar, state), frozenset(grammar.transitions(state)))
            name, ways = seen[state]
            names.append(name)
            legal.append(ways)
    return names, legal
