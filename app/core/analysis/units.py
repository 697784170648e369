"""The unit inspector: what one hidden unit (or cell unit, or gate unit) responds to.

profile() reads one unit over a StateCloud (the states of many seeded sequences,
app/core/analysis/states.py): its mean by input symbol, by grammar state and by
step, the steps where it is highest with the symbols that led there, and the
units whose activations move most like it (Pearson correlation over the cloud).

select() is LSTMVis's question turned around (Strobelt et al. 2018): a person
marks steps start..end of one text and a threshold, and gets the units that are
on (above it) at every marked step and off (below it) at every other step of
that text, best separated first.

A target names which activations: "h" (every family), "c" (the LSTM's cell
state) or "gate:<name>" (a gate as the architecture names it: lstm i f g o,
gru r z n). Bad input raises AnalysisInputError with a message for a person.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import torch

from app.core.analysis.states import AnalysisInputError, StateCloud

MAX_TOP = 100  # top contexts and similar units listed at most
CONTEXT_SYMBOLS = 12  # symbols shown before a top-activating step; older ones read "…"


@dataclass(frozen=True)
class GroupMean:
    """The unit's mean over the points of one group (a symbol, a grammar state, a step)."""

    key: str | int
    mean: float
    count: int


@dataclass(frozen=True)
class Context:
    """One of the unit's top-activating steps and the symbols read up to it (the step's own last)."""

    sequence: int
    step: int
    value: float
    context: str


@dataclass(frozen=True)
class SimilarUnit:
    unit: int
    correlation: float


@dataclass(frozen=True)
class UnitProfile:
    target: str
    unit: int
    by_symbol: list[GroupMean]
    by_grammar_state: list[GroupMean] | None  # None for a task without a grammar
    by_step: list[GroupMean]
    top_contexts: list[Context]
    similar: list[SimilarUnit]  # most positively correlated first; constant units are left out


@dataclass(frozen=True)
class SelectedUnit:
    unit: int
    inside_min: float  # its lowest value over the marked steps
    outside_max: float | None  # its highest over the other steps; None when the range is the whole text
    score: float  # inside_min - outside_max (inside_min - threshold when nothing is outside)


# ----- which activations ---------------------------------------------------------


def activations(cloud: StateCloud, target: str) -> torch.Tensor:
    """(P, H) the values `target` names; AnalysisInputError naming what the model has otherwise."""
    return cloud.state(target)


def check_unit(values: torch.Tensor, target: str, unit: int) -> None:
    units = values.shape[1]
    if not 0 <= unit < units:
        raise AnalysisInputError(f"unit {unit} is out of range: {target} has units 0 to {units - 1}")


# ----- profile ---------------------------------------------------------------------


def profile(cloud: StateCloud, target: str, unit: int, top: int = 10) -> UnitProfile:
    """Unit `unit` of `target` over the cloud (see the module docstring)."""
    if not 1 <= top <= MAX_TOP:
        raise AnalysisInputError(f"top must be between 1 and {MAX_TOP}, not {top}")
    values = activations(cloud, target)
    check_unit(values, target, unit)
    column = values[:, unit].double()
    grammar = None
    if cloud.grammar_state is not None:
        grammar = _group_means(column, cloud.grammar_state, sort_key=natural_key)
    return UnitProfile(
        target=target,
        unit=unit,
        by_symbol=_group_means(column, cloud.symbol, sort_key=str),
        by_grammar_state=grammar,
        by_step=_group_means(column, cloud.step.tolist(), sort_key=int),
        top_contexts=_top_contexts(cloud, column, top),
        similar=_similar(values.double(), unit, top),
    )


def _group_means(column: torch.Tensor, keys: list, sort_key) -> list[GroupMean]:
    """Mean and count of `column` per distinct key, in sort_key order."""
    distinct = sorted(set(keys), key=sort_key)
    index = {key: i for i, key in enumerate(distinct)}
    group = torch.tensor([index[key] for key in keys], dtype=torch.int64)
    sums = torch.zeros(len(distinct), dtype=torch.float64).index_add_(0, group, column)
    counts = torch.bincount(group, minlength=len(distinct))
    return [GroupMean(key=key, mean=float(sums[i] / counts[i]), count=int(counts[i])) for i, key in enumerate(distinct)]


def natural_key(text: str) -> list:
    """'2' before '10', 'T/3' after 'P/6': digits compare as numbers."""
    return [(0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", text) if part]


def _top_contexts(cloud: StateCloud, column: torch.Tensor, top: int) -> list[Context]:
    """The `top` highest points, each with the symbols read up to it; a context already listed
    (sampled strings repeat: Reber's short ones often) is not listed again at a lower value."""
    order = torch.argsort(column, descending=True, stable=True).tolist()  # ties: the earlier point first
    context_of = ContextReader(cloud)
    contexts, seen = [], set()
    for p in order:
        text = context_of(p)
        if text in seen:
            continue
        seen.add(text)
        contexts.append(Context(int(cloud.sequence[p]), int(cloud.step[p]), float(column[p]), text))
        if len(contexts) == top:
            break
    return contexts


class ContextReader:
    """The symbols read up to a point (its own last), at most CONTEXT_SYMBOLS of them, older ones as '…'."""

    def __init__(self, cloud: StateCloud) -> None:
        self.cloud = cloud
        self.sequence, self.step = cloud.sequence.tolist(), cloud.step.tolist()
        self.where = {(s, t): p for p, (s, t) in enumerate(zip(self.sequence, self.step, strict=True))}
        # Symbols of one character (Reber, characters) read as a string; words and numbers spaced.
        self.separator = "" if all(len(symbol) == 1 for symbol in cloud.symbol) else " "

    def __call__(self, point: int) -> str:
        sequence, step = self.sequence[point], self.step[point]
        first = max(0, step - CONTEXT_SYMBOLS + 1)
        symbols = [
            self.cloud.symbol[self.where[sequence, t]] for t in range(first, step + 1) if (sequence, t) in self.where
        ]
        return ("…" if first > 0 else "") + self.separator.join(symbols)


def _similar(values: torch.Tensor, unit: int, top: int) -> list[SimilarUnit]:
    """The units most positively correlated with `unit` over the points (Pearson), itself excluded."""
    centred = values - values.mean(dim=0)
    norms = centred.norm(dim=0)
    if values.shape[0] < 2 or norms[unit] == 0:
        return []  # a constant unit correlates with nothing
    correlation = (centred * centred[:, unit : unit + 1]).sum(dim=0) / (norms * norms[unit])
    candidates = [j for j in range(values.shape[1]) if j != unit and norms[j] > 0]
    candidates.sort(key=lambda j: (-float(correlation[j]), j))
    # Rounding can carry |r| a hair past 1 for a unit that is another's exact multiple.
    return [SimilarUnit(j, max(-1.0, min(1.0, float(correlation[j])))) for j in candidates[:top]]


# ----- every unit at a glance --------------------------------------------------------------


@dataclass(frozen=True)
class UnitSummary:
    unit: int
    mean: float
    low: float
    high: float
    favourite: str  # the symbol after which the unit is highest on average
    favourite_mean: float
    top_context: str  # the symbols read up to its highest point


def summaries(cloud: StateCloud, target: str = "h") -> list[UnitSummary]:
    """One line per unit of `target`: its range, the symbol it likes best, where it peaks."""
    values = activations(cloud, target).double()
    symbols = sorted(set(cloud.symbol))
    index = {symbol: i for i, symbol in enumerate(symbols)}
    group = torch.tensor([index[symbol] for symbol in cloud.symbol], dtype=torch.int64)
    sums = torch.zeros(len(symbols), values.shape[1], dtype=torch.float64).index_add_(0, group, values)
    by_symbol = sums / torch.bincount(group, minlength=len(symbols)).unsqueeze(1)  # (S, H)
    favourite = by_symbol.argmax(dim=0).tolist()  # the first of equal means
    peak = values.argmax(dim=0).tolist()  # the first point of equal highs
    context_of = ContextReader(cloud)
    mean, low, high = values.mean(0).tolist(), values.min(0).values.tolist(), values.max(0).values.tolist()
    return [
        UnitSummary(
            j, mean[j], low[j], high[j], symbols[favourite[j]], float(by_symbol[favourite[j], j]), context_of(peak[j])
        )
        for j in range(values.shape[1])
    ]


# ----- range selection ----------------------------------------------------------------


def select(cloud: StateCloud, start: int, end: int, threshold: float, target: str = "h") -> list[SelectedUnit]:
    """Units on (> threshold) at every step start..end (inclusive) of the cloud's one text and
    off (< threshold) at every other step of it, the best separated first."""
    if not math.isfinite(threshold):
        raise AnalysisInputError("threshold must be a finite number")
    values = activations(cloud, target)
    steps = int(cloud.step.max()) + 1 if len(cloud.step) else 0
    if len(set(cloud.sequence.tolist())) != 1 or len(cloud.step) != steps:
        raise AnalysisInputError("range selection reads the states of exactly one text")
    if not 0 <= start <= end < steps:
        raise AnalysisInputError(
            f"the range {start}..{end} is not within the text's steps 0..{steps - 1} (start <= end)"
        )
    in_order = values[torch.argsort(cloud.step)].double()  # (T, H), step t in row t
    marked = torch.zeros(steps, dtype=torch.bool)
    marked[start : end + 1] = True
    inside_min = in_order[marked].min(dim=0).values
    outside = in_order[~marked]
    outside_max = outside.max(dim=0).values if len(outside) else None
    selected = []
    for unit in range(values.shape[1]):
        low = float(inside_min[unit])
        high = None if outside_max is None else float(outside_max[unit])
        if low > threshold and (high is None or high < threshold):
            score = low - (threshold if high is None else high)
            selected.append(SelectedUnit(unit, low, high, score))
    selected.sort(key=lambda chosen: (-chosen.score, chosen.unit))
    return selected
