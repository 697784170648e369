"""Sampling: let a trained model write, one symbol at a time, from a prefix.

    prefix "BT" -> the model's distribution over the next symbol -> draw one -> feed it back -> ...

Each sample keeps every step's distribution, so a person sees how sure the
model was at each symbol it wrote. Temperature reshapes every distribution the
same way, p_k ∝ exp(score_k / temperature), where the score is what the model's
loss treats as a log-probability:

* cross_entropy (fluent, text): score = the logit, so p is the softmax at temperature 1;
* bce (reber, embedded_reber): the outputs are independent sigmoids, one per symbol,
  trained to be 1 for every legal next symbol, so they name a SET, not a distribution.
  score = log σ(logit): p is the sigmoids normalised to sum to 1, so at temperature 1 two
  legal symbols each near σ = 1 are drawn half and half, as the grammar draws them.

A sample stops at its task's end (after E for Reber; after the second E for embedded
Reber, whose inner string ends with an E too; after the word that follows "fluent"),
or after `steps` symbols. Samples of a grammar task are checked by the grammar's own
walker (reber.accepts): a string is accepted only when complete and legal throughout.
All samples of a call are drawn together, batched, from one seeded torch.Generator,
so the same call gives the same samples.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from app.core.tasks.embedded_reber import EMBEDDED_REBER
from app.core.tasks.fluent import CUE_WORD
from app.core.tasks.reber import REBER, Grammar, accepts

MAX_STEPS = 500
MAX_SAMPLES = 1000
MAX_TEMPERATURE = 10.0
MAX_SEED = 2**63 - 1
MAX_PROBABILITIES = 1_000_000  # samples x steps x vocabulary: what one answer may carry
TOP_COMPLETIONS = 10


class GenerationError(ValueError):
    """A sampling request the model or its task cannot serve; the message says why and what would do."""


@dataclass(frozen=True)
class Ending:
    """When a generated sequence is complete: once `symbol` has been read `count` times in all,
    or once the symbol after `cue` has been written. Neither set: it runs for all its steps."""

    symbol: str | None = None
    count: int = 1
    cue: str | None = None


@dataclass(frozen=True)
class SamplingRule:
    ending: Ending
    grammar: Grammar | None = None  # samples are checked against it


# The tasks whose output predicts the next input, so a model of them can write.
SAMPLING: dict[str, SamplingRule] = {
    "reber": SamplingRule(Ending(symbol="E"), REBER),
    "embedded_reber": SamplingRule(Ending(symbol="E", count=2), EMBEDDED_REBER),
    "fluent": SamplingRule(Ending(cue=CUE_WORD)),
    "text": SamplingRule(Ending()),
}

# What each loss kind treats as a log-probability (see the module docstring).
SCORES = {"cross_entropy": lambda logits: logits, "bce": F.logsigmoid}


@dataclass(frozen=True)
class Sample:
    symbols: list[str]  # the whole sequence: the given symbols, then the generated ones
    given: int  # how many leading symbols were not drawn from the model (the prefix, or a start)
    p: torch.Tensor  # (generated, V) the distribution each generated symbol was drawn from
    text: str  # the symbols as a person types them
    accepted: bool | None  # grammar tasks: a complete, legal string; else None

    @property
    def generated(self) -> list[str]:
        return self.symbols[self.given :]


@dataclass(frozen=True)
class Generation:
    vocabulary: list[str]  # the task's symbols, in the order of each p
    samples: list[Sample]
    accepted: int | None  # grammar tasks: how many samples the grammar accepts
    completions: list[tuple[str, float]] | None  # the likeliest next symbols after the prefix

    @property
    def acceptance_rate(self) -> float | None:
        return None if self.accepted is None else self.accepted / len(self.samples)


def generation_document(generation: Generation) -> dict:
    """The generation as plain JSON-ready data (the API's answer without "model"; `generate --json`)."""
    samples = []
    for sample in generation.samples:
        rows = sample.p.tolist()
        samples.append(
            {
                "text": sample.text,
                "symbols": sample.symbols,
                "given": sample.given,
                "steps": [{"symbol": s, "p": row} for s, row in zip(sample.generated, rows, strict=True)],
                "accepted": sample.accepted,
            }
        )
    acceptance = None
    if generation.accepted is not None:
        total = len(generation.samples)
        acceptance = {"accepted": generation.accepted, "total": total, "rate": generation.accepted / total}
    completions = generation.completions
    return {
        "vocabulary": generation.vocabulary,
        "samples": samples,
        "acceptance": acceptance,
        "completions": None if completions is None else [{"symbol": s, "p": p} for s, p in completions],
    }


def check_request(task, prefix: str, steps: int, temperature: float, seed: int, samples: int) -> SamplingRule:
    rule = SAMPLING.get(task.id)
    if rule is None:
        raise GenerationError(
            f"a model of the task {task.id!r} cannot write: its output does not predict its next input; "
            f"sampling works for {', '.join(SAMPLING)}"
        )
    if not isinstance(prefix, str):
        raise GenerationError("prefix must be text")
    if not 1 <= steps <= MAX_STEPS:
        raise GenerationError(f"steps must be between 1 and {MAX_STEPS}, not {steps}")
    if not (math.isfinite(temperature) and 0 < temperature <= MAX_TEMPERATURE):
        raise GenerationError(f"temperature must be above 0 and at most {MAX_TEMPERATURE:g}, not {temperature}")
    if not 0 <= seed <= MAX_SEED:
        raise GenerationError(f"seed must be between 0 and 2^63 - 1, not {seed}")
    if not 1 <= samples <= MAX_SAMPLES:
        raise GenerationError(f"samples must be between 1 and {MAX_SAMPLES}, not {samples}")
    size = samples * steps * len(task.symbols)
    if size > MAX_PROBABILITIES:
        raise GenerationError(
            f"{samples} samples of {steps} steps over {len(task.symbols)} symbols would carry {size:,} probabilities; "
            f"at most {MAX_PROBABILITIES:,}: ask for fewer samples or steps"
        )
    return rule


def generate(loaded, prefix: str = "", steps: int = 20, temperature: float = 1.0, seed: int = 0, samples: int = 1):
    """`samples` continuations of `prefix` (read by the task's encode), each at most `steps` symbols.
    An empty prefix starts each sample the way the task's own sequences start (drawn with the seed)."""
    task = loaded.task
    rule = check_request(task, prefix, steps, temperature, seed, samples)
    if prefix.strip():
        given = [symbols_of(task, task.encode(prefix))] * samples
    else:
        rng = random.Random(seed)
        given = [symbols_of(task, task.sample(rng))[:1] for _ in range(samples)]
    writer = Writer(loaded.model, task, rule.ending, temperature, seed)
    with torch.no_grad():
        first = writer.read(given)
        written, dists = writer.write(given, steps)
    vocabulary = list(task.symbols)
    completions = None
    if prefix.strip():  # every row read the same prefix: its distribution at temperature 1
        order = torch.argsort(first[0], descending=True)[:TOP_COMPLETIONS].tolist()
        completions = [(vocabulary[k], float(first[0, k])) for k in order]
    joiner = " " if task.input_kind == "words" else ""
    result = []
    for row, drawn, p in zip(given, written, dists, strict=True):
        symbols = row + [vocabulary[k] for k in drawn.tolist()]
        text = joiner.join(symbols)
        result.append(
            Sample(
                symbols=symbols,
                given=len(row),
                p=p,
                text=text,
                accepted=None if rule.grammar is None else accepts(rule.grammar, text),
            )
        )
    accepted = None if rule.grammar is None else sum(sample.accepted for sample in result)
    return Generation(vocabulary=vocabulary, samples=result, accepted=accepted, completions=completions)


def symbols_of(task, sequence) -> list[str]:
    """The input symbols of an encoded sequence (labels may be shown differently: '␣' for a space)."""
    return [task.input_symbols[k] for k in sequence.x.argmax(dim=1).tolist()]


class Writer:
    """The model writing B rows at once: read the given symbols, then draw until each row ends."""

    def __init__(self, model, task, ending: Ending, temperature: float, seed: int):
        self.model, self.ending, self.temperature = model, ending, temperature
        self.vocabulary = list(task.symbols)
        self.input_symbols = list(task.input_symbols)
        self.feed = torch.tensor([self.input_symbols.index(s) for s in self.vocabulary])  # output k -> input index
        self.score = SCORES[task.loss_kind]
        self.dtype = next(model.parameters()).dtype
        self.generator = torch.Generator().manual_seed(seed)
        self.logits = self.state = None

    def step(self, indices: torch.Tensor) -> None:
        """Feed (B, T) input indices; keep the last step's logits and the recurrent state."""
        x = F.one_hot(indices, len(self.input_symbols)).to(self.dtype)
        out, self.state = self.model(x, self.state)
        self.logits = out[:, -1].double()  # (B, V)

    def read(self, given: list[list[str]]) -> torch.Tensor:
        """Read every row's given symbols; returns the next-symbol distribution at temperature 1."""
        self.step(torch.tensor([[self.input_symbols.index(s) for s in row] for row in given]))
        return torch.softmax(self.score(self.logits), dim=-1)

    def ended(self, symbols: list[str]) -> bool:
        ending = self.ending
        if ending.symbol is not None and symbols.count(ending.symbol) >= ending.count:
            return True
        return ending.cue is not None and len(symbols) >= 2 and symbols[-2] == ending.cue

    def write(self, given: list[list[str]], steps: int):
        """Per row the drawn vocabulary indices (n,) and the distributions (n, V) they were drawn from.
        A row that has ended stays ended, so each row's symbols are a prefix of the steps drawn."""
        ending, rows = self.ending, len(given)
        done = torch.tensor([self.ended(row) for row in given])
        seen = torch.tensor([row.count(ending.symbol) for row in given]) if ending.symbol else None
        cue = self.vocabulary.index(ending.cue) if ending.cue else None
        last = torch.tensor([self.vocabulary.index(row[-1]) for row in given])  # what each row read last
        dists = torch.zeros(steps, rows, len(self.vocabulary))
        drawn_all = torch.zeros(steps, rows, dtype=torch.int64)
        lengths = torch.zeros(rows, dtype=torch.int64)
        for n in range(steps):
            if bool(done.all()):
                break
            p = torch.softmax(self.score(self.logits) / self.temperature, dim=-1)  # (B, V)
            drawn = torch.multinomial(p, 1, generator=self.generator)[:, 0]  # (B,)
            dists[n], drawn_all[n] = p, drawn
            lengths += ~done
            if seen is not None:  # the end symbol read `count` times in all
                seen += drawn == self.vocabulary.index(ending.symbol)
                done |= seen >= ending.count
            if cue is not None:  # the symbol after the cue is written
                done |= last == cue
            last = drawn
            self.step(self.feed[drawn].unsqueeze(1))
        written = [drawn_all[: int(k), row] for row, k in enumerate(lengths)]
        return written, [dists[: int(k), row] for row, k in enumerate(lengths)]
