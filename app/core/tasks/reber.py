"""The Reber grammar as data, a walker that checks strings against it, and the reber task.

The grammar is a small non-deterministic finite-state machine (Reber 1967;
used for simple recurrent networks by Cleeremans, Servan-Schreiber and
McClelland 1989). States 0..6; every state but 0 and 6 has two ways out,
each taken with probability 1/2:

    state   ways out                 state   ways out
      0     B -> 1                     4     X -> 3,  S -> 6
      1     T -> 2,  P -> 3            5     P -> 4,  V -> 6
      2     S -> 2,  X -> 4            6     E -> end
      3     T -> 3,  V -> 5

Because the next symbol is a coin toss, the best a network can do is predict
the SET of legal next symbols, so the target of each step is that set
(multi-hot, bce loss) and the metric asks for the set exactly.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Hashable
from dataclasses import dataclass

import torch

from .base import Batch, Sequence, Task, TaskInputError, TaskOption, masked_share
from .encoding import multi_hot, one_hot, parse_symbols, set_label

REBER_SYMBOLS = ("B", "T", "P", "S", "X", "V", "E")  # output (and input) order
REBER_END = 7  # the state after the final E: nothing may follow
# state -> {symbol: next state}; insertion order fixes how a sampler reads a coin toss
REBER_GRAPH: dict[int, dict[str, int]] = {
    0: {"B": 1},
    1: {"T": 2, "P": 3},
    2: {"S": 2, "X": 4},
    3: {"T": 3, "V": 5},
    4: {"X": 3, "S": 6},
    5: {"P": 4, "V": 6},
    6: {"E": REBER_END},
    REBER_END: {},
}


@dataclass(frozen=True)
class Grammar:
    """A finite-state grammar given by its start state and its transitions."""

    name: str  # used in messages: "the Reber grammar"
    start: Hashable
    transitions: Callable[[Hashable], dict[str, Hashable]]  # state -> {symbol: next state}


def _or_list(symbols: list[str]) -> str:
    return symbols[0] if len(symbols) == 1 else ", ".join(symbols[:-1]) + " or " + symbols[-1]


def _in_symbol_order(symbols) -> list[str]:
    return sorted(symbols, key=REBER_SYMBOLS.index)


def legal_sets(grammar: Grammar, string: str) -> list[frozenset[str]]:
    """The legal next symbols before each symbol of the string and after its last.

    Returns len(string) + 1 sets; the first is what may start a string. Raises
    TaskInputError at the first symbol the grammar forbids, naming the prefix.
    """
    state = grammar.start
    sets = [frozenset(grammar.transitions(state))]
    for position, symbol in enumerate(string):
        ways = grammar.transitions(state)
        if symbol not in ways:
            prefix = string[:position]
            where = f"{symbol!r} at position {position + 1}"
            if not prefix:
                message = f"a string of {grammar.name} starts with {_or_list(_in_symbol_order(ways))}, not {symbol!r}"
            elif not ways:
                message = f"{where} cannot follow {prefix!r}: that is already a complete string of {grammar.name}"
            else:
                message = (
                    f"{where} cannot follow {prefix!r} in {grammar.name}; "
                    f"{prefix!r} may be followed by {_or_list(_in_symbol_order(ways))}"
                )
            raise TaskInputError(message)
        state = ways[symbol]
        sets.append(frozenset(grammar.transitions(state)))
    return sets


def accepts(grammar: Grammar, string: str) -> bool:
    """True when the whole string is a complete sentence of the grammar."""
    try:
        sets = legal_sets(grammar, string)
    except TaskInputError:
        return False
    return len(string) > 0 and not sets[-1]


def generate(grammar: Grammar, rng: random.Random, max_length: int) -> str:
    """A random complete string, each way out taken with equal chance; regenerated until short enough."""
    while True:
        state, symbols = grammar.start, []
        while len(symbols) <= max_length:
            ways = list(grammar.transitions(state).items())
            if not ways:
                return "".join(symbols)
            symbol, state = ways[rng.randrange(len(ways))]
            symbols.append(symbol)


REBER = Grammar("the Reber grammar", 0, lambda state: REBER_GRAPH[state])


def state_name(grammar: Grammar, state: Hashable) -> str:
    """A state as a person reads it, the name the analysis gives grammar states too: Reber 3 -> "3",
    the final state -> "end"; embedded ("inner", "T", 3) -> "T/3", ("close",) -> "close"."""
    label = getattr(grammar, "label", None)  # a grammar may name its own states
    if label is not None:
        return label(state)
    if isinstance(state, tuple):
        if state[0] != "inner":
            return state[0]
        _, branch, inner = state
        return f"{branch}/{'end' if inner == REBER_END else inner}"
    return "end" if state == REBER_END else str(state)


def grammar_graph(grammar: Grammar) -> dict:
    """The grammar as data a page can draw: its states reachable from the start (in the order a
    breadth-first walk meets them, named by state_name), the labelled transitions, and the end
    states (no way out)."""

    def label(state: Hashable) -> str:
        return state_name(grammar, state)

    order, seen = [grammar.start], {grammar.start}
    transitions = []
    for state in order:  # grows while walked: a breadth-first search
        for symbol, target in grammar.transitions(state).items():
            transitions.append({"from": label(state), "to": label(target), "symbol": symbol})
            if target not in seen:
                seen.add(target)
                order.append(target)
    return {
        "name": grammar.name,
        "start": label(grammar.start),
        "states": [label(state) for state in order],
        "end": [label(state) for state in order if not grammar.transitions(state)],
        "transitions": transitions,
    }


def is_reber(string: str) -> bool:
    return accepts(REBER, string)


def legal_next(prefix: str) -> set[str]:
    """The symbols that may follow a legal prefix of a Reber string ('' -> {'B'})."""
    return set(legal_sets(REBER, prefix)[-1])


class GrammarTask(Task):
    """Next-symbol prediction on a grammar: target = multi-hot of the legal next symbols."""

    grammar: Grammar
    input_kind = "symbols"
    loss_kind = "bce"
    symbols = REBER_SYMBOLS

    def sample(self, rng: random.Random) -> Sequence:
        return self._sequence(generate(self.grammar, rng, self.options["max_length"]))

    def describe(self) -> dict:
        return {**super().describe(), "grammar": grammar_graph(self.grammar)}

    def encode(self, text: str) -> Sequence:
        symbols = parse_symbols(text, REBER_SYMBOLS, "Reber", self.probe_text())
        self._check_length(len(symbols))
        return self._sequence("".join(symbols))

    def _sequence(self, string: str) -> Sequence:
        # sets[t + 1] is what may follow step t; empty only after the final E
        next_sets = legal_sets(self.grammar, string)[1:]
        index = {symbol: k for k, symbol in enumerate(self.symbols)}
        ordered = [_in_symbol_order(s) for s in next_sets]
        mask = [1.0 if s else 0.0 for s in next_sets]
        return Sequence(
            x=one_hot([index[s] for s in string], self.input_size),
            target=multi_hot([{index[s] for s in group} for group in ordered], len(self.symbols)),
            loss_mask=torch.tensor(mask, dtype=torch.float32),
            labels=list(string),
            target_labels=[set_label(group) for group in ordered],
        )

    def _set_correct(self, logits: torch.Tensor, batch: Batch) -> torch.Tensor:
        """(B, T) bool: the predicted set {k: logit_k > 0} equals the target set exactly."""
        predicted = self._check_logits(logits, batch) > 0  # (B, T, O)
        return (predicted == (batch.target > 0.5)).all(dim=-1)


class ReberTask(GrammarTask):
    id = "reber"
    title = "Reber grammar"
    description = (
        "Strings from a small finite-state grammar where each step has two possible next symbols. "
        "The network learns to predict the set of legal next symbols, so it must track the grammar's state."
    )
    metric_name = "legal-set accuracy"
    grammar = REBER
    options_spec = (
        TaskOption("max_length", "int", 40, "Longest generated string; longer ones are drawn again.", 10, 200),
    )

    def probe_text(self) -> str:
        return "BTSSXXTVVE"

    def metric(self, logits: torch.Tensor, batch: Batch) -> float:
        """Share of counted steps whose predicted legal set is exactly right."""
        return masked_share(self._set_correct(logits, batch), batch.loss_mask)
